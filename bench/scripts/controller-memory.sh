#!/usr/bin/env bash
# Controller memory: resident set size (VmRSS, and its peak VmHWM) of `ingress controller` (every controller in
# one process: serving, networking, autoscaling) after it has reconciled N Knative Services against the embedded
# API server. Baseline in the same run: the same process with the same config maps and no Service.
# Usage: bench/scripts/controller-memory.sh [services]   (default 1000)
# Target (issue #10): <= 150 MiB RSS with 1,000 Services.
set -euo pipefail
N="${1:-1000}"
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d /tmp/controller-memory.XXXXXX)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

echo "== building (Release)"
dotnet build "$REPO/src/Ingress.Cli" -c Release -v q -nologo >/dev/null
INGRESS=("dotnet" "$REPO/src/Ingress.Cli/bin/Release/net10.0/ingress.dll")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k/1024 }'; }

start_apiserver() {
  local port; port=$(free_port)
  "${INGRESS[@]}" apiserver --port "$port" >"$WORK/apiserver-$port.log" 2>&1 &
  PIDS+=($!)
  cat >"$WORK/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: bench, cluster: {server: "http://127.0.0.1:$port"}}]
users: [{name: bench, user: {}}]
contexts: [{name: bench, context: {cluster: bench, user: bench, namespace: default}}]
current-context: bench
EOF
  export KUBECONFIG="$WORK/kubeconfig"
  SERVER="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -fs "$SERVER/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  kubectl apply -f "$REPO/crds/" >/dev/null
  kubectl apply -f "$REPO/crds/istio/" >/dev/null
  kubectl wait --for=condition=Established --timeout=120s crd --all >/dev/null
  kubectl get namespace knative-serving >/dev/null 2>&1 || kubectl create namespace knative-serving >/dev/null
  kubectl get namespace istio-system >/dev/null 2>&1 || kubectl create namespace istio-system >/dev/null
  kubectl apply -f "$REPO/manifests/400-config/" >/dev/null
}

# Waits until the controller's work queues are empty (kube_workqueue_depth, summed, is 0 on three scrapes in a row).
wait_idle() {
  local metrics="$1" zero=0
  for _ in $(seq 1 3000); do
    local depth
    depth=$(curl -fs "$metrics/metrics" 2>/dev/null | awk '/^kube_workqueue_depth/ {s+=$NF} END {print s+0}')
    if [ "$depth" = "0" ]; then zero=$((zero+1)); [ "$zero" -ge 3 ] && return 0; else zero=0; fi
    sleep 1
  done
  echo "controller never became idle" >&2; return 1
}

run_controller() {   # $1: label; leaves RSS figures in $WORK/$1.txt
  local mport; mport=$(free_port)
  "${INGRESS[@]}" controller --server "$SERVER" --metrics-port "$mport" --no-leader-elect --log-format json >"$WORK/$1-controller.log" 2>&1 &
  local pid=$!; PIDS+=($pid)
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$mport/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  CONTROLLER_PID=$pid; CONTROLLER_METRICS="http://127.0.0.1:$mport"
}

echo "== baseline: controller with the config maps and no Service"
start_apiserver
run_controller baseline
wait_idle "$CONTROLLER_METRICS"
BASE_RSS=$(rss_kib "$CONTROLLER_PID"); BASE_HWM=$(hwm_kib "$CONTROLLER_PID")
kill "$CONTROLLER_PID"; wait "$CONTROLLER_PID" 2>/dev/null || true

echo "== $N Services"
python3 - "$N" >"$WORK/services.yaml" <<'EOF'
import sys
n = int(sys.argv[1])
for i in range(n):
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
EOF
run_controller loaded
START=$(date +%s)
kubectl apply -f "$WORK/services.yaml" >/dev/null
# Reconciled: every Service has its Configuration, Revision (with Deployment, PodAutoscaler, ServerlessService,
# Metric) and Route, and the queues are empty. No pod ever runs (no kubelet), so Revisions stay unready and Routes
# wait for them without a KIngress: the networking controller has nothing to do here.
for _ in $(seq 1 1200); do
  pas=$(kubectl get podautoscalers.autoscaling.internal.knative.dev -n default --no-headers 2>/dev/null | wc -l)
  routes=$(kubectl get routes.serving.knative.dev -n default --no-headers 2>/dev/null | wc -l)
  [ "$pas" -ge "$N" ] && [ "$routes" -ge "$N" ] && break
  sleep 2
done
wait_idle "$CONTROLLER_METRICS"
ELAPSED=$(( $(date +%s) - START ))
LOAD_RSS=$(rss_kib "$CONTROLLER_PID"); LOAD_HWM=$(hwm_kib "$CONTROLLER_PID")
kill "$CONTROLLER_PID"; wait "$CONTROLLER_PID" 2>/dev/null || true
DEPLOYMENTS=$(kubectl get deployments.apps -n default --no-headers 2>/dev/null | wc -l)

# The same controller restarted on the reconciled state (informers relist N of everything), with a smaller
# gen0 budget: how much of the RSS is GC headroom rather than live objects.
echo "== restart on the $N reconciled Services, DOTNET_GCgen0size=0x2000000 (32 MiB)"
export DOTNET_GCgen0size=0x2000000
run_controller restarted
wait_idle "$CONTROLLER_METRICS"
GEN0_RSS=$(rss_kib "$CONTROLLER_PID"); GEN0_HWM=$(hwm_kib "$CONTROLLER_PID")
unset DOTNET_GCgen0size

echo
echo "services: $N   (routes $routes, podautoscalers $pas, deployments $DEPLOYMENTS; reconciled in ${ELAPSED}s)"
echo "baseline (0 services):   RSS $(mib "$BASE_RSS") MiB   peak $(mib "$BASE_HWM") MiB"
echo "with $N services:        RSS $(mib "$LOAD_RSS") MiB   peak $(mib "$LOAD_HWM") MiB"
echo "restarted, gen0 32 MiB:  RSS $(mib "$GEN0_RSS") MiB   peak $(mib "$GEN0_HWM") MiB"
awk -v a="$LOAD_RSS" -v b="$BASE_RSS" 'BEGIN { printf "ratio loaded/baseline RSS: %.2f\n", a/b }'
