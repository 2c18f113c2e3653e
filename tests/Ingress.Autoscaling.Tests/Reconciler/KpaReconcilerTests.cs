using Ingress.Api.Autoscaling.V1Alpha1;
using Ingress.Api.Knative;
using Ingress.Api.Meta.V1;
using Condition = Ingress.Api.Knative.Condition;
using Ingress.Api.Networking.V1Alpha1;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Reconciler;

namespace Ingress.Autoscaling.Tests.Reconciler;

/// <summary>Table tests of the KPA PodAutoscaler reconciler against the embedded API server: objects present →
/// one reconcile → what was written (SKS, Metric, Deployment replicas) and the PA status.</summary>
public sealed class KpaReconcilerTests
{
    private const string Rev = "hello-00001";
    private const string Deploy = Rev + "-deployment";

    private static Dictionary<string, string> Kpa(params (string Key, string Value)[] extra)
    {
        var a = new Dictionary<string, string> { [AutoscalingKeys.Class] = AutoscalingAnnotations.KpaClass };
        foreach (var (k, v) in extra) a[k] = v;
        return a;
    }

    [Fact]
    public async Task Without_an_SKS_creates_one_in_proxy_mode_and_waits_for_its_private_service()
    {
        await using var c = await AutoscalingCluster.StartAsync();
        await c.CreateDeploymentAsync(Deploy, 1);
        var pa = await c.CreatePaAsync(Rev, Kpa());

        var result = await c.ReconcileKpaAsync(Rev);

        Assert.Null(result.RequeueAfter);
        var sks = await c.GetSksAsync(Rev);
        Assert.NotNull(sks);
        Assert.Equal("Proxy", sks.Spec!.Mode);
        Assert.Equal(2, sks.Spec.NumActivators);
        Assert.Equal("http1", sks.Spec.ProtocolType);
        Assert.Equal(Deploy, sks.Spec.ObjectRef!.Name);
        Assert.Equal("Deployment", sks.Spec.ObjectRef.Kind);
        var owner = Assert.Single(sks.Metadata.OwnerReferences!);
        Assert.Equal((pa.Metadata.Uid, "PodAutoscaler", true), (owner.Uid, owner.Kind, owner.Controller == true));
        Assert.Equal(Rev, sks.Metadata.Labels![ServingKeys.Revision]);
        Assert.Null(await c.GetMetricAsync(Rev)); // no decider/Metric before the private service exists
        Assert.Equal(1, await c.DeploymentReplicasAsync(Deploy));

        var status = (await c.GetPaAsync(Rev)).Status!;
        Assert.Equal(-1, status.DesiredScale);
        Assert.Equal(0, status.ActualScale);
        Assert.Null(status.MetricsServiceName);
        var sksReady = ConditionAssert.Get(status, PodAutoscalerStatus.SKSReady);
        Assert.Equal((ConditionStatus.Unknown, "NotReady", "No Private Service Name"), (sksReady.Status, sksReady.Reason, sksReady.Message));
        var active = ConditionAssert.Get(status, PodAutoscalerStatus.Active);
        Assert.Equal((ConditionStatus.Unknown, "Queued"), (active.Status, active.Reason));
        Assert.Equal(ConditionStatus.Unknown, ConditionAssert.Get(status, ConditionTypes.Ready).Status);
    }

    [Fact]
    public async Task Activating_pa_scales_to_min_scale_serves_and_becomes_active_when_pods_are_ready()
    {
        await using var c = await AutoscalingCluster.StartAsync();
        await c.CreateDeploymentAsync(Deploy, 1);
        await c.CreatePaAsync(Rev, Kpa((AutoscalingKeys.MinScale, "3"), (AutoscalingKeys.TargetBurstCapacity, "0")));
        await c.ReconcileKpaAsync(Rev); // creates the SKS
        await c.SetSksStatusAsync(Rev, ready: true);
        await c.SettleAsync(Rev);

        await c.ReconcileKpaAsync(Rev);

        // No decision yet (-1) while Activating becomes min-scale: the Deployment is patched to 3.
        Assert.Equal(3, await c.DeploymentReplicasAsync(Deploy));
        var sks = (await c.GetSksAsync(Rev))!;
        Assert.Equal(("Serve", 2), (sks.Spec!.Mode, sks.Spec.NumActivators));
        var metric = (await c.GetMetricAsync(Rev))!;
        Assert.Equal(60_000_000_000L, metric.Spec!.StableWindow);
        Assert.Equal(6_000_000_000L, metric.Spec.PanicWindow);
        Assert.Equal(Rev + "-private", metric.Spec.ScrapeTarget);
        Assert.Single(metric.Metadata.OwnerReferences!);
        Assert.NotNull(c.Controllers.Runtime.Scaler.Get(new RevisionKey(AutoscalingCluster.Ns, Rev)));

        var status = (await c.GetPaAsync(Rev)).Status!;
        Assert.Equal((3, 0), (status.DesiredScale, status.ActualScale));
        Assert.Equal((Rev, Rev + "-private"), (status.ServiceName, status.MetricsServiceName));
        Assert.Equal(ConditionStatus.True, ConditionAssert.Get(status, PodAutoscalerStatus.SKSReady).Status);
        Assert.Equal(ConditionStatus.Unknown, ConditionAssert.Get(status, PodAutoscalerStatus.ScaleTargetInitialized).Status);
        Assert.Equal("Queued", ConditionAssert.Get(status, PodAutoscalerStatus.Active).Reason);

        // Two ready pods are not enough for min-scale 3; three are.
        await c.CreatePodAsync("p1", Rev, ready: true, ip: "10.0.0.1");
        await c.CreatePodAsync("p2", Rev, ready: true, ip: "10.0.0.2");
        await c.CreatePodAsync("p3", Rev, ready: false, ip: "10.0.0.3");
        await c.SettleAsync(Rev);
        await c.ReconcileKpaAsync(Rev);
        status = (await c.GetPaAsync(Rev)).Status!;
        Assert.Equal(2, status.ActualScale);
        Assert.Equal(ConditionStatus.Unknown, ConditionAssert.Get(status, PodAutoscalerStatus.Active).Status);

        await c.CreatePodAsync("p4", Rev, ready: true, ip: "10.0.0.4");
        await c.SettleAsync(Rev);
        await c.ReconcileKpaAsync(Rev);
        status = (await c.GetPaAsync(Rev)).Status!;
        Assert.Equal((3, 3), (status.DesiredScale, status.ActualScale));
        Assert.Equal(ConditionStatus.True, ConditionAssert.Get(status, PodAutoscalerStatus.Active).Status);
        Assert.Equal(ConditionStatus.True, ConditionAssert.Get(status, PodAutoscalerStatus.ScaleTargetInitialized).Status);
        Assert.Equal(ConditionStatus.True, ConditionAssert.Get(status, ConditionTypes.Ready).Status);
        Assert.Equal(3, await c.DeploymentReplicasAsync(Deploy));
    }

    [Fact]
    public async Task Initial_scale_sets_the_first_size_and_default_tbc_keeps_the_activator_in_the_path()
    {
        await using var c = await AutoscalingCluster.StartAsync();
        await c.CreateDeploymentAsync(Deploy, null);
        await c.CreatePaAsync(Rev, Kpa((AutoscalingKeys.InitialScale, "2"), (AutoscalingKeys.MaxScale, "6")));
        await c.ReconcileKpaAsync(Rev);
        await c.SetSksStatusAsync(Rev, ready: false);
        await c.SettleAsync(Rev);

        await c.ReconcileKpaAsync(Rev);

        Assert.Equal(2, await c.DeploymentReplicasAsync(Deploy)); // initial-scale raises min until the target is initialized
        var sks = (await c.GetSksAsync(Rev))!;
        // A new decider's excess burst capacity is initial × 100 − 211 = −11 (< 0): Proxy, with ceil(211/100) = 3 activators.
        Assert.Equal(("Proxy", 3), (sks.Spec!.Mode, sks.Spec.NumActivators));
        var status = (await c.GetPaAsync(Rev)).Status!;
        var sksReady = ConditionAssert.Get(status, PodAutoscalerStatus.SKSReady);
        Assert.Equal((ConditionStatus.Unknown, "NotReady", "no healthy backends"), (sksReady.Status, sksReady.Reason, sksReady.Message));
    }

    [Fact]
    public async Task Idle_pa_goes_inactive_after_the_stable_window_and_scales_to_zero_after_the_grace_period()
    {
        await using var c = await AutoscalingCluster.StartAsync();
        var t0 = AutoscalingCluster.Start;
        var key = new RevisionKey(AutoscalingCluster.Ns, Rev);
        await c.CreateDeploymentAsync(Deploy, 1);
        // TBC -1: the activator is always in the path (no probe) and nothing is scraped, so the decider says 0.
        await c.CreatePaAsync(Rev, Kpa((AutoscalingKeys.TargetBurstCapacity, "-1")));
        await c.ReconcileKpaAsync(Rev);
        await c.SetSksStatusAsync(Rev, ready: true);
        await c.CreatePodAsync("p1", Rev, ready: true);
        await c.SetPaStatusAsync(Rev, s =>
        {
            s.Conditions =
            [
                new Condition { Type = PodAutoscalerStatus.Active, Status = ConditionStatus.True, LastTransitionTime = t0 },
                new Condition { Type = ConditionTypes.Ready, Status = ConditionStatus.True, LastTransitionTime = t0 },
                new Condition { Type = PodAutoscalerStatus.SKSReady, Status = ConditionStatus.True, LastTransitionTime = t0 },
                new Condition { Type = PodAutoscalerStatus.ScaleTargetInitialized, Status = ConditionStatus.True, LastTransitionTime = t0 },
            ];
            s.DesiredScale = 1;
        });
        await c.SettleAsync(Rev);
        await c.ReconcileKpaAsync(Rev); // creates the decider and the Metric
        var metric = (await c.GetMetricAsync(Rev))!;
        Assert.Equal("", metric.Spec!.ScrapeTarget);
        c.Controllers.Runtime.Scaler.TickAll();
        Assert.Equal(0, c.Controllers.Runtime.Scaler.Get(key)!.Value.DesiredScale);
        await c.SettleAsync(Rev);

        // Active for 10 s of a 60 s stable window: keep one pod and come back when the window is over.
        c.Time.Advance(TimeSpan.FromSeconds(10));
        var result = await c.ReconcileKpaAsync(Rev);
        Assert.Equal(TimeSpan.FromSeconds(50), result.RequeueAfter);
        Assert.Equal(1, await c.DeploymentReplicasAsync(Deploy));
        var status = (await c.GetPaAsync(Rev)).Status!;
        Assert.Equal((1, 1), (status.DesiredScale, status.ActualScale));
        Assert.Equal(ConditionStatus.True, ConditionAssert.Get(status, PodAutoscalerStatus.Active).Status);
        await c.SettleAsync(Rev);

        // Active for the whole window: marked Inactive, the Deployment is not touched yet. With TBC -1 the SKS
        // is already in Proxy mode, so the PA is looked at again 3 s later.
        c.Time.Advance(TimeSpan.FromSeconds(50));
        result = await c.ReconcileKpaAsync(Rev);
        Assert.Equal(TimeSpan.FromSeconds(3), result.RequeueAfter);
        Assert.Equal(1, await c.DeploymentReplicasAsync(Deploy));
        Assert.Equal("Proxy", (await c.GetSksAsync(Rev))!.Spec!.Mode);
        status = (await c.GetPaAsync(Rev)).Status!;
        var active = ConditionAssert.Get(status, PodAutoscalerStatus.Active);
        Assert.Equal((ConditionStatus.False, "NoTraffic"), (active.Status, active.Reason));
        Assert.Equal(t0.AddSeconds(60), active.LastTransitionTime);
        Assert.Equal(0, status.DesiredScale);

        // The SKS reconciler puts the activator endpoints in (at t0+60); 10 s later the grace period has 20 s left.
        await c.SetSksStatusAsync(Rev, ready: true, activatorEndpointsSince: t0.AddSeconds(60));
        await c.SettleAsync(Rev);
        c.Time.Advance(TimeSpan.FromSeconds(10));
        result = await c.ReconcileKpaAsync(Rev);
        Assert.Equal(TimeSpan.FromSeconds(20), result.RequeueAfter);
        Assert.Equal(1, await c.DeploymentReplicasAsync(Deploy));

        // Grace period over: the last pod goes.
        await c.SettleAsync(Rev);
        c.Time.Advance(TimeSpan.FromSeconds(20));
        result = await c.ReconcileKpaAsync(Rev);
        Assert.Null(result.RequeueAfter);
        Assert.Equal(0, await c.DeploymentReplicasAsync(Deploy));
        status = (await c.GetPaAsync(Rev)).Status!;
        Assert.Equal(0, status.DesiredScale);
        Assert.Equal(ConditionStatus.False, ConditionAssert.Get(status, PodAutoscalerStatus.Active).Status);
    }

    [Fact]
    public async Task Pod_retention_keeps_the_last_pod_after_the_grace_period()
    {
        await using var c = await AutoscalingCluster.StartAsync();
        var t0 = AutoscalingCluster.Start;
        await c.CreateDeploymentAsync(Deploy, 1);
        await c.CreatePaAsync(Rev, Kpa((AutoscalingKeys.TargetBurstCapacity, "-1"), (AutoscalingKeys.ScaleToZeroPodRetentionPeriod, "90s")));
        await c.ReconcileKpaAsync(Rev);
        await c.SetSksStatusAsync(Rev, ready: true, activatorEndpointsSince: t0);
        await c.CreatePodAsync("p1", Rev, ready: true);
        await c.SetPaStatusAsync(Rev, s =>
        {
            s.Conditions =
            [
                new Condition { Type = PodAutoscalerStatus.Active, Status = ConditionStatus.False, Reason = "NoTraffic", LastTransitionTime = t0 },
                new Condition { Type = PodAutoscalerStatus.ScaleTargetInitialized, Status = ConditionStatus.True, LastTransitionTime = t0 },
            ];
        });
        await c.SettleAsync(Rev);
        await c.ReconcileKpaAsync(Rev);
        c.Controllers.Runtime.Scaler.TickAll();
        await c.SettleAsync(Rev);

        c.Time.Advance(TimeSpan.FromSeconds(40)); // grace (30 s) over, retention (90 s) not
        var result = await c.ReconcileKpaAsync(Rev);
        Assert.Equal(TimeSpan.FromSeconds(50), result.RequeueAfter);
        Assert.Equal(1, await c.DeploymentReplicasAsync(Deploy));

        await c.SettleAsync(Rev);
        c.Time.Advance(TimeSpan.FromSeconds(50));
        await c.ReconcileKpaAsync(Rev);
        Assert.Equal(0, await c.DeploymentReplicasAsync(Deploy));
    }

    [Fact]
    public async Task An_sks_owned_by_someone_else_is_reported_and_not_touched()
    {
        await using var c = await AutoscalingCluster.StartAsync();
        await c.CreateDeploymentAsync(Deploy, 1);
        await c.CreateSksAsync(new ServerlessService
        {
            Metadata = new ObjectMeta { Name = Rev, Namespace = AutoscalingCluster.Ns },
            // objectRef and protocolType are required by the SKS CRD's schema, which the API server enforces.
            Spec = new ServerlessServiceSpec
            {
                Mode = "Serve", NumActivators = 7, ProtocolType = "http1",
                ObjectRef = new Ingress.Api.Core.V1.ObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = Deploy },
            },
        });
        await c.CreatePaAsync(Rev, Kpa());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => c.ReconcileKpaAsync(Rev));
        Assert.Contains("does not own SKS", error.Message, StringComparison.Ordinal);
        var sks = (await c.GetSksAsync(Rev))!;
        Assert.Equal(("Serve", 7), (sks.Spec!.Mode, sks.Spec.NumActivators));
        var status = (await c.GetPaAsync(Rev)).Status!;
        var sksReady = ConditionAssert.Get(status, PodAutoscalerStatus.SKSReady);
        Assert.Equal((ConditionStatus.False, "NotOwned"), (sksReady.Status, sksReady.Reason));
        Assert.Equal(ConditionStatus.False, ConditionAssert.Get(status, ConditionTypes.Ready).Status);
    }

    [Fact]
    public async Task Pas_of_the_hpa_class_are_left_to_the_hpa_reconciler()
    {
        await using var c = await AutoscalingCluster.StartAsync();
        await c.CreateDeploymentAsync(Deploy, 1);
        await c.CreatePaAsync(Rev, new Dictionary<string, string> { [AutoscalingKeys.Class] = AutoscalingAnnotations.HpaClass });

        await c.ReconcileKpaAsync(Rev);

        Assert.Null(await c.GetSksAsync(Rev));
        Assert.Null((await c.GetPaAsync(Rev)).Status);
    }
}
