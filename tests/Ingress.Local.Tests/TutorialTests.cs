using System.Collections.Concurrent;

namespace Ingress.Local.Tests;

/// <summary>
/// Knative's serving tutorials on <c>ingress up</c>, as a user runs them: the manifests under examples/ applied
/// unchanged with the real kubectl, then plain HTTP with the tutorial's Host header through the local gateway.
/// (helloworld-go and the DomainMapping tutorial are in <see cref="UpTests"/>; scale to zero is not covered here.)
/// The manifests name the default namespace, so each test owns its Service names there; config-domain and
/// config-features edits are cluster-wide but leave every other test's hosts unchanged (example.com stays the default).
/// </summary>
[Collection(LocalUpCollection.Name)]
public sealed class TutorialTests(LocalUpFixture up)
{
    private static string Hello(string target) => $"200 Hello {target}!\n";

    [Fact]
    public async Task Traffic_splitting_sends_half_to_each_revision_and_tags_get_their_own_hosts()
    {
        await up.KubectlOkAsync("apply", "-f", "examples/traffic-splitting/01-v1.yaml");
        await up.KubectlOkAsync("wait", "--for=condition=Ready", "ksvc/hello", "--timeout=60s");
        Assert.Equal(Hello("v1"), (await up.GetUntilAsync(up.GatewayPort, "hello.default.example.com", a => a.Status == 200)).ToString());

        await up.KubectlOkAsync("apply", "-f", "examples/traffic-splitting/02-split.yaml");
        // "latest" follows the Configuration's latest ready revision, which the Route may see a moment after hello-v2
        // itself is Ready (as upstream, the Route is programmed again then): wait for that final state.
        Assert.Equal(Hello("v2"), (await up.GetUntilAsync(up.GatewayPort, "latest-hello.default.example.com", a => a.ToString() == Hello("v2"))).ToString());
        Assert.Equal(Hello("v2"), (await up.GetAsync(up.GatewayPort, "v2-hello.default.example.com")).ToString());
        Assert.Equal(Hello("v1"), (await up.GetAsync(up.GatewayPort, "v1-hello.default.example.com")).ToString());
        const string expectedTraffic =
            "v1 hello-v1 50 http://v1-hello.default.example.com\n" +
            "v2 hello-v2 50 http://v2-hello.default.example.com\n" +
            "latest hello-v2 0 http://latest-hello.default.example.com\n";
        var traffic = "";
        await LocalUpFixture.EventuallyAsync("the Service status to show the split", async () =>
        {
            traffic = await up.KubectlOkAsync("get", "ksvc", "hello", "-o",
                "jsonpath={range .status.traffic[*]}{.tag} {.revisionName} {.percent} {.url}{\"\\n\"}{end}");
            return traffic == expectedTraffic ? traffic : null;
        }, () => traffic);
        await up.KubectlOkAsync("wait", "--for=condition=Ready", "ksvc/hello", "--timeout=60s");

        // 1,000 requests, 8 at a time (the conformance suite's concurrency): each revision gets 50 % ± 10 %.
        var counts = new ConcurrentDictionary<string, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 1000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
        {
            var answer = await up.GetAsync(up.GatewayPort, "hello.default.example.com");
            counts.AddOrUpdate(answer.ToString(), 1, (_, n) => n + 1);
        });
        var summary = string.Join(", ", counts.Select(kv => $"{kv.Key.TrimEnd()}: {kv.Value}"));
        Assert.True(counts.Keys.All(k => k == Hello("v1") || k == Hello("v2")), summary);
        Assert.InRange(counts.GetValueOrDefault(Hello("v1")), 400, 600);
        Assert.InRange(counts.GetValueOrDefault(Hello("v2")), 400, 600);
    }

    [Fact]
    public async Task Tag_header_routing_follows_Knative_Serving_Tag_once_config_features_enables_it()
    {
        await up.KubectlOkAsync("apply", "-f", "examples/tag-header-routing/config-features.yaml");
        Assert.Equal("Enabled", await up.KubectlOkAsync("get", "configmap", "config-features", "-n", "knative-serving",
            "-o", "jsonpath={.data.tag-header-based-routing}"));
        await up.KubectlOkAsync("apply", "-f", "examples/tag-header-routing/01-stable.yaml");
        await up.KubectlOkAsync("wait", "--for=condition=Ready", "ksvc/tagged", "--timeout=60s");
        await up.KubectlOkAsync("apply", "-f", "examples/tag-header-routing/02-canary.yaml");

        const string host = "tagged.default.example.com";
        static KeyValuePair<string, string>[] Tag(string tag) => [new("Knative-Serving-Tag", tag)];
        Assert.Equal(Hello("canary"), (await up.GetUntilAsync(up.GatewayPort, host, a => a.ToString() == Hello("canary"), headers: Tag("canary"))).ToString());
        Assert.Equal(Hello("stable"), (await up.GetAsync(up.GatewayPort, host)).ToString());
        Assert.Equal(Hello("stable"), (await up.GetAsync(up.GatewayPort, host, headers: Tag("stable"))).ToString());
        // An unknown tag falls through to the default route.
        Assert.Equal(Hello("stable"), (await up.GetAsync(up.GatewayPort, host, headers: Tag("nope"))).ToString());
        Assert.Equal(Hello("canary"), (await up.GetAsync(up.GatewayPort, "canary-tagged.default.example.com")).ToString());
        // The canary takes 0 % of the main host without the header.
        for (var i = 0; i < 20; i++) Assert.Equal(Hello("stable"), (await up.GetAsync(up.GatewayPort, host)).ToString());
    }

    [Fact]
    public async Task Custom_domain_from_an_edited_config_domain_moves_the_service_to_its_domain()
    {
        // Before the edit the seeded config-domain (example.com only) applies.
        await up.KubectlOkAsync("apply", "-f", "examples/custom-domain/service.yaml");
        await up.KubectlOkAsync("wait", "--for=condition=Ready", "ksvc/nonprofit", "--timeout=60s");
        Assert.Equal("http://nonprofit.default.example.com", await up.KubectlOkAsync("get", "ksvc", "nonprofit", "-o", "jsonpath={.status.url}"));
        Assert.Equal(Hello("custom domain"), (await up.GetUntilAsync(up.GatewayPort, "nonprofit.default.example.com", a => a.Status == 200)).ToString());

        // The tutorial's edit: example.org for Routes labelled app=nonprofit.
        await up.KubectlOkAsync("apply", "-f", "examples/custom-domain/config-domain.yaml");
        await LocalUpFixture.EventuallyAsync("the Service URL to move to example.org", async () =>
            await up.KubectlOkAsync("get", "ksvc", "nonprofit", "-o", "jsonpath={.status.url}") == "http://nonprofit.default.example.org" ? "" : null);
        Assert.Equal(Hello("custom domain"), (await up.GetUntilAsync(up.GatewayPort, "nonprofit.default.example.org", a => a.Status == 200)).ToString());
        Assert.Equal(404, (await up.GetUntilAsync(up.GatewayPort, "nonprofit.default.example.com", a => a.Status == 404)).Status);
        await up.KubectlOkAsync("wait", "--for=condition=Ready", "ksvc/nonprofit", "--timeout=60s");
    }

    [Fact]
    public async Task Cluster_local_service_is_served_by_the_local_gateway_only()
    {
        await up.KubectlOkAsync("apply", "-f", "examples/cluster-local/service.yaml");
        await up.KubectlOkAsync("wait", "--for=condition=Ready", "ksvc/hello-private", "--timeout=60s");
        Assert.Equal("http://hello-private.default.svc.cluster.local", await up.KubectlOkAsync("get", "ksvc", "hello-private", "-o", "jsonpath={.status.url}"));
        Assert.Equal(Hello("private"), (await up.GetUntilAsync(up.LocalGatewayPort, "hello-private.default.svc.cluster.local", a => a.Status == 200)).ToString());
        Assert.Equal(404, (await up.GetAsync(up.GatewayPort, "hello-private.default.svc.cluster.local")).Status);
        Assert.Equal(404, (await up.GetAsync(up.GatewayPort, "hello-private.default.example.com")).Status);
    }

    [Fact]
    public async Task KIngress_example_applied_directly_serves_its_backend()
    {
        await up.KubectlOkAsync("apply", "-f", "examples/kingress/backend.yaml");
        await up.KubectlOkAsync("apply", "-f", "examples/kingress/ingress.yaml");
        await up.KubectlOkAsync("wait", "--for=condition=Ready", "kingress/runtime", "--timeout=60s");
        Assert.Equal("istio-ingressgateway.istio-system.svc.cluster.local",
            await up.KubectlOkAsync("get", "kingress", "runtime", "-o", "jsonpath={.status.publicLoadBalancer.ingress[0].domainInternal}"));
        var plain = await up.GetUntilAsync(up.GatewayPort, "runtime.example.com", a => a.Status == 200, "/hello?x=1");
        Assert.Equal(200, plain.Status);
        var request = RuntimeRequest.Parse(plain.Body);
        Assert.Equal(("/hello?x=1", "runtime.example.com", "GET"), (request.Uri, request.Host, request.Method));
        Assert.Equal("runtime", request.Header("Which-Backend"));
        var tagged = RuntimeRequest.Parse((await up.GetAsync(up.GatewayPort, "runtime.example.com", headers: [new("Knative-Serving-Tag", "debug")])).Body);
        Assert.Equal("debug", tagged.Header("Which-Backend"));
    }
}
