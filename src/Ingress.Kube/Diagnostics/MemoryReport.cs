using System.Runtime;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ingress.Kube.Cache;

namespace Ingress.Kube.Diagnostics;

/// <summary>Process and GC memory at one moment, in bytes.</summary>
public sealed record MemorySnapshot(
    [property: JsonPropertyName("rssBytes")] long ResidentBytes,
    [property: JsonPropertyName("peakRssBytes")] long PeakResidentBytes,
    [property: JsonPropertyName("gcHeapBytes")] long GcHeapBytes,
    [property: JsonPropertyName("gcFragmentedBytes")] long GcFragmentedBytes,
    [property: JsonPropertyName("gcCommittedBytes")] long GcCommittedBytes,
    [property: JsonPropertyName("totalMemoryBytes")] long TotalMemoryBytes)
{
    /// <summary>Now. RSS and its peak from /proc/self/status (0 where there is no procfs).</summary>
    public static MemorySnapshot Take()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        var (rss, hwm) = ReadProcStatus();
        return new MemorySnapshot(rss, hwm, info.HeapSizeBytes, info.FragmentedBytes, info.TotalCommittedBytes, GC.GetTotalMemory(false));
    }

    private static (long Rss, long Hwm) ReadProcStatus()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return (0, 0);
        long rss = 0, hwm = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = KiB(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = KiB(line);
        }
        return (rss, hwm);

        static long KiB(string line) =>
            long.TryParse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), out var k) ? k * 1024 : 0;
    }
}

/// <summary>Objects one informer caches.</summary>
public sealed record InformerCacheCount(
    [property: JsonPropertyName("resource")] string Resource,
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("objectType")] string ObjectType,
    [property: JsonPropertyName("objects")] int Objects);

/// <summary>
/// Where a controller's memory is: process and GC figures before and after a full, blocking, compacting
/// collection (the difference is garbage and GC headroom, the rest is live), and what each informer caches.
/// Opt-in (the collection is a pause): <c>ingress controller</c> writes one on SIGUSR1 when
/// <c>INGRESS_MEMORY_REPORT</c> names a file; bench/scripts/controller-memory.sh reads it.
/// </summary>
public sealed record MemoryReport(
    [property: JsonPropertyName("before")] MemorySnapshot Before,
    [property: JsonPropertyName("afterFullCompactingGc")] MemorySnapshot After,
    [property: JsonPropertyName("gcSettings")] IReadOnlyDictionary<string, string> GcSettings,
    [property: JsonPropertyName("informers")] IReadOnlyList<InformerCacheCount> Informers)
{
    public static MemoryReport Collect(IEnumerable<ISharedInformer> informers)
    {
        var before = MemorySnapshot.Take();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var after = MemorySnapshot.Take();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["serverGC"] = GCSettings.IsServerGC.ToString(),
            ["latencyMode"] = GCSettings.LatencyMode.ToString(),
            ["conserveMemory"] = AppContext.GetData("System.GC.ConserveMemory")?.ToString() ?? Environment.GetEnvironmentVariable("DOTNET_GCConserveMemory") ?? "",
            ["gen0size"] = Environment.GetEnvironmentVariable("DOTNET_GCgen0size") ?? "",
            ["concurrent"] = AppContext.GetData("System.GC.Concurrent")?.ToString() ?? "",
        };
        var counts = informers
            .Select(i => new InformerCacheCount(i.Resource.GroupResource, i.Scope.ToString(), ObjectTypeOf(i), i.CachedObjects))
            .OrderByDescending(c => c.Objects).ThenBy(c => c.Resource, StringComparer.Ordinal).ToList();
        return new MemoryReport(before, after, settings, counts);
    }

    private static string ObjectTypeOf(ISharedInformer informer)
    {
        var t = informer.GetType();
        return t.IsGenericType ? t.GetGenericArguments()[0].Name : t.Name;
    }

    public string ToJson() => JsonSerializer.Serialize(this, MemoryReportJsonContext.Default.MemoryReport);
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(MemoryReport))]
internal sealed partial class MemoryReportJsonContext : JsonSerializerContext;
