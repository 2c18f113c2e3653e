using BenchmarkDotNet.Attributes;
using Ingress.Api.Metrics;
using Ingress.Autoscaling;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Metrics;
using Ingress.Autoscaling.Scaling;

namespace Ingress.Benchmarks;

/// <summary>
/// The autoscaler's budgets: one decision ≤ 2 µs; 10,000 revisions decided every 2 s with ≤ 5 % of one core
/// (≤ 100 ms per tick); one revision's windows ≤ 8 KiB. Baseline: reading the windows alone.
/// Run: dotnet run -c Release --project bench/Ingress.Benchmarks -- --filter '*Autoscaling*' --job short
/// </summary>
[MemoryDiagnoser]
public class AutoscalingBenchmarks
{
    private sealed class FixedPods(int ready) : IReadyPodCounter
    {
        public int ReadyCount(RevisionKey key) => ready;
    }

    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private readonly RevisionAutoscaling _settings = RevisionAutoscaling.Resolve(null, 0, AutoscalerConfig.Default);
    private MetricCollection _collection = null!;
    private Decider _decider = null!;
    private MultiScaler _scaler = null!;
    private DateTimeOffset _now;

    [GlobalSetup]
    public void Setup()
    {
        _collection = NewFilledCollection();
        _decider = new Decider(_settings.ToDeciderSpec(Reachability.Reachable), Start, 3);
        _now = Start.AddSeconds(59);

        var collector = new MetricCollector();
        var clock = new FixedTime(_now);
        _scaler = new MultiScaler(collector, new FixedPods(3), clock);
        for (var i = 0; i < 10_000; i++)
        {
            var key = new RevisionKey("ns", $"rev-{i}");
            var c = collector.CreateOrUpdate(key, MetricSpec.From(_settings), null);
            for (var s = 0; s < 60; s++) c.Record(Start.AddSeconds(s), new Stat { AverageConcurrentRequests = 100 + (i % 50) + s, RequestCount = 300 });
            _scaler.CreateOrUpdate(key, _settings.ToDeciderSpec(Reachability.Reachable));
        }
    }

    private MetricCollection NewFilledCollection()
    {
        var c = new MetricCollection(MetricSpec.From(_settings));
        for (var s = 0; s < 60; s++) c.Record(Start.AddSeconds(s), new Stat { AverageConcurrentRequests = 150 + s, RequestCount = 300 });
        return c;
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Benchmark(Baseline = true, Description = "read stable+panic windows")]
    public StableAndPanic ReadWindows() => _collection.StableAndPanicConcurrency(_now);

    [Benchmark(Description = "one decision (windows + decider)")]
    public ScaleResult OneDecision()
    {
        var observed = _collection.StableAndPanicConcurrency(_now);
        return _decider.Scale(_now, 3, observed.Stable, observed.Panic);
    }

    [Benchmark(Description = "record one stat")]
    public void RecordStat() => _collection.Record(_now, new Stat { AverageConcurrentRequests = 120, RequestCount = 300 });

    [Benchmark(Description = "tick of 10,000 revisions", OperationsPerInvoke = 1)]
    public void TickTenThousand() => _scaler.TickAll();

    [Benchmark(Description = "one revision's windows + decider (allocation)")]
    public object NewRevisionState() => (new MetricCollection(MetricSpec.From(_settings)), new Decider(_settings.ToDeciderSpec(Reachability.Reachable), Start, 0));
}
