using System.Text.Json.Nodes;
using Ingress.Serving.Reconcilers;
using static Ingress.Serving.Tests.Reconcilers.ServingCluster;

namespace Ingress.Serving.Tests.Reconcilers;

/// <summary>Certificates, TLS and placeholder load balancers through the real controllers on the embedded API
/// server: the test plays the certificate provider (Certificate status) and the networking reconciler (KIngress
/// status), and waits for the objects the Route and DomainMapping reconcilers write.</summary>
public sealed class TlsReconcilerTests
{
    private static Dictionary<string, Dictionary<string, string>> Config(params (string Key, string Value)[] network) => new()
    {
        ["config-domain"] = new() { ["example.com"] = "" },
        ["config-network"] = network.ToDictionary(kv => kv.Key, kv => kv.Value),
    };

    private static string Ksvc(string name, string traffic = "") => $$$"""
        {"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"{{{name}}}","namespace":"default"},
         "spec":{"template":{"spec":{"containers":[{"image":"example.dev/hello"}]}}{{{traffic}}}}}
        """;

    private static async Task<JsonObject> RoutableServiceAsync(ServingCluster c, string name, string traffic = "")
    {
        await c.CreateAsync(ServingKinds.Services, Ksvc(name, traffic));
        await c.WaitExistsAsync(ServingKinds.PodAutoscalers, name + "-00001");
        await c.MarkPodAutoscalerReadyAsync(name + "-00001");
        return await c.WaitExistsAsync(ServingKinds.Ingresses, name);
    }

    /// <summary>Plays the certificate provider: Ready (observed) with the given status, or challenges while pending.</summary>
    private static Task MarkCertificateAsync(ServingCluster c, string name, string ready, JsonArray? challenges = null) =>
        c.EditAsync(ServingKinds.Certificates, name, cert =>
        {
            var status = new JsonObject
            {
                ["observedGeneration"] = cert["metadata"]!["generation"]!.GetValue<long>(),
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready, ["reason"] = ready == "True" ? null : "Pending", ["lastTransitionTime"] = "2026-01-01T00:00:00Z" }),
            };
            if (challenges is not null) status["http01Challenges"] = challenges;
            cert["status"] = status;
        }, status: true);

    private static string CertificateCondition(JsonObject obj) =>
        (obj["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(x => Str(x, "type") == "CertificateProvisioned") is { } cond
            ? $"{Str(cond, "status")}/{Str(cond, "reason")}/{Str(cond, "message")}" : "";

    [Fact]
    public async Task ExternalDomainTlsCreatesCertificatesAndTurnsHttpsOnceTheyAreReady()
    {
        await using var c = await StartAsync(Config(("external-domain-tls", "Enabled"), ("http-protocol", "Redirected")));
        await RoutableServiceAsync(c, "secure", ""","traffic":[{"percent":100,"latestRevision":true},{"tag":"canary","percent":0,"latestRevision":true}]""");
        var route = await c.WaitExistsAsync(ServingKinds.Routes, "secure");
        var uid = Str(route, "metadata", "uid");

        // One Certificate per external host: main and tag (decimal adler32 of the tag name).
        var main = await c.WaitExistsAsync(ServingKinds.Certificates, "route-" + uid);
        Assert.Equal(["secure.default.example.com"], main["spec"]!["dnsNames"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("external-domain", Str(main, "metadata", "labels", "networking.knative.dev/certificate-type"));
        Assert.Equal("secure", Str(main, "metadata", "labels", "serving.knative.dev/route"));
        Assert.Equal("cert-manager.certificate.networking.knative.dev", Str(main, "metadata", "annotations", "networking.knative.dev/certificate.class"));
        var tagCert = "route-" + uid + "-" + Resources.CertificateResources.Adler32("canary");
        await c.WaitExistsAsync(ServingKinds.Certificates, tagCert);

        // Not ready and HTTP redirected: Unknown, the URL already https, no TLS on the KIngress yet.
        var pending = await c.WaitAsync(ServingKinds.Routes, "secure", r => CertificateCondition(r).StartsWith("Unknown/CertificateNotReady", StringComparison.Ordinal));
        Assert.Equal("https://secure.default.example.com", Str(pending, "status", "url"));

        await MarkCertificateAsync(c, "route-" + uid, "True");
        await MarkCertificateAsync(c, tagCert, "True");
        var ingress = await c.WaitAsync(ServingKinds.Ingresses, "secure", i => (i["spec"]?["tls"] as JsonArray)?.Count == 2);
        var secrets = ingress["spec"]!["tls"]!.AsArray().Select(t => Str(t, "secretName")).ToList();
        // Certificates (and so TLS entries) are ordered by DNS name: canary-secure… before secure….
        Assert.Equal([tagCert, "route-" + uid], secrets);
        Assert.Equal("Redirected", Str(ingress, "spec", "httpOption"));

        var ready = await c.WaitAsync(ServingKinds.Routes, "secure", r => CertificateCondition(r) == "True//");
        Assert.Equal("https://secure.default.example.com", Str(ready, "status", "url"));
        Assert.Equal("https://canary-secure.default.example.com", Str(ready["status"]!["traffic"]![1], "url"));
        // The address stays plain: cluster-local-domain-tls is off.
        Assert.Equal("http://secure.default.svc.cluster.local", Str(ready, "status", "address", "url"));
    }

    [Fact]
    public async Task PendingCertificateChallengesAreRoutedAndHttpIsKeptWhileIssuing()
    {
        await using var c = await StartAsync(Config(("external-domain-tls", "Enabled")));
        await RoutableServiceAsync(c, "acme");
        var uid = Str(await c.WaitExistsAsync(ServingKinds.Routes, "acme"), "metadata", "uid");
        await c.WaitExistsAsync(ServingKinds.Certificates, "route-" + uid);
        await MarkCertificateAsync(c, "route-" + uid, "Unknown", new JsonArray(new JsonObject
        {
            ["url"] = "http://acme.default.example.com/.well-known/acme-challenge/tok",
            ["serviceName"] = "solver", ["serviceNamespace"] = "default", ["servicePort"] = 8089,
        }));
        var ingress = await c.WaitAsync(ServingKinds.Ingresses, "acme", i =>
            i["spec"]!["rules"]!.AsArray().Any(r => Str(r!["http"]!["paths"]![0], "path") == "/.well-known/acme-challenge/tok"));
        var rule = ingress["spec"]!["rules"]!.AsArray().Single(r => Str(r!["http"]!["paths"]![0], "path").Length > 0)!;
        Assert.Equal("ExternalIP", Str(rule, "visibility"));
        Assert.Equal("solver", Str(rule["http"]!["paths"]![0]!["splits"]![0], "serviceName"));
        Assert.Equal(2, rule["http"]!["paths"]!.AsArray().Count);
        var route = await c.WaitAsync(ServingKinds.Routes, "acme", r => CertificateCondition(r).StartsWith("True/HTTPDowngrade", StringComparison.Ordinal));
        Assert.Equal("http://acme.default.example.com", Str(route, "status", "url"));
        Assert.Equal($"True/HTTPDowngrade/Certificate route-{uid} is not ready downgrade HTTP.", CertificateCondition(route));
    }

    [Fact]
    public async Task ACertificateWeDoNotOwnIsReported()
    {
        await using var c = await StartAsync(Config(("external-domain-tls", "Enabled")));
        await c.CreateAsync(ServingKinds.Services, Ksvc("taken"));
        var uid = Str(await c.WaitExistsAsync(ServingKinds.Routes, "taken"), "metadata", "uid");
        await c.CreateAsync(ServingKinds.Certificates, $$$"""
            {"apiVersion":"networking.internal.knative.dev/v1alpha1","kind":"Certificate",
             "metadata":{"name":"route-{{{uid}}}","namespace":"default"},
             "spec":{"dnsNames":["elsewhere.example.com"],"secretName":"x"}}
            """);
        await c.WaitExistsAsync(ServingKinds.PodAutoscalers, "taken-00001");
        await c.MarkPodAutoscalerReadyAsync("taken-00001");
        var route = await c.WaitAsync(ServingKinds.Routes, "taken", r => CertificateCondition(r).StartsWith("False/", StringComparison.Ordinal));
        Assert.Equal($"False/CertificateNotOwned/There is an existing certificate route-{uid} that we don't own.", CertificateCondition(route));
        var cert = await c.GetAsync(ServingKinds.Certificates, "route-" + uid);
        Assert.Equal("elsewhere.example.com", cert!["spec"]!["dnsNames"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task DomainMappingGetsItsOwnCertificateAndHttpsWhenReady()
    {
        await using var c = await StartAsync(Config(("external-domain-tls", "Enabled"), ("autocreate-cluster-domain-claims", "true"), ("http-protocol", "Redirected")));
        await RoutableServiceAsync(c, "target");
        await c.MarkIngressReadyAsync("target");
        await c.CreateAsync(ServingKinds.DomainMappings, """
            {"apiVersion":"serving.knative.dev/v1beta1","kind":"DomainMapping","metadata":{"name":"www.mapped.dev","namespace":"default"},
             "spec":{"ref":{"apiVersion":"serving.knative.dev/v1","kind":"Service","name":"target"}}}
            """);
        var cert = await c.WaitExistsAsync(ServingKinds.Certificates, "www.mapped.dev");
        Assert.Equal("www.mapped.dev", Str(cert, "spec", "domain"));
        var pending = await c.WaitAsync(ServingKinds.DomainMappings, "www.mapped.dev", d => CertificateCondition(d).StartsWith("Unknown/CertificateNotReady", StringComparison.Ordinal));
        Assert.Equal("https://www.mapped.dev", Str(pending, "status", "url"));
        await MarkCertificateAsync(c, "www.mapped.dev", "True");
        var ingress = await c.WaitAsync(ServingKinds.Ingresses, "www.mapped.dev", i => (i["spec"]?["tls"] as JsonArray)?.Count == 1);
        Assert.Equal("www.mapped.dev", Str(ingress["spec"]!["tls"]![0], "secretName"));
        await c.MarkIngressReadyAsync("www.mapped.dev");
        var dm = await c.WaitAsync(ServingKinds.DomainMappings, "www.mapped.dev", d => Condition(d, "Ready") == "True");
        Assert.Equal("https://www.mapped.dev", Str(dm, "status", "address", "url"));
    }

    [Fact]
    public async Task PlaceholderFollowsALoadBalancerIpWithEndpointsAndBackToADomain()
    {
        await using var c = await StartAsync(Config());
        await RoutableServiceAsync(c, "lb");
        await c.WaitAsync(ServingKinds.CoreServices, "lb", s => Str(s, "spec", "type") == "ExternalName");
        await c.EditAsync(ServingKinds.Ingresses, "lb", ing =>
            ing["status"] = JsonNode.Parse("""{"publicLoadBalancer":{"ingress":[{"ip":"10.1.2.3"}]}}"""), status: true);

        var headless = await c.WaitAsync(ServingKinds.CoreServices, "lb", s => Str(s, "spec", "clusterIP") == "None");
        Assert.Equal("ClusterIP", Str(headless, "spec", "type"));
        Assert.False(headless["spec"]!.AsObject().ContainsKey("externalName"));
        var endpoints = await c.WaitExistsAsync(ServingKinds.Endpoints, "lb");
        Assert.Equal("10.1.2.3", Str(endpoints["subsets"]![0]!["addresses"]![0], "ip"));
        Assert.Equal("lb", Str(endpoints, "metadata", "labels", "serving.knative.dev/route"));

        // A headless Service cannot become ExternalName in place: it is recreated, and the Endpoints go.
        await c.EditAsync(ServingKinds.Ingresses, "lb", ing =>
            ing["status"] = JsonNode.Parse("""{"privateLoadBalancer":{"ingress":[{"domainInternal":"knative-local-gateway.istio-system.svc.cluster.local"}]}}"""), status: true);
        var external = await c.WaitAsync(ServingKinds.CoreServices, "lb", s => Str(s, "spec", "type") == "ExternalName");
        Assert.Equal("knative-local-gateway.istio-system.svc.cluster.local", Str(external, "spec", "externalName"));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await c.GetAsync(ServingKinds.Endpoints, "lb") is not null && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Null(await c.GetAsync(ServingKinds.Endpoints, "lb"));
    }
}
