using Ingress.Api.Metrics;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Metrics;
using Ingress.Autoscaling.Scraping;

namespace Ingress.Autoscaling.Tests.Scraping;

public class MetricCollectorTests
{
    private static readonly RevisionKey Key = new("default", "hello-00001");
    private static readonly MetricSpec Spec = MetricSpec.From(RevisionAutoscaling.Resolve(null, 0, AutoscalerConfig.Default));

    [Fact]
    public async Task Scrapes_every_second_on_the_clock()
    {
        await using var pod = await FakeQueueProxy.ServingAsync(new Stat { PodName = "p", AverageConcurrentRequests = 7 });
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var collector = new MetricCollector(time);
        var collection = collector.CreateOrUpdate(Key, Spec, new StatScraper(new ListPods(new ScrapePod(pod.Authority, null)), null, time));
        using var cts = new CancellationTokenSource();
        var run = collector.RunAsync(cts.Token);
        Assert.Equal(MetricReadError.NoData, collection.StableAndPanicConcurrency(time.GetUtcNow()).Error);
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitFor(() => pod.Hits >= 1);
        await WaitFor(() => collection.StableAndPanicConcurrency(time.GetUtcNow()).Ok);
        Assert.Equal(7, collection.StableAndPanicConcurrency(time.GetUtcNow()).Stable);
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitFor(() => pod.Hits >= 2);
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Scrape_errors_are_surfaced_once_per_change()
    {
        await using var bad = await FakeQueueProxy.FailingAsync(500);
        var collector = new MetricCollector();
        var changes = new List<RevisionKey>();
        collector.ErrorStateChanged += k => { lock (changes) changes.Add(k); };
        var pods = new ListPods(new ScrapePod(bad.Authority, null));
        var collection = collector.CreateOrUpdate(Key, Spec, new StatScraper(pods, null));
        await collector.ScrapeAllAsync();
        await collector.ScrapeAllAsync();
        Assert.Equal("PodsExhausted: pods exhausted", collection.LastScrapeError);
        Assert.Single(changes);
        pods.Pods = [];
        await collector.ScrapeAllAsync();
        Assert.Null(collection.LastScrapeError);
        Assert.Equal(2, changes.Count);
    }

    [Fact]
    public void Activator_stats_get_the_arrival_second_and_unknown_revisions_are_ignored()
    {
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddMilliseconds(700));
        var collector = new MetricCollector(time);
        var collection = collector.CreateOrUpdate(Key, Spec, null);
        Assert.True(collector.Record(Key, new Stat { PodName = "activator", AverageConcurrentRequests = 2 }));
        Assert.True(collector.Record(Key, new Stat { PodName = "activator", AverageConcurrentRequests = 3, Timestamp = 1_700_000_000 }));
        Assert.False(collector.Record(new RevisionKey("default", "other"), new Stat { AverageConcurrentRequests = 3 }));
        Assert.Equal(5, collection.StableAndPanicConcurrency(time.GetUtcNow()).Stable);
        Assert.True(collector.Delete(Key));
        Assert.Null(collector.Get(Key));
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met within 30 s");
            await Task.Delay(10);
        }
    }
}
