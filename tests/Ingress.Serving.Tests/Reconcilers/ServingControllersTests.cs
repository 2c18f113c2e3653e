using System.Text.Json.Nodes;
using Ingress.Serving.Reconcilers;
using static Ingress.Serving.Tests.Reconcilers.ServingCluster;

namespace Ingress.Serving.Tests.Reconcilers;

/// <summary>The serving controllers against the embedded API server over real HTTP: objects in, children and
/// statuses out. The autoscaler and the networking reconciler are played by the test (PA and KIngress status).</summary>
public sealed class ServingControllersTests
{
    private static readonly Dictionary<string, Dictionary<string, string>> ExampleDomain = new()
    {
        ["config-domain"] = new() { ["example.com"] = "" },
    };

    private static string Ksvc(string name, string env = "v1", string labels = "{}", string traffic = "") => $$$"""
        {"apiVersion":"serving.knative.dev/v1","kind":"Service",
         "metadata":{"name":"{{{name}}}","namespace":"default","labels":{{{labels}}}},
         "spec":{"template":{"spec":{"containers":[{"image":"example.dev/hello","env":[{"name":"V","value":"{{{env}}}"}]}]}}{{{traffic}}}}}
        """;

    /// <summary>Creates a ksvc and drives it to Ready: revision -00001 ready (PA), KIngress ready.</summary>
    private static async Task<JsonObject> ReadyServiceAsync(ServingCluster c, string name, string labels = "{}")
    {
        await c.CreateAsync(ServingKinds.Services, Ksvc(name, labels: labels));
        await c.WaitExistsAsync(ServingKinds.PodAutoscalers, name + "-00001");
        await c.MarkPodAutoscalerReadyAsync(name + "-00001");
        await c.WaitExistsAsync(ServingKinds.Ingresses, name);
        await c.MarkIngressReadyAsync(name);
        return await c.WaitAsync(ServingKinds.Services, name, s => Condition(s, "Ready") == "True");
    }

    [Fact]
    public async Task KServiceCreatesEveryChildAndBecomesReadyWithItsUrl()
    {
        await using var c = await StartAsync(ExampleDomain);
        await c.CreateAsync(ServingKinds.Services, Ksvc("hello"));

        var cfg = await c.WaitExistsAsync(ServingKinds.Configurations, "hello");
        Assert.Equal("hello", Str(cfg, "metadata", "labels", "serving.knative.dev/service"));
        Assert.Equal("hello", Str(cfg, "metadata", "annotations", "serving.knative.dev/routes"));
        var route = await c.WaitExistsAsync(ServingKinds.Routes, "hello");
        Assert.Equal("hello", Str(route["spec"]!["traffic"]![0], "configurationName"));

        var rev = await c.WaitExistsAsync(ServingKinds.Revisions, "hello-00001");
        Assert.Equal("1", Str(rev, "metadata", "labels", "serving.knative.dev/configurationGeneration"));
        var deployment = await c.WaitExistsAsync(ServingKinds.Deployments, "hello-00001-deployment");
        var containers = deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(x => Str(x, "name")).ToList();
        Assert.Equal(["user-container", "queue-proxy"], containers);
        Assert.Equal("example.dev/queue:latest", Str(deployment["spec"]!["template"]!["spec"]!["containers"]![1], "image"));
        var pa = await c.WaitExistsAsync(ServingKinds.PodAutoscalers, "hello-00001");
        Assert.Equal("hello-00001-deployment", Str(pa, "spec", "scaleTargetRef", "name"));
        var sks = await c.WaitExistsAsync(ServingKinds.ServerlessServices, "hello-00001");
        Assert.Equal("Proxy", Str(sks, "spec", "mode"));

        // Until the revision is ready the Route has nothing to send traffic to.
        await c.WaitAsync(ServingKinds.Routes, "hello", r => Condition(r, "AllTrafficAssigned") == "Unknown");
        await c.MarkPodAutoscalerReadyAsync("hello-00001");
        await c.WaitAsync(ServingKinds.Configurations, "hello", x => Str(x, "status", "latestReadyRevisionName") == "hello-00001");

        var ingress = await c.WaitExistsAsync(ServingKinds.Ingresses, "hello");
        Assert.Contains("hello.default.example.com", IngressHosts(ingress, "ExternalIP"));
        Assert.Contains("hello.default.svc.cluster.local", IngressHosts(ingress, "ClusterLocal"));
        await c.WaitExistsAsync(ServingKinds.CoreServices, "hello");

        // Route readiness follows the KIngress.
        var notReady = await c.WaitAsync(ServingKinds.Routes, "hello", r => Condition(r, "IngressReady") == "Unknown" && Condition(r, "AllTrafficAssigned") == "True");
        Assert.Equal("Unknown", Condition(notReady, "Ready"));
        await c.MarkIngressReadyAsync("hello");
        var svc = await c.WaitAsync(ServingKinds.Services, "hello", s => Condition(s, "Ready") == "True");
        Assert.Equal("http://hello.default.example.com", Str(svc, "status", "url"));
        Assert.Equal("http://hello.default.svc.cluster.local", Str(svc, "status", "address", "url"));
        Assert.Equal("hello-00001", Str(svc, "status", "latestReadyRevisionName"));
        Assert.Equal("hello-00001", Str(svc["status"]!["traffic"]![0], "revisionName"));
    }

    [Fact]
    public async Task UpdatingTheTemplateCreatesTheNextRevisionAndATaggedSplitGetsPerTagUrls()
    {
        await using var c = await StartAsync(ExampleDomain);
        await ReadyServiceAsync(c, "split");

        await c.EditAsync(ServingKinds.Services, "split", s => s["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]![0]!["value"] = "v2");
        await c.WaitExistsAsync(ServingKinds.Revisions, "split-00002");
        await c.WaitAsync(ServingKinds.Configurations, "split", x => Str(x, "status", "latestCreatedRevisionName") == "split-00002");
        await c.MarkPodAutoscalerReadyAsync("split-00002");
        await c.WaitAsync(ServingKinds.Configurations, "split", x => Str(x, "status", "latestReadyRevisionName") == "split-00002");

        await c.EditAsync(ServingKinds.Services, "split", s => s["spec"]!["traffic"] = JsonNode.Parse("""
            [{"tag":"old","revisionName":"split-00001","percent":30},{"tag":"new","latestRevision":true,"percent":70}]
            """));
        var route = await c.WaitAsync(ServingKinds.Routes, "split", r => (r["status"]?["traffic"] as JsonArray)?.Count == 2
            && r["status"]?["observedGeneration"]?.GetValue<long>() == r["metadata"]!["generation"]!.GetValue<long>());
        var traffic = route["status"]!["traffic"]!.AsArray();
        Assert.Equal(("old", "split-00001", 30L, "http://old-split.default.example.com"),
            (Str(traffic[0], "tag"), Str(traffic[0], "revisionName"), traffic[0]!["percent"]!.GetValue<long>(), Str(traffic[0], "url")));
        Assert.Equal(("new", "split-00002", 70L, "http://new-split.default.example.com"),
            (Str(traffic[1], "tag"), Str(traffic[1], "revisionName"), traffic[1]!["percent"]!.GetValue<long>(), Str(traffic[1], "url")));

        var ingress = await c.WaitAsync(ServingKinds.Ingresses, "split", i => IngressHosts(i).Contains("old-split.default.example.com"));
        Assert.Contains("new-split.default.example.com", IngressHosts(ingress, "ExternalIP"));
        Assert.Contains("old-split.default.svc.cluster.local", IngressHosts(ingress, "ClusterLocal"));
        await c.WaitExistsAsync(ServingKinds.CoreServices, "old-split");

        // Both revisions are routed: the labeler marks them active and lists the route.
        foreach (var rev in new[] { "split-00001", "split-00002" })
        {
            var r = await c.WaitAsync(ServingKinds.Revisions, rev, x => Str(x, "metadata", "labels", "serving.knative.dev/routingState") == "active");
            Assert.Equal("split", Str(r, "metadata", "annotations", "serving.knative.dev/routes"));
        }
        // Pinning all traffic to -00002 leaves -00001 in reserve, and its PodAutoscaler unreachable.
        await c.EditAsync(ServingKinds.Services, "split", s => s["spec"]!["traffic"] = JsonNode.Parse("""[{"revisionName":"split-00002","percent":100}]"""));
        // As upstream, the labeler clears a revision only once the Route is resolved: the KIngress must report Ready
        // for the new split first.
        await c.WaitAsync(ServingKinds.Ingresses, "split", i => !i.ToJsonString().Contains("split-00001", StringComparison.Ordinal));
        await c.MarkIngressReadyAsync("split");
        await c.WaitAsync(ServingKinds.Revisions, "split-00001", x => Str(x, "metadata", "labels", "serving.knative.dev/routingState") == "reserve");
        await c.WaitAsync(ServingKinds.PodAutoscalers, "split-00001", x => Str(x, "spec", "reachability") == "Unreachable");
    }

    [Fact]
    public async Task ARevisionNoRouteNeedsIsCollectedPerConfigGc()
    {
        await using var c = await StartAsync(new Dictionary<string, Dictionary<string, string>>
        {
            ["config-domain"] = new() { ["example.com"] = "" },
            ["config-gc"] = new()
            {
                // Stale 5 s after leaving the Route (then the Configuration's requeue collects it); long enough that a
                // just-created revision, briefly unlisted until the Configuration records it as latest created, is not.
                ["retain-since-create-time"] = "disabled", ["retain-since-last-active-time"] = "5s",
                ["min-non-active-revisions"] = "0", ["max-non-active-revisions"] = "disabled",
            },
        });
        await ReadyServiceAsync(c, "gc");
        await c.EditAsync(ServingKinds.Services, "gc", s => s["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]![0]!["value"] = "v2");
        await c.WaitExistsAsync(ServingKinds.PodAutoscalers, "gc-00002");
        await c.MarkPodAutoscalerReadyAsync("gc-00002");
        await c.WaitAsync(ServingKinds.Configurations, "gc", x => Str(x, "status", "latestReadyRevisionName") == "gc-00002");

        // The Route moves to -00002; once its KIngress is Ready the labeler puts -00001 in reserve, and the
        // Configuration's GC deletes it; the routed latest revision stays. The test plays the networking reconciler
        // throughout: whenever the KIngress has a generation not yet observed, it is marked Ready for it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (await c.GetAsync(ServingKinds.Revisions, "gc-00001") is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, "gc-00001 was not collected");
            if (await c.GetAsync(ServingKinds.Ingresses, "gc") is { } ing && ing.ToJsonString().Contains("gc-00002", StringComparison.Ordinal)
                && ing["status"]?["observedGeneration"]?.GetValue<long>() != ing["metadata"]!["generation"]!.GetValue<long>())
                await c.MarkIngressReadyAsync("gc");
            await Task.Delay(200, c.Token);
        }
        var kept = await c.GetAsync(ServingKinds.Revisions, "gc-00002");
        Assert.Equal("active", Str(kept!, "metadata", "labels", "serving.knative.dev/routingState"));
    }

    [Fact]
    public async Task WithARolloutDurationANewRevisionStartsAtOnePercent()
    {
        await using var c = await StartAsync(new Dictionary<string, Dictionary<string, string>>
        {
            ["config-domain"] = new() { ["example.com"] = "" },
            ["config-network"] = new() { ["rollout-duration"] = "600" },
        });
        await ReadyServiceAsync(c, "gradual");
        await c.EditAsync(ServingKinds.Services, "gradual", s => s["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]![0]!["value"] = "v2");
        await c.WaitExistsAsync(ServingKinds.PodAutoscalers, "gradual-00002");
        await c.MarkPodAutoscalerReadyAsync("gradual-00002");
        var route = await c.WaitAsync(ServingKinds.Routes, "gradual", r => (r["status"]?["traffic"] as JsonArray)?.Count == 2);
        var split = route["status"]!["traffic"]!.AsArray().Select(t => (Str(t, "revisionName"), t!["percent"]!.GetValue<long>())).ToList();
        Assert.Equal([("gradual-00001", 99L), ("gradual-00002", 1L)], split);
        var cond = route["status"]!["conditions"]!.AsArray().First(x => Str(x, "type") == "IngressReady")!;
        Assert.Equal(("Unknown", "RolloutInProgress"), (Str(cond, "status"), Str(cond, "reason")));
        var ingress = await c.WaitExistsAsync(ServingKinds.Ingresses, "gradual");
        Assert.Contains("gradual-00002", Str(ingress, "metadata", "annotations", "networking.internal.knative.dev/rollout"));
    }

    [Fact]
    public async Task AConfigurationWeDoNotOwnIsReportedOnTheService()
    {
        await using var c = await StartAsync(ExampleDomain);
        await c.CreateAsync(ServingKinds.Configurations, """
            {"apiVersion":"serving.knative.dev/v1","kind":"Configuration","metadata":{"name":"taken","namespace":"default"},
             "spec":{"template":{"spec":{"containers":[{"image":"example.dev/other"}]}}}}
            """);
        await c.CreateAsync(ServingKinds.Services, Ksvc("taken"));
        var svc = await c.WaitAsync(ServingKinds.Services, "taken", s => Condition(s, "ConfigurationsReady") == "False");
        var cond = svc["status"]!["conditions"]!.AsArray().First(x => Str(x, "type") == "ConfigurationsReady")!;
        Assert.Equal(("NotOwned", "There is an existing Configuration \"taken\" that we do not own."), (Str(cond, "reason"), Str(cond, "message")));
        Assert.Equal("False", Condition(svc, "Ready"));
        Assert.Null(await c.GetAsync(ServingKinds.Routes, "taken"));
        await c.WaitEventAsync(e => Str(e, "involvedObject", "name") == "taken" && Str(e, "reason") == "InternalError"
            && Str(e, "message") == "service: \"taken\" does not own configuration: \"taken\"", Ns);
    }

    [Fact]
    public async Task ClusterLocalServiceGetsOnlyClusterLocalHosts()
    {
        await using var c = await StartAsync(ExampleDomain);
        var svc = await ReadyServiceAsync(c, "private", labels: """{"networking.knative.dev/visibility":"cluster-local"}""");
        Assert.Equal("http://private.default.svc.cluster.local", Str(svc, "status", "url"));
        var ingress = await c.WaitExistsAsync(ServingKinds.Ingresses, "private");
        Assert.Empty(IngressHosts(ingress, "ExternalIP"));
        Assert.Equal(["private.default", "private.default.svc", "private.default.svc.cluster.local"], IngressHosts(ingress, "ClusterLocal").Order().ToList());
    }

    [Fact]
    public async Task EditingConfigDomainMovesTheHostsAndABadOneKeepsThemAndRecordsAnEvent()
    {
        await using var c = await StartAsync(ExampleDomain, admitConfigMaps: false);
        await ReadyServiceAsync(c, "moving");

        await c.UpdateConfigMapAsync("config-domain", new() { ["other.dev"] = "" });
        await c.WaitAsync(ServingKinds.Ingresses, "moving", i => IngressHosts(i, "ExternalIP").Contains("moving.default.other.dev")
            && !IngressHosts(i, "ExternalIP").Contains("moving.default.example.com"));
        await c.WaitAsync(ServingKinds.Routes, "moving", r => Str(r, "status", "url") == "http://moving.default.other.dev");

        // A config-domain that does not parse: the last good value stays and a Warning Event says why.
        await c.UpdateConfigMapAsync("config-domain", new() { ["broken.dev"] = "selector: [a, b]" });
        var ev = await c.WaitEventAsync(e => Str(e, "involvedObject", "name") == "config-domain" && Str(e, "reason") == "InvalidConfigMap", SystemNs);
        Assert.Equal("Warning", Str(ev, "type"));
        Assert.Contains("cannot unmarshal array", Str(ev, "message"));
        Assert.Contains("other.dev", c.Controllers.ConfigStore.Current.Domain.Entries.Select(e => e.Domain));

        // A change elsewhere re-reconciles every Route with the config still in force.
        await c.CreateConfigMapAsync("config-features", new() { ["tag-header-based-routing"] = "Disabled" });
        await c.EditAsync(ServingKinds.Services, "moving", s => s["metadata"]!["labels"] = new JsonObject { ["team"] = "a" });
        var route = await c.WaitAsync(ServingKinds.Routes, "moving", r => Str(r, "metadata", "labels", "team") == "a"
            && r["status"]?["observedGeneration"]?.GetValue<long>() == r["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal("http://moving.default.other.dev", Str(route, "status", "url"));
        var ingress = await c.WaitAsync(ServingKinds.Ingresses, "moving", i => Str(i, "metadata", "labels", "team") == "a");
        Assert.Contains("moving.default.other.dev", IngressHosts(ingress, "ExternalIP"));
        Assert.DoesNotContain(IngressHosts(ingress), h => h.Contains("broken.dev"));
    }

    [Fact]
    public async Task ByoRevisionNameIsUsedAndLatestReadyFollowsIt()
    {
        await using var c = await StartAsync(ExampleDomain);
        await c.CreateAsync(ServingKinds.Configurations, """
            {"apiVersion":"serving.knative.dev/v1","kind":"Configuration","metadata":{"name":"byo","namespace":"default"},
             "spec":{"template":{"metadata":{"name":"byo-first"},"spec":{"containers":[{"image":"example.dev/hello"}]}}}}
            """);
        await c.WaitExistsAsync(ServingKinds.Revisions, "byo-first");
        await c.MarkPodAutoscalerReadyAsync("byo-first");
        var cfg = await c.WaitAsync(ServingKinds.Configurations, "byo", x => Condition(x, "Ready") == "True");
        Assert.Equal("byo-first", Str(cfg, "status", "latestCreatedRevisionName"));
        Assert.Equal("byo-first", Str(cfg, "status", "latestReadyRevisionName"));
        Assert.Null(await c.GetAsync(ServingKinds.Revisions, "byo-00001"));
    }

    [Fact]
    public async Task ByoRevisionNameHeldByAForeignRevisionFailsTheConfiguration()
    {
        await using var c = await StartAsync(ExampleDomain);
        await c.CreateAsync(ServingKinds.Revisions, """
            {"apiVersion":"serving.knative.dev/v1","kind":"Revision","metadata":{"name":"wants-shared","namespace":"default"},
             "spec":{"containers":[{"image":"example.dev/other"}]}}
            """);
        await c.CreateAsync(ServingKinds.Configurations, """
            {"apiVersion":"serving.knative.dev/v1","kind":"Configuration","metadata":{"name":"wants","namespace":"default"},
             "spec":{"template":{"metadata":{"name":"wants-shared"},"spec":{"containers":[{"image":"example.dev/hello"}]}}}}
            """);
        var cfg = await c.WaitAsync(ServingKinds.Configurations, "wants", x => Condition(x, "Ready") == "False");
        var ready = cfg["status"]!["conditions"]!.AsArray().First(x => Str(x, "type") == "Ready")!;
        Assert.Equal(("RevisionFailed", "Revision creation failed with message: revisions.serving.knative.dev \"wants-shared\" already exists."),
            (Str(ready, "reason"), Str(ready, "message")));
    }

    [Fact]
    public async Task DomainMappingWithAutocreatedClaimGetsAKIngressRewritingTheHost()
    {
        await using var c = await StartAsync(new Dictionary<string, Dictionary<string, string>>
        {
            ["config-domain"] = new() { ["example.com"] = "" },
            ["config-network"] = new() { ["autocreate-cluster-domain-claims"] = "true" },
        });
        await ReadyServiceAsync(c, "target");
        await c.CreateAsync(ServingKinds.DomainMappings, """
            {"apiVersion":"serving.knative.dev/v1beta1","kind":"DomainMapping","metadata":{"name":"www.mapped.dev","namespace":"default"},
             "spec":{"ref":{"apiVersion":"serving.knative.dev/v1","kind":"Service","name":"target"}}}
            """);
        var claim = await c.WaitExistsAsync(ServingKinds.ClusterDomainClaims, "www.mapped.dev", ns: null);
        Assert.Equal("default", Str(claim, "spec", "namespace"));
        var ingress = await c.WaitExistsAsync(ServingKinds.Ingresses, "www.mapped.dev");
        Assert.Equal(["www.mapped.dev"], IngressHosts(ingress));
        var path = ingress["spec"]!["rules"]![0]!["http"]!["paths"]![0]!;
        Assert.Equal("target.default.svc.cluster.local", Str(path, "rewriteHost"));
        await c.MarkIngressReadyAsync("www.mapped.dev");
        var dm = await c.WaitAsync(ServingKinds.DomainMappings, "www.mapped.dev", d => Condition(d, "Ready") == "True");
        Assert.Equal("http://www.mapped.dev", Str(dm, "status", "url"));
    }

    [Fact]
    public async Task DomainMappingWithoutAClaimReportsIt()
    {
        await using var c = await StartAsync(ExampleDomain);
        await c.CreateAsync(ServingKinds.DomainMappings, """
            {"apiVersion":"serving.knative.dev/v1beta1","kind":"DomainMapping","metadata":{"name":"unclaimed.dev","namespace":"default"},
             "spec":{"ref":{"apiVersion":"serving.knative.dev/v1","kind":"Service","name":"nothing"}}}
            """);
        var dm = await c.WaitAsync(ServingKinds.DomainMappings, "unclaimed.dev", d => Condition(d, "DomainClaimed") == "False");
        Assert.Equal("False", Condition(dm, "Ready"));
        Assert.Null(await c.GetAsync(ServingKinds.Ingresses, "unclaimed.dev"));
    }
}
