#!/usr/bin/env bash
# Regenerates the CRDs into a temporary folder and fails if they differ from the committed ones, then runs the
# structural checks on every CRD and validates every example against the schemas. Needs python3 with PyYAML.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 crds/hack/gen.py "$tmp" >/dev/null
diff -r -x hack "$tmp" crds >/dev/null || { diff -r -x hack "$tmp" crds | head -40; echo "crds/ is stale: run python3 crds/hack/gen.py crds"; exit 1; }
python3 crds/hack/check.py crds/*.yaml crds/istio/*.yaml
python3 crds/hack/validate_examples.py crds examples
# kubectl's own decoder: `label --local` parses and maps every object without contacting a server.
if command -v kubectl >/dev/null 2>&1; then
  n=0
  for f in crds/*.yaml crds/istio/*.yaml $(find examples -name '*.yaml' | sort); do
    kubectl label --local -f "$f" checked=yes -o name >/dev/null || { echo "kubectl cannot read $f"; exit 1; }
    n=$((n + 1))
  done
  echo "OK kubectl read $n files"
fi
