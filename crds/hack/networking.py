"""Schema descriptions for networking.internal.knative.dev/v1alpha1: Ingress, ServerlessService, Certificate, ClusterDomainClaim.
Properties are listed in the order of the upstream Go struct (or proto) fields."""
from common import *

NET = "networking.internal.knative.dev"
NET_CATS = ["knative-internal", "networking"]
LABELS = {"app.kubernetes.io/name": "knative-serving", "knative.dev/crd-install": "true"}

def ingress():
    tls = obj("IngressTLS describes the transport layer security of one Secret covering a set of hosts.", [
        ("hosts", strs("Hosts is a list of hosts included in the TLS certificate. They must match the hosts of the rules that use this entry.")),
        ("secretName", s("SecretName is the name of the Secret holding the certificate and key used to terminate TLS.")),
        ("secretNamespace", s("SecretNamespace is the namespace of the Secret used to terminate TLS.")),
    ])
    split = obj("IngressBackendSplit is one backend (a Kubernetes Service port) with the share of traffic it receives.", [
        ("serviceNamespace", s("ServiceNamespace is the namespace of the referenced Service. It must equal the Ingress namespace.")),
        ("serviceName", s("ServiceName is the name of the referenced Service.")),
        ("servicePort", ios("ServicePort is the port of the referenced Service, by number or by name.")),
        ("percent", i32("Percent of the traffic for this path sent to this backend (0 to 100, checked by the webhook "
                            "so its message is Knative's). A path with a single split and percent 0 is defaulted to 100.")),
        ("appendHeaders", smap("AppendHeaders are headers set on requests before they are forwarded to this split "
                               "(Serving sets Knative-Serving-Revision and Knative-Serving-Namespace).")),
    ], required=["serviceNamespace", "serviceName", "servicePort"])
    path = obj("HTTPIngressPath associates a path (and optional header match) with backends.", [
        ("path", s("Path is a literal path prefix matched against the request path. Empty matches every path.")),
        ("rewriteHost", s("RewriteHost rewrites the Host (authority) of matched requests before forwarding; the host must be "
                          "resolvable by the ingress (typically a cluster-local Service host).")),
        ("headers", mapof("Headers is a map of header name to match; a request must carry every header with the exact value.",
                          obj("HeaderMatch is the only supported header match: exact value equality.", [
                              ("exact", s("Exact is the value the header must equal.")),
                          ], required=["exact"]))),
        ("splits", arr("Splits is the list of backends and the percentage of traffic each receives; percents total 100.", split)),
        ("appendHeaders", smap("AppendHeaders are headers set on every request matching this path, before splitting.")),
    ], required=["splits"])
    rule = obj("IngressRule routes the requests for a set of hosts.", [
        ("hosts", strs("Hosts are the fully qualified domain names this rule applies to (no wildcards).")),
        ("visibility", en("Visibility says whether the hosts are reachable from outside the cluster (ExternalIP) or only inside "
                          "it (ClusterLocal). Empty is defaulted to ExternalIP.", ["ExternalIP", "ClusterLocal"])),
        ("http", obj("HTTP lists the HTTP paths of this rule.", [
            ("paths", arr("Paths is the list of path-to-backend mappings, matched in order.", path)),
        ], required=["paths"])),
    ])
    spec = obj("IngressSpec describes the Ingress the user wishes to exist.", [
        ("tls", arr("TLS lists the certificate Secrets and the hosts they cover.", tls)),
        ("rules", arr("Rules is the list of host rules; a request is routed by the rule whose hosts contain its host.", rule)),
        ("httpOption", en("HTTPOption says what plain-HTTP requests to external hosts do: Enabled serves them, Redirected "
                          "answers 301 to HTTPS. Empty behaves like Enabled.", ["Enabled", "Redirected"])),
    ])
    lbi = obj("LoadBalancerIngressStatus is one way to reach the load balancer.", [
        ("ip", s("IP is set for load-balancer ingress points that are IP based.")),
        ("domain", s("Domain is set for load-balancer ingress points that are DNS based.")),
        ("domainInternal", s("DomainInternal is the cluster-internal DNS name of the load balancer (e.g. the gateway Service FQDN).")),
        ("meshOnly", b("MeshOnly says the load balancer is reachable only through the mesh (no gateway Service).")),
    ])
    def lb(desc):
        return obj(desc, [("ingress", arr("Ingress lists the load-balancer ingress points.", lbi))])
    status = obj("IngressStatus describes the current state of the Ingress.", duck_status_props() + [
        ("publicLoadBalancer", lb("PublicLoadBalancer is where ExternalIP rules are served.")),
        ("privateLoadBalancer", lb("PrivateLoadBalancer is where ClusterLocal rules are served.")),
    ])
    schema = top("Ingress is Knative's abstraction of an L7 load balancer (KIngress), realised by a networking layer such "
                 "as net-istio. Conditions: Ready, NetworkConfigured, LoadBalancerReady.", spec, status)
    return crd(NET, "Ingress", "ingresses", "ingress", ["kingress", "king"], NET_CATS, ["v1alpha1"], schema,
               ready_cols(), annotations=LABELS)

def sks():
    spec = obj("ServerlessServiceSpec describes the ServerlessService.", [
        ("mode", en("Mode: Serve routes the public Service straight to the pods; Proxy routes it through the activator.",
                    ["Serve", "Proxy"])),
        ("objectRef", object_reference("ObjectRef points at the scalable object (Deployment) whose pods back this service.")),
        ("protocolType", protocol_type("ProtocolType is the application protocol of the pods: http1 or h2c.")),
        ("numActivators", i32("NumActivators is how many activators back the public service in Proxy mode (subset size).")),
    ], required=["objectRef", "protocolType"])
    status = obj("ServerlessServiceStatus describes the current state of the ServerlessService. "
                 "Conditions: Ready, EndpointsPopulated, ActivatorEndpointsPopulated.", duck_status_props() + [
        ("serviceName", s("ServiceName is the name of the public Kubernetes Service; it load-balances over the activator "
                          "or the revision pods depending on mode.")),
        ("privateServiceName", s("PrivateServiceName is the name of the private Service, always selecting the revision pods.")),
    ])
    schema = top("ServerlessService (SKS) manages the public and private Kubernetes Services of a revision and switches "
                 "the public endpoints between the pods and the activator.", spec, status)
    cols = [col("Mode", "string", ".spec.mode"), col("Activators", "integer", ".spec.numActivators"),
            col("ServiceName", "string", ".status.serviceName"),
            col("PrivateServiceName", "string", ".status.privateServiceName")] + ready_cols()
    return crd(NET, "ServerlessService", "serverlessservices", "serverlessservice", ["sks"], NET_CATS, ["v1alpha1"],
               schema, cols, annotations=LABELS)

def certificate():
    ch = obj("HTTP01Challenge is an HTTP-01 ACME challenge that must be served to prove ownership of a domain.", [
        ("url", s("URL is the URL the HTTP-01 challenge must be served on.")),
        ("serviceName", s("ServiceName is the name of the Service that serves the challenge.")),
        ("serviceNamespace", s("ServiceNamespace is the namespace of that Service.")),
        ("servicePort", ios("ServicePort is the port of that Service, by number or name.")),
    ])
    spec = obj("CertificateSpec describes the certificate the user wishes to exist.", [
        ("dnsNames", strs("DNSNames is the list of DNS names the certificate must be valid for.")),
        ("domain", s("Domain is the domain of the Route or DomainMapping this certificate is for "
                     "(used by the certificate provider to choose a wildcard or per-host challenge).")),
        ("secretName", s("SecretName is the name of the Secret, in the Certificate's namespace, the certificate is written to.")),
    ], required=["dnsNames", "secretName"])
    status = obj("CertificateStatus describes the current state of the Certificate. Conditions: Ready.", duck_status_props() + [
        ("notAfter", ts("NotAfter is the expiration time of the certificate stored in the Secret.")),
        ("http01Challenges", arr("HTTP01Challenges lists the challenges that must be routed for the certificate to be issued.", ch)),
    ])
    schema = top("Certificate (KCert) is Knative's abstraction of a TLS certificate for a set of DNS names, realised by a "
                 "certificate provider such as net-certmanager.", spec, status)
    return crd(NET, "Certificate", "certificates", "certificate", ["kcert"], NET_CATS, ["v1alpha1"], schema,
               ready_cols(), annotations=LABELS)

def cdc():
    spec = obj("ClusterDomainClaimSpec is the desired state of the ClusterDomainClaim.", [
        ("namespace", s("Namespace is the namespace granted permission to create DomainMappings for the claimed domain "
                        "(the claim's name is the domain).")),
    ], required=["namespace"])
    schema = top("ClusterDomainClaim is a cluster-wide reservation of a domain name (its metadata.name) for one namespace, "
                 "so that DomainMappings in two namespaces cannot take the same domain.", spec, None)
    return crd(NET, "ClusterDomainClaim", "clusterdomainclaims", "clusterdomainclaim", ["cdc"], NET_CATS,
               ["v1alpha1"], schema, None, scope="Cluster", status=False,
               annotations=LABELS)
