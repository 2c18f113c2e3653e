using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Networking.Probing;

/// <summary>
/// Probes gateway pods until every one of them serves the current K-Network-Hash of a KIngress (spec §10.2–10.3),
/// with three improvements over upstream: retries back off to at most <see cref="ProberOptions.MaxRetryDelay"/>
/// (1 s, not 30 s); <see cref="TargetsChangedAsync"/> re-lists targets and probes pending work at once when gateway
/// pods or their Endpoints change; and a new hash drops every queued item of the superseded generation.
/// </summary>
public sealed partial class IngressProber : IAsyncDisposable
{
    public static readonly Meter Meter = new("Ingress.Networking.Prober");

    private readonly IProbeTargetSource _targets;
    private readonly ProberOptions _options;
    private readonly Action<ProbeSubject> _onReady;
    private readonly ILogger _logger;
    private readonly GatewayProbeClient _client;
    private readonly Channel<ProbeItem> _queue = Channel.CreateUnbounded<ProbeItem>(new UnboundedChannelOptions { SingleReader = false });
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Task[] _workers;
    private readonly object _gate = new();
    private readonly Dictionary<string, IngressState> _states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CancellationTokenSource> _podContexts = new(StringComparer.Ordinal);
    private readonly RetryBucket _bucket;

    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _readyTransitions;

    /// <param name="targets">Where the gateway pods to probe come from.</param>
    /// <param name="onReady">Called (on a worker thread, outside any lock) when the last pending pod of a KIngress
    /// answered with the current hash; the reconciler re-enqueues the key and <see cref="IsReadyAsync"/> then returns true.</param>
    public IngressProber(IProbeTargetSource targets, Action<ProbeSubject> onReady, ProberOptions? options = null, ILogger<IngressProber>? logger = null)
    {
        _targets = targets;
        _onReady = onReady;
        _options = options ?? new ProberOptions();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _client = new GatewayProbeClient(_options.ProbeTimeout);
        _bucket = new RetryBucket(_options.RetriesPerSecond, _options.RetryBurst, _options.TimeProvider);
        _attempts = Meter.CreateCounter<long>("kn_ingress_probe_attempts", description: "Gateway readiness probes sent, by verdict");
        _duration = Meter.CreateHistogram<double>("kn_ingress_probe_duration", unit: "ms", description: "Duration of one gateway readiness probe");
        _readyTransitions = Meter.CreateCounter<long>("kn_ingress_probe_ready", description: "KIngress hashes that every gateway pod has confirmed");
        Meter.CreateObservableGauge("kn_ingress_probe_pending_ingresses", () => { lock (_gate) return _states.Values.Count(s => s.PendingPods > 0); },
            description: "KIngresses still waiting for gateway pods");
        _workers = new Task[Math.Max(1, _options.Workers)];
        for (var i = 0; i < _workers.Length; i++) _workers[i] = Task.Run(WorkerLoopAsync);
    }

    /// <summary>
    /// Upstream's <c>IsReady</c>: true when every target of this hash has answered. The first call for a new hash
    /// cancels the previous hash's work, lists the targets and starts probing; it returns true only when there is
    /// nothing to probe. Later calls with the same hash only read the state.
    /// </summary>
    /// <exception cref="ProbeTargetException">the targets could not be listed.</exception>
    public async ValueTask<bool> IsReadyAsync(ProbeSubject subject, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_states.TryGetValue(subject.Key, out var existing))
            {
                if (existing.Subject.Hash == subject.Hash) return existing.PendingPods == 0;
                // A late pass over an older generation (a stale cache read) never replaces newer work.
                if (existing.Subject.Generation > subject.Generation) return false;
                CancelStateLocked(existing);
                _states.Remove(subject.Key);
                LogSuperseded(_logger, subject.Key, existing.Subject.Generation, subject.Generation);
            }
        }

        var targets = await _targets.ListTargetsAsync(subject, cancellationToken).ConfigureAwait(false);

        List<ProbeItem> toSchedule;
        bool ready;
        lock (_gate)
        {
            if (_states.TryGetValue(subject.Key, out var raced))
            {
                // Another caller got here first. Keep whichever state matches this hash.
                if (raced.Subject.Hash == subject.Hash) return raced.PendingPods == 0;
                if (raced.Subject.Generation > subject.Generation) return false;
                CancelStateLocked(raced);
                _states.Remove(subject.Key);
            }
            var state = new IngressState(subject);
            _states[subject.Key] = state;
            toSchedule = AddItemsLocked(state, targets);
            ready = state.PendingPods == 0;
            foreach (var item in toSchedule) ScheduleLocked(item, _options.InitialDelay);
        }
        LogStarted(_logger, subject.Key, subject.Generation, subject.Hash, toSchedule.Count);
        return ready;
    }

    /// <summary>The KIngress was deleted: cancel and drop its state.</summary>
    public void Forget(string key)
    {
        lock (_gate)
        {
            if (_states.Remove(key, out var state)) CancelStateLocked(state);
        }
    }

    /// <summary>
    /// A gateway pod was deleted: cancel every probe to its IP. It counts as done for every KIngress waiting on it,
    /// so a deleted pod never blocks readiness.
    /// </summary>
    public void PodDeleted(string podIP)
    {
        List<ProbeSubject> nowReady = [];
        lock (_gate)
        {
            if (_podContexts.Remove(podIP, out var cts)) cts.Cancel();
            foreach (var state in _states.Values)
            {
                if (state.Pods.TryGetValue(podIP, out var pod) && CompletePodLocked(state, pod)) nowReady.Add(state.Subject);
            }
        }
        _client.ForgetPod(podIP);
        NotifyReady(nowReady);
    }

    /// <summary>
    /// Gateway pods or their Endpoints changed. For every KIngress still waiting: re-list its targets, start probing
    /// new (url, pod) pairs at once, count vanished pods as done, and probe every pending pair again now instead of
    /// after its backoff. A failed re-list keeps the current work.
    /// </summary>
    public async Task TargetsChangedAsync(CancellationToken cancellationToken = default)
    {
        List<IngressState> pending;
        lock (_gate) pending = _states.Values.Where(s => s.PendingPods > 0).ToList();

        List<ProbeSubject> nowReady = [];
        foreach (var state in pending)
        {
            IReadOnlyList<ProbeTarget> targets;
            try
            {
                targets = await _targets.ListTargetsAsync(state.Subject, cancellationToken).ConfigureAwait(false);
            }
            catch (ProbeTargetException e)
            {
                LogRelistFailed(_logger, state.Subject.Key, e.Message);
                lock (_gate) foreach (var item in state.PendingItems()) WakeLocked(item);
                continue;
            }
            lock (_gate)
            {
                if (state.Cancelled) continue;
                if (state.PendingPods == 0) continue; // became ready meanwhile
                var wanted = ExpandItems(targets).Select(i => i.ItemKey).ToHashSet();
                var becameReady = false;
                foreach (var pod in state.Pods.Values.ToList())
                {
                    foreach (var item in pod.Pending.Values.ToList())
                    {
                        if (!wanted.Contains(item.ItemKey)) becameReady |= CompleteItemLocked(state, pod, item, out _);
                    }
                }
                if (becameReady)
                {
                    nowReady.Add(state.Subject);
                    continue;
                }
                foreach (var item in AddItemsLocked(state, targets)) ScheduleLocked(item, TimeSpan.Zero);
                foreach (var item in state.PendingItems()) WakeLocked(item);
            }
        }
        NotifyReady(nowReady);
    }

    /// <summary>What the prober knows about one KIngress, or null when it has no state for it.</summary>
    public ProbeStateSnapshot? Snapshot(string key)
    {
        lock (_gate)
        {
            if (!_states.TryGetValue(key, out var state)) return null;
            var items = state.AllItems.Select(i => new ProbeItemStatus(i.Url, i.PodIP, i.PodPort, i.Done, i.Failures, i.LastError))
                .OrderBy(i => i.PodIP, StringComparer.Ordinal).ThenBy(i => i.Url, StringComparer.Ordinal).ThenBy(i => i.PodPort).ToList();
            return new ProbeStateSnapshot(key, state.Subject.Generation, state.Subject.Hash, state.PendingPods, items);
        }
    }

    // ---- state bookkeeping (all *Locked methods run under _gate) ----

    private static IEnumerable<ProbeItem> ExpandItems(IReadOnlyList<ProbeTarget> targets)
    {
        foreach (var target in targets)
        foreach (var ip in target.PodIPs)
            yield return new ProbeItem(target.Url, ip, target.PodPort);
    }

    private List<ProbeItem> AddItemsLocked(IngressState state, IReadOnlyList<ProbeTarget> targets)
    {
        var added = new List<ProbeItem>();
        foreach (var item in ExpandItems(targets))
        {
            if (state.KnownItems.Contains(item.ItemKey)) continue;
            state.KnownItems.Add(item.ItemKey);
            if (!state.Pods.TryGetValue(item.PodIP, out var pod))
            {
                pod = new PodState(item.PodIP);
                state.Pods[item.PodIP] = pod;
            }
            if (pod.Pending.Count == 0)
            {
                // A new pod, or one that had finished and gets new work (e.g. a new server port): pending again.
                pod.Completed = false;
                state.PendingPods++;
            }
            item.Owner = state;
            item.Pod = pod;
            if (!_podContexts.TryGetValue(item.PodIP, out var podCts))
            {
                podCts = new CancellationTokenSource();
                _podContexts[item.PodIP] = podCts;
            }
            item.PodToken = podCts.Token;
            pod.Pending[item.ItemKey] = item;
            state.AllItems.Add(item);
            added.Add(item);
        }
        return added;
    }

    /// <summary>Marks one item done; returns true when that made the whole KIngress ready.</summary>
    private bool CompleteItemLocked(IngressState state, PodState pod, ProbeItem item, out bool podDone)
    {
        podDone = false;
        if (item.Done) return false;
        item.Done = true;
        item.DelayCts?.Cancel();
        item.DelayCts = null;
        pod.Pending.Remove(item.ItemKey);
        if (pod.Pending.Count > 0) return false;
        podDone = true;
        pod.Completed = true;
        state.PendingPods--;
        return state.PendingPods == 0;
    }

    private bool CompletePodLocked(IngressState state, PodState pod)
    {
        var ready = false;
        foreach (var item in pod.Pending.Values.ToList()) ready |= CompleteItemLocked(state, pod, item, out _);
        return ready;
    }

    private static void CancelStateLocked(IngressState state)
    {
        state.Cancelled = true;
        state.Cts.Cancel();
        foreach (var item in state.AllItems)
        {
            item.DelayCts?.Cancel();
            item.DelayCts = null;
        }
    }

    private void ScheduleLocked(ProbeItem item, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            item.Phase = ItemPhase.Queued;
            _queue.Writer.TryWrite(item);
            return;
        }
        item.Phase = ItemPhase.Waiting;
        var cts = new CancellationTokenSource();
        item.DelayCts = cts;
        _ = DelayThenQueueAsync(item, delay, cts);
    }

    private async Task DelayThenQueueAsync(ProbeItem item, TimeSpan delay, CancellationTokenSource cts)
    {
        try
        {
            await Task.Delay(delay, _options.TimeProvider, cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Woken early (queue now) or cancelled (checked below).
        }
        lock (_gate)
        {
            // Completion and cancellation clear DelayCts; a wake-up cancels it but leaves it in place.
            if (!ReferenceEquals(item.DelayCts, cts)) return;
            item.DelayCts = null;
            item.WakeRequested = false;
            if (item.Done || item.Owner!.Cancelled || item.Phase != ItemPhase.Waiting) return;
            item.Phase = ItemPhase.Queued;
        }
        cts.Dispose();
        _queue.Writer.TryWrite(item);
    }

    private static void WakeLocked(ProbeItem item)
    {
        if (item.Done) return;
        item.Failures = 0;
        switch (item.Phase)
        {
            case ItemPhase.Waiting:
                item.WakeRequested = true;
                item.DelayCts?.Cancel();
                break;
            case ItemPhase.Running:
                item.WakeRequested = true;
                break;
        }
    }

    private async Task WorkerLoopAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_shutdown.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item)) await ProcessAsync(item).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
        }
    }

    private async Task ProcessAsync(ProbeItem item)
    {
        var state = item.Owner!;
        lock (_gate)
        {
            if (item.Done || state.Cancelled || item.PodToken.IsCancellationRequested) return;
            item.Phase = ItemPhase.Running;
            item.WakeRequested = false;
        }

        ProbeOutcome outcome;
        var started = Stopwatch.GetTimestamp();
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(state.Cts.Token, item.PodToken, _shutdown.Token))
        {
            try
            {
                outcome = await _client.ProbeAsync(item.Url, item.PodIP, item.PodPort, state.Subject.Hash, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return; // Superseded hash, deleted Ingress or deleted pod: the item is dropped.
            }
        }
        var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _duration.Record(elapsedMs);
        _attempts.Add(1, new KeyValuePair<string, object?>("verdict", outcome.Verdict.ToString()));

        var ready = false;
        lock (_gate)
        {
            if (item.Done || state.Cancelled || item.PodToken.IsCancellationRequested) return;
            if (outcome.Succeeded)
            {
                item.LastError = outcome.Verdict == ProbeVerdict.Abandoned ? outcome.Error : null;
                ready = CompleteItemLocked(state, item.Pod!, item, out _);
            }
            else
            {
                item.LastError = outcome.Error;
                TimeSpan delay;
                if (item.WakeRequested)
                {
                    item.WakeRequested = false;
                    delay = TimeSpan.Zero;
                }
                else
                {
                    var exponential = _options.BaseRetryDelay * Math.Pow(2, Math.Min(item.Failures, 30));
                    if (exponential > _options.MaxRetryDelay) exponential = _options.MaxRetryDelay;
                    var bucket = _bucket.Reserve();
                    delay = exponential > bucket ? exponential : bucket;
                }
                item.Failures++;
                ScheduleLocked(item, delay);
            }
        }
        if (outcome.Verdict == ProbeVerdict.Abandoned) LogAbandoned(_logger, state.Subject.Key, item.Url, item.PodIP, item.PodPort, outcome.Error ?? "");
        else if (!outcome.Succeeded) LogProbeFailed(_logger, state.Subject.Key, item.Url, item.PodIP, item.PodPort, outcome.Error ?? "");
        if (ready) NotifyReady([state.Subject]);
    }

    private void NotifyReady(List<ProbeSubject> subjects)
    {
        foreach (var subject in subjects)
        {
            _readyTransitions.Add(1);
            LogReady(_logger, subject.Key, subject.Generation, subject.Hash);
            try
            {
                _onReady(subject);
            }
            catch (Exception e)
            {
                LogCallbackFailed(_logger, subject.Key, e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _shutdown.Cancel();
        _queue.Writer.TryComplete();
        lock (_gate)
        {
            foreach (var state in _states.Values) CancelStateLocked(state);
            _states.Clear();
        }
        try
        {
            await Task.WhenAll(_workers).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _client.Dispose();
        _shutdown.Dispose();
    }

    // ---- types ----

    private enum ItemPhase { New, Waiting, Queued, Running }

    private sealed class ProbeItem(string url, string podIP, int podPort)
    {
        public string Url { get; } = url;
        public string PodIP { get; } = podIP;
        public int PodPort { get; } = podPort;
        public string ItemKey { get; } = url + "|" + podIP + "|" + podPort;
        public IngressState? Owner { get; set; }
        public PodState? Pod { get; set; }
        public CancellationToken PodToken { get; set; }
        public ItemPhase Phase { get; set; }
        public bool Done { get; set; }
        public bool WakeRequested { get; set; }
        public int Failures { get; set; }
        public string? LastError { get; set; }
        public CancellationTokenSource? DelayCts { get; set; }
    }

    private sealed class PodState(string ip)
    {
        public string IP { get; } = ip;
        public Dictionary<string, ProbeItem> Pending { get; } = new(StringComparer.Ordinal);
        public bool Completed { get; set; }
    }

    private sealed class IngressState(ProbeSubject subject)
    {
        public ProbeSubject Subject { get; } = subject;
        public CancellationTokenSource Cts { get; } = new();
        public Dictionary<string, PodState> Pods { get; } = new(StringComparer.Ordinal);
        public HashSet<string> KnownItems { get; } = new(StringComparer.Ordinal);
        public List<ProbeItem> AllItems { get; } = [];
        public int PendingPods { get; set; }
        public bool Cancelled { get; set; }
        public IEnumerable<ProbeItem> PendingItems() => Pods.Values.SelectMany(p => p.Pending.Values).ToList();
    }

    /// <summary>A token bucket that tells how long a retry must wait for its token (golang.org/x/time/rate Reserve).</summary>
    private sealed class RetryBucket(double ratePerSecond, int burst, TimeProvider time)
    {
        private readonly object _lock = new();
        private double _tokens = burst;
        private long _last = time.GetTimestamp();

        public TimeSpan Reserve()
        {
            if (ratePerSecond <= 0) return TimeSpan.Zero;
            lock (_lock)
            {
                var now = time.GetTimestamp();
                _tokens = Math.Min(burst, _tokens + time.GetElapsedTime(_last, now).TotalSeconds * ratePerSecond);
                _last = now;
                _tokens -= 1;
                return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / ratePerSecond);
            }
        }
    }

    // ---- logs: each runs inside a scope with knative.dev/key and knative.dev/controller ----

    private static void LogStarted(ILogger logger, string key, long generation, string hash, int items)
    {
        using var _ = KnativeLogScope.Begin(logger, key);
        LogStartedCore(logger, key, generation, hash, items);
    }

    private static void LogSuperseded(ILogger logger, string key, long oldGeneration, long newGeneration)
    {
        using var _ = KnativeLogScope.Begin(logger, key);
        LogSupersededCore(logger, key, oldGeneration, newGeneration);
    }

    private static void LogProbeFailed(ILogger logger, string key, string url, string podIP, int podPort, string error)
    {
        using var _ = KnativeLogScope.Begin(logger, key);
        LogProbeFailedCore(logger, key, url, podIP, podPort, error);
    }

    private static void LogAbandoned(ILogger logger, string key, string url, string podIP, int podPort, string reason)
    {
        using var _ = KnativeLogScope.Begin(logger, key);
        LogAbandonedCore(logger, key, url, podIP, podPort, reason);
    }

    private static void LogReady(ILogger logger, string key, long generation, string hash)
    {
        using var _ = KnativeLogScope.Begin(logger, key);
        LogReadyCore(logger, key, generation, hash);
    }

    private static void LogRelistFailed(ILogger logger, string key, string error)
    {
        using var _ = KnativeLogScope.Begin(logger, key);
        LogRelistFailedCore(logger, key, error);
    }

    private static void LogCallbackFailed(ILogger logger, string key, Exception exception)
    {
        using var _ = KnativeLogScope.Begin(logger, key);
        LogCallbackFailedCore(logger, key, exception);
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "{Key}: probing {Items} (url, pod) pairs for hash {Hash} of generation {Generation}")]
    private static partial void LogStartedCore(ILogger logger, string key, long generation, string hash, int items);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "{Key}: generation {NewGeneration} supersedes probes of generation {OldGeneration}")]
    private static partial void LogSupersededCore(ILogger logger, string key, long oldGeneration, long newGeneration);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "{Key}: probing of {Url} failed, IP: {PodIP}:{PodPort}: {Error}")]
    private static partial void LogProbeFailedCore(ILogger logger, string key, string url, string podIP, int podPort, string error);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "{Key}: probing of {Url} abandoned, IP: {PodIP}:{PodPort}: {Reason}")]
    private static partial void LogAbandonedCore(ILogger logger, string key, string url, string podIP, int podPort, string reason);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "{Key}: every gateway pod serves hash {Hash} of generation {Generation}")]
    private static partial void LogReadyCore(ILogger logger, string key, long generation, string hash);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "{Key}: re-listing probe targets failed, keeping current work: {Error}")]
    private static partial void LogRelistFailedCore(ILogger logger, string key, string error);

    [LoggerMessage(EventId = 16, Level = LogLevel.Error, Message = "{Key}: the ready callback failed")]
    private static partial void LogCallbackFailedCore(ILogger logger, string key, Exception exception);
}
