using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Scaling;

namespace Ingress.Autoscaling;

/// <summary>ServerlessService operation mode: Serve routes to pods, Proxy puts the activator in the path.</summary>
public enum ServerlessServiceMode
{
    Serve,
    Proxy,
}

/// <summary>The PodAutoscaler's Active condition: Unknown (activating), True (active), False (inactive).</summary>
public enum ActiveState
{
    Activating,
    Active,
    Inactive,
}

/// <summary>A condition status with its last transition time.</summary>
public readonly record struct ConditionSince<T>(T State, DateTimeOffset Since);

/// <summary>What the KPA reconciler knows when it reconciles one PodAutoscaler (all read from listers,
/// the decider and the config). Pure input to <see cref="KpaDecisions.Reconcile"/>.</summary>
public sealed record KpaInputs
{
    public required DateTimeOffset Now { get; init; }
    public required RevisionAutoscaling Settings { get; init; }
    public Reachability Reachability { get; init; } = Reachability.Unknown;

    /// <summary>The SKS's status.privateServiceName; null/empty when the SKS is missing or not yet set up.</summary>
    public string? SksPrivateServiceName { get; init; }
    /// <summary>The SKS's spec mode as currently stored.</summary>
    public ServerlessServiceMode SksSpecMode { get; init; } = ServerlessServiceMode.Proxy;
    /// <summary>The SKS's status.serviceName (public service), once set.</summary>
    public string? SksServiceName { get; init; }
    public bool SksReady { get; init; }
    /// <summary>Since when the SKS condition ActivatorEndpointsPopulated is True; null if it is not True.</summary>
    public DateTimeOffset? ActivatorEndpointsPopulatedSince { get; init; }

    /// <summary>The PA's Active condition as currently stored (new PAs start Activating).</summary>
    public ConditionSince<ActiveState> Active { get; init; }
    public bool ScaleTargetInitialized { get; init; }
    /// <summary>status.desiredScale as currently stored.</summary>
    public int? StatusDesiredScale { get; init; }

    /// <summary>The decider's last status: DesiredScale (-1 = no decision yet) and ExcessBurstCapacity.</summary>
    public int DeciderDesiredScale { get; init; } = -1;
    public int DeciderExcessBurstCapacity { get; init; }

    /// <summary>The Deployment's spec.replicas (null means 1, as Kubernetes defaults it).</summary>
    public int? DeploymentReplicas { get; init; }
    public int ReadyPods { get; init; }

    /// <summary>config-deployment progress-deadline (default 600 s) when the revision has no annotation.</summary>
    public TimeSpan DefaultProgressDeadline { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>Synchronous activator probe through the public service (called only when the PA is Inactive,
    /// desired is 0 and TBC ≠ -1). Returns true when the activator answered 200 <c>activator</c>.</summary>
    public Func<bool>? ProbeActivator { get; init; }
}

/// <summary>The PA's computed status.</summary>
public sealed record KpaStatus(
    int ActualScale,
    int? DesiredScale,
    ActiveState Active,
    string? ActiveReason,
    string? ActiveMessage,
    bool ScaleTargetInitialized,
    bool SksReady,
    string? MetricsServiceName,
    string? ServiceName);

/// <summary>Everything the thin reconciler must write.</summary>
public sealed record KpaDecision
{
    /// <summary>The value <c>scale()</c> returned: -1 unknown, else the replicas wanted.</summary>
    public required int Want { get; init; }
    /// <summary>When set, JSON-patch <c>/spec/replicas</c> of the Deployment (scale subresource) to this.</summary>
    public int? PatchReplicas { get; init; }
    public required ServerlessServiceMode SksMode { get; init; }
    public required int NumActivators { get; init; }
    /// <summary>Re-enqueue the PA after this long (the shortest asked for).</summary>
    public TimeSpan? RequeueAfter { get; init; }
    /// <summary>Offer an asynchronous activator probe (1 s period, 45 s timeout); its completion re-enqueues
    /// the PA after 1 s.</summary>
    public bool StartActivatorProbe { get; init; }
    /// <summary>True when the decider and Metric were not (re)configured because there is no private service
    /// yet: only the SKS (Proxy, 2 activators) and status are written.</summary>
    public bool WaitingForPrivateService { get; init; }
    public required KpaStatus Status { get; init; }
}

/// <summary>
/// The pure decision logic of the KPA PodAutoscaler reconciler (spec §6): scale(desired) with initial
/// scale, min/max and the scale-to-zero state machine, the SKS mode and activator count, and the status.
/// The Kubernetes-facing reconciler reads listers into <see cref="KpaInputs"/> and writes the result.
/// </summary>
public static class KpaDecisions
{
    /// <summary>Activators put in the path before the SKS has a private service, and the floor otherwise.</summary>
    public const int MinActivators = 2;

    /// <summary>Extra time past the progress deadline before an activation is given up.</summary>
    public static readonly TimeSpan ActivationTimeoutBuffer = TimeSpan.FromSeconds(30);

    /// <summary>Re-enqueue delay while an idle PA waits for the SKS to switch to Proxy.</summary>
    public static readonly TimeSpan ProxyRecheckDelay = TimeSpan.FromSeconds(3);

    public static KpaDecision Reconcile(KpaInputs input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (string.IsNullOrEmpty(input.SksPrivateServiceName))
        {
            return new KpaDecision
            {
                Want = -1,
                SksMode = ServerlessServiceMode.Proxy,
                NumActivators = MinActivators,
                WaitingForPrivateService = true,
                Status = ComputeStatus(input, want: -1, sksReady: false, serviceName: input.SksServiceName, metricsService: null),
            };
        }

        var spec = input.Settings.ToDeciderSpec(input.Reachability);
        var scaled = Scale(input, input.DeciderDesiredScale);
        var mode = scaled.Want > 0 && input.DeciderExcessBurstCapacity >= 0 ? ServerlessServiceMode.Serve : ServerlessServiceMode.Proxy;
        return new KpaDecision
        {
            Want = scaled.Want,
            PatchReplicas = scaled.PatchReplicas,
            SksMode = mode,
            NumActivators = ActivatorCount(spec, input.ReadyPods),
            RequeueAfter = scaled.RequeueAfter,
            StartActivatorProbe = scaled.StartProbe,
            Status = ComputeStatus(input, scaled.Want, input.SksReady, input.SksServiceName, input.SksPrivateServiceName),
        };
    }

    /// <summary>SKS mode: Serve iff want &gt; 0 and EBC ≥ 0.</summary>
    public static ServerlessServiceMode ChooseMode(int want, int excessBurstCapacity) =>
        want > 0 && excessBurstCapacity >= 0 ? ServerlessServiceMode.Serve : ServerlessServiceMode.Proxy;

    /// <summary>Activators to put in the path: 2 for TBC 0, else max(2, ceil((ready × total + max(TBC, 0)) / capacity)).</summary>
    public static int ActivatorCount(DeciderSpec spec, int readyPods)
    {
        if (spec.TargetBurstCapacity == 0) return MinActivators;
        var capacity = readyPods * spec.TotalValue;
        if (spec.TargetBurstCapacity > 0) capacity += spec.TargetBurstCapacity;
        return Decider.ToInt32(Math.Max(MinActivators, Math.Ceiling(capacity / spec.ActivatorCapacity)));
    }

    /// <summary>Result of <see cref="Scale"/>.</summary>
    public readonly record struct ScaleOutcome(int Want, int? PatchReplicas, TimeSpan? RequeueAfter, bool StartProbe);

    /// <summary>Upstream <c>scaler.scale</c>: bounds, initial scale and the scale-to-zero state machine.</summary>
    public static ScaleOutcome Scale(KpaInputs input, int desired)
    {
        var active = input.Active.State;
        if (desired < 0 && active != ActiveState.Activating) return new(desired, null, null, false);

        var settings = input.Settings;
        var (min, max) = settings.ScaleBounds(input.Reachability);
        if (settings.InitialScale > 1 && !input.ScaleTargetInitialized && input.Reachability != Reachability.Unreachable)
            min = Math.Max(min, settings.InitialScale);
        if (desired < min) desired = min;
        else if (max != 0 && desired > max) desired = max;

        TimeSpan? requeue = null;
        var apply = true;
        var startProbe = false;
        if (desired == 0)
        {
            (desired, apply, requeue, startProbe) = ScaleToZero(input);
        }
        if (!apply) return new(desired, null, requeue, startProbe);
        var current = input.DeploymentReplicas ?? 1;
        return new(desired, desired == current ? null : desired, requeue, startProbe);
    }

    private static (int Value, bool Apply, TimeSpan? Requeue, bool StartProbe) ScaleToZero(KpaInputs input)
    {
        var settings = input.Settings;
        var config = settings.Config;
        if (!config.EnableScaleToZero) return (1, true, null, false);
        var activationTimeout = (settings.ProgressDeadline ?? input.DefaultProgressDeadline) + ActivationTimeoutBuffer;
        var now = input.Now;
        var stateFor = now - input.Active.Since;
        switch (input.Active.State)
        {
            case ActiveState.Activating:
                // Strictly longer than the timeout: give up and scale to 0 (status then says TimedOut).
                return stateFor > activationTimeout ? (0, true, null, false) : (-1, false, activationTimeout, false);
            case ActiveState.Active:
                if (stateFor >= settings.StableWindow)
                {
                    // Don't patch: the status logic marks the PA Inactive, which moves the SKS to Proxy.
                    return (0, false, input.SksSpecMode == ServerlessServiceMode.Proxy ? ProxyRecheckDelay : null, false);
                }
                // Idle, but not for a whole stable window yet: keep exactly one pod.
                return (1, true, settings.StableWindow - stateFor, false);
            default:
                var activatorInPath = settings.TargetBurstCapacity == -1 || (input.ProbeActivator?.Invoke() ?? false);
                if (!activatorInPath) return (0, false, null, true);
                var retention = settings.LastPodRetention(input.Reachability);
                var grace = config.ScaleToZeroGracePeriod;
                var ceiling = grace > retention ? grace : retention;
                if (stateFor >= ceiling) return (0, true, null, false);
                if (retention > TimeSpan.Zero && stateFor < retention) return (0, false, retention - stateFor, false);
                var proxyFor = input.ActivatorEndpointsPopulatedSince is { } since ? now - since : TimeSpan.Zero;
                var remaining = grace - proxyFor;
                return remaining <= TimeSpan.Zero ? (0, true, null, false) : (0, false, remaining, false);
        }
    }

    /// <summary>Upstream <c>computeStatus</c> + <c>computeActiveCondition</c>.</summary>
    public static KpaStatus ComputeStatus(KpaInputs input, int want, bool sksReady, string? serviceName, string? metricsService)
    {
        var settings = input.Settings;
        var desired = want == -1 && input.StatusDesiredScale is >= 0 ? input.StatusDesiredScale : want;
        var (min, _) = settings.ScaleBounds(input.Reachability);
        var minReady = input.ScaleTargetInitialized ? Math.Max(min, 1) : Math.Max(min, settings.InitialScale);
        var initialized = input.ScaleTargetInitialized || (input.ReadyPods >= minReady && !string.IsNullOrEmpty(serviceName));
        var current = input.Active.State;
        ActiveState state = current;
        string? reason = null, message = null;
        const string noTraffic = "NoTraffic", noTrafficMessage = "The target is not receiving traffic.";
        if (want == 0 || minReady == 0)
        {
            state = ActiveState.Inactive;
            (reason, message) = current == ActiveState.Activating && minReady > 0
                ? ("TimedOut", "The target could not be activated.")
                : (noTraffic, noTrafficMessage);
        }
        else if (input.ReadyPods < minReady)
        {
            if (want > 0 || current != ActiveState.Inactive)
            {
                state = ActiveState.Activating;
                (reason, message) = ("Queued", "Requests to the target are being buffered as resources are provisioned.");
            }
            else
            {
                state = ActiveState.Inactive;
                (reason, message) = (noTraffic, noTrafficMessage);
            }
        }
        else if (want > 0 || current != ActiveState.Inactive)
        {
            state = ActiveState.Active;
        }
        else
        {
            // Stays Inactive with whatever reason it had.
            reason = null;
        }
        return new KpaStatus(input.ReadyPods, desired, state, reason, message, initialized, sksReady, metricsService, serviceName);
    }
}
