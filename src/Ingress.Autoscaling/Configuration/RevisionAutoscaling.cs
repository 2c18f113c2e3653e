using Ingress.Api;
using Ingress.Autoscaling.GoCompat;
using Ingress.Autoscaling.Scaling;

namespace Ingress.Autoscaling.Configuration;

/// <summary>Reachability of a PodAutoscaler (spec.reachability).</summary>
public enum Reachability
{
    Unknown,
    Reachable,
    Unreachable,
}

/// <summary>The per-pod-scaling algorithm of the metric windows.</summary>
public enum AggregationAlgorithm
{
    Linear,
    WeightedExponential,
}

/// <summary>
/// The effective autoscaling settings of one revision: its annotations resolved against config-autoscaler
/// and its containerConcurrency (spec §3.2, §3.3). At use time an annotation that does not parse is treated
/// as absent, as upstream does (admission has normally rejected it already).
/// </summary>
public sealed record RevisionAutoscaling
{
    public required string Class { get; init; }
    public required string Metric { get; init; }
    public required double TargetValue { get; init; }
    public required double TotalValue { get; init; }
    public required double TargetBurstCapacity { get; init; }
    /// <summary>Ratio, e.g. 2 for 200 %.</summary>
    public required double PanicThreshold { get; init; }
    public required TimeSpan StableWindow { get; init; }
    public required TimeSpan PanicWindow { get; init; }
    public required TimeSpan ScaleDownDelay { get; init; }
    public required int InitialScale { get; init; }
    /// <summary>min-scale annotation, else config (before the Unreachable rule of <see cref="ScaleBounds"/>).</summary>
    public required int MinScale { get; init; }
    public required int MaxScale { get; init; }
    /// <summary>0 when the annotation is absent.</summary>
    public required int ActivationScale { get; init; }
    /// <summary>Annotation, else config (before the Unreachable rule of <see cref="LastPodRetention"/>).</summary>
    public required TimeSpan ScaleToZeroPodRetention { get; init; }
    /// <summary>Annotation <c>serving.knative.dev/progress-deadline</c> when present and parseable.</summary>
    public TimeSpan? ProgressDeadline { get; init; }
    public required AggregationAlgorithm Algorithm { get; init; }
    public required AutoscalerConfig Config { get; init; }

    /// <summary>Resolves a revision's settings.</summary>
    public static RevisionAutoscaling Resolve(IReadOnlyDictionary<string, string>? annotations, long containerConcurrency, AutoscalerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var a = annotations;
        var cls = AutoscalingAnnotations.TryGet(a, AutoscalingAnnotations.Class, out _, out var c) ? c : config.PodAutoscalerClass;
        var metric = AutoscalingAnnotations.TryGet(a, AutoscalingAnnotations.Metric, out _, out var m) ? m : cls switch
        {
            AutoscalingAnnotations.KpaClass => AutoscalingAnnotations.Concurrency,
            AutoscalingAnnotations.HpaClass => AutoscalingAnnotations.Cpu,
            _ => "",
        };

        double total, utilization;
        if (metric == AutoscalingAnnotations.Rps)
        {
            total = config.RpsTargetDefault;
            utilization = AutoscalerConfig.RpsTargetUtilization;
        }
        else
        {
            total = containerConcurrency == 0 ? config.ContainerConcurrencyTargetDefault : containerConcurrency;
            utilization = config.ContainerConcurrencyTargetFraction;
        }
        if (Float(a, AutoscalingAnnotations.Target) is { } target)
        {
            // A target above containerConcurrency cannot be reached by the concurrency metric: silently capped.
            total = metric == AutoscalingAnnotations.Concurrency && containerConcurrency != 0
                ? Math.Min(target, containerConcurrency) : target;
        }
        if (Float(a, AutoscalingAnnotations.TargetUtilizationPercentage) is { } tu) utilization = tu / 100;

        var stableWindow = Duration(a, AutoscalingAnnotations.Window) ?? GoDuration.FromTimeSpan(config.StableWindow);
        var panicPct = Float(a, AutoscalingAnnotations.PanicWindowPercentage) ?? config.PanicWindowPercentage;

        var initialScale = Int32(a, AutoscalingAnnotations.InitialScale) is { } init && (init != 0 || config.AllowZeroInitialScale)
            ? init : config.InitialScale;

        var algorithm = AutoscalingAnnotations.TryGet(a, AutoscalingAnnotations.MetricAggregationAlgorithm, out _, out var alg)
            && alg is AutoscalingAnnotations.AlgorithmWeightedExponential or AutoscalingAnnotations.AlgorithmWeightedExponentialAlt
            ? AggregationAlgorithm.WeightedExponential : AggregationAlgorithm.Linear;

        return new RevisionAutoscaling
        {
            Class = cls,
            Metric = metric,
            TargetValue = Math.Max(AutoscalerConfig.TargetMin, total * utilization),
            TotalValue = total,
            TargetBurstCapacity = Float(a, AutoscalingAnnotations.TargetBurstCapacity) ?? config.TargetBurstCapacity,
            PanicThreshold = (Float(a, AutoscalingAnnotations.PanicThresholdPercentage) ?? config.PanicThresholdPercentage) / 100.0,
            StableWindow = GoDuration.ToTimeSpan(stableWindow),
            PanicWindow = GoDuration.ToTimeSpan(PanicWindowOf(stableWindow, panicPct)),
            ScaleDownDelay = GoDuration.ToTimeSpan(Duration(a, AutoscalingAnnotations.ScaleDownDelay) ?? GoDuration.FromTimeSpan(config.ScaleDownDelay)),
            InitialScale = initialScale,
            MinScale = Int32(a, AutoscalingAnnotations.MinScale) ?? config.MinScale,
            MaxScale = Int32(a, AutoscalingAnnotations.MaxScale) ?? config.MaxScale,
            ActivationScale = Int32(a, AutoscalingAnnotations.ActivationScale) ?? 0,
            ScaleToZeroPodRetention = GoDuration.ToTimeSpan(Duration(a, AutoscalingAnnotations.ScaleToZeroPodRetentionPeriod)
                ?? GoDuration.FromTimeSpan(config.ScaleToZeroPodRetentionPeriod)),
            ProgressDeadline = Duration(a, [AutoscalingAnnotations.ProgressDeadlineKey]) is { } pd ? GoDuration.ToTimeSpan(pd) : null,
            Algorithm = algorithm,
            Config = config,
        };
    }

    /// <summary>Panic window = stable × pct / 100 rounded to the nearest second (half away from zero),
    /// at least one 1 s bucket. Works on nanoseconds like upstream (60s × 51 % = 30.6s → 31s).</summary>
    public static long PanicWindowOf(long stableWindowNanos, double percentage)
    {
        var raw = (long)(stableWindowNanos * percentage / 100.0);
        var rounded = RoundToSecond(raw);
        return Math.Max(rounded, GoDuration.Second);
    }

    private static long RoundToSecond(long ns)
    {
        var r = ns % GoDuration.Second;
        if (ns < 0)
        {
            r = -r;
            return r + r < GoDuration.Second ? ns + r : ns + r - GoDuration.Second;
        }
        return r + r < GoDuration.Second ? ns - r : ns + GoDuration.Second - r;
    }

    /// <summary>(min, max) replicas; min is forced to 0 for an Unreachable PA (Unknown keeps it).</summary>
    public (int Min, int Max) ScaleBounds(Reachability reachability) =>
        (reachability == Reachability.Unreachable ? 0 : MinScale, MaxScale);

    /// <summary>Minimum life of the last pod; 0 for Unreachable revisions.</summary>
    public TimeSpan LastPodRetention(Reachability reachability) =>
        reachability == Reachability.Unreachable ? TimeSpan.Zero : ScaleToZeroPodRetention;

    /// <summary>The decider's spec for this revision.</summary>
    public DeciderSpec ToDeciderSpec(Reachability reachability) => new()
    {
        MaxScaleUpRate = Config.MaxScaleUpRate,
        MaxScaleDownRate = Config.MaxScaleDownRate,
        ScalingMetric = Metric,
        TargetValue = TargetValue,
        TotalValue = TotalValue,
        TargetBurstCapacity = TargetBurstCapacity,
        ActivatorCapacity = Config.ActivatorCapacity,
        PanicThreshold = PanicThreshold,
        StableWindow = StableWindow,
        ScaleDownDelay = ScaleDownDelay,
        InitialScale = InitialScale,
        Reachable = reachability != Reachability.Unreachable,
        ActivationScale = ActivationScale,
    };

    private static double? Float(IReadOnlyDictionary<string, string>? a, string[] keys) =>
        AutoscalingAnnotations.TryGet(a, keys, out _, out var v) && GoStrconv.TryParseFloat(v, out var f, out _) ? f : null;

    private static int? Int32(IReadOnlyDictionary<string, string>? a, string[] keys) =>
        AutoscalingAnnotations.TryGet(a, keys, out _, out var v) && GoStrconv.TryParseInt(v, 32, out var i, out _, out _) ? (int)i : null;

    private static long? Duration(IReadOnlyDictionary<string, string>? a, string[] keys) =>
        AutoscalingAnnotations.TryGet(a, keys, out _, out var v) && GoDuration.TryParseNanoseconds(v, out var d, out _) ? d : null;
}
