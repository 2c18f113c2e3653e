using Ingress.Autoscaling.Configuration;

namespace Ingress.Autoscaling.Tests.Configuration;

public class AnnotationValidationTests
{
    private const string P = "autoscaling.knative.dev/";

    private static Dictionary<string, string> A(params string[] kv)
    {
        var d = new Dictionary<string, string>();
        for (var i = 0; i < kv.Length; i += 2) d[P + kv[i]] = kv[i + 1];
        return d;
    }

    public static TheoryData<string[], string> Cases => new()
    {
        { [], "" },
        { ["class", "kpa.autoscaling.knative.dev", "metric", "rps"], "" },
        { ["class", "unsupported.knative.dev"], "invalid value: unsupported.knative.dev: autoscaling.knative.dev/class" },
        { ["class", "some.other.domain", "metric", "whatever"], "" },
        { ["min-scale", "-1"], "expected 0 <= -1 <= 2147483647: autoscaling.knative.dev/min-scale" },
        { ["max-scale", "2147483648"], "expected 0 <= 2147483648 <= 2147483647: autoscaling.knative.dev/max-scale" },
        { ["minScale", "foo"], "invalid value: foo: autoscaling.knative.dev/minScale" },
        { ["max-scale", "bar", "min-scale", "bar"], "invalid value: bar: autoscaling.knative.dev/max-scale, autoscaling.knative.dev/min-scale" },
        { ["min-scale", "5", "max-scale", "2"], "max-scale=2 is less than min-scale=5: autoscaling.knative.dev/max-scale, autoscaling.knative.dev/min-scale" },
        { ["minScale", "5", "maxScale", "2"], "max-scale=2 is less than min-scale=5: autoscaling.knative.dev/max-scale, autoscaling.knative.dev/min-scale" },
        // Canonical key wins over the alias.
        { ["min-scale", "1", "minScale", "9", "max-scale", "2"], "" },
        { ["min-scale", "3", "activation-scale", "2"], "min-scale=3 is greater than activation-scale=2: autoscaling.knative.dev/activation-scale" },
        { ["max-scale", "1", "activation-scale", "2"], "max-scale=1 is less than activation-scale=2: autoscaling.knative.dev/activation-scale" },
        { ["activation-scale", "1"], "activation-scale=1 must be greater than 1: autoscaling.knative.dev/activation-scale" },
        { ["activation-scale", "two"], "invalid value: two: autoscaling.knative.dev/activation-scale" },
        { ["activation-scale", "3", "min-scale", "1", "max-scale", "5"], "" },
        { ["panic-window-percentage", "-1"], "expected 1 <= -1 <= 100: autoscaling.knative.dev/panic-window-percentage" },
        { ["panicWindowPercentage", "fifty"], "invalid value: fifty: autoscaling.knative.dev/panicWindowPercentage" },
        { ["panic-threshold-percentage", "109"], "expected 110 <= 109 <= 1000: autoscaling.knative.dev/panic-threshold-percentage" },
        { ["panic-threshold-percentage", "10009"], "expected 110 <= 10009 <= 1000: autoscaling.knative.dev/panic-threshold-percentage" },
        { ["target", "-11"], "target -11 should be at least 0.01: autoscaling.knative.dev/target" },
        { ["target", "0"], "target 0 should be at least 0.01: autoscaling.knative.dev/target" },
        { ["target", "100}"], "invalid value: 100}: autoscaling.knative.dev/target" },
        { ["target-utilization-percentage", "0"], "expected 1 <= 0 <= 100: autoscaling.knative.dev/target-utilization-percentage" },
        { ["targetUtilizationPercentage", "dghyak"], "invalid value: dghyak: autoscaling.knative.dev/targetUtilizationPercentage" },
        { ["target-burst-capacity", "-11"], "invalid value: -11: autoscaling.knative.dev/target-burst-capacity" },
        { ["target-burst-capacity", "-1"], "" },
        { ["targetBurstCapacity", "qarashen"], "invalid value: qarashen: autoscaling.knative.dev/targetBurstCapacity" },
        { ["window", "jerry-was-a-racecar-driver"], "invalid value: jerry-was-a-racecar-driver: autoscaling.knative.dev/window" },
        { ["window", "1s"], "expected 6s <= 1s <= 1h0m0s: autoscaling.knative.dev/window" },
        { ["window", "365h"], "expected 6s <= 365h <= 1h0m0s: autoscaling.knative.dev/window" },
        { ["window", "10.5s"], "must be specified with at most second precision: autoscaling.knative.dev/window" },
        { ["scale-to-zero-pod-retention-period", "twenty"], "invalid value: twenty: autoscaling.knative.dev/scale-to-zero-pod-retention-period" },
        { ["scale-to-zero-pod-retention-period", "-1s"], "expected 0s <= -1s <= 1h0m0s: autoscaling.knative.dev/scale-to-zero-pod-retention-period" },
        { ["scale-to-zero-pod-retention-period", "1.5s"], "" },
        { ["scale-down-delay", "-5s"], "expected 0s <= -5s <= 1h0m0s: autoscaling.knative.dev/scale-down-delay" },
        { ["scaleDownDelay", "2h"], "expected 0s <= 2h <= 1h0m0s: autoscaling.knative.dev/scaleDownDelay" },
        { ["scale-down-delay", "1.5s"], "must be specified with at most second precision: autoscaling.knative.dev/scale-down-delay" },
        { ["metric", "cpu"], "invalid value: cpu: autoscaling.knative.dev/metric" },
        { ["class", "hpa.autoscaling.knative.dev", "metric", "cpu"], "" },
        { ["class", "hpa.autoscaling.knative.dev", "metric", ""], "invalid value: : autoscaling.knative.dev/metric" },
        { ["class", "kpa.autoscaling.knative.dev", "metric-aggregation-algorithm", "random-selection"],
            "invalid value: random-selection: autoscaling.knative.dev/metric-aggregation-algorithm" },
        { ["class", "kpa.autoscaling.knative.dev", "metricAggregationAlgorithm", "weightedExponential"], "" },
        // Not validated without an explicit KPA class annotation.
        { ["metric-aggregation-algorithm", "random-selection"], "" },
        { ["initial-scale", "x"], "invalid value: x: autoscaling.knative.dev/initial-scale" },
        { ["initialScale", "-2"], "invalid value: -2: autoscaling.knative.dev/initialScale must be greater than 0" },
        { ["initial-scale", "0"], "invalid value: 0: autoscaling.knative.dev/initial-scale=0 not allowed by cluster" },
        // Several errors: sorted by message, newline-joined.
        { ["min-scale", "-1", "window", "1s", "target", "0", "metric", "memory"],
            "expected 0 <= -1 <= 2147483647: autoscaling.knative.dev/min-scale\n" +
            "expected 6s <= 1s <= 1h0m0s: autoscaling.knative.dev/window\n" +
            "invalid value: memory: autoscaling.knative.dev/metric\n" +
            "target 0 should be at least 0.01: autoscaling.knative.dev/target" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validates_like_upstream(string[] kv, string expected) =>
        Assert.Equal(expected, AutoscalingAnnotations.Validate(A(kv), AutoscalerConfig.Default).ToString());

    [Fact]
    public void Max_scale_limit_rules()
    {
        var config = AutoscalerConfig.Default with { MaxScaleLimit = 10, MaxScale = 5 };
        Assert.Equal("expected 1 <= 11 <= 10: autoscaling.knative.dev/max-scale",
            AutoscalingAnnotations.Validate(A("max-scale", "11"), config).ToString());
        Assert.Equal("max-scale=0 (unlimited), must be less than 10: autoscaling.knative.dev/maxScale",
            AutoscalingAnnotations.Validate(A("maxScale", "0"), config).ToString());
        Assert.True(AutoscalingAnnotations.Validate(A("min-scale", "2"), config).IsEmpty);
    }

    [Fact]
    public void Zero_initial_scale_allowed_when_cluster_allows()
    {
        var config = AutoscalerConfig.Default with { AllowZeroInitialScale = true };
        Assert.True(AutoscalingAnnotations.Validate(A("initial-scale", "0"), config).IsEmpty);
    }

    [Fact]
    public void Metric_uses_config_default_class()
    {
        var config = AutoscalerConfig.Default with { PodAutoscalerClass = AutoscalingAnnotations.HpaClass };
        Assert.True(AutoscalingAnnotations.Validate(A("metric", "memory"), config).IsEmpty);
    }

    [Fact]
    public void Via_field_prefixes_paths_for_the_serving_validator()
    {
        var errors = AutoscalingAnnotations.Validate(A("max-scale", "bar", "min-scale", "bar"), AutoscalerConfig.Default)
            .ViaField("spec.template.metadata.annotations");
        Assert.Equal("invalid value: bar: spec.template.metadata.annotations.autoscaling.knative.dev/max-scale, " +
            "spec.template.metadata.annotations.autoscaling.knative.dev/min-scale", errors.ToString());
    }
}

public class FieldErrorsTests
{
    [Fact]
    public void Formats_like_knative_field_errors()
    {
        var errors = new FieldErrors()
            .Add(new FieldError("b problem", "z.path"))
            .Add(new FieldError("a problem", "y"))
            .Add(new FieldError("b problem", "a.path"))
            .Add(new FieldError("with details", ["p"], "more text"))
            .Add(null);
        Assert.Equal("a problem: y\nb problem: a.path, z.path\nwith details: p\nmore text", errors.ToString());
        Assert.Equal("", new FieldErrors().ToString());
        Assert.Equal("x: metadata.annotations.k, metadata.annotations[0]",
            new FieldErrors().Add(new FieldError("x", "k", "[0]")).ViaField("metadata.annotations").ToString());
    }
}
