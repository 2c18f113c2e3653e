using Ingress.Api.Metrics;
using Ingress.DataPlane.Concurrency;

namespace Ingress.DataPlane.Activator;

/// <summary>
/// The activator's per-revision concurrency report (autoscaling.md §8.4). The first request of a revision with no
/// entry sends {concurrency 1, count 1} at once — the scale-from-zero poke; every period each entry reports its
/// time-weighted concurrency and arrivals (minus what the poke already claimed), and entries idle for a whole
/// period are dropped so the next request pokes again.
/// </summary>
public sealed class ConcurrencyReporter : IAsyncDisposable
{
    private sealed class Entry
    {
        public readonly RequestStats Stats = new();
        public int Refs;
        public bool FirstSent;
    }

    private readonly object _lock = new();
    private readonly Dictionary<RevisionKey, Entry> _entries = [];
    private readonly string _podName;
    private readonly IAutoscalerStatSink _sink;
    private readonly TimeSpan _period;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="period">Reporting period; Knative's is 1 s and counts are sent per period.</param>
    public ConcurrencyReporter(string podName, IAutoscalerStatSink sink, TimeSpan period)
    {
        _podName = podName;
        _sink = sink;
        _period = period;
        _loop = LoopAsync(_stop.Token);
    }

    public void RequestIn(RevisionKey key)
    {
        bool first;
        lock (_lock)
        {
            first = !_entries.TryGetValue(key, out var entry);
            if (first) _entries[key] = entry = new Entry { FirstSent = true };
            entry!.Refs++;
            entry.Stats.RequestIn(proxied: false);
        }
        if (first)
            _sink.Send([new WireStatMessage(key.Namespace, key.Name, new Stat { PodName = _podName, AverageConcurrentRequests = 1, RequestCount = 1 })]);
    }

    public void RequestOut(RevisionKey key)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var entry)) return;
            entry.Refs--;
            entry.Stats.RequestOut(proxied: false);
        }
    }

    /// <summary>One reporting tick (public so the local runner and tests can drive it).</summary>
    public IReadOnlyList<WireStatMessage> Tick()
    {
        var messages = new List<WireStatMessage>();
        lock (_lock)
        {
            foreach (var (key, entry) in _entries.ToList())
            {
                var report = entry.Stats.Report();
                var concurrency = report.AverageConcurrency;
                var count = report.RequestCount;
                if (entry.FirstSent)
                {
                    concurrency = Math.Max(0, concurrency - 1);
                    count = Math.Max(0, count - 1);
                    entry.FirstSent = false;
                }
                if (report.AverageConcurrency == 0 && entry.Refs == 0)
                    _entries.Remove(key);
                messages.Add(new WireStatMessage(key.Namespace, key.Name, new Stat
                {
                    PodName = _podName,
                    AverageConcurrentRequests = concurrency,
                    RequestCount = count / _period.TotalSeconds,
                }));
            }
        }
        if (messages.Count > 0) _sink.Send(messages);
        return messages;
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false)) Tick();
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
