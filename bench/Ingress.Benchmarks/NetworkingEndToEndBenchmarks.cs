using System.Collections.Concurrent;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Ingress.Api;
using Ingress.Api.Core.V1;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.Api.Meta.V1;
using Ingress.ApiServer;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Typed;
using Ingress.Local.Hosting;
using Ingress.Networking;
using Ingress.Networking.Reconciler;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;
using GatewayModel = Ingress.Api.Istio.Networking.V1Beta1.Gateway;

namespace Ingress.Benchmarks;

/// <summary>
/// The whole networking path against the embedded API server (in memory, real HTTP on loopback): KIngress write →
/// watch → the Istio KIngress controller (<see cref="NetworkingControllers"/>, default options) → VirtualService
/// writes → simulated gateways apply them → the controller's prober sees the new hash on 3 gateway pods (Kestrel on
/// 127.0.0.1–3) → KIngress status Ready → seen through a watch by the benchmark.
/// <para>
/// The simulated gateway is an informer on VirtualServices: the moment an event arrives, the three pods answer probes
/// for its hosts with its hash (as Envoy would once programmed). That moment is the gateways' "apply time"; the
/// benchmark records, per operation, spec change → applied and applied → Ready (the figure the issue bounds), and
/// prints per-operation percentiles (BenchmarkDotNet's own statistics are over iteration means).
/// </para>
/// </summary>
public class NetworkingEndToEndBenchmarks
{
    private const string Ns = "bench";
    private const string SystemNs = "knative-serving";
    private const string GatewayNs = "istio-system";

    private ApiServerHost _server = null!;
    private KubeClient _client = null!;
    private SharedInformerFactory _controllerInformers = null!;
    private SharedInformerFactory _benchInformers = null!;
    private NetworkingControllers _controllers = null!;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<WebApplication> _pods = [];
    /// <summary>What the simulated gateways serve: host → (hash, when it was applied).</summary>
    private readonly ConcurrentDictionary<string, (string Hash, long AppliedAt)> _applied = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Waiters for "this KIngress is Ready at this generation".</summary>
    private readonly ConcurrentDictionary<(string Name, long Generation), TaskCompletionSource<long>> _readyWaiters = new();
    private readonly ConcurrentBag<(double ToApplied, double AppliedToReady, double Total)> _specChanges = [];
    private long _generation = 1;
    private long _otherGeneration = 1;

    /// <summary>Synchronous on purpose: the in-process toolchain did not wait for an async GlobalSetup here.</summary>
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    public async Task SetupAsync()
    {
        _server = new ApiServerHost(new ApiServerOptions { InitialNamespaces = ["default", Ns, SystemNs, GatewayNs] });
        _server.PreloadCustomResourceDefinitions(Renderer.EmbeddedCrds());
        await _server.StartAsync();
        // Writes are not throttled here: 1,000 KIngresses need 3,000-4,000 writes (finalizer, VirtualServices, status),
        // which the client's default 50 QPS alone would spread over 60-80 s (see docs/perf/networking.md).
        _client = new KubeClient(KubeConnection.FromServer(_server.BaseUri), new KubeClientOptions { Qps = 5000, Burst = 10000 });

        foreach (var ip in new[] { "127.0.0.1", "127.0.0.2", "127.0.0.3" })
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Parse(ip), 0));
            var app = builder.Build();
            app.Run(ctx =>
            {
                if (_applied.TryGetValue(ctx.Request.Host.Host, out var served)) ctx.Response.Headers[NetworkingConstants.HashHeaderName] = served.Hash;
                else ctx.Response.StatusCode = 404; // not programmed yet: the prober retries
                return Task.CompletedTask;
            });
            await app.StartAsync();
            _pods.Add(app);
        }
        foreach (var (name, selector) in new[] { ("knative-ingress-gateway", "ingressgateway"), ("knative-local-gateway", "local-gateway") })
        {
            await _client.For<GatewayModel>().CreateAsync(KubeJson.Deserialize<GatewayModel>($$$"""
                {"apiVersion":"networking.istio.io/v1beta1","kind":"Gateway","metadata":{"name":"{{{name}}}","namespace":"{{{SystemNs}}}"},
                 "spec":{"selector":{"istio":"{{{selector}}}"},"servers":[{"hosts":["*"],"port":{"name":"http","number":80,"protocol":"HTTP"}}]}}
                """));
        }
        await _client.For<Service>().CreateAsync(new Service
        {
            Metadata = new ObjectMeta { Name = "istio-ingressgateway", Namespace = GatewayNs, Labels = new() { ["istio"] = "ingressgateway" } },
            Spec = new ServiceSpec { Ports = [new ServicePort { Name = "http2", Port = 80 }] },
        });
        await _client.For<Endpoints>().CreateAsync(new Endpoints
        {
            Metadata = new ObjectMeta { Name = "istio-ingressgateway", Namespace = GatewayNs },
            Subsets = _pods.Select(p => new EndpointsSubset
            {
                Addresses = [new EndpointAddress { Ip = new Uri(p.Urls.First()).Host }],
                Ports = [new EndpointPort { Name = "http2", Port = new Uri(p.Urls.First()).Port }],
            }).ToList(),
        });

        // The simulated gateways, and the benchmark's view of KIngress readiness: informers of their own.
        _benchInformers = new SharedInformerFactory(_client);
        _benchInformers.For<VirtualService>().AddEventHandler(new ResourceEventHandler<VirtualService>
        {
            Add = (vs, _, _) => Apply(vs),
            Update = (_, vs, _, _) => Apply(vs),
        });
        _benchInformers.For<IngressModel>().AddEventHandler(new ResourceEventHandler<IngressModel>
        {
            Add = (ing, _, _) => ObserveReady(ing),
            Update = (_, ing, _, _) => ObserveReady(ing),
        });
        _benchInformers.Start(_stop.Token);
        await _benchInformers.WaitForCacheSyncAsync(_stop.Token);

        _controllerInformers = new SharedInformerFactory(_client);
        _controllers = NetworkingControllers.Register(_client, _controllerInformers);
        _controllerInformers.Start(_stop.Token);
        await _controllerInformers.WaitForCacheSyncAsync(_stop.Token);
        _ = _controllers.RunAsync(_stop.Token);

        await _client.For<IngressModel>().CreateAsync(MakeIngress("hello", "v0"));
        await _client.For<IngressModel>().CreateAsync(MakeIngress("other", "v0", "other.ingress.networking.knative.dev"));
        await WaitReadyAsync("hello", 1);
    }

    private void Apply(VirtualService vs)
    {
        if (vs.Spec?.Http is not { Count: > 0 } http || http[0].Headers?.Request?.Set?.GetValueOrDefault(NetworkingConstants.HashHeaderName) is not { } hash) return;
        var now = Stopwatch.GetTimestamp();
        foreach (var host in vs.Spec.Hosts ?? [])
        {
            _applied.AddOrUpdate(host, (hash, now), (_, old) => old.Hash == hash ? old : (hash, now));
        }
    }

    private void ObserveReady(IngressModel ing)
    {
        var ready = ing.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status == Ingress.Api.Knative.ConditionStatus.True;
        if (!ready || ing.Status!.ObservedGeneration is not { } generation) return;
        if (_readyWaiters.TryRemove((ing.Metadata.Name!, generation), out var waiter)) waiter.TrySetResult(Stopwatch.GetTimestamp());
    }

    private Task<long> WaitReadyAsync(string name, long generation)
    {
        var waiter = _readyWaiters.GetOrAdd((name, generation), _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        // Ready may already have been seen (a fast pass) before the waiter existed.
        if (_benchInformers.For<IngressModel>().Lister.Get(Ns, name) is { } cached) ObserveReady(cached);
        return waiter.Task.WaitAsync(TimeSpan.FromMinutes(2));
    }

    private static IngressModel MakeIngress(string name, string headerValue, string ingressClass = NetworkingConstants.IstioIngressClass) =>
        KubeJson.Deserialize<IngressModel>($$$"""
            {"apiVersion":"networking.internal.knative.dev/v1alpha1","kind":"Ingress",
             "metadata":{"name":"{{{name}}}","namespace":"{{{Ns}}}","annotations":{"networking.knative.dev/ingress.class":"{{{ingressClass}}}"}},
             "spec":{"rules":[{"hosts":["{{{name}}}.{{{Ns}}}.example.com"],"visibility":"ExternalIP","http":{"paths":[
               {"appendHeaders":{"x-bench":"{{{headerValue}}}"},
                "splits":[{"serviceNamespace":"{{{Ns}}}","serviceName":"{{{name}}}-00001","servicePort":80,"percent":100}]}]}}]}}
            """);

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    public async Task CleanupAsync()
    {
        Report();
        await _stop.CancelAsync();
        await _controllers.DisposeAsync();
        await _controllerInformers.DisposeAsync();
        await _benchInformers.DisposeAsync();
        foreach (var pod in _pods) await pod.DisposeAsync();
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private void Report()
    {
        static string P(IEnumerable<double> xs)
        {
            var s = xs.Order().ToArray();
            if (s.Length == 0) return "none";
            double At(double q) => s[Math.Min(s.Length - 1, (int)Math.Ceiling(q * s.Length) - 1)];
            return $"n={s.Length} p50 {At(0.50):F1} ms, p95 {At(0.95):F1} ms, p99 {At(0.99):F1} ms, max {s[^1]:F1} ms";
        }
        if (!_specChanges.IsEmpty)
        {
            Console.WriteLine($"// NET spec change -> gateways applied: {P(_specChanges.Select(x => x.ToApplied))}");
            Console.WriteLine($"// NET gateways applied -> Ready (beyond apply time): {P(_specChanges.Select(x => x.AppliedToReady))}");
            Console.WriteLine($"// NET spec change -> Ready (total): {P(_specChanges.Select(x => x.Total))}");
        }
    }

    /// <summary>Baseline: the same spec write on a KIngress of a class the controller ignores, seen back through a
    /// watch (the API server's and the informer's own floor, no controller work).</summary>
    [Benchmark(Baseline = true)]
    public async Task SpecWriteSeenByWatch()
    {
        var generation = Interlocked.Increment(ref _otherGeneration);
        await _client.For<IngressModel>().PatchAsync(Ns, "other", PatchType.Merge, SpecPatch("other", generation));
        var informer = _benchInformers.For<IngressModel>();
        while (informer.Lister.Get(Ns, "other")?.Metadata.Generation != generation) await Task.Delay(1);
    }

    private static string SpecPatch(string name, long generation) =>
        $$$"""{"spec":{"rules":[{"hosts":["{{{name}}}.{{{Ns}}}.example.com"],"visibility":"ExternalIP","http":{"paths":[{"appendHeaders":{"x-bench":"v{{{generation}}}"},"splits":[{"serviceNamespace":"{{{Ns}}}","serviceName":"{{{name}}}-00001","servicePort":80,"percent":100}]}]}}]}}""";

    /// <summary>
    /// <paramref name="count"/> KIngresses created at once (16 writers); returns when every one is Ready (or, for a class
    /// the controller ignores, when every one is in the benchmark's informer: the API server's share).
    /// </summary>
    public async Task<TimeSpan> CreateManyAsync(string prefix, int count, bool ours)
    {
        var names = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToArray();
        var informer = _benchInformers.For<IngressModel>();
        var started = Stopwatch.GetTimestamp();
        var ready = ours ? names.Select(n => (Task)WaitReadyAsync(n, 1)).ToArray() : [];
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (n, ct) =>
            await _client.For<IngressModel>().CreateAsync(MakeIngress(n, "v1", ours ? NetworkingConstants.IstioIngressClass : "other.ingress.networking.knative.dev"), ct: ct));
        if (ours) await Task.WhenAll(ready);
        else while (names.Any(n => informer.Lister.Get(Ns, n) is null)) await Task.Delay(5);
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Deletes every KIngress named <paramref name="prefix"/>-* and waits until the controller has finalized them all.</summary>
    public async Task DeleteManyAsync(string prefix)
    {
        var informer = _benchInformers.For<IngressModel>();
        var names = informer.Lister.List(Ns).Select(i => i.Metadata.Name!).Where(n => n.StartsWith(prefix + "-", StringComparison.Ordinal)).ToList();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (n, ct) =>
        {
            try { await _client.For<IngressModel>().DeleteAsync(Ns, n, ct: ct); }
            catch (NotFoundException) { }
        });
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 300;
        while (informer.Lister.List(Ns).Any(i => i.Metadata.Name!.StartsWith(prefix + "-", StringComparison.Ordinal)))
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"KIngresses {prefix}-* not finalized after 300 s");
            await Task.Delay(50);
        }
        foreach (var host in _applied.Keys.Where(h => h.StartsWith(prefix + "-", StringComparison.Ordinal))) _applied.TryRemove(host, out _);
    }

    /// <summary>Changes the KIngress spec (an appended header value) and waits until the controller reports it Ready.</summary>
    [Benchmark]
    public async Task SpecChangeToReady()
    {
        var generation = Interlocked.Increment(ref _generation);
        var started = Stopwatch.GetTimestamp();
        var ready = WaitReadyAsync("hello", generation);
        await _client.For<IngressModel>().PatchAsync(Ns, "hello", PatchType.Merge, SpecPatch("hello", generation));
        var readyAt = await ready;
        var applied = _applied[$"hello.{Ns}.example.com"].AppliedAt;
        _specChanges.Add((Stopwatch.GetElapsedTime(started, applied).TotalMilliseconds,
            Stopwatch.GetElapsedTime(applied, readyAt).TotalMilliseconds,
            Stopwatch.GetElapsedTime(started, readyAt).TotalMilliseconds));
    }
}

/// <summary>
/// Console mode <c>networking-thousand [rounds]</c>: 1,000 KIngresses created at once against the set-up of
/// <see cref="NetworkingEndToEndBenchmarks"/> until every one is Ready, and deleted (finalized) between rounds. Baseline in
/// the same run: the same 1,000 creates of a class the controller ignores, seen back through a watch. A console mode
/// because each round needs an untimed clean-up of 1,000 finalized objects, and one figure per round is the result.
/// </summary>
public static class NetworkingThousandIngresses
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = args.Length > 1 && int.TryParse(args[1], out var r) ? r : 3;
        var bench = new NetworkingEndToEndBenchmarks();
        await bench.SetupAsync();
        try
        {
            // Warm-up: JIT, connection pools, the prober's workers.
            await bench.CreateManyAsync("warm", 100, ours: true);
            await bench.DeleteManyAsync("warm");
            var baseline = new List<double>();
            var ready = new List<double>();
            for (var i = 0; i < rounds; i++)
            {
                var b = await bench.CreateManyAsync($"base{i}", 1000, ours: false);
                baseline.Add(b.TotalSeconds);
                await bench.DeleteManyAsync($"base{i}");
                var t = await bench.CreateManyAsync($"r{i}", 1000, ours: true);
                ready.Add(t.TotalSeconds);
                Console.WriteLine($"// NET round {i + 1}: 1,000 KIngresses all Ready in {t.TotalSeconds:F2} s; baseline (1,000 creates of another class seen by a watch) {b.TotalSeconds:F2} s; ratio {t.TotalSeconds / b.TotalSeconds:F1}");
                await bench.DeleteManyAsync($"r{i}");
            }
            Console.WriteLine($"// NET 1,000 KIngresses all Ready: mean {ready.Average():F2} s, max {ready.Max():F2} s; baseline mean {baseline.Average():F2} s; ratio {ready.Average() / baseline.Average():F1}");
            return 0;
        }
        finally
        {
            await bench.CleanupAsync();
        }
    }
}
