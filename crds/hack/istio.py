"""Schema descriptions for networking.istio.io (v1beta1 storage, v1alpha3 and v1 served): VirtualService, Gateway, DestinationRule.
Not installed into clusters; used by the model generator, the local gateway and the embedded API server.
Properties are listed in the order of the upstream Go struct (or proto) fields."""
from common import *

IG = "networking.istio.io"
I_CATS = ["istio-io", "networking-istio-io"]
I_VERSIONS = ["v1beta1", "v1alpha3", "v1"]
I_LABELS = {"app.kubernetes.io/part-of": "istio"}

def istio_status():
    return free("Status written by Istio (IstioStatus: conditions, validationMessages, observedGeneration); "
                "preserved as-is because Knative never reads it.")

def string_match(desc):
    return obj(desc + " Exactly one of exact, prefix or regex is set (a proto oneof).", [
        ("exact", s("Exact string match.")),
        ("prefix", s("Prefix-based match.")),
        ("regex", s("RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax).")),
    ])

def destination(desc):
    return obj(desc, [
        ("host", s("Host is the name of a service from the service registry, e.g. a Kubernetes Service FQDN "
                   "(<name>.<namespace>.svc.cluster.local).")),
        ("subset", s("Subset is the name of a subset defined in the DestinationRule of the host.")),
        ("port", obj("Port on the host being addressed; required only when the service exposes several ports.", [
            ("number", i32("Number is a valid port number.")),
        ])),
    ], required=["host"])

def header_ops(desc):
    return obj(desc, [
        ("set", smap("Set overwrites the headers specified by key with the given values.")),
        ("add", smap("Add appends the given values to the headers specified by keys.")),
        ("remove", strs("Remove the specified headers.")),
    ])

def headers(desc):
    return obj(desc, [
        ("request", header_ops("Header manipulation rules to apply before forwarding a request to the destination.")),
        ("response", header_ops("Header manipulation rules to apply before returning a response to the caller.")),
    ])

def percent(desc):
    return obj(desc, [("value", num("Value is a percentage in the range 0.0 to 100.0."))])

def virtualservice():
    match = obj("HTTPMatchRequest: conditions that must all hold for a rule to apply (match blocks are ORed).", [
        ("name", s("Name assigned to a match; concatenated with the parent route's name in logs.")),
        ("uri", string_match("URI to match (the request path).")),
        ("scheme", string_match("URI scheme to match.")),
        ("method", string_match("HTTP method to match.")),
        ("authority", string_match("HTTP authority (Host header) to match.")),
        ("headers", mapof("Headers to match, by lower-case header name.", string_match("One header match."))),
        ("port", i32("Port on the host being addressed; also restricts which gateway ports the rule applies to.")),
        ("sourceLabels", smap("Workloads with these labels are the only sources this match applies to.")),
        ("gateways", strs("Names of gateways where the rule applies; overrides the VirtualService's gateways for this "
                          "match. The reserved word mesh means all sidecars.")),
        ("queryParams", mapof("Query parameters to match.", string_match("One query parameter match."))),
        ("ignoreUriCase", b("IgnoreUriCase makes the uri match case-insensitive.")),
        ("withoutHeaders", mapof("WithoutHeaders: the request must not carry headers matching these.",
                                 string_match("One header match."))),
        ("sourceNamespace", s("Source namespace constraining the applicability of the rule to workloads in that namespace.")),
        ("statPrefix", s("The human readable prefix to use when emitting statistics for this route.")),
    ])
    route_dest = obj("HTTPRouteDestination: one weighted destination of an HTTP route.", [
        ("destination", destination("Destination uniquely identifies the service the request is forwarded to.")),
        ("weight", i32("Weight is the relative share of traffic for this destination; weights of a route total 100. "
                       "With a single destination it may be omitted (100).")),
        ("headers", headers("Header manipulation rules applied when this destination is chosen.")),
    ], required=["destination"])
    redirect = obj("HTTPRedirect answers with a 301 (or redirectCode) instead of forwarding.", [
        ("uri", s("On a redirect, overwrite the path portion of the URL with this value.")),
        ("authority", s("On a redirect, overwrite the authority/host portion of the URL with this value.")),
        ("port", i32("On a redirect, overwrite the port portion of the URL with this value.")),
        ("derivePort", en("On a redirect, dynamically set the port: FROM_PROTOCOL_DEFAULT or FROM_REQUEST_PORT.",
                          ["FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"])),
        ("scheme", s("On a redirect, overwrite the scheme portion of the URL with this value (e.g. https).")),
        ("redirectCode", i32("On a redirect, the HTTP status code to use; default 301.")),
        ("prefixRewrite", s("On a redirect, rewrite the matched prefix of the path with this value.")),
    ])
    direct = obj("HTTPDirectResponse answers the request directly with a fixed status and body.", [
        ("status", i32("Status is the HTTP status code of the response.")),
        ("body", obj("Body of the response; one of string or bytes.", [
            ("string", s("Response body as a string.")),
            ("bytes", s("Response body as base64 encoded bytes.", format="byte")),
        ])),
    ], required=["status"])
    rewrite = obj("HTTPRewrite rewrites parts of the request before forwarding.", [
        ("uri", s("Rewrite the path (or the prefix matched by uri) with this value.")),
        ("authority", s("Rewrite the Authority/Host header with this value.")),
        ("uriRegexRewrite", obj("Rewrite the path using a regular expression.", [
            ("match", s("RE2 style regex-based match.")),
            ("rewrite", s("The string that replaces the matched substring; may refer to capture groups.")),
        ])),
    ])
    retries = obj("HTTPRetry is the retry policy of an HTTP route. Knative writes an empty one (no retries is Istio's "
                  "default otherwise 2 attempts).", [
        ("attempts", i32("Number of retries to be allowed for a given request.")),
        ("perTryTimeout", s("Timeout per attempt, as a protobuf Duration string (e.g. 2s).")),
        ("retryOn", s("Comma separated Envoy retry conditions (e.g. 5xx,connect-failure).")),
        ("retryRemoteLocalities", b("Whether retries should be attempted against other localities.")),
        ("retryIgnorePreviousHosts", b("Whether retries should avoid hosts tried before.")),
        ("backoff", s("Base interval between retries, as a protobuf Duration string.")),
    ])
    mirror_policy = obj("HTTPMirrorPolicy mirrors traffic to one more destination.", [
        ("destination", destination("Destination the mirrored traffic is sent to.")),
        ("percentage", percent("Percentage of the traffic to be mirrored.")),
    ], required=["destination"])
    http = obj("HTTPRoute: match conditions and actions for HTTP/1.1, HTTP2 and gRPC traffic. Routes are evaluated in order.", [
        ("name", s("Name assigned to the route, for debugging.")),
        ("match", arr("Match conditions; the route applies if any one of them matches (empty means always).", match)),
        ("route", arr("Route is the list of weighted destinations for the matched traffic.", route_dest)),
        ("redirect", redirect),
        ("directResponse", direct),
        ("delegate", obj("Delegate hands the route over to another VirtualService.", [
            ("name", s("Name of the delegate VirtualService.")),
            ("namespace", s("Namespace of the delegate VirtualService.")),
        ])),
        ("rewrite", rewrite),
        ("timeout", s("Timeout for HTTP requests, as a protobuf Duration string (e.g. 48h or 0s for none).")),
        ("retries", retries),
        ("fault", free("Fault injection policy (delay, abort); preserved as-is, Knative never writes it.")),
        ("mirror", destination("Mirror traffic to a second destination in addition to the primary one.")),
        ("mirrors", arr("Mirrors lists destinations traffic is mirrored to.", mirror_policy)),
        ("mirror_percent", i32("Deprecated: use mirrorPercentage. Percentage of traffic mirrored (Istio's JSON name "
                                "really is snake_case).")),
        ("mirrorPercentage", percent("Percentage of the traffic to be mirrored by the mirror field.")),
        ("corsPolicy", free("Cross-Origin Resource Sharing policy; preserved as-is, Knative never writes it.")),
        ("headers", headers("Header manipulation rules applied to all destinations of this route.")),
    ])
    spec = obj("VirtualService spec (istio.networking.v1beta1.VirtualService): routing rules for the listed hosts.", [
        ("hosts", strs("The destination hosts to which traffic is being sent (DNS names, possibly with a wildcard prefix).")),
        ("gateways", strs("Names of gateways and sidecars that apply these routes, as <namespace>/<name>; the reserved "
                          "word mesh means all sidecars. Empty means mesh.")),
        ("http", arr("An ordered list of route rules for HTTP traffic; the first matching rule is used.", http)),
        ("tls", arr("Ordered route rules for non-terminated TLS/HTTPS traffic; preserved as-is.",
                    free("TLSRoute (match on SNI, route to destinations)."))),
        ("tcp", arr("Ordered route rules for opaque TCP traffic; preserved as-is.",
                    free("TCPRoute (match on L4 attributes, route to destinations)."))),
        ("exportTo", strs("Namespaces to which this VirtualService is exported: . is the own namespace, * is all.")),
    ])
    schema = top("VirtualService (networking.istio.io) configures how requests for a set of hosts are routed. "
                 "Knative's networking layer writes one per KIngress visibility.", spec, istio_status())
    cols = [col("Gateways", "string", ".spec.gateways", description="The names of gateways and sidecars that should apply these routes"),
            col("Hosts", "string", ".spec.hosts", description="The destination hosts to which traffic is being sent"),
            col("Age", "date", ".metadata.creationTimestamp")]
    return crd(IG, "VirtualService", "virtualservices", "virtualservice", ["vs"], I_CATS, I_VERSIONS, schema, cols,
               annotations=I_LABELS)

def gateway():
    tls = obj("ServerTLSSettings: TLS options of one server.", [
        ("httpsRedirect", b("If set, plain-HTTP requests on this server are answered with a 301 to HTTPS.")),
        ("mode", en("How TLS is enforced: PASSTHROUGH, SIMPLE, MUTUAL, AUTO_PASSTHROUGH, ISTIO_MUTUAL, OPTIONAL_MUTUAL.",
                    ["PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"])),
        ("serverCertificate", s("Path to the file holding the server-side TLS certificate.")),
        ("privateKey", s("Path to the file holding the server's private key.")),
        ("caCertificates", s("Path to a file containing CA certificates for verifying client certificates.")),
        ("caCrl", s("Path to a file containing the certificate revocation list.")),
        ("credentialName", s("Name of the Secret (in the gateway's namespace) holding the TLS certificate and key; "
                             "Knative writes the (copied) certificate secret name here.")),
        ("credentialNames", strs("Several credential secrets (e.g. RSA and ECDSA) for one server.")),
        ("caCertCredentialName", s("Name of the Secret holding the CA certificate for client verification.")),
        ("tlsCertificates", arr("Several certificates given as file paths.", obj("One certificate and key by path.", [
            ("serverCertificate", s("Path to the server certificate.")),
            ("privateKey", s("Path to the private key.")),
            ("caCertificates", s("Path to CA certificates.")),
        ]))),
        ("subjectAltNames", strs("Alternate names to verify the subject identity in the presented client certificate.")),
        ("verifyCertificateSpki", strs("Base64 SHA-256 SPKI hashes of authorized client certificates.")),
        ("verifyCertificateHash", strs("Hex SHA-256 hashes of authorized client certificates.")),
        ("minProtocolVersion", en("Minimum TLS protocol version.", ["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"])),
        ("maxProtocolVersion", en("Maximum TLS protocol version.", ["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"])),
        ("cipherSuites", strs("If specified, only support the specified cipher list.")),
        ("insecureSkipVerify", b("Skip verification of the client certificate.")),
    ])
    server = obj("Server: one listener of the gateway (port, protocol, hosts, TLS).", [
        ("port", obj("The port on which the proxy listens for incoming connections.", [
            ("number", i32("A valid non-negative integer port number.")),
            ("protocol", s("The protocol exposed on the port: HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, MONGO, TCP, TLS.")),
            ("name", s("Label assigned to the port.")),
            ("targetPort", i32("Deprecated: the port number on the endpoint where the traffic is received.")),
        ], required=["number", "protocol", "name"])),
        ("bind", s("The IP or Unix domain socket the listener binds to; empty means all addresses.")),
        ("hosts", strs("Hosts exposed by this gateway, optionally prefixed by <namespace>/ (e.g. * or */*.example.com).")),
        ("tls", tls),
        ("defaultEndpoint", s("The loopback IP endpoint or Unix domain socket traffic is forwarded to by default.")),
        ("name", s("An optional name of the server; unique across all servers (Knative derives it from the KIngress).")),
    ], required=["port", "hosts"])
    spec = obj("Gateway spec (istio.networking.v1beta1.Gateway): a load balancer at the edge of the mesh.", [
        ("servers", arr("A list of server specifications.", server)),
        ("selector", smap("One or more labels selecting the gateway pods (e.g. istio: ingressgateway).")),
    ])
    schema = top("Gateway (networking.istio.io) describes the listeners of an Istio gateway. Knative's networking "
                 "layer adds per-KIngress TLS servers and wildcard gateways.", spec, istio_status())
    return crd(IG, "Gateway", "gateways", "gateway", ["gw"], I_CATS, I_VERSIONS, schema, None, annotations=I_LABELS)

def destinationrule():
    subset = obj("Subset: a named set of endpoints of the host selected by labels.", [
        ("name", s("Name of the subset; referenced by destination.subset in routes.")),
        ("labels", smap("Labels selecting the endpoints of this subset.")),
        ("trafficPolicy", free("Traffic policy for this subset, overriding the DestinationRule's; preserved as-is.")),
    ], required=["name"])
    spec = obj("DestinationRule spec (istio.networking.v1beta1.DestinationRule): policies applied after routing.", [
        ("host", s("The name of a service from the service registry (a Kubernetes Service FQDN).")),
        ("trafficPolicy", free("Traffic policies (load balancing, connection pool, outlier detection, TLS); preserved as-is "
                               "because Knative only writes simple ones and the data plane reads few.")),
        ("subsets", arr("Named subsets of the host's endpoints.", subset)),
        ("exportTo", strs("Namespaces to which this DestinationRule is exported.")),
        ("workloadSelector", obj("Selects the workloads (sidecars) the rule applies to.", [
            ("matchLabels", smap("Labels of the workloads the rule applies to.")),
        ])),
    ], required=["host"])
    schema = top("DestinationRule (networking.istio.io) defines policies that apply to traffic for a service after "
                 "routing has occurred.", spec, istio_status())
    cols = [col("Host", "string", ".spec.host", description="The name of a service from the service registry"),
            col("Age", "date", ".metadata.creationTimestamp")]
    return crd(IG, "DestinationRule", "destinationrules", "destinationrule", ["dr"], I_CATS, I_VERSIONS, schema, cols,
               annotations=I_LABELS)
