using System.Collections.Concurrent;
using Ingress.Api.Metrics;
using Ingress.Autoscaling.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Autoscaling.Scaling;

/// <summary>Counts a revision's ready pods (Running, not terminating, PodReady True) from the pod lister.</summary>
public interface IReadyPodCounter
{
    /// <summary>Ready pods of the revision; 0 when it has none or is not found; throws on other errors.</summary>
    int ReadyCount(RevisionKey key);
}

/// <summary>A decider's published status: what the KPA reconciler reads.</summary>
public readonly record struct DeciderStatus(int DesiredScale, int ExcessBurstCapacity);

/// <summary>
/// Runs one <see cref="Decider"/> per revision (upstream MultiScaler): all of them every 2 s, one at once when
/// the activator pokes a revision at zero; notifies the reconciler only when the desired scale or the sign of
/// the excess burst capacity changed.
/// </summary>
public sealed class MultiScaler
{
    private sealed class Entry(Decider decider, DeciderStatus status)
    {
        public readonly Lock Gate = new();
        public Decider Decider { get; } = decider;
        public DeciderStatus Status = status;
    }

    private readonly ConcurrentDictionary<RevisionKey, Entry> _entries = new();
    private readonly MetricCollector _metrics;
    private readonly IReadyPodCounter _pods;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AutoscalerTelemetry? _telemetry;

    public MultiScaler(MetricCollector metrics, IReadyPodCounter pods, TimeProvider? time = null,
        ILogger<MultiScaler>? logger = null, AutoscalerTelemetry? telemetry = null)
    {
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _pods = pods ?? throw new ArgumentNullException(nameof(pods));
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _telemetry = telemetry;
    }

    /// <summary>Raised (outside any lock) when a revision's desired scale or EBC sign changed.</summary>
    public event Action<RevisionKey>? Changed;

    public int Count => _entries.Count;

    /// <summary>Initial status of a new decider: desired -1 (unknown) and EBC = TBC for TBC 0/-1, else
    /// int32(InitialScale × TotalValue − TBC), so a new revision starts with the activator in the path.</summary>
    public static DeciderStatus InitialStatus(DeciderSpec spec) => new(-1,
        spec.TargetBurstCapacity is 0 or -1
            ? (int)spec.TargetBurstCapacity
            : Decider.ToInt32(spec.InitialScale * spec.TotalValue - spec.TargetBurstCapacity));

    /// <summary>Creates the revision's decider (counting its ready pods now) or replaces its spec.</summary>
    public DeciderStatus CreateOrUpdate(RevisionKey key, DeciderSpec spec)
    {
        var entry = _entries.GetOrAdd(key, k =>
        {
            int? ready;
            try
            {
                ready = _pods.ReadyCount(k);
            }
            catch (Exception e)
            {
                using (Log.Scope(_logger, k, "autoscaler")) Log.PodCountFailed(_logger, k, e.Message);
                ready = null;
            }
            return new Entry(new Decider(spec, _time.GetUtcNow(), ready), InitialStatus(spec));
        });
        lock (entry.Gate)
        {
            entry.Decider.Update(spec);
            return entry.Status;
        }
    }

    public bool Delete(RevisionKey key) => _entries.TryRemove(key, out _);

    public DeciderStatus? Get(RevisionKey key)
    {
        if (!_entries.TryGetValue(key, out var e)) return null;
        lock (e.Gate) return e.Status;
    }

    /// <summary>Activator stat arrived: if the revision is at exactly 0 and the stat shows traffic, decide now
    /// (scale from zero without waiting for the tick). A -1 (no decision yet) does not qualify.</summary>
    public void Poke(RevisionKey key, Stat stat)
    {
        if (!_entries.TryGetValue(key, out var entry)) return;
        if (entry.Status.DesiredScale == 0 && stat.AverageConcurrentRequests != 0) Evaluate(key, entry);
    }

    /// <summary>Evaluates one revision now; returns the result (invalid when there was nothing to decide on).</summary>
    public ScaleResult Evaluate(RevisionKey key) => _entries.TryGetValue(key, out var entry) ? Evaluate(key, entry) : ScaleResult.Invalid;

    /// <summary>Evaluates every revision (one 2 s tick).</summary>
    public void TickAll()
    {
        foreach (var (key, entry) in _entries) Evaluate(key, entry);
    }

    private ScaleResult Evaluate(RevisionKey key, Entry entry)
    {
        var now = _time.GetUtcNow();
        int ready;
        try
        {
            ready = _pods.ReadyCount(key);
        }
        catch (Exception e)
        {
            using (Log.Scope(_logger, key, "autoscaler")) Log.PodCountFailed(_logger, key, e.Message);
            return ScaleResult.Invalid;
        }
        var collection = _metrics.Get(key);
        if (collection is null) return ScaleResult.Invalid;

        ScaleResult result;
        bool notify;
        StableAndPanic observed;
        DeciderSpec spec;
        bool wasPanicking, panicking;
        lock (entry.Gate)
        {
            spec = entry.Decider.Spec;
            observed = spec.ScalingMetric == "rps" ? collection.StableAndPanicRps(now) : collection.StableAndPanicConcurrency(now);
            if (!observed.Ok)
            {
                if (_logger.IsEnabled(LogLevel.Debug))
                    using (Log.Scope(_logger, key, "autoscaler")) Log.NoData(_logger, key);
                return ScaleResult.Invalid;
            }
            wasPanicking = entry.Decider.Panicking;
            result = entry.Decider.Scale(now, ready, observed.Stable, observed.Panic);
            panicking = entry.Decider.Panicking;
            var old = entry.Status;
            entry.Status = new DeciderStatus(result.DesiredPodCount, result.ExcessBurstCapacity);
            notify = old.DesiredScale != result.DesiredPodCount || (old.ExcessBurstCapacity < 0) != (result.ExcessBurstCapacity < 0);
        }
        if (wasPanicking != panicking && _logger.IsEnabled(LogLevel.Information))
        {
            using (Log.Scope(_logger, key, "autoscaler"))
            {
                if (panicking) Log.PanicStarted(_logger, key, result.DesiredPodCount);
                else Log.PanicStopped(_logger, key);
            }
        }
        if (_telemetry is { } t) Report(t, key, spec, observed, result, panicking);
        if (notify) Changed?.Invoke(key);
        return result;
    }

    private static void Report(AutoscalerTelemetry t, RevisionKey key, DeciderSpec spec, StableAndPanic observed, ScaleResult result, bool panicking)
    {
        var tags = AutoscalerTelemetry.Tags(key);
        t.Decisions.Add(1, tags);
        t.DesiredPods.Record(result.DesiredPodCount, tags);
        t.ExcessBurstCapacity.Record(result.ExcessBurstCapacity, tags);
        t.PanicMode.Record(panicking ? 1 : 0, tags);
        if (spec.ScalingMetric == "rps")
        {
            t.StableRequestsPerSecond.Record(observed.Stable, tags);
            t.PanicRequestsPerSecond.Record(observed.Panic, tags);
            t.TargetRequestsPerSecond.Record(spec.TargetValue, tags);
        }
        else
        {
            t.StableRequestConcurrency.Record(observed.Stable, tags);
            t.PanicRequestConcurrency.Record(observed.Panic, tags);
            t.TargetConcurrencyPerPod.Record(spec.TargetValue, tags);
        }
    }

    /// <summary>Ticks every <see cref="Decider.TickInterval"/> until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Decider.TickInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false)) TickAll();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
