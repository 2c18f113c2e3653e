using Ingress.Autoscaling.Configuration;

namespace Ingress.Autoscaling.Tests.Reconciler;

public class HpaPlanTests
{
    private static HpaPlan Plan(Reachability reachability = Reachability.Reachable, params string[] kv)
    {
        var a = new Dictionary<string, string> { ["autoscaling.knative.dev/class"] = "hpa.autoscaling.knative.dev" };
        for (var i = 0; i < kv.Length; i += 2) a["autoscaling.knative.dev/" + kv[i]] = kv[i + 1];
        return HpaPlan.From(a, RevisionAutoscaling.Resolve(a, 0, AutoscalerConfig.Default), reachability);
    }

    [Fact]
    public void Defaults_unbounded_without_metric() =>
        Assert.Equal(new HpaPlan(null, int.MaxValue, null, null), Plan());

    [Fact]
    public void Cpu_target_is_a_utilization_rounded_up() =>
        Assert.Equal(new HpaPlan(2, 10, new HpaMetric("Resource", "cpu", "Utilization", 71, null), 30),
            Plan(Reachability.Reachable, "target", "70.2", "min-scale", "2", "max-scale", "10", "window", "30s"));

    [Fact]
    public void Memory_target_is_mebibytes() =>
        Assert.Equal(new HpaMetric("Resource", "memory", "AverageValue", null, "1Gi"), Plan(Reachability.Reachable, "metric", "memory", "target", "1024").Metric);

    [Fact]
    public void Custom_metric_is_a_pods_metric() =>
        Assert.Equal(new HpaMetric("Pods", "queue_depth", "AverageValue", null, "2k"), Plan(Reachability.Reachable, "metric", "queue_depth", "target", "2000").Metric);

    [Fact]
    public void Unreachable_drops_min() => Assert.Null(Plan(Reachability.Unreachable, "min-scale", "3").MinReplicas);

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(100L * 1024 * 1024, "100Mi")]
    [InlineData(1536L, "1536")]
    [InlineData(2048L, "2Ki")]
    public void Binary_quantities(long value, string expected) => Assert.Equal(expected, HpaPlan.BinaryQuantity(value));

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(100L, "100")]
    [InlineData(1000L, "1k")]
    [InlineData(1500L, "1500")]
    [InlineData(3000000L, "3M")]
    public void Decimal_quantities(long value, string expected) => Assert.Equal(expected, HpaPlan.DecimalQuantity(value));
}
