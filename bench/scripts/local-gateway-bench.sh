#!/usr/bin/env bash
# Issue #9's fourth figure: throughput through the local gateway and queue-proxy to a warm revision, against one
# nginx reverse-proxy hop in front of the same app, measured in the same run.
# Usage: bench/scripts/local-gateway-bench.sh [seconds-per-run] [rounds]   (defaults 10 and 3)
# Topology (all on loopback): `ingress up` (Release build) runs helloworld-go (the built-in sample, minScale 1,
#   target-burst-capacity 0 so that the ServerlessService leaves the activator out of the path once the pod is up, as
#   Knative does; LOCAL_BENCH_TBC=200 (Knative's default) keeps the activator in: gateway -> activator -> queue-proxy);
#   ours:      wrk -> local gateway :HTTP_PORT (Host: helloworld-go.default.example.com) -> queue-proxy -> app
#   reference: wrk -> nginx reverse proxy (keepalive upstream, 2 workers) -> the same app's pod address and port
# Both paths end at the same app instance; rounds are interleaved and the median of per-round ratios is reported.
# CPU per request (user + system from /proc, divided by requests served): of the nginx workers, and of the whole
# `ingress up` process (app, queue-proxy, gateway and the idle control plane) during each run; during the nginx run
# that process only serves the app, so the difference is what the gateway + queue-proxy hops cost.
# Connection reuse: during our run it counts TCP connections to the queue-proxy (established, and closed ones in
# TIME-WAIT). Since the gateway reaches in-process queue-proxies in memory (InProcessEndpoints), only the runner's
# and activator's probes use TCP there (0-2); before, keep-alive pooling kept about 50 open and none closed.
# Environment: LOCAL_BENCH_INGRESS (an `ingress` executable or ingress.dll to run instead of building the work tree),
#   LOCAL_BENCH_BASELINE (another one, e.g. an older commit's publish: a second `ingress up` with its own app runs
#   beside the first, and its gateway + queue-proxy are measured in the same rounds, interleaved).
set -euo pipefail
DURATION="${1:-10}"; ROUNDS="${2:-3}"
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d /tmp/local-gateway-bench.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx wrk >/dev/null
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'; }

INGRESS="${LOCAL_BENCH_INGRESS:-}"
if [[ -z "$INGRESS" ]]; then
  echo "== building (Release)"
  dotnet build "$REPO/src/Ingress.Cli" -c Release -v q -nologo >/dev/null
  INGRESS="$REPO/src/Ingress.Cli/bin/Release/net10.0/ingress.dll"
fi
run_ingress() { local exe="$1"; shift; if [[ "$exe" == *.dll ]]; then exec dotnet "$exe" "$@"; else exec "$exe" "$@"; fi; }
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "$t"; }
# start_up <name> <exe>: an `ingress up` with helloworld-go at one warm replica; sets UP_PID_<name>, HTTP_PORT_<name>,
# POD_IP_<name>, APP_PORT_<name>.
start_up() {
  local name="$1" exe="$2" http api data="$WORK/data-$1"
  http=$(free_port); api=$(free_port)
  (run_ingress "$exe" up --data-dir "$data" --http-port "$http" --api-port "$api" --local-http-port "$(free_port)" --metrics-port 0 >"$WORK/up-$name.log" 2>&1) &
  local pid=$!; PIDS+=($pid)
  export KUBECONFIG="$data/kubeconfig"
  for _ in $(seq 1 600); do [ -f "$KUBECONFIG" ] && kubectl get ns default >/dev/null 2>&1 && break; sleep 0.2; done
  apply_service
  kubectl wait --for=condition=Ready ksvc/helloworld-go --timeout=180s >/dev/null
  # The activator leaves the path once the ServerlessService is in Serve mode (with target-burst-capacity 0).
  if [[ "${LOCAL_BENCH_TBC:-0}" == 0 ]]; then
    for _ in $(seq 1 300); do [[ "$(kubectl get sks helloworld-go-00001 -o jsonpath='{.spec.mode}')" == Serve ]] && break; sleep 0.2; done
  fi
  echo "$name: ServerlessService mode $(kubectl get sks helloworld-go-00001 -o jsonpath='{.spec.mode}')"
  printf -v "UP_PID_$name" '%s' "$pid"   # run_ingress execs, so the subshell's pid is the process
  printf -v "HTTP_PORT_$name" '%s' "$http"
  printf -v "POD_IP_$name" '%s' "$(kubectl get pods -l serving.knative.dev/service=helloworld-go -o jsonpath='{.items[0].status.podIP}')"
  local port; port=$(kubectl get pods -l serving.knative.dev/service=helloworld-go -o jsonpath='{.items[0].spec.containers[?(@.name=="user-container")].ports[0].containerPort}')
  printf -v "APP_PORT_$name" '%s' "${port:-8080}"
}
apply_service() {
kubectl apply -f - >/dev/null <<YAML
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: helloworld-go, namespace: default}
spec:
  template:
    metadata:
      annotations: {autoscaling.knative.dev/min-scale: "1", autoscaling.knative.dev/max-scale: "1", autoscaling.knative.dev/target-burst-capacity: "${LOCAL_BENCH_TBC:-0}"}
    spec:
      containers:
      - image: gcr.io/knative-samples/helloworld-go
        env: [{name: TARGET, value: bench}]
YAML
}
start_up new "$INGRESS"
[[ -n "${LOCAL_BENCH_BASELINE:-}" ]] && start_up base "$LOCAL_BENCH_BASELINE"
POD_IP="$POD_IP_new"; APP_PORT="$APP_PORT_new"; HTTP_PORT="$HTTP_PORT_new"
QP_PORT=8012   # the local runner keeps Knative's queue-proxy ports on each pod's own loopback address
curl -fs "http://$POD_IP:$APP_PORT/" >/dev/null || { echo "app not reachable at $POD_IP:$APP_PORT" >&2; exit 1; }

NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 2; daemon off; pid $WORK/nginx/nginx.pid; error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http { access_log off;
  upstream app { server $POD_IP:$APP_PORT; keepalive 64; }
  server { listen 127.0.0.1:$NGINX_PORT; location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
PIDS+=($!)
sleep 0.5
NGINX_WORKERS="$(pgrep -P "$(cat "$WORK/nginx/nginx.pid")" | tr '\n' ' ')"
HOST="helloworld-go.default.example.com"
curl -fs -H "Host: $HOST" "http://127.0.0.1:$HTTP_PORT/" >/dev/null
# One wrk run; prints "req/s cpu-us-per-request" where the CPU is that of the given processes.
measure() {
  local pids="$1"; shift
  local before after out reqs
  before=$(cpu_ticks $pids)
  out="$(wrk -t2 -c50 -d"${DURATION}s" "$@")"
  after=$(cpu_ticks $pids)
  reqs="$(awk '/requests in/ {print $1}' <<<"$out")"
  awk -v rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")" -v t=$((after-before)) -v r="$reqs" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%s %.1f\n", rps, t*1e6/hz/r}'
}
# Warm-up (JIT tiers) of every path.
wrk -t2 -c50 -d5s "http://127.0.0.1:$NGINX_PORT/" >/dev/null
wrk -t2 -c50 -d10s -H "Host: $HOST" "http://127.0.0.1:$HTTP_PORT/" >/dev/null
[[ -n "${LOCAL_BENCH_BASELINE:-}" ]] && wrk -t2 -c50 -d10s -H "Host: $HOST" "http://127.0.0.1:$HTTP_PORT_base/" >/dev/null
: >"$WORK/ratios"; : >"$WORK/cpu"; : >"$WORK/base"
for r in $(seq 1 "$ROUNDS"); do
  read -r ref ref_cpu < <(measure "$NGINX_WORKERS" "http://127.0.0.1:$NGINX_PORT/")
  # The app's share of the `ingress up` process during a run that only the app serves (nginx in front).
  read -r _ app_cpu < <(measure "$UP_PID_new" "http://127.0.0.1:$NGINX_PORT/")
  # Connections from the gateway to the queue-proxy, sampled in the middle of our run.
  # With a baseline, even rounds measure it first (A B B A ...), so neither build always runs first.
  if [[ -n "${LOCAL_BENCH_BASELINE:-}" && $((r % 2)) == 0 ]]; then
    read -r base base_cpu < <(measure "$UP_PID_base" -H "Host: $HOST" "http://127.0.0.1:$HTTP_PORT_base/")
  fi
  (sleep "$((DURATION / 2))"; ss -Htn state established dst "$POD_IP:$QP_PORT" | wc -l >"$WORK/conn-est"; ss -Htn state time-wait dst "$POD_IP:$QP_PORT" | wc -l >"$WORK/conn-tw") &
  sampler=$!
  read -r ours up_cpu < <(measure "$UP_PID_new" -H "Host: $HOST" "http://127.0.0.1:$HTTP_PORT/")
  wait "$sampler"
  ratio=$(awk -v a="$ours" -v b="$ref" 'BEGIN { printf "%.3f", a/b }')
  hops=$(awk -v a="$up_cpu" -v b="$app_cpu" 'BEGIN { printf "%.1f", a-b }')
  echo "round $r: nginx-proxy $ref req/s (nginx CPU $ref_cpu us/req), gateway+queue-proxy $ours req/s, ratio $ratio;" \
    "ingress-up CPU $up_cpu us/req (app alone $app_cpu, so gateway+queue-proxy $hops us/req = $(awk -v a="$hops" -v b="$ref_cpu" 'BEGIN { printf "%.2f", a/b }') x nginx);" \
    "TCP connections to the queue-proxy (the gateway's are in memory): $(cat "$WORK/conn-est") established, $(cat "$WORK/conn-tw") in TIME-WAIT"
  echo "$ratio" >>"$WORK/ratios"; echo "$hops $ref_cpu" >>"$WORK/cpu"
  if [[ -n "${LOCAL_BENCH_BASELINE:-}" ]]; then
    [[ $((r % 2)) == 1 ]] && read -r base base_cpu < <(measure "$UP_PID_base" -H "Host: $HOST" "http://127.0.0.1:$HTTP_PORT_base/")
    echo "round $r: baseline gateway+queue-proxy $base req/s (ratio to nginx $(awk -v a="$base" -v b="$ref" 'BEGIN { printf "%.3f", a/b }')), its ingress-up CPU $base_cpu us/req; this build / baseline: req/s $(awk -v a="$ours" -v b="$base" 'BEGIN { printf "%.3f", a/b }'), CPU $(awk -v a="$up_cpu" -v b="$base_cpu" 'BEGIN { printf "%.3f", a/b }')"
    awk -v a="$up_cpu" -v b="$base_cpu" -v x="$ours" -v y="$base" 'BEGIN { printf "%.4f %.4f\n", a/b, x/y }' >>"$WORK/base"
  fi
done
echo "median ratio gateway+queue-proxy / nginx-proxy: $(median <"$WORK/ratios") (target >= 0.4); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median gateway+queue-proxy CPU per request: $(awk '{print $1}' "$WORK/cpu" | median) us; nginx-proxy: $(awk '{print $2}' "$WORK/cpu" | median) us"
if [[ -n "${LOCAL_BENCH_BASELINE:-}" ]]; then
  echo "this build / baseline, median of per-round ratios: ingress-up CPU per request $(awk '{print $1}' "$WORK/base" | median), req/s $(awk '{print $2}' "$WORK/base" | median)"
fi
