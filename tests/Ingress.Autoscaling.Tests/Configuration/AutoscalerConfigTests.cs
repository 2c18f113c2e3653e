using Ingress.Autoscaling.Configuration;

namespace Ingress.Autoscaling.Tests.Configuration;

public class AutoscalerConfigTests
{
    private static Dictionary<string, string> Data(params string[] kv)
    {
        var d = new Dictionary<string, string>();
        for (var i = 0; i < kv.Length; i += 2) d[kv[i]] = kv[i + 1];
        return d;
    }

    [Fact]
    public void Empty_data_gives_upstream_defaults()
    {
        var c = AutoscalerConfig.Parse(Data());
        Assert.Equal("kpa.autoscaling.knative.dev", c.PodAutoscalerClass);
        Assert.True(c.EnableScaleToZero);
        Assert.False(c.AllowZeroInitialScale);
        Assert.Equal(1000, c.MaxScaleUpRate);
        Assert.Equal(2, c.MaxScaleDownRate);
        Assert.Equal(0.7, c.ContainerConcurrencyTargetFraction);
        Assert.Equal(100, c.ContainerConcurrencyTargetDefault);
        Assert.Equal(200, c.RpsTargetDefault);
        Assert.Equal(211, c.TargetBurstCapacity);
        Assert.Equal(10, c.PanicWindowPercentage);
        Assert.Equal(100, c.ActivatorCapacity);
        Assert.Equal(200, c.PanicThresholdPercentage);
        Assert.Equal(1, c.InitialScale);
        Assert.Equal(0, c.MinScale);
        Assert.Equal(0, c.MaxScale);
        Assert.Equal(0, c.MaxScaleLimit);
        Assert.Equal(TimeSpan.FromSeconds(60), c.StableWindow);
        Assert.Equal(TimeSpan.Zero, c.ScaleDownDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), c.ScaleToZeroGracePeriod);
        Assert.Equal(TimeSpan.Zero, c.ScaleToZeroPodRetentionPeriod);
        Assert.Equal(AutoscalerConfig.Default, c);
        Assert.Equal(AutoscalerConfig.Default, AutoscalerConfig.Parse(null));
    }

    [Fact]
    public void Every_key_is_read_and_unknown_keys_are_ignored()
    {
        var c = AutoscalerConfig.Parse(Data(
            "pod-autoscaler-class", "hpa.autoscaling.knative.dev",
            "enable-scale-to-zero", "F",
            "allow-zero-initial-scale", "TRUE",
            "max-scale-up-rate", "11",
            "max-scale-down-rate", "3.5",
            "container-concurrency-target-percentage", "55",
            "container-concurrency-target-default", "10",
            "requests-per-second-target-default", "7",
            "target-burst-capacity", "-1",
            "panic-window-percentage", "20",
            "activator-capacity", "150",
            "panic-threshold-percentage", "300",
            "initial-scale", "0",
            "min-scale", "2",
            "max-scale", "8",
            "max-scale-limit", "9",
            "stable-window", "2m",
            "scale-down-delay", "10s",
            "scale-to-zero-grace-period", "45s",
            "scale-to-zero-pod-retention-period", "1m30s",
            "tick-interval", "garbage", "panic-window", "x", "_example", "long text"));
        Assert.Equal(new AutoscalerConfig
        {
            PodAutoscalerClass = "hpa.autoscaling.knative.dev",
            EnableScaleToZero = false,
            AllowZeroInitialScale = true,
            MaxScaleUpRate = 11,
            MaxScaleDownRate = 3.5,
            ContainerConcurrencyTargetFraction = 0.55,
            ContainerConcurrencyTargetDefault = 10,
            RpsTargetDefault = 7,
            TargetBurstCapacity = -1,
            PanicWindowPercentage = 20,
            ActivatorCapacity = 150,
            PanicThresholdPercentage = 300,
            InitialScale = 0,
            MinScale = 2,
            MaxScale = 8,
            MaxScaleLimit = 9,
            StableWindow = TimeSpan.FromMinutes(2),
            ScaleDownDelay = TimeSpan.FromSeconds(10),
            ScaleToZeroGracePeriod = TimeSpan.FromSeconds(45),
            ScaleToZeroPodRetentionPeriod = TimeSpan.FromSeconds(90),
        }, c);
    }

    [Theory]
    [InlineData("1", 1.0)]
    [InlineData("0.71", 0.71)]
    [InlineData("55", 0.55)]
    [InlineData("70", 0.7)]
    public void Target_percentage_accepts_percent_or_fraction(string raw, double fraction) =>
        Assert.Equal(fraction, AutoscalerConfig.Parse(Data("container-concurrency-target-percentage", raw)).ContainerConcurrencyTargetFraction, 12);

    [Theory]
    [InlineData("enable-scale-to-zero", "yes", "failed to parse data: failed to parse \"enable-scale-to-zero\": strconv.ParseBool: parsing \"yes\": invalid syntax")]
    [InlineData("max-scale-up-rate", " 10", "failed to parse data: failed to parse \"max-scale-up-rate\": strconv.ParseFloat: parsing \" 10\": invalid syntax")]
    [InlineData("initial-scale", "1.5", "failed to parse data: failed to parse \"initial-scale\": strconv.ParseInt: parsing \"1.5\": invalid syntax")]
    [InlineData("max-scale", "3000000000", "failed to parse data: failed to parse \"max-scale\": strconv.ParseInt: parsing \"3000000000\": value out of range")]
    [InlineData("stable-window", "60", "failed to parse data: failed to parse \"stable-window\": time: missing unit in duration \"60\"")]
    [InlineData("scale-down-delay", "5x", "failed to parse data: failed to parse \"scale-down-delay\": time: unknown unit \"x\" in duration \"5x\"")]
    public void Parse_errors_have_upstream_text(string key, string value, string expected)
    {
        Assert.False(AutoscalerConfig.TryParse(Data(key, value), out var config, out var error));
        Assert.Null(config);
        Assert.Equal(expected, error);
        Assert.Equal(expected, Assert.Throws<AutoscalerConfigException>(() => AutoscalerConfig.Parse(Data(key, value))).Message);
    }

    [Fact]
    public void First_key_in_upstream_order_is_reported()
    {
        Assert.False(AutoscalerConfig.TryParse(Data("stable-window", "x", "max-scale-up-rate", "y"), out _, out var error));
        Assert.StartsWith("failed to parse data: failed to parse \"max-scale-up-rate\"", error);
    }

    public static TheoryData<string[], string> ValidationCases => new()
    {
        { ["scale-to-zero-grace-period", "0s"], "scale-to-zero-grace-period must be positive, was: 0s" },
        { ["scale-to-zero-grace-period", "-1m"], "scale-to-zero-grace-period must be positive, was: -1m0s" },
        { ["scale-down-delay", "-1s"], "scale-down-delay cannot be negative, was: -1s" },
        { ["scale-down-delay", "1.5s"], "scale-down-delay = 1.5s, must be specified with at most second precision" },
        { ["scale-to-zero-pod-retention-period", "-1s"], "scale-to-zero-pod-retention-period cannot be negative, was: -1s" },
        { ["target-burst-capacity", "-11"], "target-burst-capacity must be either non-negative or -1 (for unlimited), was: -11.000000" },
        { ["container-concurrency-target-percentage", "142.4"], "container-concurrency-target-percentage = 1.424000 is outside of valid range of (0, 100]" },
        { ["container-concurrency-target-percentage", "0"], "container-concurrency-target-percentage = 0.000000 is outside of valid range of (0, 100]" },
        { ["container-concurrency-target-percentage", "-5"], "container-concurrency-target-percentage = -5.000000 is outside of valid range of (0, 100]" },
        { ["container-concurrency-target-percentage", "0.5", "container-concurrency-target-default", "0.01"],
            "container-concurrency-target-percentage and container-concurrency-target-default yield target concurrency of 0.005, can't be less than 0.01" },
        { ["requests-per-second-target-default", "0.001"], "requests-per-second-target-default must be at least 0.01, was: 0.001" },
        { ["activator-capacity", "0.95"], "activator-capacity = 0.95, must be at least 1" },
        { ["max-scale-up-rate", "1"], "max-scale-up-rate = 1, must be greater than 1.0" },
        { ["max-scale-down-rate", "-55"], "max-scale-down-rate = -55, must be greater than 1.0" },
        { ["stable-window", "5s"], "stable-window = 5s, must be in [6s; 1h0m0s] range" },
        { ["stable-window", "1h0m1s"], "stable-window = 1h0m1s, must be in [6s; 1h0m0s] range" },
        { ["stable-window", "6500ms"], "stable-window = 6.5s, must be specified with at most second precision" },
        { ["panic-window-percentage", "0.5"], "panic-window-percentage = 0.5, must be in [1, 100] interval" },
        { ["panic-window-percentage", "101"], "panic-window-percentage = 101, must be in [1, 100] interval" },
        { ["initial-scale", "-1"], "initial-scale = -1, must be at least 0 (or at least 1 when allow-zero-initial-scale is false)" },
        { ["initial-scale", "0"], "initial-scale = 0, must be at least 0 (or at least 1 when allow-zero-initial-scale is false)" },
        { ["min-scale", "-1"], "min-scale = -1, must be at least 0" },
        { ["max-scale", "-1"], "max-scale = -1, must be in [0, max-scale-limit(0)] range" },
        { ["max-scale-limit", "10"], "max-scale = 0, must be in [1, max-scale-limit(10)] range" },
        { ["max-scale-limit", "10", "max-scale", "11"], "max-scale = 11, must be in [1, max-scale-limit(10)] range" },
        { ["max-scale-limit", "-1"], "max-scale-limit = -1, must be at least 0" },
        { ["min-scale", "5", "max-scale", "4"], "min-scale (5) must be less than max-scale (4)" },
        // Order: the grace period is checked before everything else.
        { ["scale-to-zero-grace-period", "0s", "min-scale", "-1"], "scale-to-zero-grace-period must be positive, was: 0s" },
    };

    [Theory]
    [MemberData(nameof(ValidationCases))]
    public void Validation_errors_have_upstream_text_and_order(string[] kv, string expected)
    {
        Assert.False(AutoscalerConfig.TryParse(Data(kv), out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("initial-scale", "0", "allow-zero-initial-scale", "true")]
    [InlineData("min-scale", "4", "max-scale", "0")]
    [InlineData("max-scale-limit", "10", "max-scale", "10")]
    [InlineData("target-burst-capacity", "0", "panic-threshold-percentage", "-5")]
    [InlineData("stable-window", "1h", "scale-down-delay", "0")]
    public void Valid_combinations_parse(string k1, string v1, string k2, string v2) =>
        Assert.True(AutoscalerConfig.TryParse(Data(k1, v1, k2, v2), out _, out var error), error);
}
