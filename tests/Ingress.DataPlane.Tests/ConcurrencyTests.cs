using Ingress.DataPlane.Activator;
using Ingress.DataPlane.Concurrency;
using Ingress.DataPlane.Proxy;

namespace Ingress.DataPlane.Tests;

/// <summary>A clock the test moves by hand (timestamps in milliseconds).</summary>
public sealed class ManualTime : TimeProvider
{
    public long Milliseconds { get; set; }
    public override long TimestampFrequency => 1000;
    public override long GetTimestamp() => Milliseconds;
}

public sealed class RequestStatsTests
{
    [Fact]
    public void One_request_over_the_whole_period_averages_one()
    {
        var time = new ManualTime();
        var stats = new RequestStats(time);
        stats.RequestIn(0, proxied: false);
        var report = stats.Report(1000);
        Assert.Equal(1.0, report.AverageConcurrency, 9);
        Assert.Equal(1, report.RequestCount);
    }

    [Fact]
    public void One_request_for_three_seconds_of_six_averages_half()
    {
        var stats = new RequestStats(new ManualTime());
        stats.RequestIn(0, false);
        stats.RequestOut(3000, false);
        Assert.Equal(0.5, stats.Report(6000).AverageConcurrency, 9);
    }

    [Fact]
    public void Overlapping_requests_average_one_and_a_half()
    {
        var stats = new RequestStats(new ManualTime());
        stats.RequestIn(0, false);
        stats.RequestIn(100, false);
        stats.RequestOut(600, false);
        stats.RequestOut(1000, false);
        var report = stats.Report(1000);
        Assert.Equal(1.5, report.AverageConcurrency, 9);
        Assert.Equal(2, report.RequestCount);
    }

    [Fact]
    public void A_request_spanning_two_periods_reports_in_both_but_counts_once()
    {
        var stats = new RequestStats(new ManualTime());
        stats.RequestIn(0, true);
        var first = stats.Report(1000);
        stats.RequestOut(1500, true);
        var second = stats.Report(2000);
        Assert.Equal((1.0, 1.0, 1.0, 1.0), (first.AverageConcurrency, first.AverageProxiedConcurrency, first.RequestCount, first.ProxiedRequestCount));
        Assert.Equal((0.5, 0.5, 0.0, 0.0), (second.AverageConcurrency, second.AverageProxiedConcurrency, second.RequestCount, second.ProxiedRequestCount));
    }

    [Fact]
    public void Out_of_order_events_add_no_time()
    {
        var stats = new RequestStats(new ManualTime { Milliseconds = 500 });
        stats.RequestIn(1000, false);
        stats.RequestOut(800, false); // earlier than the last change: gauges move, no area
        Assert.Equal(0.0, stats.Report(2000).AverageConcurrency, 9);
    }
}

public sealed class BreakerTests
{
    [Fact]
    public async Task Admits_capacity_then_queues_then_refuses()
    {
        var breaker = new Breaker(new BreakerOptions(QueueDepth: 2, MaxConcurrency: 1, InitialCapacity: 1));
        Assert.Equal(BreakerAdmission.Acquired, await breaker.AcquireAsync(CancellationToken.None));
        var queued1 = breaker.AcquireAsync(CancellationToken.None).AsTask();
        var queued2 = breaker.AcquireAsync(CancellationToken.None).AsTask();
        Assert.Equal(BreakerAdmission.QueueFull, await breaker.AcquireAsync(CancellationToken.None));
        Assert.Equal(3, breaker.InFlight);
        Assert.False(queued1.IsCompleted);

        breaker.Release();
        Assert.Equal(BreakerAdmission.Acquired, await queued1.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(queued2.IsCompleted, "FIFO: the second waiter stays queued");
        breaker.Release();
        Assert.Equal(BreakerAdmission.Acquired, await queued2.WaitAsync(TimeSpan.FromSeconds(30)));
        breaker.Release();
        Assert.Equal(0, breaker.InFlight);
    }

    [Fact]
    public async Task Cancelled_waiter_gives_its_admission_back()
    {
        var breaker = new Breaker(new BreakerOptions(1, 1, 1));
        Assert.Equal(BreakerAdmission.Acquired, await breaker.AcquireAsync(CancellationToken.None));
        using var cts = new CancellationTokenSource();
        var waiting = breaker.AcquireAsync(cts.Token).AsTask();
        Assert.Equal(2, breaker.InFlight);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, breaker.InFlight);
        breaker.Release();
        Assert.True(breaker.TryAcquire());
    }

    [Fact]
    public async Task Growing_capacity_wakes_waiters_and_shrinking_preempts_nothing()
    {
        var breaker = new Breaker(new BreakerOptions(10, 5, 0));
        var waiters = Enumerable.Range(0, 3).Select(_ => breaker.AcquireAsync(CancellationToken.None).AsTask()).ToArray();
        Assert.All(waiters, w => Assert.False(w.IsCompleted));
        breaker.UpdateConcurrency(2);
        await Task.WhenAll(waiters.Take(2)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(waiters[2].IsCompleted);

        breaker.UpdateConcurrency(1);
        breaker.Release(); // 1 executing, capacity 1: the third still waits
        Assert.False(waiters[2].IsCompleted);
        breaker.Release();
        Assert.Equal(BreakerAdmission.Acquired, await waiters[2].WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(5, breaker.Options.MaxConcurrency);
        breaker.UpdateConcurrency(100);
        Assert.Equal(5, breaker.Capacity);
    }

    [Fact]
    public void Try_acquire_never_waits()
    {
        var breaker = new Breaker(new BreakerOptions(10, 1, 1));
        Assert.True(breaker.TryAcquire());
        Assert.False(breaker.TryAcquire());
        Assert.Equal(1, breaker.InFlight);
    }

    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(1, -1, 0)]
    [InlineData(1, 1, 2)]
    [InlineData(1, 1, -1)]
    public void Invalid_parameters_are_rejected(int queue, int max, int initial) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Breaker(new BreakerOptions(queue, max, initial)));

    [Fact]
    public void Queue_proxy_breaker_queues_ten_times_cc() =>
        Assert.Equal(new BreakerOptions(30, 3, 3), BreakerOptions.ForQueueProxy(3));
}

public sealed class ThrottlerTests
{
    private static PodTracker[] Pods(int n)
    {
        var throttler = new RevisionThrottler(1);
        throttler.UpdatePods(Enumerable.Range(0, n).Select(i => $"10.0.0.{i}:8012"), -1, 1);
        return throttler.AssignedPods.ToArray();
    }

    [Theory]
    // pods, index, activators, cc, expected pod indexes
    [InlineData(5, -1, 2, 1, new[] { 0, 1, 2, 3, 4 })] // index unknown: all
    [InlineData(5, 0, 2, 0, new[] { 0, 1, 2, 3, 4 })]  // cc = 0: all
    [InlineData(5, 0, 1, 1, new[] { 0, 1, 2, 3, 4 })]  // one activator: all
    [InlineData(5, 0, 2, 1, new[] { 0, 1, 4 })]        // slice of 2 plus remnant 4
    [InlineData(5, 1, 2, 1, new[] { 2, 3 })]
    [InlineData(2, 2, 3, 1, new[] { 0 })]              // more activators than pods: index mod pods
    public void Pods_are_split_between_activators(int pods, int index, int count, int cc, int[] expected)
    {
        var all = Pods(pods);
        var assigned = RevisionThrottler.Assign(all, index, count, cc);
        Assert.Equal(expected.Select(i => all[i].Address), assigned.Select(p => p.Address));
    }

    [Theory]
    [InlineData(0, 0, 5, 0)]
    [InlineData(3, 3, 0, int.MaxValue)]
    [InlineData(3, 2, 10, 20)]
    [InlineData(1, 1, int.MaxValue, int.MaxValue)]
    public void Capacity_is_cc_times_assigned_pods(int backends, int assigned, int cc, int expected) =>
        Assert.Equal(expected, RevisionThrottler.ComputeCapacity(backends, assigned, cc));

    [Fact]
    public async Task Requests_wait_for_pods_then_flow()
    {
        var throttler = new RevisionThrottler(2);
        var waiting = throttler.AcquireAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        throttler.UpdatePods(["10.0.0.1:8012"], -1, 1);
        using var lease = await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("10.0.0.1:8012", lease!.Pod.Address);
        Assert.Equal(2, throttler.Capacity);
    }
}

public sealed class ConcurrencyReporterTests
{
    [Fact]
    public async Task First_request_pokes_at_once_and_is_subtracted_from_the_next_report()
    {
        var sink = new RecordingStatSink();
        await using var reporter = new ConcurrencyReporter("activator-0", sink, TimeSpan.FromHours(1));
        var key = new RevisionKey("ns", "rev");
        reporter.RequestIn(key);
        var poke = Assert.Single(sink.Messages);
        Assert.Equal((1.0, 1.0), (poke.Stat!.AverageConcurrentRequests, poke.Stat.RequestCount));

        reporter.RequestIn(key);
        Assert.Single(sink.Messages); // only the first request of an idle revision pokes
        reporter.RequestOut(key);
        reporter.RequestOut(key);
        var first = Assert.Single(reporter.Tick());
        Assert.Equal(1.0 / 3600, first.Stat!.RequestCount, 9); // two arrivals minus the poke's one, per second of the period
        Assert.True(first.Stat.AverageConcurrentRequests >= 0);

        // A whole idle period drops the entry, so the next request pokes again.
        Assert.Single(reporter.Tick());
        Assert.Empty(reporter.Tick());
        reporter.RequestIn(key);
        Assert.Equal(2, sink.Messages.Count(m => m.Stat!.AverageConcurrentRequests == 1 && m.Stat.RequestCount == 1));
    }
}

public sealed class ProxyErrorTests
{
    [Fact]
    public void Every_error_kind_has_a_status_and_a_body()
    {
        foreach (var error in Enum.GetValues<ProxyError>().Where(e => e != ProxyError.None))
        {
            Assert.InRange(error.StatusCode(), 400, 599);
            Assert.False(string.IsNullOrEmpty(error.Body()));
        }
        Assert.Equal((503, "pending request queue full"), (ProxyError.QueueFull.StatusCode(), ProxyError.QueueFull.Body()));
        Assert.Equal((504, "request timeout"), (ProxyError.RequestTimeout.StatusCode(), ProxyError.RequestTimeout.Body()));
        Assert.Equal((503, "shutting down"), (ProxyError.Draining.StatusCode(), ProxyError.Draining.Body()));
        Assert.Equal(502, ProxyError.UpstreamConnectFailed.StatusCode());
    }
}

public sealed class RevisionFromRequestTests
{
    [Theory]
    [InlineData("hello-00001.default.svc.cluster.local", null, null, "default/hello-00001")]
    [InlineData("hello-00001.default.svc.cluster.local:8012", null, null, "default/hello-00001")]
    [InlineData("hello-00001.default.svc", null, null, "default/hello-00001")]
    [InlineData("hello-00001.default", null, null, "default/hello-00001")]
    [InlineData("hello.example.com", null, null, null)]
    [InlineData("localhost", null, null, null)]
    [InlineData("hello.example.com", "rev", "ns", "ns/rev")]
    [InlineData("hello.example.com", "rev", null, null)]
    public void Revision_comes_from_headers_or_the_service_host(string host, string? revision, string? ns, string? expected)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Host = Microsoft.AspNetCore.Http.HostString.FromUriComponent(host);
        if (revision is not null) context.Request.Headers["Knative-Serving-Revision"] = revision;
        if (ns is not null) context.Request.Headers["Knative-Serving-Namespace"] = ns;
        Assert.Equal(expected, ActivatorServer.RevisionFrom(context.Request, "cluster.local")?.ToString());
    }
}
