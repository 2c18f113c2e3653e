#!/usr/bin/env bash
# Publishes the shipped build once (self-contained, ReadyToRun, trimmed: the command of docs/perf/cluster.md)
# and smoke-tests every verb the images run on it: the three controllers (serving, net-istio, autoscaler:
# healthz/readyz and metrics), queue-proxy (probe + a proxied request), activator (a proxied request) and
# webhook (an AdmissionReview over HTTPS). Not part of the test suite: publishing takes minutes.
#
# Usage: bench/scripts/trimmed-smoke.sh [publish-dir]   (SKIP_PUBLISH=1 reuses an existing publish)
set -euo pipefail
cd "$(dirname "$0")/../.."
PUB=${1:-/tmp/ingress-trimmed}
BIN=$PUB/ingress
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$WORK"/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# Waits (60 s: the machine is shared) for a URL to answer 2xx; extra curl arguments follow the URL.
waitfor() { local url=$1; shift; for _ in $(seq 1 120); do curl -fsS -m 2 "$@" "$url" >"$WORK/last" 2>/dev/null && return 0; sleep 0.5; done; return 1; }
start() { local name=$1; shift; "$@" >"$WORK/$name.log" 2>&1 & PIDS+=($!); }

if [[ "${SKIP_PUBLISH:-}" != 1 ]]; then
  dotnet publish src/Ingress.Cli/Ingress.Cli.csproj -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true \
    -p:PublishTrimmed=true -p:JsonSerializerIsReflectionEnabledByDefault=true -p:TreatWarningsAsErrors=false \
    -p:DebugType=none -o "$PUB" >"$WORK/publish.log" 2>&1 || fail "publish"
  echo "trim warnings: $(grep -c 'warning IL' "$WORK/publish.log" || true)"
fi
echo "publish size: $(du -sb "$PUB" | cut -f1) bytes"

# An API server with the CRDs and config maps, as `kubectl apply -f manifests/` leaves them.
API=$(freeport)
start apiserver "$BIN" apiserver --port "$API" --bind-address 127.0.0.1
waitfor "http://127.0.0.1:$API/version" || fail "apiserver"
K="kubectl --server http://127.0.0.1:$API"
$K apply -f manifests/100-namespace.yaml -f manifests/200-crds -f crds/istio >/dev/null  # Istio's CRDs: Istio installs them
$K apply -f manifests/400-config >/dev/null
echo "ok apiserver"

# The controllers as their Deployments run them: each serves /healthz, /readyz and /metrics.
for spec in "controller:service,configuration,revision,route,domainmapping" "net-istio-controller:ingress" "autoscaler:autoscaler"; do
  name=${spec%%:*}; ctrls=${spec#*:}; mp=$(freeport)
  start "$name" "$BIN" controller --server "http://127.0.0.1:$API" --controllers "$ctrls" --no-leader-elect --metrics-port "$mp" --system-namespace knative-serving
  waitfor "http://127.0.0.1:$mp/healthz" || fail "$name healthz"
  waitfor "http://127.0.0.1:$mp/readyz" || fail "$name readyz"
  waitfor "http://127.0.0.1:$mp/metrics" || fail "$name metrics"
  grep -q "^kube_workqueue\|^# TYPE" "$WORK/last" || fail "$name metrics body"
  echo "ok $name"
done

# A user container: python's http.server answers GET / with a directory listing.
USER_PORT=$(freeport)
(cd "$WORK" && echo hello-from-user >index.html && exec python3 -m http.server "$USER_PORT" --bind 127.0.0.1 >"$WORK/user.log" 2>&1) & PIDS+=($!)
waitfor "http://127.0.0.1:$USER_PORT/" || fail "user container"

# queue-proxy: Knative's probe (K-Network-Probe: queue) and a proxied request.
QP=$(freeport); QH=$(freeport); QA=$(freeport); QM=$(freeport); QU=$(freeport)
QUEUE_SERVING_PORT=$QP QUEUE_SERVING_H2C_PORT=$QH QUEUE_ADMIN_PORT=$QA QUEUE_METRICS_PORT=$QM QUEUE_USER_METRICS_PORT=$QU USER_PORT=$USER_PORT \
  CONTAINER_CONCURRENCY=0 REVISION_TIMEOUT_SECONDS=300 SERVING_NAMESPACE=default SERVING_REVISION=hello-00001 \
  SERVING_CONFIGURATION=hello SERVING_SERVICE=hello SERVING_POD=hello-pod SERVING_POD_IP=127.0.0.1 \
  SERVING_READINESS_PROBE="{\"tcpSocket\":{\"port\":$USER_PORT,\"host\":\"127.0.0.1\"},\"successThreshold\":1}" \
  start queue-proxy "$BIN" queue-proxy
waitfor "http://127.0.0.1:$QP/" -H "K-Network-Probe: queue" || fail "queue-proxy probe"
waitfor "http://127.0.0.1:$QP/" || fail "queue-proxy proxy"
grep -q hello-from-user "$WORK/last" || fail "queue-proxy response body"
waitfor "http://127.0.0.1:$QM/metrics" || fail "queue-proxy metrics"
echo "ok queue-proxy"

# activator: a request for the revision, proxied to the queue-proxy.
AP=$(freeport); AH=$(freeport)
start activator "$BIN" activator --port "$AP" --h2c-port "$AH" --revision "default/hello-00001=127.0.0.1:$QP"
waitfor "http://127.0.0.1:$AP/" -H "Knative-Serving-Namespace: default" -H "Knative-Serving-Revision: hello-00001" || fail "activator proxy"
grep -q hello-from-user "$WORK/last" || fail "activator response body"
echo "ok activator"

# webhook: issues its certificate into the Secret, then answers an AdmissionReview over HTTPS.
# (the API server here is plain HTTP; the CA file is read but never used for it)
mkdir -p "$WORK/sa" && : >"$WORK/sa/token"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/sa/ca.key" -out "$WORK/sa/ca.crt" -subj /CN=smoke -days 1 >/dev/null 2>&1
$K apply -f manifests/500-webhook >/dev/null 2>&1 || true
WH=$(freeport); WP=$(freeport)
start webhook "$BIN" webhook --server "http://127.0.0.1:$API" --token-file "$WORK/sa/token" --ca-file "$WORK/sa/ca.crt" --https-port "$WH" --probe-port "$WP" --namespace knative-serving
waitfor "http://127.0.0.1:$WP/readyz" || fail "webhook readyz"
REVIEW='{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"smoke-1","kind":{"group":"serving.knative.dev","version":"v1","kind":"Service"},"resource":{"group":"serving.knative.dev","version":"v1","resource":"services"},"namespace":"default","operation":"CREATE","userInfo":{"username":"smoke"},"object":{"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"hello","namespace":"default"},"spec":{"template":{"spec":{"containers":[{"image":"example.com/hello"}]}}}}}}'
curl -fsS -k -m 10 -H 'Content-Type: application/json' -d "$REVIEW" "https://127.0.0.1:$WH/defaulting" >"$WORK/review" || fail "webhook AdmissionReview"
grep -q '"uid":"smoke-1"' "$WORK/review" && grep -q '"allowed":true' "$WORK/review" || { cat "$WORK/review"; fail "webhook AdmissionReview response"; }
echo "ok webhook"
# What trimming breaks shows up as these exceptions, possibly only in a background loop's log.
if grep -lE "MissingMethodException|MissingMemberException|TypeLoadException|NotSupportedException|JsonSerializerIsReflectionEnabledByDefault" "$WORK"/*.log; then fail "trim-related exception in a log"; fi
echo "ALL OK"
