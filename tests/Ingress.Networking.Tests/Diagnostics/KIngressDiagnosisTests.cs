using Ingress.Api;
using Ingress.Api.Knative;
using Ingress.Networking.Config;
using Ingress.Networking.Diagnostics;
using Ingress.Networking.Probing;
using Ingress.Networking.Resources;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;

namespace Ingress.Networking.Tests.Diagnostics;

public class KIngressDiagnosisTests
{
    private static IngressModel Ingress(string annotations = "\"networking.knative.dev/ingress.class\":\"istio.ingress.networking.knative.dev\"") =>
        KubeJson.Deserialize<IngressModel>("{\"metadata\":{\"name\":\"ing\",\"namespace\":\"ns\",\"generation\":2,\"annotations\":{" + annotations + "}},\"spec\":{}}");

    [Fact]
    public void ForeignClassIsTheOnlyReason()
    {
        var reasons = KIngressDiagnosis.Explain(Ingress("\"networking.knative.dev/ingress.class\":\"kourier.ingress.networking.knative.dev\""));
        Assert.Equal(["ns/ing has class kourier.ingress.networking.knative.dev; the Istio controller only handles istio.ingress.networking.knative.dev"], reasons);
        Assert.Equal(["ns/ing has no networking.knative.dev/ingress.class annotation; the Istio controller ignores it"], KIngressDiagnosis.Explain(Ingress("")));
    }

    [Fact]
    public void PendingPodsAndConfigErrorsAreExplained()
    {
        var ing = Ingress();
        ing.Status = new() { ObservedGeneration = 2 };
        IngressStatusRules.BeginPass(ing);
        IngressStatusRules.MarkNetworkConfigured(ing);
        IngressStatusRules.MarkLoadBalancerNotReady(ing);
        var store = new IngressConfigStore("knative-serving", "cluster.local");
        store.Update("config-network", new Dictionary<string, string> { ["http-protocol"] = "bogus" });
        var probe = new ProbeStateSnapshot("ns/ing", 2, "abc", 1,
            [new ProbeItemStatus("http://a.example.com:80", "10.0.0.1", 8081, false, 3, "unexpected status code: want 200, got 404"),
             new ProbeItemStatus("http://a.example.com:80", "10.0.0.2", 8081, true, 0, null)]);

        var reasons = KIngressDiagnosis.Explain(ing, store, probe);
        Assert.Equal(
        [
            "config-network was rejected (UnsupportedHttpProtocol); the last good value is in force: httpProtocol bogus in config-network ConfigMap is not supported",
            "LoadBalancerReady is Unknown (Uninitialized: Waiting for load balancer to be ready)",
            "Ready is Unknown (Uninitialized: Waiting for load balancer to be ready)",
            "1 gateway pod(s) have not answered with hash abc (generation 2)",
            "  http://a.example.com:80 via 10.0.0.1:8081: 3 failed probe(s), last: unexpected status code: want 200, got 404",
        ], reasons);
    }

    [Fact]
    public void ReadyIngressHasNoReasons()
    {
        var ing = Ingress();
        IngressStatusRules.BeginPass(ing);
        IngressStatusRules.MarkNetworkConfigured(ing);
        IngressStatusRules.MarkLoadBalancerReady(ing, IngressStatusRules.LoadBalancerFor("gw"), IngressStatusRules.LoadBalancerFor("gw"));
        IngressStatusRules.EndPass(ing);
        Assert.Empty(KIngressDiagnosis.Explain(ing));
    }

    [Fact]
    public void UnobservedGenerationIsReported()
    {
        var ing = Ingress();
        Assert.Contains("generation 2 not yet observed (status.observedGeneration = none); the controller has not finished a pass over it", KIngressDiagnosis.Explain(ing));
    }

    [Fact]
    public void ProbeTargetsDocumentListsEveryPod()
    {
        var doc = KIngressDiagnosis.ProbeTargetsDocument(new ProbeSubject("ns", "ing", 3, "h", []),
            [new ProbeTarget(["10.0.0.2", "10.0.0.1"], 8081, 80, "http://a.example.com:80"), new ProbeTarget(["10.0.0.1"], 8443, 443, "https://a.example.com:443")]);
        Assert.Equal("""
            kind: ProbeTargets
            ingress: ns/ing
            generation: 3
            hash: h
            targets:
            - url: http://a.example.com:80/healthz
              podIP: "10.0.0.1"
              podPort: 8081
              port: 80
              host: a.example.com:80
            - url: http://a.example.com:80/healthz
              podIP: "10.0.0.2"
              podPort: 8081
              port: 80
              host: a.example.com:80
            - url: https://a.example.com:443/healthz
              podIP: "10.0.0.1"
              podPort: 8443
              port: 443
              host: a.example.com:443

            """.Replace("\r", ""), KubeYaml.Serialize(doc));
    }
}
