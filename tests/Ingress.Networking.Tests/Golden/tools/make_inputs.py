#!/usr/bin/env python3
"""Writes the golden inputs (input.yaml). Expected files are produced by the tests with UPDATE_GOLDEN=1 and reviewed
by hand against docs/reference net-istio spec. Certificates are generated once with openssl and embedded."""
import base64, copy, os, subprocess, sys, yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CERTS = sys.argv[1] if len(sys.argv) > 1 else "/tmp/nwcerts"

def cert(name):
    return base64.b64encode(open(os.path.join(CERTS, name + ".crt"), "rb").read()).decode()

class Lit(str): pass
def lit_rep(d, s): return d.represent_scalar("tag:yaml.org,2002:str", s, style="|")
yaml.add_representer(Lit, lit_rep)

def split(svc="test-service", port=80, percent=100, ns="test-ns", headers=None):
    s = {"serviceNamespace": ns, "serviceName": svc, "servicePort": port}
    if percent is not None: s["percent"] = percent
    if headers: s["appendHeaders"] = headers
    return s

def path(splits=None, **kw):
    p = dict(kw)
    p["splits"] = splits if splits is not None else [split()]
    return p

def rule(hosts, vis="ExternalIP", paths=None):
    r = {"hosts": hosts}
    if vis is not None: r["visibility"] = vis
    r["http"] = {"paths": paths if paths is not None else [path()]}
    return r

def ingress(rules, name="test-ingress", ns="test-ns", tls=None, http_option=None, labels=None, annotations=None, generation=1):
    meta = {"name": name, "uid": "8675309", "generation": generation}
    if ns is not None: meta["namespace"] = ns
    meta["labels"] = labels if labels is not None else {"serving.knative.dev/route": "test-route", "serving.knative.dev/routeNamespace": "test-ns"}
    meta["annotations"] = annotations if annotations is not None else {"networking.knative.dev/ingress.class": "istio.ingress.networking.knative.dev"}
    spec = {}
    if tls: spec["tls"] = tls
    spec["rules"] = rules
    if http_option: spec["httpOption"] = http_option
    return {"apiVersion": "networking.internal.knative.dev/v1alpha1", "kind": "Ingress", "metadata": meta, "spec": spec}

def istio(**data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-istio", "namespace": "knative-testing"},
            "data": {k.replace("_", "-"): (Lit(v) if "\n" in v else v) for k, v in data.items()}}

def istio_raw(data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-istio", "namespace": "knative-testing"},
            "data": {k: (Lit(v) if "\n" in v else v) for k, v in data.items()}}

def network(**data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "config-network", "namespace": "knative-testing"},
            "data": {k.replace("_", "-"): v for k, v in data.items()}}

def secret(name="secret0", ns="knative-serving", crt="plain", uid="secret-uid", labels=None):
    meta = {"name": name, "namespace": ns, "uid": uid}
    if labels: meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "kubernetes.io/tls",
            "data": {"tls.crt": cert(crt), "tls.key": base64.b64encode(b"key").decode()}}

def gw_service(name="istio-ingressgateway", ns="istio-system", selector=None, labels=None, ports=None):
    sel = selector if selector is not None else {"istio": "ingressgateway"}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns, "labels": labels if labels is not None else dict(sel)},
            "spec": {"selector": sel, "ports": ports if ports is not None else [{"name": "http2", "port": 80}, {"name": "https", "port": 443}]}}

def gateway(name, ns="knative-testing", selector=None, servers=None):
    return {"apiVersion": "networking.istio.io/v1beta1", "kind": "Gateway", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": selector if selector is not None else {"istio": "ingressgateway"},
                     "servers": servers if servers is not None else [{"hosts": ["*"], "port": {"name": "http", "number": 80, "protocol": "HTTP"}}]}}

def endpoints(name="istio-ingressgateway", ns="istio-system", subsets=None):
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": ns},
            "subsets": subsets if subsets is not None else [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}, {"ip": "10.0.0.3"}],
                                                              "ports": [{"name": "http2", "port": 8081}, {"name": "https", "port": 8443}]}]}

def tls(hosts, name="secret0", ns="knative-serving"):
    return {"hosts": hosts, "secretName": name, "secretNamespace": ns}

EXT = "host-tls.example.com"
LOCAL = "host-tls.test-ns.svc.cluster.local"
NO_LOCAL = dict(external_gateways="- name: knative-ingress-gateway\n  namespace: knative-testing\n  service: istio-ingressgateway.istio-system.svc.cluster.local\n", local_gateways="[]")
MESH_ONLY = dict(external_gateways="[]", local_gateways="[]")
SELECTOR_CFG = dict(
    external_gateways="- name: knative-ingress-gateway\n  namespace: knative-testing\n  service: istio-ingressgateway.istio-system.svc.cluster.local\n"
                      "- name: gold-gateway\n  namespace: gold\n  service: gold-ingressgateway.gold-system.svc.cluster.local\n  labelSelector:\n    matchLabels:\n      tier: gold\n",
    local_gateways="- name: knative-local-gateway\n  namespace: knative-testing\n  service: knative-local-gateway.istio-system.svc.cluster.local\n"
                   "- name: gold-local-gateway\n  namespace: gold\n  service: gold-local-gateway.gold-system.svc.cluster.local\n  labelSelector:\n    matchExpressions:\n    - key: tier\n      operator: In\n      values: [gold, platinum]\n")
GOLD_LABELS = {"serving.knative.dev/route": "test-route", "serving.knative.dev/routeNamespace": "test-ns", "tier": "gold"}
fixture_rules = [rule([EXT]), rule([LOCAL], "ClusterLocal")]

cases = {}
def case(builder, name, *docs): cases[f"{builder}/{name}"] = list(docs)

# ---------------- VirtualServices
V = "VirtualServices"
case(V, "basic-external", ingress([rule(["foo.example.com"])]))
case(V, "cluster-local-only", ingress([rule(["foo.test-ns.svc.cluster.local"], "ClusterLocal")]))
case(V, "external-and-cluster-local", ingress(fixture_rules))
case(V, "no-local-gateways-quirk", ingress(fixture_rules), istio(**NO_LOCAL))
case(V, "mesh-only-mode", ingress(fixture_rules), istio(**MESH_ONLY))
case(V, "mesh-only-external-rule", ingress([rule(["foo.example.com"])]), istio(**MESH_ONLY))
case(V, "path-prefix", ingress([rule(["foo.example.com"], paths=[path(path="/.well-known/acme-challenge/token")])]))
case(V, "tag-header-match", ingress([rule(["foo.example.com"], paths=[path(headers={"Knative-Serving-Tag": {"exact": "candidate"}}, appendHeaders={"Knative-Serving-Default-Route": "false"})])]))
case(V, "append-headers", ingress([rule(["foo.example.com"], paths=[path([split(headers={"Knative-Serving-Revision": "rev-1", "Knative-Serving-Namespace": "test-ns"})], appendHeaders={"X-Zeta": "z", "X-Alpha": "a"})])]))
case(V, "weighted-splits", ingress([rule(["foo.example.com"], paths=[path([split("rev-1", 80, 50), split("rev-2", 80, 30), split("rev-3", 80, 20)])])]))
case(V, "single-split-defaulted-to-100", ingress([rule(["foo.example.com"], paths=[path([split(percent=None)])])]))
case(V, "zero-percent-split-has-no-weight", ingress([rule(["foo.example.com"], paths=[path([split("rev-1", 80, 100), split("rev-2", 80, 0)])])]))
case(V, "named-and-string-ports", ingress([rule(["foo.example.com"], paths=[path([split("rev-1", "http", 50), split("rev-2", "8080", 50)])])]))
case(V, "rewrite-host", ingress([rule(["foo.example.com"], paths=[path(rewriteHost="backend.test-ns.svc.cluster.local")])]))
case(V, "probe-routes-come-first", ingress([rule(["foo.example.com"], paths=[path(path="/a", splits=[split("rev-a")]), path(path="/b", splits=[split("rev-b")])]), rule(["bar.example.com"], paths=[path(splits=[split("rev-c")])])]))
case(V, "distinct-host-prefixes", ingress([rule(["a", "ab.example.com", "b.example.com", "a.test-ns.svc.cluster.local"])]))
case(V, "labels-filtered-annotations-copied", ingress([rule(["foo.example.com"])], labels={"serving.knative.dev/route": "r", "serving.knative.dev/routeNamespace": "test-ns", "serving.knative.dev/service": "dropped", "networking.internal.knative.dev/ingress": "overridden"}, annotations={"networking.knative.dev/ingress.class": "istio.ingress.networking.knative.dev", "custom": "kept"}))
case(V, "long-ingress-name", ingress([rule(["foo.example.com"])], name="a-very-long-ingress-name-that-goes-on-and-on-past-the-limit-x"))
case(V, "empty-namespace-uses-system-namespace", ingress([rule(["foo.example.com"], paths=[path([split(ns="")])])], ns=None))
case(V, "label-selected-gateways", ingress(fixture_rules, labels=GOLD_LABELS), istio(**SELECTOR_CFG))
case(V, "unselected-uses-defaults", ingress(fixture_rules), istio(**SELECTOR_CFG))
case(V, "redirected-binds-own-gateway", ingress([rule(["foo.example.com"]), rule(["foo.test-ns.svc.cluster.local"], "ClusterLocal")], http_option="Redirected"), gw_service())
case(V, "external-tls-binds-own-gateway", ingress(fixture_rules, tls=[tls([EXT])], http_option="Enabled"), secret(), gw_service())
case(V, "wildcard-tls-binds-wildcard-gateway", ingress([rule(["foo.example.com"])], tls=[tls(["foo.example.com"], "wildcard-secret")], http_option="Enabled"), secret("wildcard-secret", crt="wild"), gw_service())
case(V, "missing-http-is-an-error", {**ingress([rule(["foo.example.com"])]), "spec": {"rules": [{"hosts": ["foo.example.com"], "visibility": "ExternalIP"}]}})
case(V, "numeric-label-host", ingress([rule(["s.1234.svc.cluster.local"], "ClusterLocal")]))
case(V, "empty-visibility-defaults-to-external", ingress([rule(["foo.example.com"], vis=None)]))

# ---------------- Gateways
G = "Gateways"
case(G, "external-tls-with-http-server", ingress(fixture_rules, tls=[tls([EXT])], http_option="Enabled"), secret(), gw_service())
case(G, "external-tls-redirected", ingress(fixture_rules, tls=[tls([EXT])], http_option="Redirected"), secret(), gw_service())
case(G, "secret-in-gateway-namespace", ingress(fixture_rules, tls=[tls([EXT], ns="istio-system")], http_option="Enabled"), secret(ns="istio-system"), gw_service())
case(G, "servers-sorted-as-strings", ingress([rule([EXT])], tls=[tls([EXT]) for _ in range(11)], http_option="Enabled"), secret(), gw_service())
case(G, "redirect-without-tls", ingress([rule(["foo.example.com", "www.example.com"])], http_option="Redirected"), gw_service())
case(G, "enabled-without-tls-uses-shared", ingress([rule(["foo.example.com"])], http_option="Enabled"), gw_service())
case(G, "wildcard-secret", ingress([rule(["foo.example.com"])], tls=[tls(["foo.example.com"], "wildcard-secret", "test-ns")], http_option="Enabled"), secret("wildcard-secret", "test-ns", crt="wild", uid="wild-uid"), gw_service())
case(G, "cluster-local-tls-enabled", ingress([rule([LOCAL], "ClusterLocal")], tls=[tls([LOCAL])]), secret(), gw_service(), network(cluster_local_domain_tls="Enabled"))
case(G, "cluster-local-tls-disabled", ingress([rule([LOCAL], "ClusterLocal")], tls=[tls([LOCAL])]), secret(), gw_service())
case(G, "non-dns-label-ingress-name", ingress([rule([EXT])], name="my.ingress", tls=[tls([EXT])], http_option="Enabled"), secret(), gw_service())
case(G, "label-selected-two-services", ingress([rule([EXT])], tls=[tls([EXT])], http_option="Enabled", labels=GOLD_LABELS),
     secret(), gw_service(), gw_service("gold-ingressgateway", "gold-system", {"istio": "gold"}),
     istio(external_gateways=SELECTOR_CFG["external_gateways"].replace("  labelSelector:\n    matchLabels:\n      tier: gold\n", "  labelSelector:\n    matchLabels:\n      tier: gold\n") +
           "- name: gold-gateway-2\n  namespace: gold\n  service: istio-ingressgateway.istio-system.svc.cluster.local\n  labelSelector:\n    matchLabels:\n      tier: gold\n"))
case(G, "missing-gateway-service", ingress([rule([EXT])], tls=[tls([EXT])], http_option="Enabled"), secret())
case(G, "missing-secret", ingress([rule([EXT])], tls=[tls([EXT])], http_option="Enabled"), gw_service())
case(G, "certificate-without-dns-names", ingress([rule([EXT])], tls=[tls([EXT])], http_option="Enabled"), secret(crt="nodns"), gw_service())
case(G, "unexpected-service-url", ingress([rule([EXT])], tls=[tls([EXT])], http_option="Enabled"), secret(), gw_service(),
     istio(external_gateways="- name: gw\n  namespace: knative-testing\n  service: istio-ingressgateway.istio-system\n"))
case(G, "tls-not-covering-rule-hosts", ingress([rule([EXT, "other.example.com"])], tls=[tls([EXT])], http_option="Enabled"), secret(), gw_service())
case(G, "cluster-local-only-ingress-is-not-public", ingress([rule([LOCAL], "ClusterLocal")], tls=[tls([LOCAL])], http_option="Redirected"), secret(), gw_service())

# ---------------- Secrets
S = "Secrets"
case(S, "copy-into-gateway-namespace", ingress(fixture_rules, tls=[tls([EXT])], http_option="Enabled"), secret(labels={"networking.internal.knative.dev/certificate-uid": "cert-uid-1"}), gw_service())
case(S, "same-namespace-no-copy", ingress(fixture_rules, tls=[tls([EXT], ns="istio-system")], http_option="Enabled"), secret(ns="istio-system"), gw_service())
case(S, "long-secret-name", ingress([rule([EXT])], tls=[tls([EXT], "s" * 70)], http_option="Enabled"), secret("s" * 70), gw_service())
case(S, "wildcard-copy", ingress([rule(["foo.example.com"])], tls=[tls(["foo.example.com"], "wildcard-secret")], http_option="Enabled"), secret("wildcard-secret", crt="wild"), gw_service())
case(S, "cluster-local-copy", ingress([rule([LOCAL], "ClusterLocal")], tls=[tls([LOCAL])]), secret(), gw_service(), network(cluster_local_domain_tls="enabled"))
case(S, "duplicate-tls-entries-copied-once", ingress([rule([EXT]), rule([EXT + ".alt"]) ], tls=[tls([EXT, EXT + ".alt"])], http_option="Enabled"), secret(), gw_service())

# ---------------- Status
T = "Status"
case(T, "default-gateways", ingress(fixture_rules))
case(T, "mesh-only", ingress(fixture_rules), istio(**MESH_ONLY))
case(T, "label-selected-load-balancers", ingress(fixture_rules, labels=GOLD_LABELS), istio(**SELECTOR_CFG))
case(T, "no-local-gateways", ingress(fixture_rules), istio(**NO_LOCAL))
case(T, "redirected", ingress(fixture_rules, http_option="Redirected"), gw_service())
case(T, "external-tls", ingress(fixture_rules, tls=[tls([EXT])], http_option="Enabled"), secret(), gw_service())
case(T, "old-format-gateways", ingress(fixture_rules), istio_raw({"gateway.knative-ingress-freeway": "istio-ingressfreeway.istio-system.svc.cluster.local", "local-gateway.ns1.local-freeway": "local-freeway.istio-system.svc.cluster.local"}))
case(T, "probe-hosts-per-gateway", ingress([rule(["b.example.com", "a.example.com"]), rule(["x.test-ns.svc.cluster.local", "y.test-ns.svc.cluster.local"], "ClusterLocal")]))

# ---------------- Hash
H = "Hash"
case(H, "minimal", ingress([rule(["example.com"], vis=None, paths=[path([{"serviceName": "blah"}])])], name="", ns=""))
case(H, "full-spec", ingress([rule([EXT], paths=[path([split("rev-1", 80, 90, headers={"Knative-Serving-Revision": "rev-1"}), split("rev-2", "http", 10)],
    path="/p", rewriteHost="rw.test-ns.svc.cluster.local", headers={"Z-Header": {"exact": "z"}, "A-Header": {"exact": "a"}}, appendHeaders={"B": "b", "A": "a"})])], tls=[tls([EXT])], http_option="Redirected"))
case(H, "html-escaping", ingress([rule(["foo.example.com"], paths=[path(appendHeaders={"X-Html": "<a href=\"x\">&</a>"})])]))
case(H, "missing-service-port-is-zero", ingress([rule(["foo.example.com"], paths=[path([{"serviceNamespace": "test-ns", "serviceName": "svc"}])])]))
case(H, "empty-paths-and-splits", ingress([{"hosts": ["foo.example.com"], "visibility": "ExternalIP", "http": {"paths": [{"splits": []}]}}, {"hosts": ["bar.example.com"], "visibility": "ExternalIP", "http": {}}]))
case(H, "namespace-and-name-follow-json", ingress([rule(["foo.example.com"])], name="ing", ns="ns"))

# ---------------- Config
C = "Config"
case(C, "empty-gives-defaults", istio_raw({}))
case(C, "old-format", istio_raw({"gateway.knative-ingress-freeway": "istio-ingressfreeway.istio-system.svc.cluster.local.", "gateway.custom-ns.custom-gw": "custom.istio-system.svc.cluster.local", "local-gateway.knative-local-freeway": "local.istio-system.svc.cluster.local"}))
case(C, "new-format-selection", ingress(fixture_rules, labels=GOLD_LABELS), istio(**SELECTOR_CFG))
case(C, "both-formats-rejected", istio_raw({"external-gateways": "[]", "gateway.x": "x.istio-system.svc.cluster.local"}))
case(C, "mesh-only", istio(**MESH_ONLY))
case(C, "two-default-gateways-rejected", istio(external_gateways="- {name: a, namespace: n, service: a.istio-system.svc.cluster.local}\n- {name: b, namespace: n, service: b.istio-system.svc.cluster.local}\n"))
case(C, "network-keys", istio_raw({}), network(cluster_local_domain_tls="ENABLED", external_domain_tls="Enabled", http_protocol="Redirected"))
case(C, "network-bad-http-protocol", istio_raw({}), network(http_protocol="sometimes"))
case(C, "invalid-service-url", istio_raw({"gateway.bad": "Not_A_Host"}))

# ---------------- ProbeTargets
P = "ProbeTargets"
local_svc = gw_service("knative-local-gateway", "istio-system", {"istio": "ingressgateway"}, labels={"app": "knative-local-gateway", "istio": "ingressgateway"}, ports=[{"name": "http2", "port": 8081}])
def local_gw(servers=None): return gateway("knative-local-gateway", selector={"app": "knative-local-gateway"}, servers=servers or [{"hosts": ["*"], "port": {"name": "http", "number": 8081, "protocol": "HTTP"}}])
case(P, "default-gateways", ingress(fixture_rules), gateway("knative-ingress-gateway"), gw_service(), endpoints(), local_gw(), local_svc,
     endpoints("knative-local-gateway", subsets=[{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}, {"ip": "10.0.0.3"}], "notReadyAddresses": [{"ip": "10.0.0.9"}], "ports": [{"name": "http2", "port": 8081}]}]))
case(P, "https-and-redirect-servers", ingress([rule([EXT])]), gateway("knative-ingress-gateway", servers=[
    {"hosts": ["*"], "port": {"name": "http", "number": 80, "protocol": "HTTP"}, "tls": {"httpsRedirect": True}},
    {"hosts": ["*"], "port": {"name": "https", "number": 443, "protocol": "HTTPS"}, "tls": {"mode": "SIMPLE", "credentialName": "c"}},
    {"hosts": ["*"], "port": {"name": "mtls", "number": 443, "protocol": "HTTPS"}, "tls": {"mode": "MUTUAL", "credentialName": "c"}},
    {"hosts": ["*"], "port": {"name": "tcp", "number": 31400, "protocol": "TCP"}},
    {"hosts": ["*"], "port": {"name": "other", "number": 9090, "protocol": "HTTP"}}]), gw_service(), endpoints(), istio(**NO_LOCAL))
case(P, "no-matching-service-skips-gateway", ingress([rule([EXT])]), gateway("knative-ingress-gateway", selector={"istio": "nothing-matches"}), gw_service(), endpoints(), istio(**NO_LOCAL))
case(P, "missing-endpoints", ingress([rule([EXT])]), gateway("knative-ingress-gateway"), gw_service(), istio(**NO_LOCAL))
case(P, "missing-gateway", ingress([rule([EXT])]), gw_service(), endpoints(), istio(**NO_LOCAL))
case(P, "several-subsets", ingress([rule([EXT])]), gateway("knative-ingress-gateway"), gw_service(), endpoints(subsets=[
    {"addresses": [{"ip": "10.0.1.1"}], "ports": [{"name": "http2", "port": 8081}]},
    {"addresses": [{"ip": "10.0.2.1"}, {"ip": "10.0.2.2"}], "ports": [{"name": "http2", "port": 9081}]},
    {"addresses": [{"ip": "10.0.3.1"}], "ports": [{"name": "metrics", "port": 15020}]}]), istio(**NO_LOCAL))
case(P, "mesh-only-has-no-targets", ingress([rule([EXT])]), istio(**MESH_ONLY))

# ---------------- GatewayUpdate (finalization of shared gateways)
U = "GatewayUpdate"
def srv(name, port=443, hosts=None): return {"hosts": hosts or ["h.example.com"], "port": {"name": name, "number": port, "protocol": "HTTPS"}, "tls": {"mode": "SIMPLE", "credentialName": "c"}}
case(U, "removes-only-this-ingress", ingress([rule([EXT])]), gateway("knative-ingress-gateway", servers=[srv("test-ns/test-ingress:0"), srv("test-ns/test-ingress:1"), srv("test-ns/other:0"), {"hosts": ["*"], "port": {"name": "http", "number": 80, "protocol": "HTTP"}}]))
case(U, "placeholder-when-empty", ingress([rule([EXT])]), gateway("knative-ingress-gateway", servers=[srv("test-ns/test-ingress:0")]))
case(U, "unchanged-without-own-servers", ingress([rule([EXT])]), gateway("knative-ingress-gateway", servers=[srv("test-ns/other:0"), srv("not-a-port-name")]))

# ---------------- more combinations
case(G, "wildcard-and-plain-secrets", ingress([rule(["foo.example.com"]), rule([EXT])], tls=[tls(["foo.example.com"], "wildcard-secret"), tls([EXT])], http_option="Redirected"),
     secret("wildcard-secret", crt="wild", uid="wild-uid"), secret(), gw_service())
case(G, "external-and-cluster-local-tls", ingress(fixture_rules, tls=[tls([EXT]), tls([LOCAL], "local-secret")], http_option="Enabled"),
     secret(), secret("local-secret", crt="plain", uid="local-uid"), gw_service(), network(cluster_local_domain_tls="enabled"))
case(V, "cluster-local-tls-binds-local-gateway", ingress(fixture_rules, tls=[tls([LOCAL])]), secret(), gw_service(), network(cluster_local_domain_tls="enabled"))
case(S, "two-gateway-service-namespaces", ingress([rule([EXT])], tls=[tls([EXT])], http_option="Enabled", labels=GOLD_LABELS),
     secret(), gw_service(), gw_service("gold-ingressgateway", "gold-system", {"istio": "gold"}),
     istio(external_gateways="- name: knative-ingress-gateway\n  namespace: knative-testing\n  service: istio-ingressgateway.istio-system.svc.cluster.local\n"
                             "- name: gold-gateway\n  namespace: gold\n  service: gold-ingressgateway.gold-system.svc.cluster.local\n  labelSelector:\n    matchLabels:\n      tier: gold\n"
                             "- name: gold-gateway-2\n  namespace: gold\n  service: istio-ingressgateway.istio-system.svc.cluster.local\n  labelSelector:\n    matchLabels:\n      tier: gold\n"))
case(S, "mesh-only-makes-no-copies", ingress(fixture_rules, tls=[tls([EXT])], http_option="Enabled"), secret(), gw_service(), istio(**MESH_ONLY))
case(T, "cluster-local-tls", ingress(fixture_rules, tls=[tls([LOCAL])]), secret(), gw_service(), network(cluster_local_domain_tls="enabled"))

for name, docs in cases.items():
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "input.yaml"), "w") as f:
        yaml.dump_all(docs, f, sort_keys=False, default_flow_style=False, width=1000)
print(len(cases), "cases")
