using Ingress.Api.Metrics;
using Ingress.Autoscaling.Configuration;

namespace Ingress.Autoscaling.Metrics;

/// <summary>Why a read of a revision's windows gave no value (closed set).</summary>
public enum MetricReadError
{
    None,
    /// <summary>The revision has no collection (upstream "not collecting").</summary>
    NotCollecting,
    /// <summary>The stable window is empty although the revision is scraped (upstream ErrNoData).</summary>
    NoData,
}

/// <summary>A stable/panic pair of observed revision-wide totals, or why there is none.</summary>
public readonly record struct StableAndPanic(double Stable, double Panic, MetricReadError Error)
{
    public bool Ok => Error == MetricReadError.None;
}

/// <summary>What a collection needs to know: window lengths, algorithm, and whether pods are scraped.</summary>
public sealed record MetricSpec(TimeSpan StableWindow, TimeSpan PanicWindow, AggregationAlgorithm Algorithm, bool HasScrapeTarget)
{
    public static MetricSpec From(RevisionAutoscaling settings) =>
        new(settings.StableWindow, settings.PanicWindow, settings.Algorithm,
            // TBC = -1 keeps the activator in the path for good, so nothing is scraped.
            settings.TargetBurstCapacity != -1);
}

/// <summary>
/// One revision's metric aggregation (upstream "collection"): four windows (stable/panic × concurrency/rps)
/// fed by the scraper and by activator stats. Thread-safe: records and reads may come from the scrape loop,
/// the stat server and the decider at once.
/// </summary>
public sealed class MetricCollection
{
    private readonly Lock _lock = new();
    private readonly TimedBuckets _stableConcurrency;
    private readonly TimedBuckets _panicConcurrency;
    private readonly TimedBuckets _stableRps;
    private readonly TimedBuckets _panicRps;
    private MetricSpec _spec;

    public MetricCollection(MetricSpec spec)
    {
        _spec = spec;
        _stableConcurrency = Make(spec.StableWindow, spec.Algorithm);
        _panicConcurrency = Make(spec.PanicWindow, spec.Algorithm);
        _stableRps = Make(spec.StableWindow, spec.Algorithm);
        _panicRps = Make(spec.PanicWindow, spec.Algorithm);
    }

    public MetricSpec Spec
    {
        get { lock (_lock) return _spec; }
    }

    /// <summary>Last scrape error (null when the last scrape worked), surfaced on the Metric's status.</summary>
    public string? LastScrapeError { get; set; }

    private static TimedBuckets Make(TimeSpan window, AggregationAlgorithm algorithm)
    {
        var seconds = (long)Math.Ceiling(window.TotalSeconds);
        return algorithm == AggregationAlgorithm.WeightedExponential ? new WeightedTimedBuckets(seconds) : new TimedBuckets(seconds);
    }

    /// <summary>Applies a new spec: windows are resized in place, keeping recent data. As upstream, the
    /// aggregation algorithm is fixed when the collection is created.</summary>
    public void Update(MetricSpec spec, DateTimeOffset now)
    {
        lock (_lock)
        {
            var t = now.ToUnixTimeSeconds();
            var stable = (long)Math.Ceiling(spec.StableWindow.TotalSeconds);
            var panic = (long)Math.Ceiling(spec.PanicWindow.TotalSeconds);
            _stableConcurrency.ResizeWindow(stable, t);
            _stableRps.ResizeWindow(stable, t);
            _panicConcurrency.ResizeWindow(panic, t);
            _panicRps.ResizeWindow(panic, t);
            _spec = spec with { Algorithm = _spec.Algorithm };
        }
    }

    /// <summary>Records a stat at <paramref name="time"/>'s second: proxied concurrency and requests are
    /// subtracted (the activator reports those itself), and records in the same second are summed.</summary>
    public void Record(DateTimeOffset time, Stat stat)
    {
        var t = time.ToUnixTimeSeconds();
        var concurrency = stat.AverageConcurrentRequests - stat.AverageProxiedConcurrentRequests;
        var rps = stat.RequestCount - stat.ProxiedRequestCount;
        lock (_lock)
        {
            _stableConcurrency.Record(t, concurrency);
            _panicConcurrency.Record(t, concurrency);
            _stableRps.Record(t, rps);
            _panicRps.Record(t, rps);
        }
    }

    /// <summary>Stable and panic averages of concurrency at <paramref name="now"/>.</summary>
    public StableAndPanic StableAndPanicConcurrency(DateTimeOffset now) => Read(now, rps: false);

    /// <summary>Stable and panic averages of requests per second at <paramref name="now"/>.</summary>
    public StableAndPanic StableAndPanicRps(DateTimeOffset now) => Read(now, rps: true);

    private StableAndPanic Read(DateTimeOffset now, bool rps)
    {
        var t = now.ToUnixTimeSeconds();
        lock (_lock)
        {
            var stable = rps ? _stableRps : _stableConcurrency;
            var panic = rps ? _panicRps : _panicConcurrency;
            // Without a scrape target (TBC -1) an empty window legitimately means "no traffic": 0, so the
            // revision can reach zero.
            if (stable.IsEmpty(t) && _spec.HasScrapeTarget) return new StableAndPanic(0, 0, MetricReadError.NoData);
            return new StableAndPanic(stable.WindowAverage(t), panic.WindowAverage(t), MetricReadError.None);
        }
    }

    /// <summary>Approximate bytes held by the four windows' cells.</summary>
    public int BucketBytes
    {
        get
        {
            lock (_lock)
                return 8 * (_stableConcurrency.BucketCount + _panicConcurrency.BucketCount + _stableRps.BucketCount + _panicRps.BucketCount);
        }
    }
}
