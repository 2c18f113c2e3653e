using System.Net;
using BenchmarkDotNet.Attributes;
using Ingress.DataPlane.Activator;
using Ingress.DataPlane.Hosting;
using Ingress.DataPlane.QueueProxy;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ingress.Benchmarks;

/// <summary>
/// Closed-loop cost of one request through the in-process proxies (local mode's shape): direct to a trivial
/// Kestrel app, through a queue-proxy, and through activator + queue-proxy. All on loopback with real sockets.
/// Run: <c>dotnet run -c Release --project bench/Ingress.Benchmarks -- --filter '*ProxyHop*' --job short</c>.
/// The difference between the rows is the proxy hop's latency on this machine.
/// </summary>
[MemoryDiagnoser]
public class ProxyHopBenchmarks
{
    private static readonly byte[] Ok = "ok\n"u8.ToArray();
    private KestrelHost _app = null!;
    private QueueProxyServer _queueProxy = null!;
    private ActivatorServer _activator = null!;
    private HttpClient _client = null!;
    private Uri _direct = null!, _viaQueueProxy = null!, _viaActivator = null!;

    private sealed class NullSink : IAutoscalerStatSink
    {
        public void Send(IReadOnlyList<Ingress.Api.Metrics.WireStatMessage> stats) { }
    }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _app = new KestrelHost([ListenEndpoint.Loopback(0, HttpProtocols.Http1)], context =>
        {
            context.Response.ContentLength = Ok.Length;
            return context.Response.Body.WriteAsync(Ok, 0, Ok.Length);
        });
        await _app.StartAsync();
        _queueProxy = new QueueProxyServer(new QueueProxyOptions
        {
            ListenAddress = IPAddress.Loopback,
            ServingPort = 0, H2cPort = 0, AdminPort = 0, MetricsPort = 0, UserMetricsPort = 0,
            UserPort = _app.Ports[0],
        });
        await _queueProxy.StartAsync();
        var backends = new InMemoryRevisionBackends();
        var key = new RevisionKey("default", "bench");
        backends.Set(new RevisionBackend { Key = key, PodAddresses = [$"127.0.0.1:{_queueProxy.ServingPort}"] });
        _activator = new ActivatorServer(new ActivatorOptions { ListenAddress = IPAddress.Loopback, HttpPort = 0, H2cPort = 0 }, backends, new NullSink());
        await _activator.StartAsync();
        _client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        _direct = new Uri($"http://127.0.0.1:{_app.Ports[0]}/");
        _viaQueueProxy = new Uri($"http://127.0.0.1:{_queueProxy.ServingPort}/");
        _viaActivator = new Uri($"http://127.0.0.1:{_activator.HttpPort}/");
        _client.DefaultRequestHeaders.Host = "bench.default.svc.cluster.local";
        // The activator probes the pod before the first request can pass.
        using var first = await _client.GetAsync(_viaActivator);
        first.EnsureSuccessStatusCode();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _client.Dispose();
        await _activator.DisposeAsync();
        await _queueProxy.DisposeAsync();
        await _app.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    public Task<byte[]> Direct() => _client.GetByteArrayAsync(_direct);

    [Benchmark]
    public Task<byte[]> ViaQueueProxy() => _client.GetByteArrayAsync(_viaQueueProxy);

    [Benchmark]
    public Task<byte[]> ViaActivatorAndQueueProxy() => _client.GetByteArrayAsync(_viaActivator);
}
