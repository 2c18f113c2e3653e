using System.Diagnostics;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Ingress.ApiServer;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Kube.Queue;
using Ingress.Kube.Typed;
using KnativeService = Ingress.Api.Serving.V1.Service;

namespace Ingress.Benchmarks;

/// <summary>Percentile columns for latency benchmarks (BenchmarkDotNet has no P99; P100 bounds it).</summary>
public sealed class KubeLatencyConfig : ManualConfig
{
    public KubeLatencyConfig()
    {
        AddColumn(StatisticColumn.P95, StatisticColumn.P100);
    }
}

/// <summary>
/// A no-op reconcile through the whole host: enqueue → work queue → worker → reconciler → Done, with
/// the log scope, metrics and the result line. Baseline: a bare Task.Run hand-off to a waiting task.
/// </summary>
[Config(typeof(KubeLatencyConfig))]
[MemoryDiagnoser]
public class KubeReconcileBenchmarks
{
    private sealed class Signal : IReconciler
    {
        public TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct)
        {
            Done.TrySetResult();
            return Task.FromResult(ReconcileResult.Done);
        }
    }

    private readonly Signal _signal = new();
    private Controller _controller = null!;
    private CancellationTokenSource _cts = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cts = new CancellationTokenSource();
        _controller = new Controller(new ControllerOptions { Name = "bench-noop", Workers = 2 }, _signal);
        _ = _controller.RunAsync(_cts.Token);
    }

    // BenchmarkDotNet's percentiles are over iteration means; these are per operation.
    private readonly List<double> _perOpMicros = new(1 << 20);

    [GlobalCleanup]
    public void Cleanup()
    {
        _cts.Cancel();
        if (_perOpMicros.Count == 0) return;
        _perOpMicros.Sort();
        double P(double q) => _perOpMicros[Math.Min(_perOpMicros.Count - 1, (int)(q * _perOpMicros.Count))];
        Console.WriteLine($"// KUBE no-op reconcile per operation over {_perOpMicros.Count} ops: p50 {P(0.50):F1} us, p99 {P(0.99):F1} us, p99.9 {P(0.999):F1} us, max {_perOpMicros[^1]:F1} us");
        _perOpMicros.Clear();
    }

    [Benchmark(Baseline = true)]
    public async Task TaskHandOff()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(() => tcs.TrySetResult());
        await tcs.Task;
    }

    [Benchmark]
    public async Task NoOpReconcile()
    {
        var start = Stopwatch.GetTimestamp();
        _signal.Done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _controller.Enqueue("default/hello");
        await _signal.Done.Task;
        if (_perOpMicros.Count < _perOpMicros.Capacity) _perOpMicros.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
    }
}

/// <summary>
/// Latency of one changed key while a resync of 10,000 keys is under way (each reconcile spends ~20 µs).
/// Baseline: the same with a single lane (the resync keys added like real changes), i.e. without the slow lane.
/// </summary>
[Config(typeof(KubeLatencyConfig))]
public class KubeLaneBenchmarks
{
    private sealed class Busy : IReconciler
    {
        public volatile TaskCompletionSource Changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct)
        {
            if (key == "default/changed")
            {
                Changed.TrySetResult();
            }
            else
            {
                var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 50_000;
                while (Stopwatch.GetTimestamp() < until) { }
            }
            return Task.FromResult(ReconcileResult.Done);
        }
    }

    private static readonly string[] ResyncKeys = Enumerable.Range(0, 10_000).Select(i => $"default/svc-{i}").ToArray();
    private readonly Busy _busy = new();
    private Controller _controller = null!;
    private CancellationTokenSource _cts = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cts = new CancellationTokenSource();
        _controller = new Controller(new ControllerOptions { Name = "bench-lanes", Workers = 2 }, _busy);
        _ = _controller.RunAsync(_cts.Token);
    }

    [GlobalCleanup]
    public void Cleanup() => _cts.Cancel();

    private async Task Run(QueueLane resyncLane)
    {
        _busy.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        foreach (var k in ResyncKeys) _controller.Queue.Add(k, resyncLane);
        _controller.Enqueue("default/changed");
        await _busy.Changed.Task;
    }

    [Benchmark(Baseline = true)]
    public Task ChangedKeyBehindSingleLaneResync() => Run(QueueLane.Fast);

    [Benchmark]
    public Task ChangedKeyDuringSlowLaneResync() => Run(QueueLane.Slow);

    [IterationCleanup]
    public void Drain()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (_controller.Queue.Count > 0 && DateTime.UtcNow < deadline) Thread.Sleep(10);
    }
}

/// <summary>
/// Initial sync of 10,000 Knative Services from the embedded API server (in memory, real HTTP on
/// loopback) into a typed shared informer. Baseline: one GET of the same list, body read and discarded.
/// GlobalSetup also prints the memory the typed and the dynamic caches retain.
/// </summary>
public class KubeInformerBenchmarks
{
    private const int Count = 10_000;
    private ApiServerHost _server = null!;
    private KubeClient _client = null!;
    private HttpClient _http = null!;

    public static JsonObject KsvcCrd() => new()
    {
        ["apiVersion"] = "apiextensions.k8s.io/v1", ["kind"] = "CustomResourceDefinition",
        ["metadata"] = new JsonObject { ["name"] = "services.serving.knative.dev" },
        ["spec"] = new JsonObject
        {
            ["group"] = "serving.knative.dev",
            ["names"] = new JsonObject { ["kind"] = "Service", ["plural"] = "services", ["singular"] = "service", ["shortNames"] = new JsonArray("ksvc") },
            ["scope"] = "Namespaced",
            ["versions"] = new JsonArray(new JsonObject
            {
                ["name"] = "v1", ["served"] = true, ["storage"] = true, ["subresources"] = new JsonObject { ["status"] = new JsonObject() },
                ["schema"] = new JsonObject { ["openAPIV3Schema"] = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true } },
            }),
        },
    };

    /// <summary>A realistic ksvc: labels, annotations, a container with env and resources, traffic, a Ready status.</summary>
    public static JsonObject Ksvc(int i) => JsonNode.Parse($$$$"""
        {"apiVersion":"serving.knative.dev/v1","kind":"Service",
         "metadata":{"name":"svc-{{{{i}}}}","namespace":"ns-{{{{i % 50}}}}","labels":{"app":"svc-{{{{i}}}}","team":"t{{{{i % 7}}}}"},
           "annotations":{"serving.knative.dev/creator":"dev@example.com","serving.knative.dev/lastModifier":"dev@example.com"}},
         "spec":{"template":{"metadata":{"annotations":{"autoscaling.knative.dev/target":"100"}},
           "spec":{"containerConcurrency":0,"timeoutSeconds":300,"containers":[{"image":"registry.example.com/app/svc-{{{{i}}}}@sha256:4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c",
             "ports":[{"containerPort":8080,"name":"http1"}],"env":[{"name":"TARGET","value":"World {{{{i}}}}"},{"name":"LOG_LEVEL","value":"info"}],
             "resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"memory":"256Mi"}},
             "readinessProbe":{"successThreshold":1,"tcpSocket":{"port":0}}}]}},
           "traffic":[{"latestRevision":true,"percent":100}]},
         "status":{"observedGeneration":1,"url":"http://svc-{{{{i}}}}.ns-{{{{i % 50}}}}.example.com","latestCreatedRevisionName":"svc-{{{{i}}}}-00001","latestReadyRevisionName":"svc-{{{{i}}}}-00001",
           "address":{"url":"http://svc-{{{{i}}}}.ns-{{{{i % 50}}}}.svc.cluster.local"},
           "traffic":[{"revisionName":"svc-{{{{i}}}}-00001","latestRevision":true,"percent":100}],
           "conditions":[{"type":"ConfigurationsReady","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"},
                         {"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"},
                         {"type":"RoutesReady","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}
        """)!.AsObject();

    /// <summary>Synchronous on purpose: BenchmarkDotNet 0.14's in-process toolchain does not wait for an async
    /// GlobalSetup, so the benchmarks ran while objects were still being created and the memory was measured with
    /// forced GCs in the middle of the timed sync (the source of the earlier 68.6 MB and 4.3 s outliers).</summary>
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _server = new ApiServerHost(new ApiServerOptions { InitialNamespaces = Enumerable.Range(0, 50).Select(i => $"ns-{i}").Append("default").ToList() });
        _server.PreloadCustomResourceDefinitions([KsvcCrd()]);
        await _server.StartAsync();
        _client = new KubeClient(KubeConnection.FromServer(_server.BaseUri), new KubeClientOptions { Qps = 100_000, Burst = 100_000 });
        _http = new HttpClient { BaseAddress = _server.BaseUri };
        var ksvcs = _client.Dynamic(TypedKinds.Descriptor<KnativeService>());
        await Parallel.ForEachAsync(Enumerable.Range(0, Count), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (i, ct) => await ksvcs.CreateAsync(Ksvc(i), null, ct));

        // Retained memory of the cache alone (objects, headers, indexes), built by the informer's own decode
        // (typed: through StringPool, as SharedInformer does) and indexer, so the in-process API server's buffers
        // do not blur the figure. Each item is its own small JSON document, as in the informer's 500-item pages:
        // one 15 MB document for the whole list would rent ~30 MB of metadata from the shared ArrayPool, which
        // keeps it after Dispose and trims it at some later GC, so it used to land in either side of the difference.
        // One warm-up build first (pools, JIT, the interning options), then the median of 3.
        var body = await _http.GetByteArrayAsync("/apis/serving.knative.dev/v1/services");
        var items = new List<byte[]>(Count);
        using (var doc = System.Text.Json.JsonDocument.Parse(body))
        {
            foreach (var item in doc.RootElement.GetProperty("items").EnumerateArray()) items.Add(System.Text.Encoding.UTF8.GetBytes(item.GetRawText()));
        }
        var typedInformerDecode = _client.Resource(TypedKinds.Descriptor<KnativeService>(), StringPool.Interning(Ingress.Api.KubeJson.GetTypeInfo<KnativeService>()));
        var typedPlainDecode = _client.For<KnativeService>();
        var dynamic = _client.Dynamic(TypedKinds.Descriptor<KnativeService>());
        Console.WriteLine($"// KUBE cache retained bytes, typed Service x {Count} (informer's decode, strings pooled): {Median(() => Retained(items, typedInformerDecode))}");
        Console.WriteLine($"// KUBE cache retained bytes, typed Service x {Count} (plain decode, no string pool): {Median(() => Retained(items, typedPlainDecode))}");
        Console.WriteLine($"// KUBE cache retained bytes, dynamic JsonObject x {Count}: {Median(() => Retained(items, dynamic))}");
        Console.WriteLine($"// KUBE list items JSON bytes: {items.Sum(i => (long)i.Length)}");
    }

    private static long Median(Func<long> f)
    {
        f(); // warm-up
        var xs = Enumerable.Range(0, 3).Select(_ => f()).Order().ToArray();
        return xs[1];
    }

    private static long Retained<T>(List<byte[]> items, ResourceClient<T> client) where T : class
    {
        var before = Settle();
        var indexer = new Indexer<T>();
        foreach (var item in items)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(item);
            var (obj, header) = client.Decode(doc.RootElement);
            if (obj is Ingress.Api.IKubernetesObject k) k.Metadata.ManagedFields = null;
            indexer.Upsert(new CacheEntry<T>(obj, header));
        }
        var after = Settle();
        GC.KeepAlive(indexer);
        return after - before;
    }

    private static long Settle()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _http.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public async Task<long> RawListGet()
    {
        var bytes = await _http.GetByteArrayAsync("/apis/serving.knative.dev/v1/services");
        return bytes.LongLength;
    }

    [Benchmark]
    public async Task<int> TypedInformerInitialSync()
    {
        await using var factory = new SharedInformerFactory(_client);
        var informer = factory.For<KnativeService>();
        factory.Start();
        await factory.WaitForCacheSyncAsync(CancellationToken.None);
        return informer.Indexer.Count;
    }
}
