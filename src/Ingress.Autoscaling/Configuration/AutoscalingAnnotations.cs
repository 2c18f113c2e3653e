using Ingress.Api;
using System.Globalization;
using Ingress.Autoscaling.GoCompat;

namespace Ingress.Autoscaling.Configuration;

/// <summary>
/// The <c>autoscaling.knative.dev/*</c> annotation keys of a Revision (copied onto its PodAutoscaler),
/// their legacy camelCase aliases, and the admission-time validation upstream's webhook performs.
/// </summary>
public static class AutoscalingAnnotations
{
    public const string GroupName = "autoscaling.knative.dev";
    public const string KpaClass = "kpa.autoscaling.knative.dev";
    public const string HpaClass = "hpa.autoscaling.knative.dev";

    public const string Concurrency = "concurrency";
    public const string Rps = "rps";
    public const string Cpu = "cpu";
    public const string Memory = "memory";

    public const string AlgorithmLinear = "linear";
    public const string AlgorithmWeightedExponential = "weighted-exponential";
    public const string AlgorithmWeightedExponentialAlt = "weightedExponential";

    public const string ClassKey = GroupName + "/class";
    public const string MetricKey = GroupName + "/metric";
    public const string TargetKey = GroupName + "/target";
    public const string TargetUtilizationPercentageKey = GroupName + "/target-utilization-percentage";
    public const string TargetBurstCapacityKey = GroupName + "/target-burst-capacity";
    public const string WindowKey = GroupName + "/window";
    public const string PanicWindowPercentageKey = GroupName + "/panic-window-percentage";
    public const string PanicThresholdPercentageKey = GroupName + "/panic-threshold-percentage";
    public const string MinScaleKey = GroupName + "/min-scale";
    public const string MaxScaleKey = GroupName + "/max-scale";
    public const string InitialScaleKey = GroupName + "/initial-scale";
    public const string ActivationScaleKey = GroupName + "/activation-scale";
    public const string ScaleDownDelayKey = GroupName + "/scale-down-delay";
    public const string ScaleToZeroPodRetentionPeriodKey = GroupName + "/scale-to-zero-pod-retention-period";
    public const string MetricAggregationAlgorithmKey = GroupName + "/metric-aggregation-algorithm";
    public const string ProgressDeadlineKey = "serving.knative.dev/progress-deadline";

    // Lookup order per setting: the canonical key first, then the legacy alias; the first present wins.
    public static readonly string[] Class = [ClassKey];
    public static readonly string[] Metric = [MetricKey];
    public static readonly string[] Target = [TargetKey];
    public static readonly string[] TargetUtilizationPercentage = [TargetUtilizationPercentageKey, GroupName + "/targetUtilizationPercentage"];
    public static readonly string[] TargetBurstCapacity = [TargetBurstCapacityKey, GroupName + "/targetBurstCapacity"];
    public static readonly string[] Window = [WindowKey];
    public static readonly string[] PanicWindowPercentage = [PanicWindowPercentageKey, GroupName + "/panicWindowPercentage"];
    public static readonly string[] PanicThresholdPercentage = [PanicThresholdPercentageKey, GroupName + "/panicThresholdPercentage"];
    public static readonly string[] MinScale = [MinScaleKey, GroupName + "/minScale"];
    public static readonly string[] MaxScale = [MaxScaleKey, GroupName + "/maxScale"];
    public static readonly string[] InitialScale = [InitialScaleKey, GroupName + "/initialScale"];
    public static readonly string[] ActivationScale = [ActivationScaleKey];
    public static readonly string[] ScaleDownDelay = [ScaleDownDelayKey, GroupName + "/scaleDownDelay"];
    public static readonly string[] ScaleToZeroPodRetentionPeriod = [ScaleToZeroPodRetentionPeriodKey, GroupName + "/scaleToZeroPodRetentionPeriod"];
    public static readonly string[] MetricAggregationAlgorithm = [MetricAggregationAlgorithmKey, GroupName + "/metricAggregationAlgorithm"];

    /// <summary>Knative's <c>KeyPriority.Get</c>: the first key present, with its value.</summary>
    public static bool TryGet(IReadOnlyDictionary<string, string>? annotations, string[] keys, out string key, out string value)
    {
        if (annotations is not null)
        {
            foreach (var k in keys)
            {
                if (annotations.TryGetValue(k, out var v))
                {
                    key = k;
                    value = v;
                    return true;
                }
            }
        }
        key = keys[0];
        value = "";
        return false;
    }

    /// <summary>
    /// Upstream's <c>ValidateAnnotations</c>: checks class, min/max/activation scale, the float settings,
    /// window, retention, scale-down delay, metric, aggregation algorithm and initial scale, in that order,
    /// accumulating every error. Paths are the annotation keys; callers prefix them with
    /// <see cref="FieldErrors.ViaField"/> (<c>metadata.annotations</c>, <c>spec.template.metadata.annotations</c>).
    /// </summary>
    public static FieldErrors Validate(IReadOnlyDictionary<string, string>? annotations, AutoscalerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new FieldErrors();
        ValidateClass(annotations, errors);
        ValidateMinMaxScale(annotations, config, errors);
        ValidateFloats(annotations, errors);
        ValidateWindow(annotations, errors);
        ValidateRetention(annotations, errors);
        ValidateScaleDownDelay(annotations, errors);
        ValidateMetric(annotations, config, errors);
        ValidateAlgorithm(annotations, errors);
        ValidateInitialScale(annotations, config, errors);
        return errors;
    }

    /// <summary>Same as <see cref="Validate(IReadOnlyDictionary{string, string}?, AutoscalerConfig)"/>, in the
    /// shape the serving validator calls it. Upstream's checks do not depend on containerConcurrency (it only
    /// caps the resolved target, silently), so it is accepted and not used.</summary>
    public static FieldErrors Validate(IReadOnlyDictionary<string, string>? annotations, long containerConcurrency, AutoscalerConfig config)
    {
        _ = containerConcurrency;
        return Validate(annotations, config);
    }

    private static void ValidateClass(IReadOnlyDictionary<string, string>? a, FieldErrors errors)
    {
        if (TryGet(a, Class, out var k, out var v) && v.EndsWith(".knative.dev", StringComparison.Ordinal) && v != KpaClass && v != HpaClass)
            errors.Add(FieldError.InvalidValue(v, k));
    }

    private static int GetIntAtLeastZero(IReadOnlyDictionary<string, string>? a, string[] keys, FieldErrors errors)
    {
        if (!TryGet(a, keys, out var k, out var v)) return 0;
        if (!GoStrconv.TryParseInt(v, 32, out var i, out _, out var outOfRange))
        {
            errors.Add(outOfRange ? FieldError.OutOfBounds(v, "0", "2147483647", k) : FieldError.InvalidValue(v, k));
            return 0;
        }
        if (i < 0)
        {
            errors.Add(FieldError.OutOfBounds(v, "0", "2147483647", k));
            return 0;
        }
        return (int)i;
    }

    private static void ValidateMinMaxScale(IReadOnlyDictionary<string, string>? a, AutoscalerConfig config, FieldErrors errors)
    {
        var min = GetIntAtLeastZero(a, MinScale, errors);
        var max = GetIntAtLeastZero(a, MaxScale, errors);
        if (max != 0 && max < min)
            errors.Add(new FieldError($"max-scale={max} is less than min-scale={min}", MaxScaleKey, MinScaleKey));
        if (TryGet(a, MaxScale, out var maxKey, out _) && config.MaxScaleLimit != 0)
        {
            if (max > config.MaxScaleLimit)
                errors.Add(FieldError.OutOfBounds(I(max), "1", I(config.MaxScaleLimit), maxKey));
            if (max == 0)
                errors.Add(new FieldError($"max-scale=0 (unlimited), must be less than {I(config.MaxScaleLimit)}", maxKey));
        }
        if (TryGet(a, ActivationScale, out var k, out var v))
        {
            if (!GoStrconv.TryParseInt(v, 32, out var act, out _, out _))
                errors.Add(FieldError.InvalidValue(v, k));
            else if (min > act)
                errors.Add(new FieldError($"min-scale={min} is greater than activation-scale={act}", k));
            else if (max < act && max != 0)
                errors.Add(new FieldError($"max-scale={max} is less than activation-scale={act}", k));
            else if (act < 2)
                errors.Add(new FieldError($"activation-scale={act} must be greater than 1", k));
        }
    }

    private static void ValidateFloats(IReadOnlyDictionary<string, string>? a, FieldErrors errors)
    {
        void Range(string[] keys, double lo, double hi)
        {
            if (!TryGet(a, keys, out var k, out var v)) return;
            if (!GoStrconv.TryParseFloat(v, out var f, out _)) errors.Add(FieldError.InvalidValue(v, k));
            else if (f < lo || f > hi) errors.Add(FieldError.OutOfBounds(v, GoStrconv.FormatFloatV(lo), GoStrconv.FormatFloatV(hi), k));
        }
        Range(PanicWindowPercentage, 1, 100);
        Range(PanicThresholdPercentage, 110, 1000);
        if (TryGet(a, Target, out var tk, out var tv))
        {
            if (!GoStrconv.TryParseFloat(tv, out var f, out _)) errors.Add(FieldError.InvalidValue(tv, tk));
            else if (f < AutoscalerConfig.TargetMin) errors.Add(new FieldError($"target {tv} should be at least {GoStrconv.FormatFloatV(AutoscalerConfig.TargetMin)}", tk));
        }
        Range(TargetUtilizationPercentage, 1, 100);
        if (TryGet(a, TargetBurstCapacity, out var bk, out var bv))
        {
            if (!GoStrconv.TryParseFloat(bv, out var f, out _) || (f < 0 && f != -1)) errors.Add(FieldError.InvalidValue(bv, bk));
        }
    }

    private static void ValidateWindow(IReadOnlyDictionary<string, string>? a, FieldErrors errors)
    {
        if (!TryGet(a, Window, out _, out var v)) return;
        // Upstream reports the canonical key here even if (hypothetically) an alias matched.
        if (!GoDuration.TryParseNanoseconds(v, out var d, out _)) errors.Add(FieldError.InvalidValue(v, WindowKey));
        else if (d < GoDuration.FromTimeSpan(AutoscalerConfig.WindowMin) || d > GoDuration.FromTimeSpan(AutoscalerConfig.WindowMax))
            errors.Add(FieldError.OutOfBounds(v, GoDuration.Format(AutoscalerConfig.WindowMin), GoDuration.Format(AutoscalerConfig.WindowMax), WindowKey));
        else if (d % GoDuration.Second != 0)
            errors.Add(new FieldError("must be specified with at most second precision", WindowKey));
    }

    private static void ValidateRetention(IReadOnlyDictionary<string, string>? a, FieldErrors errors)
    {
        if (!TryGet(a, ScaleToZeroPodRetentionPeriod, out var k, out var v)) return;
        if (!GoDuration.TryParseNanoseconds(v, out var d, out _)) errors.Add(FieldError.InvalidValue(v, k));
        else if (d < 0 || d > GoDuration.FromTimeSpan(AutoscalerConfig.WindowMax))
            errors.Add(FieldError.OutOfBounds(v, "0s", GoDuration.Format(AutoscalerConfig.WindowMax), k));
    }

    private static void ValidateScaleDownDelay(IReadOnlyDictionary<string, string>? a, FieldErrors errors)
    {
        if (!TryGet(a, ScaleDownDelay, out var k, out var v)) return;
        if (!GoDuration.TryParseNanoseconds(v, out var d, out _)) errors.Add(FieldError.InvalidValue(v, k));
        else if (d < 0 || d > GoDuration.FromTimeSpan(AutoscalerConfig.WindowMax))
            errors.Add(FieldError.OutOfBounds(v, "0s", GoDuration.Format(AutoscalerConfig.WindowMax), k));
        else if (d % GoDuration.Second != 0)
            errors.Add(new FieldError("must be specified with at most second precision", k));
    }

    private static void ValidateMetric(IReadOnlyDictionary<string, string>? a, AutoscalerConfig config, FieldErrors errors)
    {
        if (!TryGet(a, Metric, out _, out var metric)) return;
        var cls = TryGet(a, Class, out _, out var c) ? c : config.PodAutoscalerClass;
        var ok = cls switch
        {
            KpaClass => metric is Concurrency or Rps,
            HpaClass => metric.Length > 0,
            _ => true, // other autoscaler classes define their own metrics
        };
        if (!ok) errors.Add(FieldError.InvalidValue(metric, MetricKey));
    }

    private static void ValidateAlgorithm(IReadOnlyDictionary<string, string>? a, FieldErrors errors)
    {
        // Only validated when the class annotation is exactly KPA: custom autoscalers may have their own values.
        if (!TryGet(a, Class, out _, out var cls) || cls != KpaClass) return;
        TryGet(a, MetricAggregationAlgorithm, out var k, out var v);
        if (v.Length > 0 && v is not (AlgorithmLinear or AlgorithmWeightedExponential or AlgorithmWeightedExponentialAlt))
            errors.Add(FieldError.InvalidValue(v, k));
    }

    private static void ValidateInitialScale(IReadOnlyDictionary<string, string>? a, AutoscalerConfig config, FieldErrors errors)
    {
        if (!TryGet(a, InitialScale, out var k, out var v)) return;
        if (!GoStrconv.TryAtoi(v, out var n, out _)) errors.Add(FieldError.InvalidValue(v, k));
        else if (n < 0) errors.Add(FieldError.InvalidValue(v, k + " must be greater than 0"));
        else if (!config.AllowZeroInitialScale && n == 0) errors.Add(FieldError.InvalidValue(v, k + "=0 not allowed by cluster"));
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
