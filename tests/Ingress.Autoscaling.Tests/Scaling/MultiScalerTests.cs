using System.Diagnostics.Metrics;
using Ingress.Api.Metrics;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Metrics;
using Ingress.Autoscaling.Scaling;

namespace Ingress.Autoscaling.Tests.Scaling;

public class MultiScalerTests
{
    private sealed class Pods : IReadyPodCounter
    {
        public int Ready;
        public bool Fail;
        public int ReadyCount(RevisionKey key) => Fail ? throw new InvalidOperationException("lister down") : Ready;
    }

    private static readonly RevisionKey Key = new("default", "hello-00001");
    private static readonly RevisionAutoscaling Settings = RevisionAutoscaling.Resolve(null, 0, AutoscalerConfig.Default);

    private static (ManualTimeProvider Time, MetricCollector Collector, MultiScaler Scaler, Pods Pods, MetricCollection Collection) Setup(
        int ready = 0, RevisionAutoscaling? settings = null, bool scrapeTarget = true)
    {
        settings ??= Settings;
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var collector = new MetricCollector(time);
        var collection = collector.CreateOrUpdate(Key, MetricSpec.From(settings) with { HasScrapeTarget = scrapeTarget }, null);
        var pods = new Pods { Ready = ready };
        var scaler = new MultiScaler(collector, pods, time);
        scaler.CreateOrUpdate(Key, settings.ToDeciderSpec(Reachability.Reachable));
        return (time, collector, scaler, pods, collection);
    }

    [Fact]
    public void New_decider_status_puts_the_activator_in_the_path()
    {
        var spec = Settings.ToDeciderSpec(Reachability.Reachable);
        Assert.Equal(new DeciderStatus(-1, -111), MultiScaler.InitialStatus(spec));
        Assert.Equal(new DeciderStatus(-1, 0), MultiScaler.InitialStatus(spec with { TargetBurstCapacity = 0 }));
        Assert.Equal(new DeciderStatus(-1, -1), MultiScaler.InitialStatus(spec with { TargetBurstCapacity = -1 }));
        Assert.Equal(new DeciderStatus(-1, 89), MultiScaler.InitialStatus(spec with { InitialScale = 3 }));
    }

    [Fact]
    public void No_data_or_pod_count_failure_changes_nothing()
    {
        var (_, _, scaler, pods, _) = Setup();
        Assert.False(scaler.Evaluate(Key).Valid);
        Assert.Equal(new DeciderStatus(-1, -111), scaler.Get(Key));
        pods.Fail = true;
        Assert.False(scaler.Evaluate(Key).Valid);
    }

    [Fact]
    public void Without_scrape_target_an_empty_window_decides_zero()
    {
        var (_, _, scaler, _, _) = Setup(ready: 1, settings: Settings with { TargetBurstCapacity = -1 }, scrapeTarget: false);
        Assert.Equal(new ScaleResult(0, -1, true), scaler.Evaluate(Key));
    }

    [Fact]
    public async Task Ticks_every_two_seconds_and_notifies_only_on_change()
    {
        var (time, collector, scaler, pods, _) = Setup(ready: 1);
        var changes = 0;
        scaler.Changed += _ => Interlocked.Increment(ref changes);
        using var cts = new CancellationTokenSource();
        var run = scaler.RunAsync(cts.Token);

        collector.Record(Key, new Stat { AverageConcurrentRequests = 140, Timestamp = time.GetUtcNow().ToUnixTimeSeconds() });
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(-1, scaler.Get(Key)!.Value.DesiredScale); // not yet a tick
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitFor(() => scaler.Get(Key)!.Value.DesiredScale == 2);
        Assert.Equal(1, Volatile.Read(ref changes));

        // Same decision (desired 2, EBC still negative): no notification.
        time.Advance(TimeSpan.FromSeconds(2));
        await Task.Delay(50);
        Assert.Equal(1, Volatile.Read(ref changes));

        // EBC sign flips when capacity arrives: notified although desired is unchanged.
        pods.Ready = 5;
        collector.Record(Key, new Stat { AverageConcurrentRequests = 0, Timestamp = time.GetUtcNow().ToUnixTimeSeconds() });
        time.Advance(TimeSpan.FromSeconds(2));
        await WaitFor(() => scaler.Get(Key)!.Value.ExcessBurstCapacity >= 0);
        Assert.Equal(2, Volatile.Read(ref changes));
        await cts.CancelAsync();
        await run;
    }

    [Fact]
    public void Poke_decides_at_once_only_when_at_zero_and_traffic_arrives()
    {
        var (time, collector, scaler, pods, _) = Setup(ready: 0);
        var activatorStat = new Stat { PodName = "activator", AverageConcurrentRequests = 1, RequestCount = 1 };
        // Initial -1 does not qualify.
        collector.Record(Key, activatorStat);
        scaler.Poke(Key, activatorStat);
        Assert.Equal(-1, scaler.Get(Key)!.Value.DesiredScale);

        // Reach zero: no traffic for a whole window.
        time.Advance(TimeSpan.FromSeconds(120));
        collector.Record(Key, new Stat());
        Assert.Equal(0, scaler.Evaluate(Key).DesiredPodCount);

        time.Advance(TimeSpan.FromSeconds(1));
        scaler.Poke(Key, new Stat { AverageConcurrentRequests = 0 });
        Assert.Equal(0, scaler.Get(Key)!.Value.DesiredScale);
        collector.Record(Key, activatorStat);
        scaler.Poke(Key, activatorStat);
        Assert.Equal(1, scaler.Get(Key)!.Value.DesiredScale);
    }

    [Fact]
    public void Emits_knative_named_metrics()
    {
        using var telemetry = new AutoscalerTelemetry();
        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Meter.Name == AutoscalerTelemetry.MeterName) l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => { lock (seen) seen[i.Name] = v; });
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => { lock (seen) seen[i.Name] = v; });
        listener.Start();

        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        var collector = new MetricCollector(time);
        collector.CreateOrUpdate(Key, MetricSpec.From(Settings), null);
        var scaler = new MultiScaler(collector, new Pods { Ready = 3 }, time, telemetry: telemetry);
        scaler.CreateOrUpdate(Key, Settings.ToDeciderSpec(Reachability.Reachable));
        collector.Record(Key, new Stat { AverageConcurrentRequests = 400 });
        scaler.Evaluate(Key);
        lock (seen)
        {
            Assert.Equal(6, seen["desired_pods"]);
            Assert.Equal(-311, seen["excess_burst_capacity"]);
            Assert.Equal(1, seen["panic_mode"]);
            Assert.Equal(400, seen["stable_request_concurrency"]);
            Assert.Equal(400, seen["panic_request_concurrency"]);
            Assert.Equal(70, seen["target_concurrency_per_pod"], 9);
        }
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
