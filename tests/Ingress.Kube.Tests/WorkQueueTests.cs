using Ingress.Kube.Client;
using Ingress.Kube.Queue;
using Ingress.Kube.Tests.Fixtures;

namespace Ingress.Kube.Tests;

public sealed class WorkQueueTests
{
    private readonly ManualTimeProvider _time = new();

    private WorkQueue NewQueue(double qps = 10, int burst = 100) =>
        new(new WorkQueueOptions { Name = "test", Time = _time, RetryQps = qps, RetryBurst = burst });

    private static List<string> Drain(WorkQueue q)
    {
        var keys = new List<string>();
        while (q.TryGet(out var k))
        {
            keys.Add(k);
            q.Done(k);
        }
        return keys;
    }

    [Fact]
    public void A_key_added_many_times_is_held_once()
    {
        using var q = NewQueue();
        q.Add("a"); q.Add("b"); q.Add("a"); q.Add("a");
        Assert.Equal(2, q.Count);
        Assert.Equal(["a", "b"], Drain(q));
    }

    [Fact]
    public void A_key_in_processing_is_not_handed_out_again_until_done()
    {
        using var q = NewQueue();
        q.Add("a");
        Assert.True(q.TryGet(out var first));
        q.Add("a");
        Assert.False(q.TryGet(out _)); // a second worker gets nothing while "a" is processed
        Assert.Equal(0, q.Count);
        q.Done(first);
        Assert.Equal(1, q.Count);
        Assert.True(q.TryGet(out var again));
        Assert.Equal("a", again);
    }

    [Fact]
    public void Fast_lane_goes_before_slow_lane()
    {
        using var q = NewQueue();
        for (var i = 0; i < 1000; i++) q.Add($"resync-{i}", QueueLane.Slow);
        q.Add("changed", QueueLane.Fast);
        Assert.True(q.TryGet(out var k));
        Assert.Equal("changed", k);
        q.Done(k);
        Assert.Equal(1000, q.CountIn(QueueLane.Slow));
    }

    [Fact]
    public void A_slow_key_added_fast_is_promoted_and_processed_once()
    {
        using var q = NewQueue();
        q.Add("x", QueueLane.Slow);
        q.Add("y", QueueLane.Slow);
        q.Add("y", QueueLane.Fast);
        Assert.Equal(2, q.Count);
        Assert.Equal(["y", "x"], Drain(q));
    }

    [Fact]
    public void A_fast_key_stays_fast_when_added_slow()
    {
        using var q = NewQueue();
        q.Add("s", QueueLane.Slow);
        q.Add("f", QueueLane.Fast);
        q.Add("f", QueueLane.Slow);
        Assert.Equal(["f", "s"], Drain(q));
    }

    [Fact]
    public void Per_key_backoff_doubles_from_5ms_and_caps_at_1000s()
    {
        using var q = NewQueue(qps: 1e9, burst: int.MaxValue);
        var delays = Enumerable.Range(0, 5).Select(_ => q.AddRateLimited("k")).ToList();
        Assert.Equal([5, 10, 20, 40, 80], delays.Select(d => Math.Round(d.TotalMilliseconds)).ToList());
        for (var i = 0; i < 40; i++) q.AddRateLimited("k");
        Assert.Equal(TimeSpan.FromSeconds(1000), q.AddRateLimited("k"));
        Assert.Equal(46, q.NumRequeues("k"));
        q.Forget("k");
        Assert.Equal(0, q.NumRequeues("k"));
        Assert.Equal(TimeSpan.FromMilliseconds(5), q.AddRateLimited("k"));
    }

    [Fact]
    public void Overall_bucket_limits_retries_after_the_burst()
    {
        using var q = NewQueue(qps: 10, burst: 2);
        Assert.Equal(TimeSpan.FromMilliseconds(5), q.AddRateLimited("a"));
        Assert.Equal(TimeSpan.FromMilliseconds(5), q.AddRateLimited("b"));
        // The third distinct key in the same instant waits for a token: 1/10 s.
        Assert.Equal(100, Math.Round(q.AddRateLimited("c").TotalMilliseconds));
        Assert.Equal(200, Math.Round(q.AddRateLimited("d").TotalMilliseconds));
    }

    [Fact]
    public void Delayed_keys_become_ready_when_their_time_comes()
    {
        using var q = NewQueue();
        q.AddAfter("later", TimeSpan.FromSeconds(10));
        q.AddAfter("sooner", TimeSpan.FromSeconds(1));
        Assert.Equal(0, q.Count);
        Assert.Equal(2, q.DelayedCount);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["sooner"], Drain(q));
        _time.Advance(TimeSpan.FromSeconds(8));
        Assert.Empty(Drain(q));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["later"], Drain(q));
    }

    [Fact]
    public void A_key_waiting_keeps_the_earlier_time()
    {
        using var q = NewQueue();
        q.AddAfter("k", TimeSpan.FromSeconds(10));
        q.AddAfter("k", TimeSpan.FromSeconds(2));
        q.AddAfter("k", TimeSpan.FromSeconds(30));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(["k"], Drain(q));
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Empty(Drain(q));
    }

    [Fact]
    public void A_rate_limited_retry_keeps_the_lane_it_came_from()
    {
        using var q = NewQueue();
        q.Add("resynced", QueueLane.Slow);
        Assert.True(q.TryGet(out var k));
        q.AddRateLimited(k);
        q.Done(k);
        _time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(1, q.CountIn(QueueLane.Slow));
        Assert.Equal(0, q.CountIn(QueueLane.Fast));
    }

    [Fact]
    public async Task GetAsync_waits_for_a_key_and_returns_null_after_shutdown()
    {
        using var q = NewQueue();
        var waiting = q.GetAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        q.Add("k");
        Assert.Equal("k", await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        var blocked = q.GetAsync().AsTask();
        q.ShutDown();
        Assert.Null(await blocked.WaitAsync(TimeSpan.FromSeconds(30)));
        q.Add("ignored");
        Assert.Null(await q.GetAsync());
    }

    [Fact]
    public async Task Concurrent_workers_never_hold_the_same_key()
    {
        using var q = new WorkQueue(new WorkQueueOptions { Name = "concurrency" });
        var inFlight = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var violations = 0;
        var processed = 0;
        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (await q.GetAsync() is { } key)
            {
                if (inFlight.AddOrUpdate(key, 1, (_, v) => v + 1) > 1) Interlocked.Increment(ref violations);
                await Task.Yield();
                inFlight.AddOrUpdate(key, 0, (_, v) => v - 1);
                Interlocked.Increment(ref processed);
                q.Done(key);
            }
        })).ToArray();
        for (var i = 0; i < 20000; i++) q.Add($"k{i % 5}", i % 3 == 0 ? QueueLane.Slow : QueueLane.Fast);
        await Eventually.HoldsAsync(() => q.Count == 0 && inFlight.Values.All(v => v == 0), "queue drained");
        q.ShutDown();
        await Task.WhenAll(workers);
        Assert.Equal(0, violations);
        Assert.True(processed >= 5);
    }

    [Fact]
    public void Token_bucket_reserves_with_exact_waits()
    {
        var bucket = new TokenBucket(2, 2, _time);
        Assert.Equal(TimeSpan.Zero, bucket.Reserve());
        Assert.Equal(TimeSpan.Zero, bucket.Reserve());
        Assert.Equal(TimeSpan.FromMilliseconds(500), bucket.Reserve());
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.Zero, bucket.Reserve());
    }

    [Fact]
    public void Metrics_count_adds_retries_and_depth()
    {
        using var metrics = new MetricCollector();
        using var q = new WorkQueue(new WorkQueueOptions { Name = "metrics-q", Time = _time });
        q.Add("a"); q.Add("b", QueueLane.Slow); q.Add("a");
        Assert.True(q.TryGet(out var k));
        q.AddRateLimited(k);
        q.Done(k);
        bool Mine(Dictionary<string, object?> t) => (string?)t["queue"] == "metrics-q";
        Assert.Equal(3, metrics.Sum("kube.workqueue.adds", Mine));
        Assert.Equal(1, metrics.Sum("kube.workqueue.retries", Mine));
        Assert.Equal(1, metrics.Sum("kube.workqueue.depth", Mine));
        Assert.Single(metrics.Measurements, m => m.Name == "kube.workqueue.queue.duration" && Mine(m.Tags));
    }
}
