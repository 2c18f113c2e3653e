#!/usr/bin/env bash
# Controller memory: resident set size (VmRSS, and its peak VmHWM) of `ingress controller` (every controller in
# one process: serving, networking, autoscaling) after it has reconciled N Knative Services against the embedded
# API server, with the baseline (same process, same config maps, no Service) measured in the same run.
#
# Usage: bench/scripts/controller-memory.sh [services]   (default 1000; e.g. 200 for a quick iteration)
# Environment:
#   IDLE_SECONDS    extra wait once the queues are empty before reading (default 0; 15 reads the state after the
#                   controller's idle memory trim)
#   SETTLE_SECONDS  longest wait for empty work queues once every object exists (default 120); a controller
#                   whose queues never empty (a reconcile that re-enqueues itself) is measured when it runs out
#   RESTARTS        which restarts on the reconciled state to measure (default "default gen0 conserve serving autoscaler")
#   KEEP_WORK=1     keep the work directory (logs, memory reports) for inspection
#   INGRESS_EXECUTABLE  run this `ingress` executable (e.g. a trimmed self-contained publish) instead of building
# Target (issue #10): <= 150 MiB RSS with 1,000 Services.
#
# Each phase also asks the controller for a memory report (INGRESS_MEMORY_REPORT + SIGUSR1: GC heap before and
# after a full compacting collection, objects per informer cache) after its RSS was read, so the collection it
# forces does not change the figure reported.
set -euo pipefail
N="${1:-1000}"
SETTLE_SECONDS="${SETTLE_SECONDS:-120}"
IDLE_SECONDS="${IDLE_SECONDS:-0}"
RESTARTS="${RESTARTS:-default gen0 conserve serving autoscaler}"
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d /tmp/controller-memory.XXXXXX)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

if [ -n "${INGRESS_EXECUTABLE:-}" ]; then
  # e.g. the trimmed, ReadyToRun, self-contained publish the images ship (docs/perf/cluster.md)
  INGRESS=("$INGRESS_EXECUTABLE")
else
  echo "== building (Release)"
  dotnet build "$REPO/src/Ingress.Cli" -c Release -v q -nologo >/dev/null
  INGRESS=("dotnet" "$REPO/src/Ingress.Cli/bin/Release/net10.0/ingress.dll")
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
status_kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k/1024 }'; }

start_apiserver() {
  local port; port=$(free_port)
  "${INGRESS[@]}" apiserver --port "$port" >"$WORK/apiserver.log" 2>&1 &
  PIDS+=($!); APISERVER_PID=$!
  cat >"$WORK/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters: [{name: bench, cluster: {server: "http://127.0.0.1:$port"}}]
users: [{name: bench, user: {}}]
contexts: [{name: bench, context: {cluster: bench, user: bench, namespace: default}}]
current-context: bench
KUBECONFIG
  export KUBECONFIG="$WORK/kubeconfig"
  SERVER="http://127.0.0.1:$port"
  for _ in $(seq 1 300); do curl -fs "$SERVER/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  kubectl apply -f "$REPO/crds/" >/dev/null
  kubectl apply -f "$REPO/crds/istio/" >/dev/null
  kubectl wait --for=condition=Established --timeout=120s crd --all >/dev/null
  kubectl get namespace knative-serving >/dev/null 2>&1 || kubectl create namespace knative-serving >/dev/null
  kubectl get namespace istio-system >/dev/null 2>&1 || kubectl create namespace istio-system >/dev/null
  kubectl apply -f "$REPO/manifests/400-config/" >/dev/null
}

queue_depth() { curl -fs "$1/metrics" 2>/dev/null | awk '/^kube_workqueue_depth/ {s+=$NF} END {print s+0}'; }

# Waits until the controller's work queues are empty (summed kube_workqueue_depth 0 on three scrapes in a row),
# for at most $2 seconds. Sets SETTLED to "idle" or "queue N after Ts".
wait_settled() {
  local metrics="$1" limit="$2" zero=0 start depth=0
  start=$(date +%s)
  while [ $(( $(date +%s) - start )) -lt "$limit" ]; do
    depth=$(queue_depth "$metrics")
    if [ "$depth" = "0" ]; then
      zero=$((zero+1))
      # Then IDLE_SECONDS more, so that what is read is the idle state (the controller hands memory back 5-10 s
      # after its queues empty: IdleMemoryTrimmer); 0 reads right away, as before.
      [ "$zero" -ge 3 ] && { sleep "${IDLE_SECONDS:-0}"; SETTLED="idle"; return 0; }
    else zero=0; fi
    sleep 1
  done
  SETTLED="queue $depth after ${limit}s"
}

# $1: label, then extra controller arguments. Environment for the controller comes from CONTROLLER_ENV (array).
start_controller() {
  local label="$1"; shift
  local mport; mport=$(free_port)
  env "${CONTROLLER_ENV[@]}" INGRESS_MEMORY_REPORT="$WORK/$label-report.json" \
    "${INGRESS[@]}" controller --server "$SERVER" --metrics-port "$mport" --no-leader-elect --log-format json "$@" \
    >"$WORK/$label-controller.log" 2>&1 &
  CONTROLLER_PID=$!; PIDS+=($CONTROLLER_PID)
  CONTROLLER_METRICS="http://127.0.0.1:$mport"
  for _ in $(seq 1 600); do curl -fs "$CONTROLLER_METRICS/readyz" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "controller ($label) never became ready; log: $WORK/$label-controller.log" >&2; tail -20 "$WORK/$label-controller.log" >&2; return 1
}

# Reads RSS and peak, then the memory report, then stops the controller. Appends one row to $WORK/rows.
finish_controller() {
  local label="$1" rss hwm
  rss=$(status_kib "$CONTROLLER_PID" VmRSS); hwm=$(status_kib "$CONTROLLER_PID" VmHWM)
  # A build without the memory report dies of SIGUSR1: the figures above are read already, the report is absent.
  kill -USR1 "$CONTROLLER_PID"
  for _ in $(seq 1 300); do
    { [ -s "$WORK/$label-report.json" ] || ! kill -0 "$CONTROLLER_PID" 2>/dev/null; } && break
    sleep 0.2
  done
  kill "$CONTROLLER_PID" 2>/dev/null || true; wait "$CONTROLLER_PID" 2>/dev/null || true
  python3 - "$label" "$rss" "$hwm" "$SETTLED" "$WORK/$label-report.json" >>"$WORK/rows" <<'PY'
import json, sys
label, rss, hwm, settled, path = sys.argv[1:6]
M = 1024 * 1024
try:
    r = json.load(open(path))
    b, a = r["before"], r["afterFullCompactingGc"]
    heap = f'{b["gcHeapBytes"]/M:.1f} / {a["gcHeapBytes"]/M:.1f}'
    after_rss = f'{a["rssBytes"]/M:.1f}'
    caches = ", ".join(f'{i["resource"]}:{i["objectType"]}={i["objects"]}' for i in r["informers"] if i["objects"] > 0)
except Exception as e:
    heap, after_rss, caches = "-", "-", f"(no report: {e})"
print(f'| {label} | {int(rss)/1024:.1f} | {int(hwm)/1024:.1f} | {heap} | {after_rss} | {settled} |\t{caches}')
PY
  tail -1 "$WORK/rows" | cut -f1
}

start_apiserver
: >"$WORK/rows"

echo "== baseline: controller with the config maps and no Service"
CONTROLLER_ENV=()
start_controller baseline
wait_settled "$CONTROLLER_METRICS" "$SETTLE_SECONDS"
finish_controller baseline

echo "== $N Services"
python3 - "$N" >"$WORK/services.yaml" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print(f"""---
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: svc-{i:04d}
  namespace: default
spec:
  template:
    spec:
      containers:
      - image: gcr.io/knative-samples/helloworld-go
        env:
        - name: TARGET
          value: "bench {i}"
""")
PY
start_controller loaded
START=$(date +%s)
kubectl apply -f "$WORK/services.yaml" >/dev/null
# Reconciled: every Service has its Route and PodAutoscaler (so Configuration, Revision, Deployment,
# ServerlessService and Metric exist). No pod ever runs (no kubelet): Revisions stay unready and Routes wait for
# them without a KIngress, so the networking controller has nothing to do here.
count() { kubectl get "$1" -n default --no-headers 2>/dev/null | wc -l; }
for _ in $(seq 1 1800); do
  pas=$(count podautoscalers.autoscaling.internal.knative.dev); routes=$(count routes.serving.knative.dev)
  [ "$pas" -ge "$N" ] && [ "$routes" -ge "$N" ] && break
  sleep 2
done
CREATED=$(( $(date +%s) - START ))
wait_settled "$CONTROLLER_METRICS" "$SETTLE_SECONDS"
finish_controller loaded
echo "   every Route and PodAutoscaler after ${CREATED}s (routes $routes, podautoscalers $pas, revisions $(count revisions.serving.knative.dev), deployments $(count deployments.apps))"

# Restarts on the reconciled state: informers relist N of everything. Variants tell GC headroom from live data
# and which module's caches hold what.
for variant in $RESTARTS; do
  args=()
  case "$variant" in
    default)    CONTROLLER_ENV=() ;;
    gen0)       CONTROLLER_ENV=(DOTNET_GCgen0size=0x2000000) ;;   # a 32 MiB gen0 budget
    conserve)   CONTROLLER_ENV=(DOTNET_GCConserveMemory=5) ;;
    noconcurrent) CONTROLLER_ENV=(DOTNET_gcConcurrent=0) ;;       # no background GC
    serving)    CONTROLLER_ENV=(); args=(--controllers service,configuration,revision,route,domainmapping) ;;
    autoscaler) CONTROLLER_ENV=(); args=(--controllers autoscaler) ;;
    networking) CONTROLLER_ENV=(); args=(--controllers ingress) ;;
    *) echo "unknown restart variant $variant" >&2; exit 2 ;;
  esac
  echo "== restart on the reconciled state: $variant ${CONTROLLER_ENV[*]:-} ${args[*]:-}"
  start_controller "restart-$variant" "${args[@]}"
  wait_settled "$CONTROLLER_METRICS" "$SETTLE_SECONDS"
  finish_controller "restart-$variant"
done

echo
echo "services: $N; ${INGRESS[*]}; all figures MiB"
echo "| phase | RSS | peak RSS | GC heap before / after full GC | RSS after full GC | queues |"
echo "|---|---|---|---|---|---|"
cut -f1 "$WORK/rows"
echo
echo "informer caches (objects), per phase:"
awk -F'\t' '{ split($1, a, "|"); printf "%s: %s\n", a[2], $2 }' "$WORK/rows"
awk -F'|' 'NR==1 {b=$3} NR==2 {l=$3} END { if (b > 0) printf "ratio loaded/baseline RSS: %.2f\n", l/b }' "$WORK/rows"
