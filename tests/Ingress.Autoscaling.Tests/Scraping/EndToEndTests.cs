using System.Diagnostics.Metrics;
using Ingress.Api.Metrics;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Metrics;
using Ingress.Autoscaling.Scaling;
using Ingress.Autoscaling.Scraping;

namespace Ingress.Autoscaling.Tests.Scraping;

/// <summary>Real queue-proxy-shaped HTTP servers → scraper → windows → decider → KPA decisions.</summary>
public class EndToEndTests
{
    private sealed class Counter(ListPods pods) : IReadyPodCounter
    {
        public int ReadyCount(RevisionKey key) => pods.Pods.Count;
    }

    [Fact]
    public async Task Scraped_load_drives_the_desired_scale_and_the_SKS_mode()
    {
        await using var a = await FakeQueueProxy.ServingAsync(new Stat { PodName = "a", AverageConcurrentRequests = 100, RequestCount = 10 });
        await using var b = await FakeQueueProxy.ServingAsync(new Stat { PodName = "b", AverageConcurrentRequests = 110, AverageProxiedConcurrentRequests = 10, RequestCount = 10 });
        var key = new RevisionKey("default", "hello-00001");
        var settings = RevisionAutoscaling.Resolve(null, 0, AutoscalerConfig.Default);
        var pods = new ListPods(new ScrapePod(a.Authority, null), new ScrapePod(b.Authority, null));
        // A fixed clock: the activator stat and the scrape must land in the same 1 s bucket to be summed.
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var collector = new MetricCollector(time);
        collector.CreateOrUpdate(key, MetricSpec.From(settings), new StatScraper(pods, null));
        using var telemetry = new AutoscalerTelemetry();
        var scaler = new MultiScaler(collector, new Counter(pods), time, telemetry: telemetry);
        scaler.CreateOrUpdate(key, settings.ToDeciderSpec(Reachability.Reachable));
        // The activator holds 10 more requests (proxied ones are subtracted from queue-proxy numbers).
        collector.Record(key, new Stat { PodName = "activator", AverageConcurrentRequests = 10 });
        time.Advance(TimeSpan.FromMilliseconds(500));

        await collector.ScrapeAllAsync();
        var result = scaler.Evaluate(key);
        // Total 100 + (110 − 10) + 10 = 210 ⇒ ceil(210 / 70) = 3 pods; EBC = 2 × 100 − 211 − 210 = −221.
        Assert.Equal(new ScaleResult(3, -221, true), result);

        var status = scaler.Get(key)!.Value;
        var decision = KpaDecisions.Reconcile(new KpaInputs
        {
            Now = DateTimeOffset.UtcNow,
            Settings = settings,
            Reachability = Reachability.Reachable,
            SksPrivateServiceName = "hello-00001-private",
            SksServiceName = "hello-00001",
            SksReady = true,
            Active = new ConditionSince<ActiveState>(ActiveState.Active, DateTimeOffset.UtcNow.AddMinutes(-5)),
            ScaleTargetInitialized = true,
            DeciderDesiredScale = status.DesiredScale,
            DeciderExcessBurstCapacity = status.ExcessBurstCapacity,
            DeploymentReplicas = 2,
            ReadyPods = 2,
        });
        Assert.Equal((3, (int?)3, ServerlessServiceMode.Proxy, 5), (decision.Want, decision.PatchReplicas, decision.SksMode, decision.NumActivators));

        long requested = -1, actual = -1;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Meter.Name == AutoscalerTelemetry.MeterName) l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) =>
        {
            if (i.Name == "requested_pods") requested = v;
            if (i.Name == "actual_pods") actual = v;
        });
        listener.Start();
        telemetry.RecordReconcile(key, decision);
        Assert.Equal((3L, 2L), (requested, actual));
    }
}
