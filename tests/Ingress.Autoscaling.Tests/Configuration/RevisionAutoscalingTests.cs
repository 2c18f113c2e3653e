using Ingress.Autoscaling.Configuration;

namespace Ingress.Autoscaling.Tests.Configuration;

public class RevisionAutoscalingTests
{
    private const string P = "autoscaling.knative.dev/";

    private static Dictionary<string, string> A(params string[] kv)
    {
        var d = new Dictionary<string, string>();
        for (var i = 0; i < kv.Length; i += 2) d[(kv[i].Contains('/') ? "" : P) + kv[i]] = kv[i + 1];
        return d;
    }

    [Theory]
    // metric, cc, annotations → target, total  (spec §3.2)
    [InlineData(0, new string[0], 70.0, 100.0)]
    [InlineData(10, new string[0], 7.0, 10.0)]
    [InlineData(10, new[] { "target", "50" }, 7.0, 10.0)]           // capped by cc for concurrency
    [InlineData(10, new[] { "target", "5" }, 3.5, 5.0)]
    [InlineData(0, new[] { "target", "50" }, 35.0, 50.0)]
    [InlineData(10, new[] { "metric", "rps" }, 140.0, 200.0)]       // rps: default 200, fixed 0.7
    [InlineData(10, new[] { "metric", "rps", "target", "50" }, 35.0, 50.0)] // not capped for rps
    [InlineData(0, new[] { "target-utilization-percentage", "50" }, 50.0, 100.0)]
    [InlineData(0, new[] { "targetUtilizationPercentage", "90", "target", "10" }, 9.0, 10.0)]
    [InlineData(0, new[] { "target", "0.001" }, 0.01, 0.001)]       // floor of 0.01 on the target
    [InlineData(0, new[] { "target", "abc" }, 70.0, 100.0)]         // unparseable = absent
    public void Resolves_target_and_total(long cc, string[] kv, double target, double total)
    {
        var r = RevisionAutoscaling.Resolve(A(kv), cc, AutoscalerConfig.Default);
        Assert.Equal(target, r.TargetValue, 9);
        Assert.Equal(total, r.TotalValue, 9);
    }

    [Fact]
    public void Rps_utilization_ignores_the_cc_percentage()
    {
        var config = AutoscalerConfig.Default with { ContainerConcurrencyTargetFraction = 0.5 };
        Assert.Equal(140, RevisionAutoscaling.Resolve(A("metric", "rps"), 0, config).TargetValue, 9);
        Assert.Equal(50, RevisionAutoscaling.Resolve(A(), 0, config).TargetValue, 9);
    }

    [Theory]
    [InlineData("60s", "51", 31)]
    [InlineData("10s", "10", 1)]
    [InlineData("10m", "10", 60)]
    [InlineData("6s", "1", 1)]
    [InlineData("60s", "10", 6)]
    [InlineData("15s", "10", 2)]  // 1.5s rounds half away from zero
    public void Panic_window_rounds_to_the_second(string window, string pct, int seconds)
    {
        var r = RevisionAutoscaling.Resolve(A("window", window, "panic-window-percentage", pct), 0, AutoscalerConfig.Default);
        Assert.Equal(TimeSpan.FromSeconds(seconds), r.PanicWindow);
    }

    [Fact]
    public void Defaults_come_from_config()
    {
        var r = RevisionAutoscaling.Resolve(null, 0, AutoscalerConfig.Default);
        Assert.Equal("kpa.autoscaling.knative.dev", r.Class);
        Assert.Equal("concurrency", r.Metric);
        Assert.Equal(2.0, r.PanicThreshold);
        Assert.Equal(TimeSpan.FromSeconds(60), r.StableWindow);
        Assert.Equal(TimeSpan.FromSeconds(6), r.PanicWindow);
        Assert.Equal(211, r.TargetBurstCapacity);
        Assert.Equal(1, r.InitialScale);
        Assert.Equal(0, r.ActivationScale);
        Assert.Equal(AggregationAlgorithm.Linear, r.Algorithm);
        Assert.Equal("cpu", RevisionAutoscaling.Resolve(A("class", "hpa.autoscaling.knative.dev"), 0, AutoscalerConfig.Default).Metric);
    }

    [Fact]
    public void Annotations_override_config()
    {
        var r = RevisionAutoscaling.Resolve(A("panicThresholdPercentage", "300", "scale-down-delay", "10s", "targetBurstCapacity", "-1",
            "min-scale", "2", "maxScale", "7", "activation-scale", "3", "scale-to-zero-pod-retention-period", "1m",
            "metric-aggregation-algorithm", "weighted-exponential", "serving.knative.dev/progress-deadline", "120s"), 0, AutoscalerConfig.Default);
        Assert.Equal(3.0, r.PanicThreshold);
        Assert.Equal(TimeSpan.FromSeconds(10), r.ScaleDownDelay);
        Assert.Equal(-1, r.TargetBurstCapacity);
        Assert.Equal((2, 7), r.ScaleBounds(Reachability.Reachable));
        Assert.Equal((2, 7), r.ScaleBounds(Reachability.Unknown));
        Assert.Equal((0, 7), r.ScaleBounds(Reachability.Unreachable));
        Assert.Equal(3, r.ActivationScale);
        Assert.Equal(TimeSpan.FromMinutes(1), r.LastPodRetention(Reachability.Reachable));
        Assert.Equal(TimeSpan.Zero, r.LastPodRetention(Reachability.Unreachable));
        Assert.Equal(AggregationAlgorithm.WeightedExponential, r.Algorithm);
        Assert.Equal(TimeSpan.FromSeconds(120), r.ProgressDeadline);
        var spec = r.ToDeciderSpec(Reachability.Unreachable);
        Assert.False(spec.Reachable);
        Assert.Equal(3, spec.ActivationScale);
    }

    [Theory]
    [InlineData("0", false, 1)]  // zero not allowed: silently the config value
    [InlineData("0", true, 0)]
    [InlineData("5", false, 5)]
    [InlineData("x", false, 1)]
    public void Initial_scale(string annotation, bool allowZero, int expected)
    {
        var config = AutoscalerConfig.Default with { AllowZeroInitialScale = allowZero };
        Assert.Equal(expected, RevisionAutoscaling.Resolve(A("initial-scale", annotation), 0, config).InitialScale);
    }
}
