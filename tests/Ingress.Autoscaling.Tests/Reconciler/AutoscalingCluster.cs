using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Api.Apps.V1;
using Ingress.Api.Autoscaling.V1Alpha1;
using Ingress.Api.Core.V1;
using Ingress.Api.K8sAutoscaling.V2;
using Ingress.Api.Knative;
using Ingress.Api.Meta.V1;
using Condition = Ingress.Api.Knative.Condition;
using ConditionStatus = Ingress.Api.Knative.ConditionStatus;
using Ingress.Api.Networking.V1Alpha1;
using Ingress.ApiServer;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Reconciler;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Kube.Typed;

namespace Ingress.Autoscaling.Tests.Reconciler;

/// <summary>
/// The embedded API server (real HTTP on 127.0.0.1:0, the project's CRDs preloaded), a client, shared informers
/// and the autoscaling controllers registered on them with a manual clock. Tests create objects, run one
/// reconcile through the real <see cref="KindReconcilerHost{T}"/> and read what was written back from the server.
/// </summary>
public sealed class AutoscalingCluster : IAsyncDisposable
{
    public const string Ns = "default";

    /// <summary>Shared by all clusters of the test run (one Meter; tests filter on their revision tag).</summary>
    public static readonly AutoscalerTelemetry Telemetry = new();
    public static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(3));

    private AutoscalingCluster(ApiServerHost server, KubeClient client, SharedInformerFactory informers, AutoscalingControllers controllers, ManualTimeProvider time)
    {
        Server = server;
        Client = client;
        Informers = informers;
        Controllers = controllers;
        Time = time;
        KpaHost = informers.ReconcilerHost(controllers.KpaReconciler);
        HpaHost = informers.ReconcilerHost<PodAutoscaler>(new HpaReconciler(controllers.Context));
    }

    public ApiServerHost Server { get; }
    public KubeClient Client { get; }
    public SharedInformerFactory Informers { get; }
    public AutoscalingControllers Controllers { get; }
    public ManualTimeProvider Time { get; }
    public KindReconcilerHost<PodAutoscaler> KpaHost { get; }
    public KindReconcilerHost<PodAutoscaler> HpaHost { get; }
    public CancellationToken Token => _stop.Token;

    /// <param name="probeUrl">Where the activator probe goes (tests run a real HTTP server); null: cluster DNS.</param>
    /// <param name="manualClock">False: the system clock (for tests that run the controllers' queues).</param>
    public static async Task<AutoscalingCluster> StartAsync(Func<string, string, bool, Uri>? probeUrl = null, bool manualClock = true)
    {
        var server = new ApiServerHost(new ApiServerOptions { BookmarkInterval = TimeSpan.FromSeconds(1) });
        server.PreloadCustomResourceDefinitions(LoadCrds());
        await server.StartAsync();
        var client = new KubeClient(KubeConnection.FromServer(server.BaseUri));
        var informers = new SharedInformerFactory(client);
        var time = new ManualTimeProvider(Start);
        var controllers = AutoscalingControllers.Register(informers, client, new AutoscalingControllerOptions
        {
            Time = manualClock ? time : TimeProvider.System,
            ActivatorProbeUrl = probeUrl,
            PrivateServiceMetricsUrl = (_, _) => null,
            Telemetry = Telemetry,
        });
        var cluster = new AutoscalingCluster(server, client, informers, controllers, time);
        informers.Start(cluster.Token);
        await informers.WaitForCacheSyncAsync(cluster.Token);
        return cluster;
    }

    /// <summary>The repository's crds/*.yaml, found by walking up from the test's output directory.</summary>
    public static IReadOnlyList<JsonObject> LoadCrds()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "crds"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("crds/ not found above " + AppContext.BaseDirectory);
        return Directory.GetFiles(Path.Combine(dir.FullName, "crds"), "*.yaml")
            .SelectMany(f => KubeYaml.ParseDocuments(File.ReadAllText(f)))
            .Where(o => o["kind"]?.GetValue<string>() == "CustomResourceDefinition")
            .ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Controllers.Dispose();
        await Informers.DisposeAsync();
        Client.Dispose();
        await Server.DisposeAsync();
        _stop.Dispose();
    }

    public Task<ReconcileResult> ReconcileKpaAsync(string name) => KpaHost.ReconcileAsync(ObjectKey.Of(Ns, name), Token);

    public Task<ReconcileResult> ReconcileHpaAsync(string name) => HpaHost.ReconcileAsync(ObjectKey.Of(Ns, name), Token);

    // ---- objects ----

    public async Task<PodAutoscaler> CreatePaAsync(string name, Dictionary<string, string>? annotations = null, string reachability = "Reachable")
    {
        var pa = await Client.For<PodAutoscaler>().CreateAsync(new PodAutoscaler
        {
            Metadata = new ObjectMeta
            {
                Name = name, Namespace = Ns,
                Labels = new() { [ServingKeys.Revision] = name },
                Annotations = annotations ?? new() { [AutoscalingKeys.Class] = AutoscalingAnnotations.KpaClass },
            },
            Spec = new PodAutoscalerSpec
            {
                ScaleTargetRef = new ObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = name + "-deployment" },
                ProtocolType = "http1",
                Reachability = reachability,
            },
        }, ct: Token);
        await CachedAsync(Informers.For<PodAutoscaler>().Lister, pa.Metadata);
        return pa;
    }

    /// <summary>Writes the PA's status (e.g. a state it has been in since some time) and waits for the cache.</summary>
    public async Task SetPaStatusAsync(string name, Action<PodAutoscalerStatus> edit)
    {
        var pa = await Client.For<PodAutoscaler>().GetAsync(Ns, name, Token);
        pa.Status ??= new PodAutoscalerStatus();
        edit(pa.Status);
        var updated = await Client.For<PodAutoscaler>().UpdateStatusAsync(pa, ct: Token);
        await CachedAsync(Informers.For<PodAutoscaler>().Lister, updated.Metadata);
    }

    public async Task CreateDeploymentAsync(string name, int? replicas)
    {
        var d = await Client.For<Deployment>().CreateAsync(new Deployment
        {
            Metadata = new ObjectMeta { Name = name, Namespace = Ns },
            Spec = new DeploymentSpec
            {
                Replicas = replicas,
                Selector = new Api.Meta.V1.LabelSelector { MatchLabels = new() { ["app"] = name } },
                Template = new PodTemplateSpec
                {
                    Metadata = new ObjectMeta { Labels = new() { ["app"] = name } },
                    Spec = new PodSpec { Containers = [new Container { Name = "user-container", Image = "example" }] },
                },
            },
        }, ct: Token);
        await CachedAsync(Informers.For<Deployment>().Lister, d.Metadata);
    }

    public async Task<int?> DeploymentReplicasAsync(string name) =>
        (await Client.For<Deployment>().GetAsync(Ns, name, Token)).Spec?.Replicas;

    public async Task CreatePodAsync(string name, string revision, bool ready, string ip = "10.0.0.1", bool running = true)
    {
        var pods = Client.For<Pod>();
        var pod = await pods.CreateAsync(new Pod
        {
            Metadata = new ObjectMeta { Name = name, Namespace = Ns, Labels = new() { [ServingKeys.Revision] = revision } },
            Spec = new PodSpec { Containers = [new Container { Name = "user-container", Image = "example" }] },
        }, ct: Token);
        pod.Status = new PodStatus
        {
            Phase = running ? "Running" : "Pending",
            PodIP = ip,
            StartTime = Start,
            Conditions = [new PodStatusCondition { Type = "Ready", Status = ready ? "True" : "False" }],
        };
        var updated = await pods.UpdateStatusAsync(pod, ct: Token);
        await CachedAsync(Informers.For<Pod>().Lister, updated.Metadata);
    }

    /// <summary>Plays the SKS reconciler: sets the SKS's service names and conditions.</summary>
    public async Task SetSksStatusAsync(string name, bool ready, DateTimeOffset? activatorEndpointsSince = null)
    {
        var client = Client.For<ServerlessService>();
        var sks = await client.GetAsync(Ns, name, Token);
        sks.Status = new ServerlessServiceStatus
        {
            ServiceName = name,
            PrivateServiceName = name + "-private",
            Conditions =
            [
                new Condition { Type = ServerlessServiceStatus.EndpointsPopulated, Status = ready ? ConditionStatus.True : ConditionStatus.Unknown, LastTransitionTime = Start, Reason = ready ? null : "NoHealthyBackends", Message = ready ? null : "no healthy backends" },
                new Condition { Type = ConditionTypes.Ready, Status = ready ? ConditionStatus.True : ConditionStatus.Unknown, LastTransitionTime = Start, Reason = ready ? null : "NoHealthyBackends", Message = ready ? null : "no healthy backends" },
            ],
        };
        if (activatorEndpointsSince is { } since)
            sks.Status.Conditions.Add(new Condition { Type = ServerlessServiceStatus.ActivatorEndpointsPopulated, Status = ConditionStatus.True, LastTransitionTime = since, Severity = ConditionSeverity.Info });
        var updated = await client.UpdateStatusAsync(sks, ct: Token);
        await CachedAsync(Informers.For<ServerlessService>().Lister, updated.Metadata);
    }

    public async Task CreateSksAsync(ServerlessService sks)
    {
        var created = await Client.For<ServerlessService>().CreateAsync(sks, ct: Token);
        await CachedAsync(Informers.For<ServerlessService>().Lister, created.Metadata);
    }

    public Task<PodAutoscaler> GetPaAsync(string name) => Client.For<PodAutoscaler>().GetAsync(Ns, name, Token);

    public Task<ServerlessService?> GetSksAsync(string name) => Client.For<ServerlessService>().TryGetAsync(Ns, name, Token);

    public Task<Metric?> GetMetricAsync(string name) => Client.For<Metric>().TryGetAsync(Ns, name, Token);

    public Task<HorizontalPodAutoscaler?> GetHpaAsync(string name) => Client.For<HorizontalPodAutoscaler>().TryGetAsync(Ns, name, Token);

    /// <summary>Waits until every listed kind's cache holds what the server holds for the PA's children, so the
    /// next reconcile reads its own writes (the informers are eventually consistent).</summary>
    public async Task SettleAsync(string name)
    {
        await Same(Informers.For<PodAutoscaler>().Lister, await Client.For<PodAutoscaler>().TryGetAsync(Ns, name, Token), name);
        await Same(Informers.For<ServerlessService>().Lister, await Client.For<ServerlessService>().TryGetAsync(Ns, name, Token), name);
        await Same(Informers.For<Metric>().Lister, await Client.For<Metric>().TryGetAsync(Ns, name, Token), name);
        await Same(Informers.For<HorizontalPodAutoscaler>().Lister, await Client.For<HorizontalPodAutoscaler>().TryGetAsync(Ns, name, Token), name);
        await Same(Informers.For<Deployment>().Lister, await Client.For<Deployment>().TryGetAsync(Ns, name + "-deployment", Token), name + "-deployment");
    }

    private static Task Same<T>(Lister<T> lister, T? server, string name) where T : class, IKubernetesObject<T>, new() =>
        server is null
            ? Eventually(() => lister.Get(Ns, name) is null, $"{typeof(T).Name} {name} gone from cache")
            : CachedAsync(lister, server.Metadata);

    private static Task CachedAsync<T>(Lister<T> lister, ObjectMeta meta) where T : class, IKubernetesObject<T>, new() =>
        Eventually(() => AtLeast(lister.Get(meta.Namespace, meta.Name!)?.Metadata.ResourceVersion, meta.ResourceVersion),
            $"{typeof(T).Name} {meta.Name}@{meta.ResourceVersion} in cache");

    /// <summary>The cache holds this version or a later one (running controllers may have written since).</summary>
    private static bool AtLeast(string? cached, string? written) =>
        cached is not null && written is not null && long.TryParse(cached, out var c) && long.TryParse(written, out var w) ? c >= w : cached == written;

    public static async Task Eventually(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {seconds} s: {what}");
            await Task.Delay(10);
        }
    }

    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {seconds} s: {what}");
            await Task.Delay(20);
        }
    }
}

/// <summary>Condition lookups for assertions.</summary>
public static class ConditionAssert
{
    public static Condition Get(IKnativeStatus? status, string type) =>
        status?.Conditions?.FirstOrDefault(c => c.Type == type) ?? throw new Xunit.Sdk.XunitException($"no condition {type}");
}
