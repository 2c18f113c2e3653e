using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Ingress.Networking.Probing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ingress.Benchmarks;

/// <summary>
/// The prober's share of "1,000 KIngresses created at once, all Ready ≤ 10 s": 1,000 new hashes probed on 3 gateway
/// pods (Kestrel on 127.0.0.1–3) that already serve them, until the last ready callback. Baseline: 1 KIngress.
/// The API server and reconciler parts are not in this figure (they are not built yet).
/// </summary>
public class NetworkingScaleBenchmarks
{
    private readonly List<WebApplication> _pods = [];
    private readonly ConcurrentDictionary<string, string> _hashByHost = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(string IP, int Port)> _endpoints = [];
    private IngressProber _prober = null!;
    private int _pending;
    private TaskCompletionSource _allReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _round;

    [GlobalSetup]
    public void Setup()
    {
        foreach (var ip in new[] { "127.0.0.1", "127.0.0.2", "127.0.0.3" })
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Parse(ip), 0));
            var app = builder.Build();
            app.Run(ctx =>
            {
                if (_hashByHost.TryGetValue(ctx.Request.Host.Host, out var hash)) ctx.Response.Headers["K-Network-Hash"] = hash;
                else ctx.Response.StatusCode = 404;
                return Task.CompletedTask;
            });
            app.StartAsync().GetAwaiter().GetResult();
            _pods.Add(app);
            _endpoints.Add((ip, new Uri(app.Urls.First()).Port));
        }
        _prober = new IngressProber(new PerHostTargets(_endpoints), _ =>
        {
            if (Interlocked.Decrement(ref _pending) == 0) _allReady.TrySetResult();
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _prober.DisposeAsync().AsTask().GetAwaiter().GetResult();
        foreach (var pod in _pods) pod.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public Task OneIngressReady() => Round(1);

    [Benchmark]
    public Task ThousandIngressesReady() => Round(1000);

    private async Task Round(int count)
    {
        var round = Interlocked.Increment(ref _round);
        _allReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending = count;
        var subjects = new ProbeSubject[count];
        for (var i = 0; i < count; i++)
        {
            var hash = (round * 10_000 + i).ToString("x64");
            subjects[i] = new ProbeSubject("bench", $"ing-{i}", round, hash, []);
            _hashByHost[$"ing-{i}.bench.example.com"] = hash; // the gateways already serve every new VirtualService
        }
        var immediate = 0;
        foreach (var subject in subjects)
            if (await _prober.IsReadyAsync(subject)) immediate++;
        if (immediate > 0 && Interlocked.Add(ref _pending, -immediate) == 0) _allReady.TrySetResult();
        await _allReady.Task;
    }

    private sealed class PerHostTargets(List<(string IP, int Port)> endpoints) : IProbeTargetSource
    {
        public ValueTask<IReadOnlyList<ProbeTarget>> ListTargetsAsync(ProbeSubject subject, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<ProbeTarget>>(endpoints.Select(e =>
                new ProbeTarget([e.IP], e.Port, 80, $"http://{subject.Name}.{subject.Namespace}.example.com:80")).ToArray());
    }
}
