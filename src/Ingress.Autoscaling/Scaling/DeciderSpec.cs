namespace Ingress.Autoscaling.Scaling;

/// <summary>Everything one decider needs to know about its revision (upstream <c>DeciderSpec</c>).</summary>
public sealed record DeciderSpec
{
    /// <summary>Ratio cap per decision: desired ≤ ceil(rate × ready).</summary>
    public double MaxScaleUpRate { get; init; } = 1000;
    /// <summary>Ratio cap per decision: desired ≥ floor(ready / rate) (only when reachable).</summary>
    public double MaxScaleDownRate { get; init; } = 2;
    /// <summary><c>concurrency</c> or <c>rps</c>.</summary>
    public string ScalingMetric { get; init; } = "concurrency";
    /// <summary>Per-pod target the observed total is divided by.</summary>
    public double TargetValue { get; init; } = 70;
    /// <summary>Per-pod capacity used for excess burst capacity and activator count.</summary>
    public double TotalValue { get; init; } = 100;
    /// <summary>0 = activator only at zero; -1 = activator always in path.</summary>
    public double TargetBurstCapacity { get; init; } = 211;
    public double ActivatorCapacity { get; init; } = 100;
    /// <summary>Ratio (panic-threshold-percentage / 100).</summary>
    public double PanicThreshold { get; init; } = 2;
    public TimeSpan StableWindow { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan ScaleDownDelay { get; init; } = TimeSpan.Zero;
    public int InitialScale { get; init; } = 1;
    /// <summary>False when the PA is Unreachable (no routes point at the revision).</summary>
    public bool Reachable { get; init; } = true;
    /// <summary>Minimum non-zero scale when scaling up from zero; 0 or 1 = no effect.</summary>
    public int ActivationScale { get; init; }
}

/// <summary>Result of one evaluation; <see cref="Valid"/> false means "no information, change nothing".</summary>
public readonly record struct ScaleResult(int DesiredPodCount, int ExcessBurstCapacity, bool Valid)
{
    public static ScaleResult Invalid => new(0, 0, false);
}
