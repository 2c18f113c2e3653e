#!/usr/bin/env bash
# Issue #9's fourth figure: throughput through the local gateway and queue-proxy to a warm revision, against one
# nginx reverse-proxy hop in front of the same app, measured in the same run.
# Usage: bench/scripts/local-gateway-bench.sh [seconds-per-run] [rounds]   (defaults 10 and 3)
# Topology (all on loopback): `ingress up` (Release build) runs helloworld-go (the built-in sample, minScale 1);
#   ours:      wrk -> local gateway :HTTP_PORT (Host: helloworld-go.default.example.com) -> queue-proxy -> app
#   reference: wrk -> nginx reverse proxy (keepalive upstream, 2 workers) -> the same app's pod address and port
# Both paths end at the same app instance; rounds are interleaved and the median of per-round ratios is reported.
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

echo "== building (Release)"
dotnet build "$REPO/src/Ingress.Cli" -c Release -v q -nologo >/dev/null
HTTP_PORT=$(free_port); API_PORT=$(free_port)
dotnet "$REPO/src/Ingress.Cli/bin/Release/net10.0/ingress.dll" up --data-dir "$WORK/data" --http-port "$HTTP_PORT" --api-port "$API_PORT" --local-http-port "$(free_port)" --metrics-port 0 >"$WORK/up.log" 2>&1 &
PIDS+=($!)
export KUBECONFIG="$WORK/data/kubeconfig"
for _ in $(seq 1 300); do [ -f "$KUBECONFIG" ] && kubectl get ns default >/dev/null 2>&1 && break; sleep 0.2; done
kubectl apply -f - >/dev/null <<YAML
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: helloworld-go, namespace: default}
spec:
  template:
    metadata:
      annotations: {autoscaling.knative.dev/min-scale: "1", autoscaling.knative.dev/max-scale: "1"}
    spec:
      containers:
      - image: gcr.io/knative-samples/helloworld-go
        env: [{name: TARGET, value: bench}]
YAML
kubectl wait --for=condition=Ready ksvc/helloworld-go --timeout=120s >/dev/null
POD_IP=$(kubectl get pods -l serving.knative.dev/service=helloworld-go -o jsonpath='{.items[0].status.podIP}')
APP_PORT=$(kubectl get pods -l serving.knative.dev/service=helloworld-go -o jsonpath='{.items[0].spec.containers[?(@.name=="user-container")].ports[0].containerPort}')
APP_PORT="${APP_PORT:-8080}"
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
HOST="helloworld-go.default.example.com"
curl -fs -H "Host: $HOST" "http://127.0.0.1:$HTTP_PORT/" >/dev/null
rps() { wrk -t2 -c50 -d"${DURATION}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
wrk -t2 -c50 -d2s -H "Host: $HOST" "http://127.0.0.1:$HTTP_PORT/" >/dev/null   # warm-up (JIT)
: >"$WORK/ratios"
for r in $(seq 1 "$ROUNDS"); do
  ref=$(rps "http://127.0.0.1:$NGINX_PORT/")
  ours=$(rps -H "Host: $HOST" "http://127.0.0.1:$HTTP_PORT/")
  ratio=$(awk -v a="$ours" -v b="$ref" 'BEGIN { printf "%.3f", a/b }')
  echo "round $r: nginx-proxy $ref req/s, gateway+queue-proxy $ours req/s, ratio $ratio"
  echo "$ratio" >>"$WORK/ratios"
done
echo "median ratio gateway+queue-proxy / nginx-proxy: $(median <"$WORK/ratios") (target >= 0.4); load average $(cut -d' ' -f1-3 /proc/loadavg)"
