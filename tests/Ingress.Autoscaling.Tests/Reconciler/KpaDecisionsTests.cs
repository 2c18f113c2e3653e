using Ingress.Autoscaling.Configuration;

namespace Ingress.Autoscaling.Tests.Reconciler;

public class KpaDecisionsTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private static KpaInputs Inputs(
        int decider = -1,
        int ebc = 0,
        ActiveState active = ActiveState.Active,
        int activeForSeconds = 1000,
        int ready = 1,
        int? replicas = 1,
        bool initialized = true,
        Reachability reachability = Reachability.Reachable,
        IReadOnlyDictionary<string, string>? annotations = null,
        AutoscalerConfig? config = null,
        Func<bool>? probe = null,
        int? proxyForSeconds = null,
        ServerlessServiceMode sksMode = ServerlessServiceMode.Serve,
        string? privateService = "rev-private",
        int? statusDesired = null) => new()
    {
        Now = Now,
        Settings = RevisionAutoscaling.Resolve(annotations, 0, config ?? AutoscalerConfig.Default),
        Reachability = reachability,
        SksPrivateServiceName = privateService,
        SksServiceName = "rev",
        SksSpecMode = sksMode,
        SksReady = true,
        ActivatorEndpointsPopulatedSince = proxyForSeconds is { } p ? Now.AddSeconds(-p) : null,
        Active = new ConditionSince<ActiveState>(active, Now.AddSeconds(-activeForSeconds)),
        ScaleTargetInitialized = initialized,
        StatusDesiredScale = statusDesired,
        DeciderDesiredScale = decider,
        DeciderExcessBurstCapacity = ebc,
        DeploymentReplicas = replicas,
        ReadyPods = ready,
        ProbeActivator = probe,
    };

    private static Dictionary<string, string> A(params string[] kv)
    {
        var d = new Dictionary<string, string>();
        for (var i = 0; i < kv.Length; i += 2) d["autoscaling.knative.dev/" + kv[i]] = kv[i + 1];
        return d;
    }

    [Fact]
    public void Without_private_service_the_SKS_is_proxied_by_two_activators_and_nothing_is_scaled()
    {
        var d = KpaDecisions.Reconcile(Inputs(decider: 5, privateService: null, active: ActiveState.Activating, initialized: false, ready: 0));
        Assert.True(d.WaitingForPrivateService);
        Assert.Equal((-1, ServerlessServiceMode.Proxy, 2, (int?)null), (d.Want, d.SksMode, d.NumActivators, d.PatchReplicas));
        Assert.Equal(ActiveState.Activating, d.Status.Active);
        Assert.Equal("Queued", d.Status.ActiveReason);
        Assert.False(d.Status.SksReady);
    }

    [Fact]
    public void No_decision_yet_changes_nothing()
    {
        var d = KpaDecisions.Reconcile(Inputs(decider: -1, statusDesired: 3, ready: 3, replicas: 3));
        Assert.Equal(-1, d.Want);
        Assert.Null(d.PatchReplicas);
        Assert.Equal(3, d.Status.DesiredScale); // -1 does not overwrite a known desired scale
        Assert.Equal(ServerlessServiceMode.Proxy, d.SksMode);
    }

    public static TheoryData<string, KpaInputs, int, int?, ServerlessServiceMode> ScaleTable => new()
    {
        // name, inputs → want, patch, mode
        { "scale up patches replicas", Inputs(decider: 5, ebc: 10, replicas: 2), 5, 5, ServerlessServiceMode.Serve },
        { "same replicas: no patch", Inputs(decider: 2, ebc: 10, replicas: 2), 2, null, ServerlessServiceMode.Serve },
        { "nil replicas count as 1", Inputs(decider: 1, ebc: 10, replicas: null), 1, null, ServerlessServiceMode.Serve },
        { "negative EBC proxies", Inputs(decider: 3, ebc: -1, replicas: 3), 3, null, ServerlessServiceMode.Proxy },
        { "min-scale raises", Inputs(decider: 1, annotations: A("min-scale", "4")), 4, 4, ServerlessServiceMode.Serve },
        { "max-scale caps", Inputs(decider: 9, annotations: A("max-scale", "4")), 4, 4, ServerlessServiceMode.Serve },
        { "min-scale ignored when unreachable", Inputs(decider: 1, annotations: A("min-scale", "4"), reachability: Reachability.Unreachable), 1, null, ServerlessServiceMode.Serve },
        { "min-scale kept for unknown reachability", Inputs(decider: 1, annotations: A("min-scale", "4"), reachability: Reachability.Unknown), 4, 4, ServerlessServiceMode.Serve },
        { "initial scale until initialized", Inputs(decider: 1, annotations: A("initial-scale", "3"), initialized: false, ready: 0), 3, 3, ServerlessServiceMode.Serve },
        { "initial scale ignored once initialized", Inputs(decider: 1, annotations: A("initial-scale", "3")), 1, null, ServerlessServiceMode.Serve },
        { "activating with -1 is clamped to min then to initial", Inputs(decider: -1, ebc: -111, active: ActiveState.Activating, activeForSeconds: 5, annotations: A("initial-scale", "2"), initialized: false, ready: 0), 2, 2, ServerlessServiceMode.Proxy },
        { "enable-scale-to-zero=false turns 0 into 1", Inputs(decider: 0, ebc: 5, replicas: 2, config: AutoscalerConfig.Default with { EnableScaleToZero = false }), 1, 1, ServerlessServiceMode.Serve },
        { "active, idle for a stable window: 0 without patch", Inputs(decider: 0, activeForSeconds: 60, replicas: 1), 0, null, ServerlessServiceMode.Proxy },
        { "active, idle less than a stable window: exactly 1 pod", Inputs(decider: 0, activeForSeconds: 20, replicas: 3, ebc: 5), 1, 1, ServerlessServiceMode.Serve },
        { "activating within timeout: unknown, no patch", Inputs(decider: -1, active: ActiveState.Activating, activeForSeconds: 630, ready: 0), -1, null, ServerlessServiceMode.Proxy },
        { "activating past progress deadline + 30 s: 0", Inputs(decider: -1, active: ActiveState.Activating, activeForSeconds: 631, ready: 0), 0, 0, ServerlessServiceMode.Proxy },
        { "inactive, activator probe fails: wait", Inputs(decider: 0, active: ActiveState.Inactive, activeForSeconds: 100, probe: () => false), 0, null, ServerlessServiceMode.Proxy },
        { "inactive long enough: scale to 0", Inputs(decider: 0, active: ActiveState.Inactive, activeForSeconds: 30, probe: () => true), 0, 0, ServerlessServiceMode.Proxy },
        { "inactive briefly, proxied for the grace period: 0", Inputs(decider: 0, active: ActiveState.Inactive, activeForSeconds: 5, probe: () => true, proxyForSeconds: 30), 0, 0, ServerlessServiceMode.Proxy },
        { "inactive briefly, proxied briefly: wait", Inputs(decider: 0, active: ActiveState.Inactive, activeForSeconds: 5, probe: () => true, proxyForSeconds: 10), 0, null, ServerlessServiceMode.Proxy },
        { "retention holds the last pod", Inputs(decider: 0, active: ActiveState.Inactive, activeForSeconds: 40, probe: () => true, proxyForSeconds: 40, annotations: A("scale-to-zero-pod-retention-period", "60s")), 0, null, ServerlessServiceMode.Proxy },
        { "retention satisfied", Inputs(decider: 0, active: ActiveState.Inactive, activeForSeconds: 60, probe: () => true, annotations: A("scale-to-zero-pod-retention-period", "60s")), 0, 0, ServerlessServiceMode.Proxy },
        { "TBC -1 needs no probe", Inputs(decider: 0, active: ActiveState.Inactive, activeForSeconds: 30, annotations: A("target-burst-capacity", "-1")), 0, 0, ServerlessServiceMode.Proxy },
        { "inactive with traffic again applies directly", Inputs(decider: 1, active: ActiveState.Inactive, activeForSeconds: 300, replicas: 0, ready: 0, ebc: -111), 1, 1, ServerlessServiceMode.Proxy },
    };

    [Theory]
    [MemberData(nameof(ScaleTable))]
    public void Scale_decisions(string name, KpaInputs inputs, int want, int? patch, ServerlessServiceMode mode)
    {
        var d = KpaDecisions.Reconcile(inputs);
        Assert.True((want, patch, mode) == (d.Want, d.PatchReplicas, d.SksMode), $"{name}: got {(d.Want, d.PatchReplicas, d.SksMode)}");
    }

    [Fact]
    public void Requeue_delays_and_async_probe()
    {
        Assert.Equal(TimeSpan.FromSeconds(40), KpaDecisions.Reconcile(Inputs(decider: 0, activeForSeconds: 20)).RequeueAfter);
        Assert.Equal(TimeSpan.FromSeconds(3), KpaDecisions.Reconcile(Inputs(decider: 0, activeForSeconds: 60, sksMode: ServerlessServiceMode.Proxy)).RequeueAfter);
        Assert.Null(KpaDecisions.Reconcile(Inputs(decider: 0, activeForSeconds: 60, sksMode: ServerlessServiceMode.Serve)).RequeueAfter);
        Assert.Equal(TimeSpan.FromSeconds(630), KpaDecisions.Reconcile(Inputs(decider: -1, active: ActiveState.Activating, activeForSeconds: 5, ready: 0)).RequeueAfter);
        Assert.Equal(TimeSpan.FromSeconds(150), KpaDecisions.Reconcile(Inputs(decider: -1, active: ActiveState.Activating, activeForSeconds: 0, ready: 0,
            annotations: new Dictionary<string, string> { ["serving.knative.dev/progress-deadline"] = "120s" })).RequeueAfter);
        Assert.Equal(TimeSpan.FromSeconds(20), KpaDecisions.Reconcile(Inputs(decider: 0, active: ActiveState.Inactive, activeForSeconds: 5, probe: () => true, proxyForSeconds: 10)).RequeueAfter);
        Assert.Equal(TimeSpan.FromSeconds(20), KpaDecisions.Reconcile(Inputs(decider: 0, active: ActiveState.Inactive, activeForSeconds: 40, probe: () => true,
            annotations: A("scale-to-zero-pod-retention-period", "60s"))).RequeueAfter);
        var failed = KpaDecisions.Reconcile(Inputs(decider: 0, active: ActiveState.Inactive, activeForSeconds: 100, probe: () => false));
        Assert.True(failed.StartActivatorProbe);
    }

    [Fact]
    public void Probe_is_only_called_when_inactive_and_scaling_to_zero()
    {
        var calls = 0;
        KpaDecisions.Reconcile(Inputs(decider: 3, active: ActiveState.Inactive, probe: () => { calls++; return true; }));
        KpaDecisions.Reconcile(Inputs(decider: 0, active: ActiveState.Active, activeForSeconds: 100, probe: () => { calls++; return true; }));
        Assert.Equal(0, calls);
        KpaDecisions.Reconcile(Inputs(decider: 0, active: ActiveState.Inactive, probe: () => { calls++; return true; }));
        Assert.Equal(1, calls);
    }

    [Theory]
    [InlineData(0, 211.0, 3)]    // ceil((0 + 211) / 100)
    [InlineData(3, 211.0, 6)]    // the worked example
    [InlineData(0, 0.0, 2)]
    [InlineData(50, 0.0, 2)]     // TBC 0: always 2
    [InlineData(5, -1.0, 5)]     // TBC -1 adds nothing: ceil(500 / 100)
    [InlineData(1, -1.0, 2)]
    public void Activator_count(int ready, double tbc, int expected)
    {
        var spec = RevisionAutoscaling.Resolve(null, 0, AutoscalerConfig.Default).ToDeciderSpec(Reachability.Reachable) with { TargetBurstCapacity = tbc };
        Assert.Equal(expected, KpaDecisions.ActivatorCount(spec, ready));
    }

    public static TheoryData<string, KpaInputs, ActiveState, string?, bool> StatusTable => new()
    {
        { "ready pods: Active", Inputs(decider: 2, ready: 2, replicas: 2, ebc: 5), ActiveState.Active, null, true },
        { "want 0: Inactive NoTraffic", Inputs(decider: 0, activeForSeconds: 60), ActiveState.Inactive, "NoTraffic", true },
        { "activating timed out", Inputs(decider: -1, active: ActiveState.Activating, activeForSeconds: 700, ready: 0), ActiveState.Inactive, "TimedOut", true },
        { "not enough ready: Queued", Inputs(decider: 3, ready: 0, replicas: 3, initialized: false, annotations: A("initial-scale", "2")), ActiveState.Activating, "Queued", false },
        { "initialized once ready reaches initial scale", Inputs(decider: 3, ready: 2, replicas: 3, initialized: false, annotations: A("initial-scale", "2")), ActiveState.Active, null, true },
        { "inactive with -1 stays inactive", Inputs(decider: -1, active: ActiveState.Inactive, ready: 0), ActiveState.Inactive, "NoTraffic", true },
        { "min-scale 0 after init with no pods: Inactive", Inputs(decider: -1, active: ActiveState.Inactive, ready: 1), ActiveState.Inactive, null, true },
    };

    [Theory]
    [MemberData(nameof(StatusTable))]
    public void Status(string name, KpaInputs inputs, ActiveState active, string? reason, bool initialized)
    {
        var s = KpaDecisions.Reconcile(inputs).Status;
        Assert.True((active, reason, initialized) == (s.Active, s.ActiveReason, s.ScaleTargetInitialized),
            $"{name}: got {(s.Active, s.ActiveReason, s.ScaleTargetInitialized)}");
        Assert.Equal(inputs.ReadyPods, s.ActualScale);
        Assert.Equal("rev-private", s.MetricsServiceName);
    }
}
