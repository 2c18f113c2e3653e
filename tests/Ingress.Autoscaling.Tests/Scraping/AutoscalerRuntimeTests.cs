using Ingress.Api.Metrics;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Scaling;
using Ingress.Autoscaling.Scraping;

namespace Ingress.Autoscaling.Tests.Scraping;

public class AutoscalerRuntimeTests
{
    private static readonly RevisionKey Key = new("default", "hello-00001");

    [Fact]
    public async Task Loops_scrape_and_decide_on_the_clock()
    {
        await using var pod = await FakeQueueProxy.ServingAsync(new Stat { PodName = "p", AverageConcurrentRequests = 140 });
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var runtime = new AutoscalerRuntime(time);
        var settings = RevisionAutoscaling.Resolve(null, 0, AutoscalerConfig.Default);
        var pods = new ListPods(new ScrapePod(pod.Authority, null));
        Assert.Equal(new DeciderStatus(-1, -111), runtime.Apply(Key, settings, Reachability.Reachable, pods, null));
        using var cts = new CancellationTokenSource();
        var run = runtime.RunAsync(cts.Token);

        time.Advance(TimeSpan.FromSeconds(1)); // scrape
        await WaitFor(() => runtime.Collector.Get(Key)!.StableAndPanicConcurrency(time.GetUtcNow()).Ok);
        time.Advance(TimeSpan.FromSeconds(1)); // scrape + decide
        await WaitFor(() => runtime.Scaler.Get(Key)!.Value.DesiredScale == 2);
        Assert.Equal(1, runtime.ReadyCount(Key));
        Assert.Equal(0, runtime.ReadyCount(new RevisionKey("default", "gone")));

        runtime.Remove(Key);
        Assert.Null(runtime.Scaler.Get(Key));
        Assert.Null(runtime.Collector.Get(Key));
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public void Tbc_minus_one_revisions_are_not_scraped_and_reach_zero()
    {
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var runtime = new AutoscalerRuntime(time);
        var settings = RevisionAutoscaling.Resolve(new Dictionary<string, string> { ["autoscaling.knative.dev/target-burst-capacity"] = "-1" }, 0, AutoscalerConfig.Default);
        runtime.Apply(Key, settings, Reachability.Reachable, new ListPods(new ScrapePod("127.0.0.1:1", null)), null);
        Assert.False(runtime.Collector.Get(Key)!.Spec.HasScrapeTarget);
        Assert.Equal(new ScaleResult(0, -1, true), runtime.Scaler.Evaluate(Key));
        runtime.Deliver(Key, new Stat { AverageConcurrentRequests = 3 });
        Assert.Equal(1, runtime.Scaler.Get(Key)!.Value.DesiredScale); // poked at zero
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
