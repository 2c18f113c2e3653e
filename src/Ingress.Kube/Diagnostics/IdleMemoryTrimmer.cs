using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Ingress.Kube.Diagnostics;

/// <summary>When a controller process hands memory back after a burst of work.</summary>
public sealed record IdleMemoryTrimmerOptions
{
    /// <summary>How often the work queues are looked at. 5 s: a burst's end is noticed within seconds, and the check
    /// itself (two counters) costs nothing.</summary>
    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Keys added to the work queues since the last trim before another one is worth its pause. 500: a
    /// resync or a few hundred objects changing (a start, a config-domain edit, many Services applied); the steady
    /// trickle of status updates of a quiet cluster never reaches it, so the process does not collect in a loop.</summary>
    public long MinimumWork { get; init; } = 500;

    /// <summary>Which work queues (by name) count. Default: every queue of the process, since the memory is the
    /// process's; a test narrows it to its own queues.</summary>
    public Func<string, bool>? IncludeQueue { get; init; }
}

/// <summary>
/// Returns the memory a burst of reconciles left behind to the operating system once the controller is idle again:
/// every work queue empty and no key added for a whole <see cref="IdleMemoryTrimmerOptions.Period"/>, after at least
/// <see cref="IdleMemoryTrimmerOptions.MinimumWork"/> keys since the last trim. Then it runs one blocking, compacting
/// collection in <see cref="GCCollectionMode.Aggressive"/> mode, which also decommits the GC's free regions and
/// trims the shared array pools.
/// Why: after a start or a mass change the GC keeps the regions the burst used committed (at 1,000 Services about as
/// much again as the live heap), so a controller that reconciled a large cluster once holds that memory for good; a
/// container limit is set against that figure. The pause (tens of milliseconds on a 100 MB heap) happens only while
/// nothing is queued. Activity is read from the work queues' own instruments (<c>kube.workqueue.depth</c> and
/// <c>kube.workqueue.adds</c>), so every queue of the process counts without registering anything.
/// </summary>
public sealed partial class IdleMemoryTrimmer : IDisposable
{
    private static readonly Counter<long> Trims = KubeMetrics.Meter.CreateCounter<long>("kube.memory.idle_trims", "{collection}",
        "Aggressive collections run once the work queues went idle after a burst.");

    private readonly IdleMemoryTrimmerOptions _options;
    private readonly ILogger _log;
    private readonly MeterListener _listener = new();
    private readonly CancellationTokenSource _disposed = new();
    private long _depth;
    private long _adds;
    private long _addsAtLastTrim;
    private long _addsAtLastTick = -1;

    public IdleMemoryTrimmer(IdleMemoryTrimmerOptions options, ILogger log)
    {
        _options = options;
        _log = log;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == KubeMetrics.Meter.Name && instrument.Name is "kube.workqueue.depth" or "kube.workqueue.adds")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (_options.IncludeQueue is { } include && !include(QueueOf(tags))) return;
            if (instrument.Name == "kube.workqueue.depth") Interlocked.Add(ref _depth, value);
            else Interlocked.Add(ref _adds, value);
        });
        _listener.Start();
    }

    private static string QueueOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
            if (tag.Key == "queue") return tag.Value as string ?? "";
        return "";
    }

    /// <summary>Keys waiting in every work queue of the process (from the depth instrument's deltas).</summary>
    public long Depth => Interlocked.Read(ref _depth);

    /// <summary>Keys added to every work queue since this trimmer started.</summary>
    public long Adds => Interlocked.Read(ref _adds);

    /// <summary>Collections run so far.</summary>
    public int Collections { get; private set; }

    /// <summary>One look at the queues: trims when they have been idle for a whole period after enough work.
    /// Returns whether it trimmed. <see cref="RunAsync"/> calls it every period; tests call it directly.</summary>
    public bool Tick()
    {
        var adds = Adds;
        var idleForAPeriod = Depth <= 0 && adds == _addsAtLastTick;
        _addsAtLastTick = adds;
        if (!idleForAPeriod || adds - _addsAtLastTrim < _options.MinimumWork) return false;
        _addsAtLastTrim = adds;
        var before = MemorySnapshot.Take();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var after = MemorySnapshot.Take();
        Collections++;
        Trims.Add(1);
        LogTrimmed(_log, adds, before.ResidentBytes >> 20, after.ResidentBytes >> 20, before.GcCommittedBytes >> 20, after.GcCommittedBytes >> 20, after.GcHeapBytes >> 20);
        return true;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.Period);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, _disposed.Token);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false)) Tick();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _listener.Dispose();
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information,
        Message = "work queues idle after {Adds} keys: memory returned, RSS {RssBeforeMiB} -> {RssAfterMiB} MiB, GC committed {CommittedBeforeMiB} -> {CommittedAfterMiB} MiB, live heap {HeapMiB} MiB")]
    private static partial void LogTrimmed(ILogger logger, long adds, long rssBeforeMiB, long rssAfterMiB, long committedBeforeMiB, long committedAfterMiB, long heapMiB);
}
