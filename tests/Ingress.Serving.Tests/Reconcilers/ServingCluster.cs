using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.ApiServer;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Serving.Config;
using Ingress.Serving.Reconcilers;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Tests.Reconcilers;

/// <summary>The embedded API server over real HTTP on 127.0.0.1:0 (crds/ and crds/istio/ preloaded, the serving
/// admission hooks registered), a client, shared informers and the serving controllers running on them.
/// Tests create inputs and poll the server for the children and statuses the controllers write.</summary>
public sealed class ServingCluster : IAsyncDisposable
{
    public const string Ns = "default";
    public const string SystemNs = "knative-serving";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(5));
    private Task _run = Task.CompletedTask;

    private ServingCluster(ApiServerHost server, KubeClient client, SharedInformerFactory informers)
    {
        Server = server;
        Client = client;
        Informers = informers;
    }

    public ApiServerHost Server { get; }
    public KubeClient Client { get; }
    public SharedInformerFactory Informers { get; }
    public ServingControllers Controllers { get; private set; } = null!;
    public CancellationToken Token => _stop.Token;

    /// <param name="admitConfigMaps">False: bad config maps reach the store (as when the webhook is down).</param>
    /// <param name="configMaps">Config maps created before the controllers start (name → data).</param>
    /// <param name="options">Controller options (default: ServingControllers' defaults).</param>
    public static async Task<ServingCluster> StartAsync(IReadOnlyDictionary<string, Dictionary<string, string>>? configMaps = null, bool admitConfigMaps = true,
        ServingControllerOptions? options = null)
    {
        var server = new ApiServerHost(new ApiServerOptions { BookmarkInterval = TimeSpan.FromSeconds(1) });
        server.PreloadCustomResourceDefinitions(LoadCrds());
        ServingCluster? cluster = null;
        ServingAdmissionHooks.Register(server, new ServingAdmission(() => cluster?.Controllers?.ConfigStore.Current ?? ServingConfig.Default), admitConfigMaps);
        await server.StartAsync();
        var client = new KubeClient(KubeConnection.FromServer(server.BaseUri));
        var informers = new SharedInformerFactory(client);
        cluster = new ServingCluster(server, client, informers);
        var cms = configMaps ?? new Dictionary<string, Dictionary<string, string>>();
        if (!cms.ContainsKey(ConfigDeployment.Name)) cms = new Dictionary<string, Dictionary<string, string>>(cms) { [ConfigDeployment.Name] = new() { ["queue-sidecar-image"] = "example.dev/queue:latest" } };
        foreach (var (name, data) in cms) await cluster.CreateConfigMapAsync(name, data);
        cluster.Controllers = ServingControllers.Register(client, informers, options ?? new ServingControllerOptions());
        informers.Start(cluster.Token);
        await informers.WaitForCacheSyncAsync(cluster.Token);
        cluster._run = cluster.Controllers.RunAsync(cluster.Token);
        return cluster;
    }

    public static IReadOnlyList<JsonObject> LoadCrds()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "crds"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("crds/ not found above " + AppContext.BaseDirectory);
        var root = Path.Combine(dir.FullName, "crds");
        return Directory.GetFiles(root, "*.yaml").Concat(Directory.GetFiles(Path.Combine(root, "istio"), "*.yaml"))
            .SelectMany(f => KubeYaml.ParseDocuments(File.ReadAllText(f)))
            .Where(o => o["kind"]?.GetValue<string>() == "CustomResourceDefinition")
            .ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _run; } catch (OperationCanceledException) { }
        await Controllers.DisposeAsync();
        await Informers.DisposeAsync();
        Client.Dispose();
        await Server.DisposeAsync();
        _stop.Dispose();
    }

    // ---- reading and writing ----

    public ResourceClient<JsonObject> For(ResourceDescriptor r) => Client.Dynamic(r);

    public Task<JsonObject?> GetAsync(ResourceDescriptor r, string name, string? ns = Ns) => For(r).TryGetAsync(r.Namespaced ? ns : null, name, Token);

    public async Task CreateConfigMapAsync(string name, Dictionary<string, string> data)
    {
        var cm = new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = SystemNs },
            ["data"] = new JsonObject(data.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
        };
        await For(ResourceDescriptor.ConfigMaps).CreateAsync(cm, ct: Token);
    }

    public async Task UpdateConfigMapAsync(string name, Dictionary<string, string> data)
    {
        var cm = await For(ResourceDescriptor.ConfigMaps).GetAsync(SystemNs, name, Token);
        cm["data"] = new JsonObject(data.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        await For(ResourceDescriptor.ConfigMaps).UpdateAsync(cm, ct: Token);
    }

    public Task<JsonObject> CreateAsync(ResourceDescriptor r, string json) => For(r).CreateAsync(JsonNode.Parse(json)!.AsObject(), ct: Token);

    /// <summary>Reads, edits and writes back (retrying on conflicts with the controllers' own writes).</summary>
    public async Task<JsonObject> EditAsync(ResourceDescriptor r, string name, Action<JsonObject> edit, bool status = false, string? ns = Ns)
    {
        for (var attempt = 0; ; attempt++)
        {
            var obj = await For(r).GetAsync(r.Namespaced ? ns : null, name, Token);
            edit(obj);
            try { return status ? await For(r).UpdateStatusAsync(obj, ct: Token) : await For(r).UpdateAsync(obj, ct: Token); }
            catch (ConflictException) when (attempt < 20) { }
        }
    }

    /// <summary>Polls the server until <paramref name="ok"/> holds for the object (or fails with what was last seen).</summary>
    public async Task<JsonObject> WaitAsync(ResourceDescriptor r, string name, Func<JsonObject, bool> ok, string? ns = Ns)
    {
        var deadline = DateTime.UtcNow + Patience;
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await GetAsync(r, name, ns);
            if (last is not null && ok(last)) return last;
            await Task.Delay(200, Token);
        }
        Assert.Fail($"{r.Kind} {ns}/{name} did not reach the expected state; last seen: {last?.ToJsonString() ?? "<absent>"}");
        return null!;
    }

    public Task<JsonObject> WaitExistsAsync(ResourceDescriptor r, string name, string? ns = Ns) => WaitAsync(r, name, _ => true, ns);

    public async Task<JsonObject> WaitEventAsync(Func<JsonObject, bool> ok, string ns)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            var list = await For(ResourceDescriptor.Events).ListAsync(ns, ct: Token);
            var found = list.Items.FirstOrDefault(ok);
            if (found is not null) return found;
            await Task.Delay(200, Token);
        }
        Assert.Fail("expected Event not recorded");
        return null!;
    }

    // ---- playing the other controllers ----

    /// <summary>Plays the autoscaler: the PodAutoscaler of a revision reports Ready with its scale target initialized
    /// (what the KPA reports once the first pod served; the Revision's resources count as available only then).</summary>
    /// <summary>Plays the KPA: waits for the revision's PodAutoscaler (the Revision reconciler creates it after the
    /// Revision is recorded, so it may not exist yet) and reports it Ready and initialised.</summary>
    public async Task MarkPodAutoscalerReadyAsync(string revision)
    {
        await WaitExistsAsync(ServingKinds.PodAutoscalers, revision);
        await MarkExistingPodAutoscalerReadyAsync(revision);
    }

    private Task MarkExistingPodAutoscalerReadyAsync(string revision) => EditAsync(ServingKinds.PodAutoscalers, revision, pa =>
    {
        pa["status"] = new JsonObject
        {
            ["serviceName"] = revision,
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "Active", ["status"] = "True", ["lastTransitionTime"] = "2026-01-01T00:00:00Z" },
                new JsonObject { ["type"] = "Ready", ["status"] = "True", ["lastTransitionTime"] = "2026-01-01T00:00:00Z" },
                new JsonObject { ["type"] = "ScaleTargetInitialized", ["status"] = "True", ["lastTransitionTime"] = "2026-01-01T00:00:00Z" }),
        };
    }, status: true);

    /// <summary>Plays the networking reconciler: the KIngress has been observed and is Ready.</summary>
    public Task MarkIngressReadyAsync(string name) => EditAsync(ServingKinds.Ingresses, name, ing =>
    {
        ing["status"] = new JsonObject
        {
            ["observedGeneration"] = ing["metadata"]!["generation"]!.GetValue<long>(),
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "LoadBalancerReady", ["status"] = "True", ["lastTransitionTime"] = "2026-01-01T00:00:00Z" },
                new JsonObject { ["type"] = "NetworkConfigured", ["status"] = "True", ["lastTransitionTime"] = "2026-01-01T00:00:00Z" },
                new JsonObject { ["type"] = "Ready", ["status"] = "True", ["lastTransitionTime"] = "2026-01-01T00:00:00Z" },
                new JsonObject { ["type"] = "ScaleTargetInitialized", ["status"] = "True", ["lastTransitionTime"] = "2026-01-01T00:00:00Z" }),
        };
    }, status: true);

    // ---- small JSON readers ----

    public static string Str(JsonNode? n, params string[] path)
    {
        foreach (var p in path) n = n?[p];
        return n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
    }

    public static string Condition(JsonObject obj, string type) =>
        (obj["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => Str(c, "type") == type) is { } c ? Str(c, "status") : "";

    public static List<string> IngressHosts(JsonObject ingress, string? visibility = null) =>
        (ingress["spec"]?["rules"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(r => visibility is null || Str(r, "visibility") == visibility)
            .SelectMany(r => (r["hosts"] as JsonArray ?? []).Select(h => h!.GetValue<string>())).ToList();
}
