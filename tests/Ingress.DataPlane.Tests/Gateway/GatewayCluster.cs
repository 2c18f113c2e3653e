using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Api.Core.V1;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.ApiServer;
using Ingress.DataPlane.Gateway;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Typed;
using IstioGateway = Ingress.Api.Istio.Networking.V1Beta1.Gateway;

namespace Ingress.DataPlane.Tests.Gateway;

/// <summary>
/// The embedded API server (127.0.0.1:0, crds/*.yaml and crds/istio/*.yaml preloaded), a client, informers and a
/// <see cref="LocalGateway"/> on OS-chosen ports, plus helpers that create Services/Endpoints pointing at real
/// loopback backends.
/// </summary>
public sealed class GatewayCluster : IAsyncDisposable
{
    public const string IngressGateway = "knative-serving/knative-ingress-gateway";
    public const string LocalGatewayName = "knative-serving/knative-local-gateway";

    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(3));

    private GatewayCluster(ApiServerHost server, KubeClient client, SharedInformerFactory informers, LocalGateway gateway)
    {
        Server = server;
        Client = client;
        Informers = informers;
        Gateway = gateway;
    }

    public ApiServerHost Server { get; }
    public KubeClient Client { get; }
    public SharedInformerFactory Informers { get; }
    public LocalGateway Gateway { get; }
    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<GatewayCluster> StartAsync()
    {
        var server = new ApiServerHost(new ApiServerOptions { BookmarkInterval = TimeSpan.FromSeconds(1) });
        server.PreloadCustomResourceDefinitions(LoadCrds());
        await server.StartAsync();
        var client = new KubeClient(KubeConnection.FromServer(server.BaseUri));
        var informers = new SharedInformerFactory(client);
        var resolver = new KubeDestinationResolver(informers.For<Service>(), informers.For<Endpoints>());
        var gateway = new LocalGateway(new LocalGatewayOptions { HttpPort = 0, LocalHttpPort = 0 },
            informers.For<VirtualService>(), informers.For<IstioGateway>(), resolver);
        var cluster = new GatewayCluster(server, client, informers, gateway);
        informers.Start(cluster._stop.Token);
        await informers.WaitForCacheSyncAsync(cluster._stop.Token);
        await gateway.StartAsync(cluster._stop.Token);
        return cluster;
    }

    public static IReadOnlyList<JsonObject> LoadCrds()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "crds", "istio"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("crds/ not found above " + AppContext.BaseDirectory);
        return Directory.GetFiles(Path.Combine(dir.FullName, "crds"), "*.yaml")
            .Concat(Directory.GetFiles(Path.Combine(dir.FullName, "crds", "istio"), "*.yaml"))
            .SelectMany(f => KubeYaml.ParseDocuments(File.ReadAllText(f)))
            .Where(o => o["kind"]?.GetValue<string>() == "CustomResourceDefinition")
            .ToList();
    }

    /// <summary>Creates a Gateway with one HTTP server on port 80 and waits for its listener.</summary>
    public async Task<int> CreateGatewayAsync(string key)
    {
        var (ns, name) = (key.Split('/')[0], key.Split('/')[1]);
        await Client.For<IstioGateway>().CreateAsync(KubeJson.FromYaml<IstioGateway>($"""
            metadata: {"{"}name: {name}, namespace: {ns}{"}"}
            spec:
              selector: {"{"}istio: ingressgateway{"}"}
              servers:
              - hosts: ["*"]
                port: {"{"}name: http, number: 80, protocol: HTTP{"}"}
            """));
        return await WaitForAsync(() => Gateway.PortOf(key, 80), "gateway listener " + key);
    }

    /// <summary>A Service <paramref name="name"/> (port 80 named http) whose Endpoints are the given loopback backends.</summary>
    public async Task CreateServiceAsync(string ns, string name, params TestBackend[] backends)
    {
        await Client.For<Service>().CreateAsync(KubeJson.FromYaml<Service>($$"""
            metadata: {name: {{name}}, namespace: {{ns}}}
            spec:
              ports: [{name: http, port: 80, targetPort: 8012}]
            """));
        await SetEndpointsAsync(ns, name, backends);
    }

    public async Task SetEndpointsAsync(string ns, string name, params TestBackend[] backends)
    {
        var endpoints = new Endpoints
        {
            Metadata = new() { Name = name, Namespace = ns },
            Subsets = backends.GroupBy(b => b.Port).Select(g => new EndpointsSubset
            {
                Addresses = [new EndpointAddress { Ip = "127.0.0.1" }],
                Ports = [new EndpointPort { Name = "http", Port = g.Key }],
            }).ToList(),
        };
        var existing = await Client.For<Endpoints>().TryGetAsync(ns, name);
        if (existing is null) await Client.For<Endpoints>().CreateAsync(endpoints);
        else
        {
            endpoints.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
            await Client.For<Endpoints>().UpdateAsync(endpoints);
        }
    }

    public Task<VirtualService> ApplyVirtualServiceAsync(string yaml) => Client.For<VirtualService>().CreateAsync(KubeJson.FromYaml<VirtualService>(yaml));

    public async Task<HttpResponseMessage> GetAsync(int port, string host, string path = "/", params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{path}");
        request.Headers.Host = host;
        foreach (var (n, v) in headers) request.Headers.TryAddWithoutValidation(n, v);
        return await Http.SendAsync(request, _stop.Token);
    }

    /// <summary>Polls (the gateway follows the API server asynchronously) until <paramref name="condition"/> holds or 30 s pass.</summary>
    public static async Task<T> WaitForAsync<T>(Func<T?> probe, string what) where T : struct
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (probe() is { } value) return value;
            if (DateTime.UtcNow > until) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await _stop.CancelAsync();
        await Informers.DisposeAsync();
        Http.Dispose();
        await Server.DisposeAsync();
        _stop.Dispose();
    }
}
