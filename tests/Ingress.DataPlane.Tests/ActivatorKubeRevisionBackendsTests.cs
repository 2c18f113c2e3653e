using Ingress.Api;
using Ingress.Api.Core.V1;
using Ingress.Api.Serving.V1;
using Ingress.ApiServer;
using Ingress.DataPlane.Activator;
using Ingress.DataPlane.Proxy;
using Ingress.DataPlane.Tests.Gateway;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Typed;

namespace Ingress.DataPlane.Tests;

/// <summary><see cref="KubeRevisionBackends"/> fed by informers from the embedded API server.</summary>
public sealed class ActivatorKubeRevisionBackendsTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(2));
    private ApiServerHost _server = null!;
    private KubeClient _client = null!;
    private SharedInformerFactory _informers = null!;
    private KubeRevisionBackends _backends = null!;
    private readonly List<RevisionKey> _changes = [];

    public async Task InitializeAsync()
    {
        _server = new ApiServerHost(new ApiServerOptions());
        _server.PreloadCustomResourceDefinitions(GatewayCluster.LoadCrds());
        await _server.StartAsync();
        _client = new KubeClient(KubeConnection.FromServer(_server.BaseUri));
        _informers = new SharedInformerFactory(_client);
        _backends = new KubeRevisionBackends(_informers.For<Revision>(), _informers.For<Endpoints>(), new KubeRevisionBackendsOptions { ActivatorIp = "10.1.0.2" });
        _backends.Changed += k => { lock (_changes) _changes.Add(k); };
        _informers.Start(_stop.Token);
        await _informers.WaitForCacheSyncAsync(_stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _informers.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    private Task CreateEndpointsAsync(string name, string? revisionLabel, string[] ready, string[] notReady, string portName, int port) =>
        _client.For<Endpoints>().CreateAsync(new Endpoints
        {
            Metadata = new() { Name = name, Namespace = "default", Labels = revisionLabel is null ? null : new() { ["serving.knative.dev/revision"] = revisionLabel } },
            Subsets = [new EndpointsSubset
            {
                Addresses = ready.Select(ip => new EndpointAddress { Ip = ip }).ToList(),
                NotReadyAddresses = notReady.Length == 0 ? null : notReady.Select(ip => new EndpointAddress { Ip = ip }).ToList(),
                Ports = [new EndpointPort { Name = portName, Port = port }, new EndpointPort { Name = "http-autometric", Port = 9090 }],
            }],
        });

    [Fact]
    public async Task RevisionAndPrivateEndpointsBecomeABackend()
    {
        var key = new RevisionKey("default", "hello-00001");
        Assert.Null(_backends.Get(key));

        await _client.For<Revision>().CreateAsync(KubeJson.FromYaml<Revision>("""
            metadata: {name: hello-00001, namespace: default}
            spec:
              containerConcurrency: 2
              timeoutSeconds: 10
              responseStartTimeoutSeconds: 3
              containers: [{image: example.com/hello, ports: [{containerPort: 8080}]}]
            """));
        await CreateEndpointsAsync("hello-00001-private", "hello-00001", ["10.0.0.2", "10.0.0.1"], ["10.0.0.3"], "http", 8012);
        await CreateEndpointsAsync("hello-00001", "hello-00001", ["10.1.0.3", "10.1.0.2", "10.1.0.1"], [], "http", 8012);

        await EventuallyAsync(() => _backends.Get(key) is { PodAddresses.Count: 3, ActivatorCount: 3 }, "pods and activators");
        var backend = _backends.Get(key)!;
        Assert.Equal(2, backend.ContainerConcurrency);
        Assert.Equal(new RequestTimeouts(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3), TimeSpan.Zero), backend.Timeouts);
        Assert.Equal(UpstreamProtocol.MatchDownstream, backend.Protocol);
        Assert.Equal(["10.0.0.1:8012", "10.0.0.2:8012", "10.0.0.3:8012"], backend.PodAddresses);
        Assert.Equal(1, backend.ActivatorIndex); // 10.1.0.2 is second of the sorted activator IPs
        lock (_changes) Assert.Contains(key, _changes);

        // A pod goes away: the cached answer is dropped and Changed fires.
        var eps = await _client.For<Endpoints>().GetAsync("default", "hello-00001-private");
        eps.Subsets![0].NotReadyAddresses = null;
        await _client.For<Endpoints>().UpdateAsync(eps);
        await EventuallyAsync(() => _backends.Get(key)?.PodAddresses.Count == 2, "the pod removal");

        await _client.For<Revision>().DeleteAsync("default", "hello-00001");
        await EventuallyAsync(() => _backends.Get(key) is null, "the revision deletion");
    }

    [Fact]
    public async Task H2cRevisionUsesTheH2cPortAndHttp2()
    {
        var key = new RevisionKey("default", "grpc-00001");
        await _client.For<Revision>().CreateAsync(KubeJson.FromYaml<Revision>("""
            metadata: {name: grpc-00001, namespace: default}
            spec:
              containers: [{image: example.com/grpc, ports: [{name: h2c, containerPort: 8080}]}]
            """));
        await CreateEndpointsAsync("grpc-00001-private", "grpc-00001", ["10.0.0.9"], [], "h2c", 8013);
        await EventuallyAsync(() => _backends.Get(key) is { PodAddresses.Count: 1 }, "the h2c pod");
        var backend = _backends.Get(key)!;
        Assert.Equal(UpstreamProtocol.Http2, backend.Protocol);
        Assert.Equal(["10.0.0.9:8013"], backend.PodAddresses);
        Assert.Equal(0, backend.ContainerConcurrency);
        Assert.Equal(TimeSpan.FromSeconds(300), backend.Timeouts.Total);
        Assert.Equal((-1, 1), (backend.ActivatorIndex, backend.ActivatorCount)); // no public Endpoints listing us
    }
}
