using System.Text.Json.Nodes;
using Ingress.Kube.Client;
using Ingress.Serving.Reconcilers;
using static Ingress.Serving.Tests.Reconcilers.ServingCluster;

namespace Ingress.Serving.Tests.Reconcilers;

/// <summary>The namespace wildcard certificate controller and the Route reconciler together on the embedded API
/// server: labelling a Namespace makes its wildcard Certificate, a Route of that namespace serves TLS from it
/// instead of asking for its own, and unlabelling takes it away again (the Route falls back to a per-host one).
/// The test plays the certificate provider (Certificate status) and the networking reconciler (KIngress status).</summary>
public sealed class NamespaceWildcardCertTests
{
    private const string Selector = """{"matchLabels":{"networking.knative.dev/wildcard-cert":"enabled"}}""";

    private static Task LabelNamespaceAsync(ServingCluster c, string? value) =>
        c.EditAsync(ResourceDescriptor.Namespaces, Ns, ns =>
        {
            var meta = (JsonObject)ns["metadata"]!;
            if (meta["labels"] is not JsonObject labels) meta["labels"] = labels = new JsonObject();
            if (value is null) labels.Remove("networking.knative.dev/wildcard-cert");
            else labels["networking.knative.dev/wildcard-cert"] = value;
        }, ns: null);

    [Fact]
    public async Task SelectedNamespaceGetsAWildcardCertificateThatRoutesReuse()
    {
        await using var c = await StartAsync(new Dictionary<string, Dictionary<string, string>>
        {
            ["config-domain"] = new() { ["example.com"] = "" },
            ["config-network"] = new() { ["external-domain-tls"] = "Enabled", ["namespace-wildcard-cert-selector"] = Selector },
        });

        await LabelNamespaceAsync(c, "enabled");
        var wildcard = await c.WaitExistsAsync(ServingKinds.Certificates, "default.example.com");
        Assert.Equal(["*.default.example.com"], wildcard["spec"]!["dnsNames"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("example.com", Str(wildcard, "metadata", "labels", "networking.knative.dev/wildcardDomain"));
        Assert.Equal("Namespace", Str(wildcard["metadata"]!["ownerReferences"]![0], "kind"));
        await c.EditAsync(ServingKinds.Certificates, "default.example.com", cert => cert["status"] = new JsonObject
        {
            ["observedGeneration"] = cert["metadata"]!["generation"]!.GetValue<long>(),
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["lastTransitionTime"] = "2026-01-01T00:00:00Z" }),
        }, status: true);

        await c.CreateAsync(ServingKinds.Services, """
            {"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"web","namespace":"default"},
             "spec":{"template":{"spec":{"containers":[{"image":"example.dev/hello"}]}}}}
            """);
        await c.WaitExistsAsync(ServingKinds.PodAutoscalers, "web-00001");
        await c.MarkPodAutoscalerReadyAsync("web-00001");
        // The KIngress serves the Route's host with the namespace's wildcard Secret.
        var ingress = await c.WaitAsync(ServingKinds.Ingresses, "web", i => (i["spec"]?["tls"] as JsonArray)?.Count == 1);
        Assert.Equal("default.example.com", Str(ingress["spec"]!["tls"]![0], "secretName"));
        Assert.Equal(["web.default.example.com"], ingress["spec"]!["tls"]![0]!["hosts"]!.AsArray().Select(n => n!.GetValue<string>()));
        var route = await c.WaitAsync(ServingKinds.Routes, "web", r => Str(r, "status", "url") == "https://web.default.example.com");
        var own = "route-" + Str(route, "metadata", "uid");
        Assert.Null(await c.GetAsync(ServingKinds.Certificates, own));

        // Unselected: the wildcard Certificate goes, and the Route asks for its own.
        await LabelNamespaceAsync(c, null);
        await c.WaitExistsAsync(ServingKinds.Certificates, own);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await c.GetAsync(ServingKinds.Certificates, "default.example.com") is not null && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Null(await c.GetAsync(ServingKinds.Certificates, "default.example.com"));
    }

    [Fact]
    public async Task SelectorAddedToConfigNetworkLiveCreatesCertificatesForMatchingNamespaces()
    {
        await using var c = await StartAsync(new Dictionary<string, Dictionary<string, string>>
        {
            ["config-domain"] = new() { ["example.com"] = "" },
            ["config-network"] = new(),
        });
        await LabelNamespaceAsync(c, "enabled");
        // The namespace is labelled but the feature is off: the controller has seen the Namespace (its key went
        // through the queue) and wrote nothing. Turning the selector on makes the Certificate.
        await c.UpdateConfigMapAsync("config-network", new() { ["namespace-wildcard-cert-selector"] = Selector });
        var cert = await c.WaitExistsAsync(ServingKinds.Certificates, "default.example.com");
        Assert.Equal("cert-manager.certificate.networking.knative.dev", Str(cert, "metadata", "annotations", "networking.knative.dev/certificate.class"));

        // A bad selector is rejected by admission (config maps are validated) and the last good one stays.
        await Assert.ThrowsAnyAsync<KubeApiException>(() => c.UpdateConfigMapAsync("config-network", new() { ["namespace-wildcard-cert-selector"] = "matchExpressions: [{key: a, operator: Near}]" }));
        Assert.NotNull(await c.GetAsync(ServingKinds.Certificates, "default.example.com"));
    }
}
