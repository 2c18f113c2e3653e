#!/usr/bin/env bash
# Proxy benchmarks for queue-proxy and activator, against nginx as a reverse proxy measured in the same run.
# Usage: bench/scripts/proxy-bench.sh [seconds-per-run]   (default 10; the machine is shared, keep runs short)
# Topology (all on 127.0.0.1):
#   app:          nginx answering 200 "ok" on :18080 (1 worker)       -- the trivial app
#   nginx-proxy:  nginx reverse proxy :18081 -> :18080 (keepalive upstream, 2 workers) -- the reference
#   queue-proxy:  ingress queue-proxy :28012 -> :18080 (Release build)
#   activator:    ingress activator :38012 -> queue-proxy :28012
# Throughput: wrk -t2 -c50; latency: our constant-rate generator at 1000 req/s (open loop); start: exec -> first 200.
# The machine is shared and noisy: every phase runs ROUNDS interleaved rounds (all targets in each round) and reports
# the median over rounds of the ratio measured within a round.
# Environment: PROXY_BENCH_PHASES (subset of "throughput latency startup"), PROXY_BENCH_ROUNDS (default 3; startup: 5 runs per round),
#   PROXY_BENCH_BASELINE_INGRESS (another `ingress` executable, e.g. a publish of an older commit: its queue-proxy
#   (:28112) and activator (:38112) run beside this build's and are measured in the same rounds, interleaved, in the
#   throughput phase; its start is measured interleaved with this one's in the startup phase),
#   PROXY_BENCH_INGRESS (run this published `ingress` instead of publishing the work tree's), PROXY_BENCH_SHIPPED=1 (also
#   publish and start the image's build), PROXY_BENCH_STARTUP_BUILDS ("name=exe[;VAR=value...] ..." more builds or knobs).
set -euo pipefail
DURATION="${1:-10}"
PHASES="${PROXY_BENCH_PHASES:-throughput latency startup}"   # a subset can be chosen, e.g. "throughput"
ROUNDS="${PROXY_BENCH_ROUNDS:-3}"
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'; }
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d /tmp/proxy-bench.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# Tools come from Debian's packages, installed here and never in tests.
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx wrk >/dev/null
fi
NGINX="$(command -v nginx)"

echo "== building (Release)"
# ReadyToRun publish: precompiled code instead of JIT at start (the startup figure depends on it); the plain
# build output is measured too, for comparison (startup phase only).
[[ " $PHASES " == *" startup "* ]] && dotnet build "$REPO/src/Ingress.Cli" -c Release -v q -nologo >/dev/null
INGRESS_JIT="$REPO/src/Ingress.Cli/bin/Release/net10.0/ingress"
if [[ -n "${PROXY_BENCH_INGRESS:-}" ]]; then
  INGRESS="$PROXY_BENCH_INGRESS"   # an already published executable (e.g. another commit's, for before/after)
else
  dotnet publish "$REPO/src/Ingress.Cli" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$WORK/ingress-r2r" -v q -nologo >/dev/null
  INGRESS="$WORK/ingress-r2r/ingress"
fi
mkdir -p "$WORK/loadgen"
cat > "$WORK/loadgen/loadgen.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable>
  <ImplicitUsings>enable</ImplicitUsings><ServerGarbageCollection>false</ServerGarbageCollection></PropertyGroup>
  <ItemGroup><Compile Include="$REPO/bench/Ingress.Benchmarks/ProxyLoadGenerator.cs" /></ItemGroup>
</Project>
XML
echo 'return await Ingress.Benchmarks.ProxyLoadGenerator.MainAsync(args);' > "$WORK/loadgen/Program.cs"
dotnet build "$WORK/loadgen" -c Release -v q -nologo -o "$WORK/loadgen/out" >/dev/null
LOADGEN="$WORK/loadgen/out/loadgen"

echo "== starting servers"
mkdir -p "$WORK/nginx-app/logs" "$WORK/nginx-proxy/logs"
cat > "$WORK/nginx-app/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx-app/nginx.pid;
error_log $WORK/nginx-app/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:18080 reuseport; location / { return 200 "ok\n"; } }
}
CONF
cat > "$WORK/nginx-proxy/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx-proxy/nginx.pid;
error_log $WORK/nginx-proxy/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream app { server 127.0.0.1:18080; keepalive 128; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:18081 reuseport;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_buffering off;
    }
  }
}
CONF
"$NGINX" -p "$WORK/nginx-app" -c "$WORK/nginx-app/nginx.conf" -g 'daemon off;' & PIDS+=($!)
"$NGINX" -p "$WORK/nginx-proxy" -c "$WORK/nginx-proxy/nginx.conf" -g 'daemon off;' & PIDS+=($!)

QP_ENV=(REVISION_TIMEOUT_SECONDS=300 USER_PORT=18080 QUEUE_SERVING_PORT=28012 QUEUE_SERVING_H2C_PORT=28013
        QUEUE_ADMIN_PORT=28022 QUEUE_METRICS_PORT=29090 QUEUE_USER_METRICS_PORT=29091 SERVING_POD=bench-pod
        SERVING_NAMESPACE=default SERVING_REVISION=bench QUEUE_DRAIN_QUIET_PERIOD_SECONDS=0 CONTAINER_CONCURRENCY=0)
env "${QP_ENV[@]}" "$INGRESS" queue-proxy > "$WORK/queue-proxy.log" 2>&1 & QP_PID=$!; PIDS+=($QP_PID)
"$INGRESS" activator --port 38012 --h2c-port 38013 --revision default/bench=127.0.0.1:28012 \
  --autoscaler-url ws://127.0.0.1:1 --pod-name bench-activator > "$WORK/activator.log" 2>&1 & ACT_PID=$!; PIDS+=($ACT_PID)
BASE="${PROXY_BENCH_BASELINE_INGRESS:-}"
if [[ -n "$BASE" ]]; then
  BASE_QP_ENV=(REVISION_TIMEOUT_SECONDS=300 USER_PORT=18080 QUEUE_SERVING_PORT=28112 QUEUE_SERVING_H2C_PORT=28113
               QUEUE_ADMIN_PORT=28122 QUEUE_METRICS_PORT=29190 QUEUE_USER_METRICS_PORT=29191 SERVING_POD=bench-pod
               SERVING_NAMESPACE=default SERVING_REVISION=bench QUEUE_DRAIN_QUIET_PERIOD_SECONDS=0 CONTAINER_CONCURRENCY=0)
  env "${BASE_QP_ENV[@]}" "$BASE" queue-proxy > "$WORK/base-queue-proxy.log" 2>&1 & BASE_QP_PID=$!; PIDS+=($BASE_QP_PID)
  "$BASE" activator --port 38112 --h2c-port 38113 --revision default/bench=127.0.0.1:28112 \
    --autoscaler-url ws://127.0.0.1:1 --pod-name bench-activator > "$WORK/base-activator.log" 2>&1 & BASE_ACT_PID=$!; PIDS+=($BASE_ACT_PID)
fi
HOST="bench.default.svc.cluster.local"
for url in http://127.0.0.1:18080/ http://127.0.0.1:18081/ http://127.0.0.1:28012/ http://127.0.0.1:38012/ ${BASE:+http://127.0.0.1:28112/ http://127.0.0.1:38112/}; do
  for _ in $(seq 1 300); do curl -sf -H "Host: $HOST" "$url" >/dev/null && break; sleep 0.1; done
done

sleep 0.5
NGINX_PROXY_WORKERS="$(pgrep -P "$(cat "$WORK/nginx-proxy/nginx.pid")" | tr '\n' ' ')"
NAMES=(direct nginx-proxy queue-proxy activator+queue-proxy)
PORTS=(18080 18081 28012 38012)
PROXY_PIDS=("" "$NGINX_PROXY_WORKERS" "$QP_PID" "$ACT_PID $QP_PID")
if [[ -n "$BASE" ]]; then
  NAMES+=(base-queue-proxy base-activator+queue-proxy); PORTS+=(28112 38112)
  PROXY_PIDS+=("$BASE_QP_PID" "$BASE_ACT_PID $BASE_QP_PID")
fi
TARGET_COUNT=${#NAMES[@]}
# CPU time (user + system) the proxy processes spent, in clock ticks: a figure that is far less sensitive than
# req/s to the other engineers' builds sharing the 2 cores.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "$t"; }
declare -A RPS CPU
if [[ " $PHASES " == *" throughput "* ]]; then
echo "== throughput: wrk -t2 -c50 -d${DURATION}s per target, ${ROUNDS} interleaved rounds; CPU of the proxy processes per request"
# Warm-up first (JIT tiers, pools): on a loaded machine tier-up takes seconds, so 10 s per .NET target.
for port in 18081 28012 38012 ${BASE:+28112 38112}; do wrk -t2 -c50 -d10s -H "Host: $HOST" "http://127.0.0.1:$port/" >/dev/null; done
declare -A RPS_R CPU_R
for round in $(seq 1 "$ROUNDS"); do
ORDER="$(seq 0 $((TARGET_COUNT - 1)))"
# With a baseline, even rounds measure it before this build (A B B A ...), so neither side always goes first.
[[ -n "$BASE" && $((round % 2)) == 0 ]] && ORDER="0 1 4 5 2 3"
for i in $ORDER; do
  name="${NAMES[$i]}"; port="${PORTS[$i]}"; pids="${PROXY_PIDS[$i]}"
  before=0; [[ -n "$pids" ]] && before=$(cpu_ticks $pids)
  out="$(wrk -t2 -c50 -d"${DURATION}s" -H "Host: $HOST" "http://127.0.0.1:$port/")"
  after=0; [[ -n "$pids" ]] && after=$(cpu_ticks $pids)
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"; reqs="$(awk '/requests in/ {print $1}' <<<"$out")"
  errs="$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")"
  cpu="$(awk -v t=$((after-before)) -v r="$reqs" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t*1e6/hz/r}')"
  RPS_R[$name,$round]="$rps"; CPU_R[$name,$round]="$cpu"
  printf 'round %s %-24s %12s req/s  proxy CPU %6s us/req %s\n' "$round" "$name" "$rps" "$cpu" "$errs"
done
awk -v q="${RPS_R[queue-proxy,$round]}" -v a="${RPS_R[activator+queue-proxy,$round]}" -v n="${RPS_R[nginx-proxy,$round]}" -v d="${RPS_R[direct,$round]}" 'BEGIN {
  printf "round %s ratios: queue-proxy/nginx-proxy=%.2f activator+qp/nginx-proxy=%.2f nginx-proxy/direct=%.2f\n", '"$round"', q/n, a/n, n/d }'
done
ratio_median() { for r in $(seq 1 "$ROUNDS"); do awk -v x="${RPS_R[$1,$r]}" -v y="${RPS_R[$2,$r]}" 'BEGIN {print x/y}'; done | median; }
cpu_median() { for r in $(seq 1 "$ROUNDS"); do echo "${CPU_R[$1,$r]}"; done | median; }
echo "median over rounds: queue-proxy/nginx-proxy=$(ratio_median queue-proxy nginx-proxy) (target >= 0.8)" \
  "activator+qp/nginx-proxy=$(ratio_median activator+queue-proxy nginx-proxy) (target >= 0.5)" \
  "nginx-proxy/direct=$(ratio_median nginx-proxy direct)"
echo "median CPU per request (us): nginx-proxy=$(cpu_median nginx-proxy) queue-proxy=$(cpu_median queue-proxy)" \
  "activator+queue-proxy=$(cpu_median activator+queue-proxy)"
cpu_ratio_median() { for r in $(seq 1 "$ROUNDS"); do awk -v x="${CPU_R[$1,$r]}" -v y="${CPU_R[$2,$r]}" 'BEGIN {print x/y}'; done | median; }
echo "median over rounds, CPU per request vs nginx-proxy: queue-proxy=$(cpu_ratio_median queue-proxy nginx-proxy)" \
  "activator+queue-proxy=$(cpu_ratio_median activator+queue-proxy nginx-proxy)"
if [[ -n "$BASE" ]]; then
  echo "baseline (same rounds): median CPU per request (us) queue-proxy=$(cpu_median base-queue-proxy)" \
    "activator+queue-proxy=$(cpu_median base-activator+queue-proxy);" \
    "req/s vs nginx-proxy queue-proxy=$(ratio_median base-queue-proxy nginx-proxy) activator+qp=$(ratio_median base-activator+queue-proxy nginx-proxy)"
  echo "this build / baseline, median of per-round ratios: CPU per request queue-proxy=$(cpu_ratio_median queue-proxy base-queue-proxy)" \
    "activator+queue-proxy=$(cpu_ratio_median activator+queue-proxy base-activator+queue-proxy);" \
    "req/s queue-proxy=$(ratio_median queue-proxy base-queue-proxy) activator+qp=$(ratio_median activator+queue-proxy base-activator+queue-proxy)"
fi
fi

if [[ " $PHASES " == *" latency "* ]]; then
LATENCY_SECONDS=$((DURATION * 2))
echo "== latency: constant 1000 req/s, ${LATENCY_SECONDS}s per round after a 3 s warm-up per target; targets interleaved in 0.1 s slices (ms from scheduled send time)"
TARGETS=()
for i in 0 1 2 3; do TARGETS+=(--target "${NAMES[$i]}=http://127.0.0.1:${PORTS[$i]}/"); done
declare -A P50 P99
for round in $(seq 1 "$ROUNDS"); do
  out="$("$LOADGEN" latency "${TARGETS[@]}" --host "$HOST" --rate 1000 --duration "$LATENCY_SECONDS" --warmup 3 --slice 0.1 || true)"
  sed "s/^/round $round /" <<<"$out"
  for name in "${NAMES[@]}"; do
    P50[$name,$round]="$(awk -v n="$name" '$1 == n {sub("p50=", "", $2); print $2}' <<<"$out")"
    P99[$name,$round]="$(awk -v n="$name" '$1 == n {sub("p99=", "", $4); print $4}' <<<"$out")"
  done
done
added() { for r in $(seq 1 "$ROUNDS"); do awk -v x="$(eval echo "\${$1[$2,$r]}")" -v y="$(eval echo "\${$1[direct,$r]}")" 'BEGIN {printf "%.3f\n", x-y}'; done | median; }
for name in nginx-proxy queue-proxy activator+queue-proxy; do
  echo "median over rounds, added over direct: $name p50 +$(added P50 "$name") ms, p99 +$(added P99 "$name") ms"
done
echo "targets: queue-proxy p50 <= +0.3 ms, p99 <= +2 ms; activator+queue-proxy p99 <= +3 ms"
fi

if [[ " $PHASES " == *" startup "* ]]; then
RUNS=$((ROUNDS * 5))
echo "== queue-proxy start to ready (process exec -> first 200 on the readiness probe), ${RUNS} runs per build, builds interleaved run by run"
cleanup; PIDS=()
"$NGINX" -p "$WORK/nginx-app" -c "$WORK/nginx-app/nginx.conf" -g 'daemon off;' & PIDS+=($!)
sleep 0.5
# The first build is the reference of the same-run ratios. "shipped" is the image's build (self-contained, ReadyToRun,
# trimmed: docs/perf/cluster.md), published only when PROXY_BENCH_SHIPPED=1 (a few minutes of crossgen and ILLink).
BUILDS=()
if [[ -n "${PROXY_BENCH_BASELINE_INGRESS:-}" ]]; then BUILDS+=(--build "baseline=$PROXY_BENCH_BASELINE_INGRESS"); fi
BUILDS+=(--build "r2r=$INGRESS")
if [[ -f "$INGRESS.dll" ]]; then BUILDS+=(--build "r2r-muxer=$INGRESS.dll"); fi   # `dotnet ingress.dll`: muxer + hostfxr
BUILDS+=(--build "jit=$INGRESS_JIT")
if [[ "${PROXY_BENCH_SHIPPED:-0}" == 1 ]]; then
  dotnet publish "$REPO/src/Ingress.Cli/Ingress.Cli.csproj" -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true \
    -p:PublishTrimmed=true -p:JsonSerializerIsReflectionEnabledByDefault=true -p:TreatWarningsAsErrors=false -p:DebugType=none \
    -o "$WORK/ingress-shipped" -v q -nologo -clp:ErrorsOnly >/dev/null
  BUILDS+=(--build "shipped=$WORK/ingress-shipped/ingress")
fi
# More builds or runtime knobs, e.g. PROXY_BENCH_STARTUP_BUILDS="pgo-off=/tmp/pub/ingress;DOTNET_TieredPGO=0 comp=/tmp/comp/ingress".
for extra in ${PROXY_BENCH_STARTUP_BUILDS:-}; do BUILDS+=(--build "$extra"); done
env "${QP_ENV[@]}" "$LOADGEN" startup --url http://127.0.0.1:28012/ --runs "$RUNS" "${BUILDS[@]}" -- queue-proxy | tee "$WORK/startup.txt"
echo "(target <= 150 ms wall from exec; on a loaded machine compare cpu_median and the same-run ratios)"
fi
