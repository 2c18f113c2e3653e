using Ingress.Api;
using Ingress.Autoscaling.GoCompat;

namespace Ingress.Autoscaling.Configuration;

/// <summary>
/// The typed <c>config-autoscaler</c> ConfigMap (namespace knative-serving). Defaults are upstream's, so
/// that a cluster without the ConfigMap behaves like upstream Knative; each default's reason is upstream's
/// tuning (documented in docs/autoscaling.md).
/// </summary>
public sealed record AutoscalerConfig
{
    /// <summary>Name of the ConfigMap.</summary>
    public const string ConfigMapName = "config-autoscaler";

    /// <summary>Utilization used by the rps metric; not configurable in the ConfigMap (only by annotation).</summary>
    public const double RpsTargetUtilization = 0.7;

    /// <summary>Smallest per-pod target the autoscaler accepts (upstream TargetMin).</summary>
    public const double TargetMin = 0.01;

    /// <summary>Bounds of the stable window (upstream WindowMin/WindowMax).</summary>
    public static readonly TimeSpan WindowMin = TimeSpan.FromSeconds(6);
    public static readonly TimeSpan WindowMax = TimeSpan.FromHours(1);

    public string PodAutoscalerClass { get; init; } = AutoscalingAnnotations.KpaClass;
    public bool EnableScaleToZero { get; init; } = true;
    public bool AllowZeroInitialScale { get; init; }
    public double MaxScaleUpRate { get; init; } = 1000;
    public double MaxScaleDownRate { get; init; } = 2;
    /// <summary>Fraction in (0, 1]; the ConfigMap's percentage (70) or fraction (0.7) normalised.</summary>
    public double ContainerConcurrencyTargetFraction { get; init; } = 0.7;
    public double ContainerConcurrencyTargetDefault { get; init; } = 100;
    public double RpsTargetDefault { get; init; } = 200;
    public double TargetBurstCapacity { get; init; } = 211;
    public double PanicWindowPercentage { get; init; } = 10;
    public double ActivatorCapacity { get; init; } = 100;
    public double PanicThresholdPercentage { get; init; } = 200;
    public int InitialScale { get; init; } = 1;
    public int MinScale { get; init; }
    public int MaxScale { get; init; }
    public int MaxScaleLimit { get; init; }
    public TimeSpan StableWindow { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan ScaleDownDelay { get; init; } = TimeSpan.Zero;
    public TimeSpan ScaleToZeroGracePeriod { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan ScaleToZeroPodRetentionPeriod { get; init; } = TimeSpan.Zero;

    /// <summary>The configuration of a cluster with no (or an empty) config-autoscaler.</summary>
    public static AutoscalerConfig Default { get; } = new();

    /// <summary>Parses ConfigMap data; throws <see cref="AutoscalerConfigException"/> with upstream's exact text.</summary>
    public static AutoscalerConfig Parse(IReadOnlyDictionary<string, string>? data) =>
        TryParse(data, out var config, out var error) ? config! : throw new AutoscalerConfigException(error!);

    /// <summary>Parses ConfigMap data: absent keys take defaults, unknown keys are ignored, the first parse
    /// failure or the first failed validation (upstream's order) is returned as <paramref name="error"/>.</summary>
    public static bool TryParse(IReadOnlyDictionary<string, string>? data, out AutoscalerConfig? config, out string? error)
    {
        data ??= new Dictionary<string, string>();
        config = null;
        var d = Default;
        string? failure = null;

        string AsString(string key, string fallback) => data.TryGetValue(key, out var v) ? v : fallback;
        bool AsBool(string key, bool fallback)
        {
            if (failure is not null || !data.TryGetValue(key, out var raw)) return fallback;
            if (GoStrconv.TryParseBool(raw, out var v, out var e)) return v;
            failure = Wrap(key, e!);
            return fallback;
        }
        double AsFloat(string key, double fallback)
        {
            if (failure is not null || !data.TryGetValue(key, out var raw)) return fallback;
            if (GoStrconv.TryParseFloat(raw, out var v, out var e)) return v;
            failure = Wrap(key, e!);
            return fallback;
        }
        int AsInt32(string key, int fallback)
        {
            if (failure is not null || !data.TryGetValue(key, out var raw)) return fallback;
            if (GoStrconv.TryParseInt(raw, 32, out var v, out var e, out _)) return (int)v;
            failure = Wrap(key, e!);
            return fallback;
        }
        long AsDuration(string key, TimeSpan fallback)
        {
            if (failure is not null || !data.TryGetValue(key, out var raw)) return GoDuration.FromTimeSpan(fallback);
            if (GoDuration.TryParseNanoseconds(raw, out var v, out var e)) return v;
            failure = Wrap(key, e!);
            return GoDuration.FromTimeSpan(fallback);
        }

        // Same order as upstream, so that the first failing key is the one reported.
        var podAutoscalerClass = AsString("pod-autoscaler-class", d.PodAutoscalerClass);
        var enableScaleToZero = AsBool("enable-scale-to-zero", d.EnableScaleToZero);
        var allowZeroInitialScale = AsBool("allow-zero-initial-scale", d.AllowZeroInitialScale);
        var maxScaleUpRate = AsFloat("max-scale-up-rate", d.MaxScaleUpRate);
        var maxScaleDownRate = AsFloat("max-scale-down-rate", d.MaxScaleDownRate);
        var fraction = AsFloat("container-concurrency-target-percentage", d.ContainerConcurrencyTargetFraction);
        var ccDefault = AsFloat("container-concurrency-target-default", d.ContainerConcurrencyTargetDefault);
        var rpsDefault = AsFloat("requests-per-second-target-default", d.RpsTargetDefault);
        var tbc = AsFloat("target-burst-capacity", d.TargetBurstCapacity);
        var panicWindowPct = AsFloat("panic-window-percentage", d.PanicWindowPercentage);
        var activatorCapacity = AsFloat("activator-capacity", d.ActivatorCapacity);
        var panicThresholdPct = AsFloat("panic-threshold-percentage", d.PanicThresholdPercentage);
        var initialScale = AsInt32("initial-scale", d.InitialScale);
        var minScale = AsInt32("min-scale", d.MinScale);
        var maxScale = AsInt32("max-scale", d.MaxScale);
        var maxScaleLimit = AsInt32("max-scale-limit", d.MaxScaleLimit);
        var stableWindow = AsDuration("stable-window", d.StableWindow);
        var scaleDownDelay = AsDuration("scale-down-delay", d.ScaleDownDelay);
        var grace = AsDuration("scale-to-zero-grace-period", d.ScaleToZeroGracePeriod);
        var retention = AsDuration("scale-to-zero-pod-retention-period", d.ScaleToZeroPodRetentionPeriod);
        if (failure is not null)
        {
            error = "failed to parse data: " + failure;
            return false;
        }

        // Legacy: values in (0, 1] are fractions already; anything above 1 is a percentage.
        if (fraction > 1.0) fraction /= 100.0;

        error = Validate();
        if (error is not null) return false;
        config = new AutoscalerConfig
        {
            PodAutoscalerClass = podAutoscalerClass,
            EnableScaleToZero = enableScaleToZero,
            AllowZeroInitialScale = allowZeroInitialScale,
            MaxScaleUpRate = maxScaleUpRate,
            MaxScaleDownRate = maxScaleDownRate,
            ContainerConcurrencyTargetFraction = fraction,
            ContainerConcurrencyTargetDefault = ccDefault,
            RpsTargetDefault = rpsDefault,
            TargetBurstCapacity = tbc,
            PanicWindowPercentage = panicWindowPct,
            ActivatorCapacity = activatorCapacity,
            PanicThresholdPercentage = panicThresholdPct,
            InitialScale = initialScale,
            MinScale = minScale,
            MaxScale = maxScale,
            MaxScaleLimit = maxScaleLimit,
            StableWindow = GoDuration.ToTimeSpan(stableWindow),
            ScaleDownDelay = GoDuration.ToTimeSpan(scaleDownDelay),
            ScaleToZeroGracePeriod = GoDuration.ToTimeSpan(grace),
            ScaleToZeroPodRetentionPeriod = GoDuration.ToTimeSpan(retention),
        };
        return true;

        string? Validate()
        {
            static string V(double x) => GoStrconv.FormatFloatV(x);
            static string D(long ns) => GoDuration.Format(ns);
            var windowMin = GoDuration.FromTimeSpan(WindowMin);
            var windowMax = GoDuration.FromTimeSpan(WindowMax);
            if (grace <= 0) return $"scale-to-zero-grace-period must be positive, was: {D(grace)}";
            if (scaleDownDelay < 0) return $"scale-down-delay cannot be negative, was: {D(scaleDownDelay)}";
            if (scaleDownDelay % GoDuration.Second != 0)
                return $"scale-down-delay = {D(scaleDownDelay)}, must be specified with at most second precision";
            if (retention < 0) return $"scale-to-zero-pod-retention-period cannot be negative, was: {D(retention)}";
            if (tbc < 0 && tbc != -1)
                return $"target-burst-capacity must be either non-negative or -1 (for unlimited), was: {GoStrconv.FormatFloatF(tbc)}";
            if (fraction <= 0 || fraction > 1)
                return $"container-concurrency-target-percentage = {GoStrconv.FormatFloatF(fraction)} is outside of valid range of (0, 100]";
            var x = fraction * ccDefault;
            if (x < TargetMin)
                return $"container-concurrency-target-percentage and container-concurrency-target-default yield target concurrency of {V(x)}, can't be less than {V(TargetMin)}";
            if (rpsDefault < TargetMin)
                return $"requests-per-second-target-default must be at least {V(TargetMin)}, was: {V(rpsDefault)}";
            if (activatorCapacity < 1) return $"activator-capacity = {V(activatorCapacity)}, must be at least 1";
            if (maxScaleUpRate <= 1.0) return $"max-scale-up-rate = {V(maxScaleUpRate)}, must be greater than 1.0";
            if (maxScaleDownRate <= 1.0) return $"max-scale-down-rate = {V(maxScaleDownRate)}, must be greater than 1.0";
            if (stableWindow < windowMin || stableWindow > windowMax)
                return $"stable-window = {D(stableWindow)}, must be in [{D(windowMin)}; {D(windowMax)}] range";
            if (stableWindow % GoDuration.Second != 0)
                return $"stable-window = {D(stableWindow)}, must be specified with at most second precision";
            if (panicWindowPct < 1 || panicWindowPct > 100)
                return $"panic-window-percentage = {V(panicWindowPct)}, must be in [1, 100] interval";
            if (initialScale < 0 || (initialScale == 0 && !allowZeroInitialScale))
                return $"initial-scale = {initialScale}, must be at least 0 (or at least 1 when allow-zero-initial-scale is false)";
            if (minScale < 0) return $"min-scale = {minScale}, must be at least 0";
            var lowestMax = maxScaleLimit > 0 ? 1 : 0;
            if (maxScale < lowestMax || (maxScaleLimit > 0 && maxScale > maxScaleLimit))
                return $"max-scale = {maxScale}, must be in [{lowestMax}, max-scale-limit({maxScaleLimit})] range";
            if (maxScaleLimit < 0) return $"max-scale-limit = {maxScaleLimit}, must be at least 0";
            if (minScale > maxScale && maxScale > 0) return $"min-scale ({minScale}) must be less than max-scale ({maxScale})";
            return null;
        }
    }

    private static string Wrap(string key, string goError) => $"failed to parse {GoStrconv.Quote(key)}: {goError}";
}

/// <summary>A config-autoscaler that does not parse or validate; the message is upstream's text.</summary>
public sealed class AutoscalerConfigException(string message) : FormatException(message);
