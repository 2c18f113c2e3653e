using System.Collections.Concurrent;
using System.Diagnostics;
using Ingress.Api.Metrics;
using Ingress.Autoscaling.Scraping;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Autoscaling.Metrics;

/// <summary>
/// All revisions' metric collections (upstream MetricCollector): scrapes every revision with a scraper once a
/// second and records activator stats as they arrive.
/// </summary>
public sealed class MetricCollector
{
    /// <summary>Scrape tick (upstream constant).</summary>
    public static readonly TimeSpan ScrapeInterval = TimeSpan.FromSeconds(1);

    private sealed class Entry(MetricCollection collection, StatScraper? scraper)
    {
        public MetricCollection Collection { get; } = collection;
        public StatScraper? Scraper { get; set; } = scraper;
        // 1 while a scrape of this revision is running, so a slow scrape never overlaps the next tick's.
        public int Scraping;
    }

    private readonly ConcurrentDictionary<RevisionKey, Entry> _entries = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AutoscalerTelemetry? _telemetry;

    public MetricCollector(TimeProvider? time = null, ILogger<MetricCollector>? logger = null, AutoscalerTelemetry? telemetry = null)
    {
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _telemetry = telemetry;
    }

    /// <summary>Raised when a revision's scrape error state changes (the Metric's status should be updated).</summary>
    public event Action<RevisionKey>? ErrorStateChanged;

    /// <summary>Creates the revision's collection, or updates its windows and scraper.</summary>
    /// <param name="scraper">Null when nothing is scraped (TBC -1).</param>
    public MetricCollection CreateOrUpdate(RevisionKey key, MetricSpec spec, StatScraper? scraper)
    {
        var entry = _entries.GetOrAdd(key, _ => new Entry(new MetricCollection(spec), scraper));
        entry.Collection.Update(spec, _time.GetUtcNow());
        entry.Scraper = scraper;
        return entry.Collection;
    }

    public bool Delete(RevisionKey key) => _entries.TryRemove(key, out _);

    public MetricCollection? Get(RevisionKey key) => _entries.TryGetValue(key, out var e) ? e.Collection : null;

    public int Count => _entries.Count;

    /// <summary>Records a stat pushed by the activator: a zero timestamp becomes now (unix seconds), and the
    /// stat lands in the bucket of that second. Unknown revisions are ignored (returns false).</summary>
    public bool Record(RevisionKey key, Stat stat)
    {
        if (!_entries.TryGetValue(key, out var entry)) return false;
        var timestamp = stat.Timestamp != 0 ? stat.Timestamp : _time.GetUtcNow().ToUnixTimeSeconds();
        entry.Collection.Record(DateTimeOffset.FromUnixTimeSeconds(timestamp), stat);
        return true;
    }

    /// <summary>One scrape tick: every revision with a scraper, concurrently; each result is recorded at the
    /// time its scrape completed.</summary>
    public async Task ScrapeAllAsync(CancellationToken cancellationToken = default)
    {
        var tasks = new List<Task>();
        foreach (var (key, entry) in _entries)
        {
            if (entry.Scraper is null) continue;
            if (Interlocked.Exchange(ref entry.Scraping, 1) == 1) continue;
            tasks.Add(ScrapeOneAsync(key, entry, cancellationToken));
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private async Task ScrapeOneAsync(RevisionKey key, Entry entry, CancellationToken cancellationToken)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            var collection = entry.Collection;
            var outcome = await entry.Scraper!.ScrapeAsync(collection.Spec.StableWindow, cancellationToken).ConfigureAwait(false);
            _telemetry?.ScrapeDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, AutoscalerTelemetry.Tags(key));
            var error = outcome.Error == ScrapeError.None ? null : $"{outcome.Error}: {outcome.Message}";
            if (error is not null)
            {
                _telemetry?.ScrapeErrors.Add(1, AutoscalerTelemetry.Tags(key));
                using (Log.Scope(_logger, key, "collector")) Log.ScrapeFailed(_logger, key, outcome.Error, outcome.Message);
            }
            if (collection.LastScrapeError != error)
            {
                collection.LastScrapeError = error;
                ErrorStateChanged?.Invoke(key);
            }
            if (outcome.Stat is { } stat) collection.Record(_time.GetUtcNow(), stat);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            Volatile.Write(ref entry.Scraping, 0);
        }
    }

    /// <summary>Scrapes every <see cref="ScrapeInterval"/> until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(ScrapeInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                // Not awaited: a slow revision must not delay the next tick of the others.
                _ = ScrapeAllAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
