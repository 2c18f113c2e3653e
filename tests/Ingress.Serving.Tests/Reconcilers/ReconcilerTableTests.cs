using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.ApiServer;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Serving.Reconcilers;
using Ingress.Serving.Resources;
using Ingress.Serving.Webhook;
using Ingress.Serving.Yaml;

namespace Ingress.Serving.Tests.Reconcilers;

/// <summary>
/// Table tests of the Kubernetes-facing reconcilers: Table/&lt;controller&gt;/&lt;case&gt;/input.yaml holds a
/// <c>kind: TableCase</c> header (<c>key: ns/name</c>, optional <c>now</c>) and the objects present (config maps in
/// the system namespace configure the store); they are loaded as is into the embedded API server, informers sync,
/// and the reconciler runs once on the keyed object. expected.yaml is what it wrote (create/update/delete per
/// object, with the labels and annotations of updates), the object's status afterwards and the error it returned.
/// UPDATE_GOLDEN=1 rewrites expected files; every rewrite must be read against the spec before committing.
/// </summary>
public class ReconcilerTableTests
{
    private static readonly DateTimeOffset DefaultNow = DateTimeOffset.FromUnixTimeSeconds(1_000_000_000); // 2001-09-09T01:46:40Z
    private static readonly Lazy<IReadOnlyList<JsonObject>> Crds = new(ServingCluster.LoadCrds);

    private static readonly (string Controller, ResourceDescriptor Primary)[] Controllers =
    [
        (ServiceReconciler.ControllerName, ServingKinds.Services),
        (ConfigurationReconciler.ControllerName, ServingKinds.Configurations),
        (RevisionReconciler.ControllerName, ServingKinds.Revisions),
        (RouteReconciler.ControllerName, ServingKinds.Routes),
        (DomainMappingReconciler.ControllerName, ServingKinds.DomainMappings),
        (NamespaceWildcardCertReconciler.ControllerName, ResourceDescriptor.Namespaces),
    ];

    /// <summary>Every kind whose writes are recorded (Events are left out: the recorder sends them in the background).</summary>
    private static readonly ResourceDescriptor[] Watched =
    [
        ServingKinds.Services, ServingKinds.Configurations, ServingKinds.Revisions, ServingKinds.Routes, ServingKinds.DomainMappings,
        ServingKinds.Ingresses, ServingKinds.ServerlessServices, ServingKinds.ClusterDomainClaims, ServingKinds.PodAutoscalers,
        ServingKinds.Deployments, ServingKinds.CoreServices, ResourceDescriptor.Pods, ServingKinds.Certificates, ResourceDescriptor.Namespaces,
    ];

    private static string Root([CallerFilePath] string path = "") => Path.Combine(Path.GetDirectoryName(path)!, "..", "Table");

    public static IEnumerable<object[]> Cases() =>
        Directory.GetDirectories(Root())
            .SelectMany(b => Directory.GetDirectories(b).Select(c => new object[] { Path.GetFileName(b), Path.GetFileName(c) }))
            .OrderBy(x => (string)x[0]).ThenBy(x => (string)x[1]);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Table(string controller, string name)
    {
        var dir = Path.Combine(Root(), controller, name);
        var docs = YamlJson.ParseAll(await File.ReadAllTextAsync(Path.Combine(dir, "input.yaml"))).OfType<JsonObject>().ToList();
        var header = Assert.Single(docs, d => Json.Str(d, "kind") == "TableCase");
        var actual = await RunAsync(controller, header, Derive(docs.Where(d => d != header).ToList()));
        var expectedPath = Path.Combine(dir, "expected.yaml");
        var actualYaml = YamlJson.Serialize(actual);
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            await File.WriteAllTextAsync(expectedPath, actualYaml);
            return;
        }
        Assert.True(File.Exists(expectedPath), $"missing {expectedPath}; run with UPDATE_GOLDEN=1 and review it");
        var expected = GoldenTests.Normalize(YamlJson.ParseAll(await File.ReadAllTextAsync(expectedPath)).Single())!.ToJsonString();
        var got = GoldenTests.Normalize(YamlJson.ParseAll(actualYaml).Single())!.ToJsonString();
        Assert.True(expected == got, $"table case {controller}/{name} differs\n--- actual ---\n{actualYaml}");
    }

    [Fact]
    public void Every_controller_has_cases() =>
        Assert.All(new[] { ConfigurationReconciler.ControllerName, RevisionReconciler.ControllerName, RouteReconciler.ControllerName, ServiceReconciler.ControllerName,
                NamespaceWildcardCertReconciler.ControllerName },
            c => Assert.Contains(Cases(), x => (string)x[0] == c));

    private static async Task<JsonObject> RunAsync(string controller, JsonObject header, List<JsonObject> objects)
    {
        var now = header["now"] is JsonValue v ? DateTimeOffset.Parse(v.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) : DefaultNow;
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var server = new ApiServerHost(new ApiServerOptions { InitialNamespaces = ["default", ServingCluster.SystemNs] });
        server.PreloadCustomResourceDefinitions(Crds.Value);
        await server.StartAsync(stop.Token);
        foreach (var o in objects) server.LoadAsIs(o);
        using var client = new KubeClient(KubeConnection.FromServer(server.BaseUri));
        await using var informers = new SharedInformerFactory(client);
        var before = await SnapshotAsync(client, stop.Token);

        await using var controllers = ServingControllers.Register(client, informers, new ServingControllerOptions { Time = new FixedClock(now) });
        foreach (var cm in objects.Where(o => Json.Str(o, "kind") == "ConfigMap" && Meta.Namespace(o) == ServingCluster.SystemNs))
            controllers.ConfigStore.Apply(Meta.Name(cm), Json.Map(cm, "data"));
        informers.Start(stop.Token);
        await informers.WaitForCacheSyncAsync(stop.Token);

        var (primaryKind, reconciler) = Make(controller, controllers.Context);
        var key = Json.Str(header, "key");
        // ns/name, or a bare name for a cluster-scoped kind (Namespace).
        var parts = key.Split('/');
        var entry = (parts.Length == 1 ? informers.Dynamic(primaryKind).Lister.Get(null, parts[0]) : informers.Dynamic(primaryKind).Lister.Get(parts[0], parts[1])) ?? throw new InvalidOperationException($"{key} is not among the inputs");
        var target = (JsonObject)entry.DeepClone();
        string? error = null;
        ReconcileResult? result = null;
        try { result = await reconciler.ReconcileKindAsync(target, stop.Token); }
        catch (Exception e) when (e is not OperationCanceledException) { error = e.Message; }

        var after = await SnapshotAsync(client, stop.Token);
        var output = new JsonObject { ["writes"] = Writes(before, after) };
        if (target["status"] is JsonNode status) output["status"] = status.DeepClone();
        if (error is not null) output["error"] = error;
        if (result is { RequeueAfter: { } requeue }) output["requeueAfter"] = requeue.ToString();
        return output;
    }

    /// <summary>A Deployment or PodAutoscaler given without <c>spec</c> is the one the builders make for the
    /// Revision that owns it (by name), carrying the given status: cases state only what they are about.</summary>
    private static List<JsonObject> Derive(List<JsonObject> objects)
    {
        var config = GoldenTests.LoadConfig(objects);
        var revisions = objects.Where(o => Json.Str(o, "kind") == "Revision").ToList();
        return objects.Select(o =>
        {
            if (o["spec"] is not null) return o;
            var kind = Json.Str(o, "kind");
            JsonObject? made = null;
            if (kind == "Deployment")
                made = revisions.Where(r => Meta.Name(r) + "-deployment" == Meta.Name(o)).Select(r => DeploymentResources.MakeDeployment(config, r, 1, ServingCluster.SystemNs)).FirstOrDefault();
            else if (kind == "PodAutoscaler")
                made = revisions.Where(r => Meta.Name(r) == Meta.Name(o)).Select(r => DeploymentResources.MakePodAutoscaler(r)).FirstOrDefault();
            if (made is null) return o;
            if (o["status"] is JsonNode st) made["status"] = st.DeepClone();
            if (Json.Str(Meta.Metadata(o), "uid") is { Length: > 0 } uid) ((JsonObject)made["metadata"]!)["uid"] = uid;
            return made;
        }).ToList();
    }

    private static (ResourceDescriptor, IKindReconciler<JsonObject>) Make(string controller, ServingContext ctx) => controller switch
    {
        ServiceReconciler.ControllerName => (ServingKinds.Services, new ServiceReconciler(ctx)),
        ConfigurationReconciler.ControllerName => (ServingKinds.Configurations, new ConfigurationReconciler(ctx)),
        RevisionReconciler.ControllerName => (ServingKinds.Revisions, new RevisionReconciler(ctx)),
        RouteReconciler.ControllerName => (ServingKinds.Routes, new RouteReconciler(ctx)),
        DomainMappingReconciler.ControllerName => (ServingKinds.DomainMappings, new DomainMappingReconciler(ctx)),
        NamespaceWildcardCertReconciler.ControllerName => (ResourceDescriptor.Namespaces, new NamespaceWildcardCertReconciler(ctx)),
        _ => throw new InvalidOperationException($"unknown controller {controller}"),
    };

    private static async Task<Dictionary<string, JsonObject>> SnapshotAsync(KubeClient client, CancellationToken ct)
    {
        var result = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var r in Watched)
            foreach (var o in (await client.Dynamic(r).ListAllAsync(ct: ct)).Items)
                result[$"{r.Kind} {(r.Namespaced ? Meta.Namespace(o) + "/" : "")}{Meta.Name(o)}"] = o;
        return result;
    }

    private static JsonArray Writes(Dictionary<string, JsonObject> before, Dictionary<string, JsonObject> after)
    {
        var writes = new JsonArray();
        foreach (var key in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            before.TryGetValue(key, out var b);
            after.TryGetValue(key, out var a);
            if (b is null) writes.Add((JsonNode)$"create {key}");
            else if (a is null) writes.Add((JsonNode)$"delete {key}");
            else if (Json.Str(Meta.Metadata(a), "resourceVersion") != Json.Str(Meta.Metadata(b), "resourceVersion"))
            {
                var w = new JsonObject { ["update"] = key };
                if (!JsonNode.DeepEquals(Meta.Metadata(a)["labels"], Meta.Metadata(b)["labels"])) w["labels"] = Meta.Metadata(a)["labels"]?.DeepClone();
                if (!JsonNode.DeepEquals(Meta.Metadata(a)["annotations"], Meta.Metadata(b)["annotations"])) w["annotations"] = Meta.Metadata(a)["annotations"]?.DeepClone();
                if (!JsonNode.DeepEquals(a["spec"], b["spec"])) w["spec"] = "changed";
                writes.Add(w);
            }
        }
        return writes;
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
