using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Ingress.ApiServer;
using Ingress.ApiServer.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Benchmarks;

internal static class ApiServerBench
{
    public static StringContent ConfigMap(string name) =>
        new($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","labels":{"app":"bench"}},"data":{"key":"value"}}""", Encoding.UTF8, "application/json");

    public static HttpClient Client(Uri baseUri) => new(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = baseUri };

    public static async Task PostManyAsync(HttpClient http, string prefix, int count, int concurrency)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                using var r = await http.PostAsync("/api/v1/namespaces/default/configmaps", ConfigMap($"{prefix}-{i}"));
                if (r.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"POST returned {r.StatusCode}");
            }
        }));
    }
}

/// <summary>Small-object creates over HTTP with 64 concurrent clients: durable (WAL + fsync, group commit)
/// against the in-memory baseline. One invocation = 1,000 creates.</summary>
public class ApiServerWriteBenchmarks
{
    private const int Writes = 1000;
    private ApiServerHost _durable = null!, _memory = null!;
    private HttpClient? _durableHttp, _memoryHttp;
    private string _dir = null!;
    private int _round;

    // Synchronous on purpose: BenchmarkDotNet's in-process toolchain does not await Task-returning setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        if (_durableHttp is not null) return;
        _dir = Directory.CreateTempSubdirectory("apiserver-bench-").FullName;
        _durable = new ApiServerHost(new ApiServerOptions { DataDirectory = _dir });
        _memory = new ApiServerHost();
        await _durable.StartAsync();
        await _memory.StartAsync();
        _durableHttp = ApiServerBench.Client(_durable.BaseUri);
        _memoryHttp = ApiServerBench.Client(_memory.BaseUri);
    }

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        if (_durableHttp is null) return;
        await _durable.DisposeAsync();
        await _memory.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Writes)]
    public async Task InMemoryCreate()
    {
        await ApiServerBench.PostManyAsync(_memoryHttp!, $"m{_round++}", Writes, 64);
    }

    [Benchmark(OperationsPerInvoke = Writes)]
    public async Task DurableCreate()
    {
        await ApiServerBench.PostManyAsync(_durableHttp!, $"d{_round++}", Writes, 64);
    }
}

/// <summary>Listing a namespace of 10,000 ConfigMaps over HTTP, against listing 100.</summary>
public class ApiServerListBenchmarks
{
    private ApiServerHost _host = null!;
    private HttpClient _http = null!;

    // Synchronous on purpose: BenchmarkDotNet's in-process toolchain does not await Task-returning setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _host = new ApiServerHost();
        await _host.StartAsync();
        _http = ApiServerBench.Client(_host.BaseUri);
        await _http.PostAsync("/api/v1/namespaces", new StringContent("""{"metadata":{"name":"small"}}""", Encoding.UTF8, "application/json"));
        await ApiServerBench.PostManyAsync(_http, "big", 10_000, 32);
        for (var i = 0; i < 100; i++) await _http.PostAsync("/api/v1/namespaces/small/configmaps", ApiServerBench.ConfigMap($"s{i}"));
    }

    [GlobalCleanup]
    public void Cleanup() => _host.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public async Task<int> List100() => (await _http.GetByteArrayAsync("/api/v1/namespaces/small/configmaps")).Length;

    [Benchmark]
    public async Task<int> List10000() => (await _http.GetByteArrayAsync("/api/v1/namespaces/default/configmaps")).Length;
}

/// <summary>One write delivered to N open watch streams (time until every watcher has read the event).</summary>
public class ApiServerWatchFanOutBenchmarks
{
    [Params(1, 50)]
    public int Watchers { get; set; }

    private ApiServerHost _host = null!;
    private HttpClient _http = null!;
    private readonly List<StreamReader> _readers = [];
    private readonly List<HttpResponseMessage> _responses = [];
    private int _value;

    // Synchronous on purpose: BenchmarkDotNet's in-process toolchain does not await Task-returning setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _host = new ApiServerHost();
        await _host.StartAsync();
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 200 }) { BaseAddress = _host.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        await _http.PostAsync("/api/v1/namespaces/default/configmaps", ApiServerBench.ConfigMap("fan"));
        for (var i = 0; i < Watchers; i++)
        {
            var response = await _http.GetAsync($"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={_host.ResourceVersion}&fieldSelector=metadata.name%3Dfan", HttpCompletionOption.ResponseHeadersRead);
            _responses.Add(response);
            _readers.Add(new StreamReader(await response.Content.ReadAsStreamAsync()));
        }
    }

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        foreach (var r in _responses) r.Dispose();
        await _host.DisposeAsync();
    }

    [Benchmark]
    public async Task WriteAndDeliver()
    {
        var patch = new StringContent($$$"""{"data":{"key":"{{{_value++}}}"}}""", Encoding.UTF8, "application/merge-patch+json");
        using var r = await _http.PatchAsync("/api/v1/namespaces/default/configmaps/fan", patch);
        await Task.WhenAll(_readers.Select(reader => reader.ReadLineAsync()));
    }
}

/// <summary>Restart replaying 100,000 objects from the write-ahead log (no snapshot), against 10,000.
/// Setup also prints the memory retained per stored object beyond its JSON size.</summary>
public class ApiServerRestartBenchmarks
{
    [Params(10_000, 100_000)]
    public int Objects { get; set; }

    private string _dir = null!;

    // Synchronous on purpose: BenchmarkDotNet's in-process toolchain does not await Task-returning setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _dir = Directory.CreateTempSubdirectory("apiserver-restart-").FullName;
        using var wal = new WriteAheadLog(_dir, NullLogger.Instance);
        var store = new ObjectStore(1000, wal, int.MaxValue, NullLogger.Instance);
        store.Recover();
        var tasks = new List<Task>(Objects);
        for (var i = 0; i < Objects; i++)
        {
            var obj = JsonNode.Parse($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{{{i}}}","namespace":"default","uid":"{{{Guid.NewGuid()}}}","creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app":"bench"}},"data":{"key":"value-{{{i}}}"}}""")!.AsObject();
            tasks.Add(store.Commit("/configmaps", "default", $"cm-{i}", 0, obj).Durable);
        }
        await Task.WhenAll(tasks);
        MeasureMemory();
    }

    private void MeasureMemory()
    {
        var before = GC.GetTotalMemory(true);
        var store = new ObjectStore(1000, null, int.MaxValue, NullLogger.Instance);
        long jsonBytes = 0;
        for (var i = 0; i < Objects; i++)
        {
            var obj = JsonNode.Parse($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{{{i}}}","namespace":"default","uid":"{{{Guid.NewGuid()}}}","creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app":"bench"}},"data":{"key":"value-{{{i}}}"}}""")!.AsObject();
            jsonBytes += store.Commit("/configmaps", "default", $"cm-{i}", 0, obj).Stored!.Json.Length;
        }
        var after = GC.GetTotalMemory(true);
        GC.KeepAlive(store);
        var perObject = (after - before - jsonBytes) / (double)Objects;
        Console.WriteLine($"// ApiServer memory: {Objects} objects, {jsonBytes / Objects} JSON bytes each, {perObject:F0} bytes retained per object beyond its JSON");
        File.AppendAllText(Path.Combine(Path.GetTempPath(), "apiserver-memory.txt"), $"{Objects} objects: {perObject:F0} B/object beyond JSON ({jsonBytes / Objects} B JSON)\n");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, true);

    [Benchmark]
    public async Task<int> Restart()
    {
        // Each restart opens a new empty segment; nothing is written, so the log stays the same.
        await using var host = new ApiServerHost(new ApiServerOptions { DataDirectory = _dir, InitialNamespaces = [] });
        await host.StartAsync();
        return host.ObjectCount;
    }
}
