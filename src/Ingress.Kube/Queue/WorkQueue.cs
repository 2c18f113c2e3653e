using Ingress.Kube.Client;
using Ingress.Kube.Diagnostics;

namespace Ingress.Kube.Queue;

/// <summary>
/// Which lane a key waits in. Keys from real changes go <see cref="Fast"/>; keys from a resync go
/// <see cref="Slow"/>, so a resync of thousands of keys never delays a real change. A key waiting in the
/// slow lane is promoted when it is added to the fast one.
/// </summary>
public enum QueueLane { Fast = 0, Slow = 1 }

public sealed class WorkQueueOptions
{
    /// <summary>Names the queue in metrics (usually the controller's name).</summary>
    public string Name { get; init; } = "default";
    /// <summary>First per-key retry delay. Default 5 ms, as client-go's controller rate limiter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(5);
    /// <summary>Cap of the per-key retry delay. Default 1000 s, as client-go's controller rate limiter.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(1000);
    /// <summary>Overall retries per second. Default 10, client-go's bucket: a flood of failures cannot hammer the API server.</summary>
    public double RetryQps { get; init; } = 10;
    /// <summary>Overall retry burst. Default 100, client-go's bucket.</summary>
    public int RetryBurst { get; init; } = 100;
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// A deduplicating work queue in the manner of client-go's: a key is held once however often it is
/// added; a key being processed is never handed to a second worker, and if it is added meanwhile it is
/// queued again when <see cref="Done"/> is called. Adds can be delayed or rate limited per key
/// (exponential backoff) and overall (token bucket).
/// </summary>
public sealed class WorkQueue : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<string>[] _lanes = [new(), new()];
    /// <summary>Keys that need processing, with their lane and when they became ready.</summary>
    private readonly Dictionary<string, (QueueLane Lane, long ReadyAt)> _dirty = new(StringComparer.Ordinal);
    /// <summary>Keys handed to a worker and not yet Done, with the lane they came from.</summary>
    private readonly Dictionary<string, QueueLane> _processing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly PriorityQueue<(string Key, QueueLane Lane), DateTimeOffset> _waiting = new();
    private readonly Dictionary<string, DateTimeOffset> _waitingDue = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _ready = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TokenBucket _bucket;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly KeyValuePair<string, object?> _nameTag;
    private readonly KeyValuePair<string, object?>[] _laneTags;
    private DateTimeOffset _timerDue = DateTimeOffset.MaxValue;
    private int _readyCount;
    private bool _shuttingDown;

    public WorkQueue(WorkQueueOptions? options = null)
    {
        Options = options ?? new WorkQueueOptions();
        _time = Options.Time;
        _bucket = new TokenBucket(Options.RetryQps, Options.RetryBurst, _time);
        _timer = _time.CreateTimer(static s => ((WorkQueue)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _nameTag = new("queue", Options.Name);
        _laneTags = [new("lane", "fast"), new("lane", "slow")];
    }

    public WorkQueueOptions Options { get; }

    /// <summary>Keys ready to be taken (both lanes).</summary>
    public int Count { get { lock (_gate) return _readyCount; } }

    /// <summary>Keys ready in one lane.</summary>
    public int CountIn(QueueLane lane)
    {
        lock (_gate)
        {
            var n = 0;
            foreach (var (k, v) in _dirty)
            {
                if (v.Lane == lane && !_processing.ContainsKey(k)) n++;
            }
            return n;
        }
    }

    /// <summary>Keys waiting for a delay to pass.</summary>
    public int DelayedCount { get { lock (_gate) return _waitingDue.Count; } }

    public bool IsShuttingDown { get { lock (_gate) return _shuttingDown; } }

    /// <summary>Makes a key ready now.</summary>
    public void Add(string key, QueueLane lane = QueueLane.Fast)
    {
        lock (_gate)
        {
            AddLocked(key, lane);
        }
    }

    private void AddLocked(string key, QueueLane lane)
    {
        if (_shuttingDown) return;
        KubeMetrics.QueueAdds.Add(1, _nameTag, _laneTags[(int)lane]);
        if (_dirty.TryGetValue(key, out var existing))
        {
            if (lane < existing.Lane)
            {
                // Promote: a real change arrived for a key queued by a resync.
                _dirty[key] = (lane, existing.ReadyAt);
                if (!_processing.ContainsKey(key))
                {
                    _lanes[(int)lane].Enqueue(key);
                    KubeMetrics.QueueDepth.Add(-1, _nameTag, _laneTags[(int)existing.Lane]);
                    KubeMetrics.QueueDepth.Add(1, _nameTag, _laneTags[(int)lane]);
                }
            }
            return;
        }
        _dirty[key] = (lane, _time.GetTimestamp());
        if (_processing.ContainsKey(key))
        {
            return; // queued again on Done
        }
        MakeReadyLocked(key, lane);
    }

    private void MakeReadyLocked(string key, QueueLane lane)
    {
        _lanes[(int)lane].Enqueue(key);
        _readyCount++;
        KubeMetrics.QueueDepth.Add(1, _nameTag, _laneTags[(int)lane]);
        _ready.Release();
    }

    /// <summary>Makes a key ready after <paramref name="delay"/>. A key already waiting keeps the earlier of the two times.</summary>
    public void AddAfter(string key, TimeSpan delay, QueueLane lane = QueueLane.Fast)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key, lane);
            return;
        }
        lock (_gate)
        {
            if (_shuttingDown) return;
            var due = _time.GetUtcNow() + delay;
            if (_waitingDue.TryGetValue(key, out var existing) && existing <= due) return;
            _waitingDue[key] = due;
            _waiting.Enqueue((key, lane), due);
            if (due < _timerDue)
            {
                _timerDue = due;
                _timer.Change(delay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>
    /// Re-adds a key after a failure: the larger of its own exponential backoff (5 ms doubling to 1000 s
    /// by default) and the overall token bucket's wait. The lane is the one the key was taken from.
    /// </summary>
    public TimeSpan AddRateLimited(string key)
    {
        TimeSpan delay;
        QueueLane lane;
        lock (_gate)
        {
            var failures = _failures.GetValueOrDefault(key);
            _failures[key] = failures + 1;
            var backoff = Options.BaseDelay.TotalSeconds * Math.Pow(2, Math.Min(failures, 62));
            var perKey = backoff >= Options.MaxDelay.TotalSeconds ? Options.MaxDelay : TimeSpan.FromSeconds(backoff);
            var overall = _bucket.Reserve();
            delay = perKey > overall ? perKey : overall;
            lane = _processing.TryGetValue(key, out var l) ? l : _dirty.TryGetValue(key, out var d) ? d.Lane : QueueLane.Fast;
        }
        KubeMetrics.QueueRetries.Add(1, _nameTag);
        AddAfter(key, delay, lane);
        return delay;
    }

    /// <summary>Clears a key's failure count (after a success, or when giving up).</summary>
    public void Forget(string key)
    {
        lock (_gate) _failures.Remove(key);
    }

    public int NumRequeues(string key)
    {
        lock (_gate) return _failures.GetValueOrDefault(key);
    }

    /// <summary>
    /// Takes the next key, fast lane first; waits when none is ready. Returns null once the queue is shut
    /// down. The caller must call <see cref="Done"/> with the key.
    /// </summary>
    public async ValueTask<string?> GetAsync(CancellationToken ct = default)
    {
        while (true)
        {
            if (!_ready.Wait(0))
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
                try
                {
                    await _ready.WaitAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_shutdown.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    return null;
                }
            }
            lock (_gate)
            {
                if (_shuttingDown) return null;
                if (TryPopLocked(out var key)) return key;
            }
        }
    }

    /// <summary>Takes a ready key without waiting (tests, draining).</summary>
    public bool TryGet(out string key)
    {
        key = "";
        if (!_ready.Wait(0)) return false;
        lock (_gate)
        {
            if (!_shuttingDown && TryPopLocked(out var k))
            {
                key = k;
                return true;
            }
            return false;
        }
    }

    private bool TryPopLocked(out string key)
    {
        for (var lane = 0; lane < _lanes.Length; lane++)
        {
            var q = _lanes[lane];
            while (q.TryDequeue(out var k))
            {
                // Skip entries left behind by a promotion or already taken.
                if (!_dirty.TryGetValue(k, out var entry) || (int)entry.Lane != lane || _processing.ContainsKey(k)) continue;
                _dirty.Remove(k);
                _processing[k] = entry.Lane;
                _readyCount--;
                KubeMetrics.QueueDepth.Add(-1, _nameTag, _laneTags[lane]);
                KubeMetrics.QueueLatency.Record(_time.GetElapsedTime(entry.ReadyAt).TotalSeconds, _nameTag, _laneTags[lane]);
                key = k;
                return true;
            }
        }
        key = "";
        return false;
    }

    /// <summary>Marks a key as processed; if it was added meanwhile it becomes ready again.</summary>
    public void Done(string key)
    {
        lock (_gate)
        {
            if (!_processing.Remove(key)) return;
            if (!_shuttingDown && _dirty.TryGetValue(key, out var entry))
            {
                _dirty[key] = (entry.Lane, _time.GetTimestamp());
                MakeReadyLocked(key, entry.Lane);
            }
        }
    }

    /// <summary>Stops handing out keys; every pending and future <see cref="GetAsync"/> returns null.</summary>
    public void ShutDown()
    {
        lock (_gate)
        {
            if (_shuttingDown) return;
            _shuttingDown = true;
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            KubeMetrics.QueueDepth.Add(-CountIn(QueueLane.Fast), _nameTag, _laneTags[0]);
            KubeMetrics.QueueDepth.Add(-CountIn(QueueLane.Slow), _nameTag, _laneTags[1]);
        }
        _shutdown.Cancel();
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            if (_shuttingDown) return;
            var now = _time.GetUtcNow();
            while (_waiting.TryPeek(out var item, out var due) && due <= now)
            {
                _waiting.Dequeue();
                if (_waitingDue.TryGetValue(item.Key, out var current) && current == due)
                {
                    _waitingDue.Remove(item.Key);
                    AddLocked(item.Key, item.Lane);
                }
            }
            // Drop stale heads so the next due time is real.
            while (_waiting.TryPeek(out var head, out var headDue) && (!_waitingDue.TryGetValue(head.Key, out var cur) || cur != headDue))
            {
                _waiting.Dequeue();
            }
            if (_waiting.TryPeek(out _, out var next))
            {
                _timerDue = next;
                var delay = next - now;
                _timer.Change(delay > TimeSpan.Zero ? delay : TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
            }
            else
            {
                _timerDue = DateTimeOffset.MaxValue;
            }
        }
    }

    public void Dispose()
    {
        ShutDown();
        _timer.Dispose();
        _shutdown.Dispose();
    }
}
