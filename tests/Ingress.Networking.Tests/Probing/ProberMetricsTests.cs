using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Ingress.Networking.Probing;

namespace Ingress.Networking.Tests.Probing;

public class ProberMetricsTests
{
    [Fact]
    public async Task AttemptsAreCountedByVerdict()
    {
        var verdicts = new ConcurrentDictionary<string, long>();
        var durations = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Ingress.Networking.Prober") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name != "kn_ingress_probe_attempts") return;
            foreach (var tag in tags)
                if (tag.Key == "verdict") verdicts.AddOrUpdate((string)tag.Value!, value, (_, v) => v + value);
        });
        listener.SetMeasurementEventCallback<double>((instrument, _, _, _) =>
        {
            if (instrument.Name == "kn_ingress_probe_duration") Interlocked.Increment(ref durations);
        });
        listener.Start();

        await using var pod = await FakeGatewayPod.StartAsync("127.0.0.9", "old");
        var source = new TestTargetSource();
        source.Set(TestTargetSource.PerPod("http://metrics.example.com:80", pod));
        var ready = new ReadyRecorder();
        await using var prober = new IngressProber(source, ready.OnReady, new ProberOptions { Workers = 1 });
        Assert.False(await prober.IsReadyAsync(new ProbeSubject("ns", "metrics", 1, "new", [])));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (pod.RequestCount < 1 && DateTime.UtcNow < deadline) await Task.Delay(20);
        pod.Hash = "new";
        await ready.NextAsync();

        Assert.True(verdicts.GetValueOrDefault("Retry") >= 1);
        Assert.True(verdicts.GetValueOrDefault("Ready") >= 1);
        Assert.True(Interlocked.Read(ref durations) >= 2);
    }
}
