using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Api.Core.V1;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.Api.Knative;
using Ingress.Api.Meta.V1;
using Ingress.ApiServer;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Typed;
using Ingress.Networking.Probing;
using Ingress.Networking.Reconciler;
using Ingress.Networking.Tests.Probing;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;
using GatewayModel = Ingress.Api.Istio.Networking.V1Beta1.Gateway;
using ConditionStatus = Ingress.Api.Knative.ConditionStatus;

namespace Ingress.Networking.Tests.Reconciler;

/// <summary>
/// The embedded API server on 127.0.0.1:0 with crds/*.yaml and crds/istio/*.yaml, a client over real HTTP, shared
/// informers and <see cref="NetworkingControllers"/> running. Two Kestrel servers on 127.0.0.2/127.0.0.3 play the
/// istio-ingressgateway pods: the Endpoints object lists them, and they answer probes with whatever hash the test
/// "applies" (what Envoy would serve once it has the VirtualService).
/// </summary>
public sealed class NetworkingCluster : IAsyncDisposable
{
    public const string Ns = "default";
    public const string SystemNs = "knative-serving";
    public const string GatewayNs = "istio-system";

    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(3));
    private Task? _running;

    private NetworkingCluster(ApiServerHost server, KubeClient client, SharedInformerFactory informers, NetworkingControllers controllers, FakeGatewayPod[] pods)
    {
        Server = server;
        Client = client;
        Informers = informers;
        Controllers = controllers;
        Pods = pods;
    }

    public ApiServerHost Server { get; }
    public KubeClient Client { get; }
    public SharedInformerFactory Informers { get; }
    public NetworkingControllers Controllers { get; }
    public FakeGatewayPod[] Pods { get; }
    public CancellationToken Token => _stop.Token;

    public static async Task<NetworkingCluster> StartAsync(bool? fixedProbeAnswer = null, IReadOnlyDictionary<string, string>? configIstio = null)
    {
        var server = new ApiServerHost(new ApiServerOptions { BookmarkInterval = TimeSpan.FromSeconds(1) });
        server.PreloadCustomResourceDefinitions(LoadCrds());
        await server.StartAsync();
        var client = new KubeClient(KubeConnection.FromServer(server.BaseUri));
        FakeGatewayPod[] pods = [await FakeGatewayPod.StartAsync("127.0.0.2", "none-yet"), await FakeGatewayPod.StartAsync("127.0.0.3", "none-yet")];
        await CreateGatewayInfrastructureAsync(client, pods);
        if (configIstio is not null)
        {
            await client.For<ConfigMap>().CreateAsync(new ConfigMap
            {
                Metadata = new ObjectMeta { Name = NetworkingConstants.IstioConfigMapName, Namespace = SystemNs },
                Data = new Dictionary<string, string>(configIstio),
            });
        }
        var informers = new SharedInformerFactory(client);
        var controllers = NetworkingControllers.Register(client, informers, new NetworkingControllerOptions
        {
            FixedProbeAnswer = fixedProbeAnswer,
            Prober = new ProberOptions { Workers = 4 },
        });
        var cluster = new NetworkingCluster(server, client, informers, controllers, pods);
        informers.Start(cluster.Token);
        await informers.WaitForCacheSyncAsync(cluster.Token);
        cluster._running = controllers.RunAsync(cluster.Token);
        return cluster;
    }

    /// <summary>The repository's crds/*.yaml and crds/istio/*.yaml, found by walking up from the output directory.</summary>
    public static IReadOnlyList<JsonObject> LoadCrds()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "crds", "istio"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("crds/istio not found above " + AppContext.BaseDirectory);
        return Directory.GetFiles(Path.Combine(dir.FullName, "crds"), "*.yaml")
            .Concat(Directory.GetFiles(Path.Combine(dir.FullName, "crds", "istio"), "*.yaml"))
            .SelectMany(f => KubeYaml.ParseDocuments(File.ReadAllText(f)))
            .Where(o => o["kind"]?.GetValue<string>() == "CustomResourceDefinition")
            .ToList();
    }

    /// <summary>The shared Gateways (the ones config-istio names), the gateway Service and its Endpoints (one subset per pod).</summary>
    private static async Task CreateGatewayInfrastructureAsync(KubeClient client, FakeGatewayPod[] pods)
    {
        foreach (var (name, selector) in new[] { ("knative-ingress-gateway", "ingressgateway"), ("knative-local-gateway", "local-gateway"), ("other-gateway", "ingressgateway") })
        {
            await client.For<GatewayModel>().CreateAsync(KubeJson.Deserialize<GatewayModel>($$$"""
                {"apiVersion":"networking.istio.io/v1beta1","kind":"Gateway","metadata":{"name":"{{{name}}}","namespace":"{{{SystemNs}}}"},
                 "spec":{"selector":{"istio":"{{{selector}}}"},"servers":[{"hosts":["*"],"port":{"name":"http","number":80,"protocol":"HTTP"}}]}}
                """));
        }
        await client.For<Service>().CreateAsync(new Service
        {
            Metadata = new ObjectMeta { Name = "istio-ingressgateway", Namespace = GatewayNs, Labels = new() { ["istio"] = "ingressgateway" } },
            Spec = new ServiceSpec { Ports = [new ServicePort { Name = "http2", Port = 80 }] },
        });
        await client.For<Endpoints>().CreateAsync(new Endpoints
        {
            Metadata = new ObjectMeta { Name = "istio-ingressgateway", Namespace = GatewayNs },
            Subsets = pods.Select(p => new EndpointsSubset
            {
                Addresses = [new EndpointAddress { Ip = p.IP }],
                Ports = [new EndpointPort { Name = "http2", Port = p.Port }],
            }).ToList(),
        });
    }

    public static IngressModel MakeIngress(string name, string backend = "hello-1", string ingressClass = NetworkingConstants.IstioIngressClass) =>
        KubeJson.Deserialize<IngressModel>($$$"""
            {"apiVersion":"networking.internal.knative.dev/v1alpha1","kind":"Ingress",
             "metadata":{"name":"{{{name}}}","namespace":"{{{Ns}}}","annotations":{"networking.knative.dev/ingress.class":"{{{ingressClass}}}"}},
             "spec":{"rules":[{"hosts":["{{{name}}}.default.example.com"],"visibility":"ExternalIP","http":{"paths":[
               {"splits":[{"serviceNamespace":"{{{Ns}}}","serviceName":"{{{backend}}}","servicePort":80,"percent":100}]}]}},
               {"hosts":["{{{name}}}.default.svc.cluster.local"],"visibility":"ClusterLocal","http":{"paths":[
               {"splits":[{"serviceNamespace":"{{{Ns}}}","serviceName":"{{{backend}}}","servicePort":80,"percent":100}]}]}}]}}
            """);

    public Task<IngressModel> CreateIngressAsync(IngressModel ingress) => Client.For<IngressModel>().CreateAsync(ingress, ct: Token);

    public Task<IngressModel?> GetIngressAsync(string name) => Client.For<IngressModel>().TryGetAsync(Ns, name, Token);

    public Task<VirtualService?> GetVirtualServiceAsync(string name) => Client.For<VirtualService>().TryGetAsync(Ns, name, Token);

    /// <summary>The hash a gateway serving this VirtualService answers with (the probe route's K-Network-Hash).</summary>
    public static string HashOf(VirtualService vs) => vs.Spec!.Http![0].Headers!.Request!.Set![NetworkingConstants.HashHeaderName];

    /// <summary>Every gateway pod now serves <paramref name="hash"/> (as Envoy after applying the VirtualService).</summary>
    public void ApplyOnGateways(string hash)
    {
        foreach (var pod in Pods) pod.Hash = hash;
    }

    public static Api.Knative.Condition? ConditionOf(IngressModel? ingress, string type) =>
        ingress?.Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    public static bool IsReady(IngressModel? ingress) =>
        ingress is not null && ConditionOf(ingress, ConditionTypes.Ready)?.Status == ConditionStatus.True
        && ingress.Status!.ObservedGeneration == ingress.Metadata.Generation;

    /// <summary>Polls the API server until <paramref name="condition"/> holds (30 s, generous for a shared machine).</summary>
    public async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        T value = await read();
        while (!condition(value))
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"timed out waiting for {what}");
            await Task.Delay(50, Token);
            value = await read();
        }
        return value;
    }

    public async Task<IReadOnlyList<Event>> EventsAboutAsync(string ns, string name) =>
        (await Client.For<Event>().ListAllAsync(ns, new ListOptions(FieldSelector: $"involvedObject.name={name}"), Token)).Items;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is not null)
        {
            try { await _running; } catch (OperationCanceledException) { }
        }
        await Controllers.DisposeAsync();
        await Informers.DisposeAsync();
        Client.Dispose();
        foreach (var pod in Pods) await pod.DisposeAsync();
        await Server.DisposeAsync();
        _stop.Dispose();
    }
}
