using System.Globalization;
using Ingress.Autoscaling.Configuration;

namespace Ingress.Autoscaling;

/// <summary>The metric of an autoscaling/v2 HorizontalPodAutoscaler: a Resource (cpu, memory) or Pods metric.</summary>
/// <param name="SourceType"><c>Resource</c> or <c>Pods</c>.</param>
/// <param name="Name">Resource name (<c>cpu</c>, <c>memory</c>) or custom pod metric name.</param>
/// <param name="TargetType"><c>Utilization</c> or <c>AverageValue</c>.</param>
/// <param name="AverageUtilization">Percent, for <c>Utilization</c>.</param>
/// <param name="AverageValue">A Kubernetes quantity in canonical form (<c>100Mi</c>, <c>1k</c>), for <c>AverageValue</c>.</param>
public sealed record HpaMetric(string SourceType, string Name, string TargetType, int? AverageUtilization, string? AverageValue);

/// <summary>What the hpa-class reconciler writes into the HorizontalPodAutoscaler's spec (besides the scale
/// target reference, labels, annotations and owner, which it copies from the PodAutoscaler).</summary>
public sealed record HpaPlan(int? MinReplicas, int MaxReplicas, HpaMetric? Metric, int? StabilizationWindowSeconds)
{
    /// <summary>Upstream <c>MakeHPA</c>: max 0 ⇒ 2³¹−1; min only when &gt; 0; a metric only when a target
    /// annotation is present (cpu: utilization ceil(target) %; memory: target MiB average; anything else:
    /// a Pods metric with the target as average value); both stabilization windows = the window annotation.</summary>
    public static HpaPlan From(IReadOnlyDictionary<string, string>? annotations, RevisionAutoscaling settings, Reachability reachability)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var (min, max) = settings.ScaleBounds(reachability);
        if (max == 0) max = int.MaxValue;
        HpaMetric? metric = null;
        if (AutoscalingAnnotations.TryGet(annotations, AutoscalingAnnotations.Target, out _, out var raw)
            && GoCompat.GoStrconv.TryParseFloat(raw, out var target, out _))
        {
            metric = settings.Metric switch
            {
                AutoscalingAnnotations.Cpu => new HpaMetric("Resource", "cpu", "Utilization", Scaling.Decider.ToInt32(Math.Ceiling(target)), null),
                AutoscalingAnnotations.Memory => new HpaMetric("Resource", "memory", "AverageValue", null, BinaryQuantity((long)target * 1024 * 1024)),
                _ => new HpaMetric("Pods", settings.Metric, "AverageValue", null, DecimalQuantity((long)target)),
            };
        }
        int? window = null;
        if (AutoscalingAnnotations.TryGet(annotations, AutoscalingAnnotations.Window, out _, out var w)
            && Ingress.Api.GoDuration.TryParseNanoseconds(w, out var ns, out _))
        {
            window = (int)(ns / Ingress.Api.GoDuration.Second);
        }
        return new HpaPlan(min > 0 ? min : null, max, metric, window);
    }

    /// <summary>Canonical BinarySI quantity of an integer (largest power-of-1024 suffix dividing it).</summary>
    public static string BinaryQuantity(long value)
    {
        string[] suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
        var i = 0;
        while (value != 0 && value % 1024 == 0 && i < suffixes.Length - 1)
        {
            value /= 1024;
            i++;
        }
        return value.ToString(CultureInfo.InvariantCulture) + suffixes[i];
    }

    /// <summary>Canonical DecimalSI quantity of an integer (largest power-of-1000 suffix dividing it).</summary>
    public static string DecimalQuantity(long value)
    {
        string[] suffixes = ["", "k", "M", "G", "T", "P", "E"];
        var i = 0;
        while (value != 0 && value % 1000 == 0 && i < suffixes.Length - 1)
        {
            value /= 1000;
            i++;
        }
        return value.ToString(CultureInfo.InvariantCulture) + suffixes[i];
    }
}
