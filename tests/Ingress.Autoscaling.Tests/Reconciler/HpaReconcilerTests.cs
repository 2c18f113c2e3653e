using Ingress.Api.Autoscaling.V1Alpha1;
using Ingress.Api.K8sAutoscaling.V2;
using Ingress.Api.Knative;
using Ingress.Autoscaling.Configuration;
using Ingress.Kube.Typed;

namespace Ingress.Autoscaling.Tests.Reconciler;

/// <summary>The hpa class: HorizontalPodAutoscaler written from the PA, its status mirrored back.</summary>
public sealed class HpaReconcilerTests
{
    private const string Rev = "cpu-00001";

    private static Dictionary<string, string> Hpa(params (string Key, string Value)[] extra)
    {
        var a = new Dictionary<string, string> { [AutoscalingKeys.Class] = AutoscalingAnnotations.HpaClass };
        foreach (var (k, v) in extra) a[k] = v;
        return a;
    }

    [Fact]
    public async Task Creates_the_hpa_and_a_serving_sks_then_mirrors_the_hpa_status()
    {
        await using var c = await AutoscalingCluster.StartAsync();
        var pa = await c.CreatePaAsync(Rev, Hpa((AutoscalingKeys.Metric, "cpu"), (AutoscalingKeys.Target, "75.5"),
            (AutoscalingKeys.MinScale, "2"), (AutoscalingKeys.MaxScale, "5"), (AutoscalingKeys.Window, "2m")));

        await c.ReconcileHpaAsync(Rev);

        var hpa = (await c.GetHpaAsync(Rev))!;
        Assert.Equal(("apps/v1", "Deployment", Rev + "-deployment"), (hpa.Spec!.ScaleTargetRef!.ApiVersion, hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        Assert.Equal((2, 5), (hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas));
        var metric = Assert.Single(hpa.Spec.Metrics!);
        Assert.Equal(("Resource", "cpu", "Utilization", 76), (metric.Type, metric.Resource!.Name, metric.Resource.Target!.Type, metric.Resource.Target.AverageUtilization));
        Assert.Equal(120, hpa.Spec.Behavior!["scaleDown"]!["stabilizationWindowSeconds"]!.GetValue<int>());
        Assert.Equal(120, hpa.Spec.Behavior!["scaleUp"]!["stabilizationWindowSeconds"]!.GetValue<int>());
        Assert.Equal(pa.Metadata.Uid, Assert.Single(hpa.Metadata.OwnerReferences!).Uid);
        var sks = (await c.GetSksAsync(Rev))!;
        Assert.Equal("Serve", sks.Spec!.Mode);
        var status = (await c.GetPaAsync(Rev)).Status!;
        Assert.Equal((0, 0), (status.DesiredScale, status.ActualScale));
        Assert.Equal(ConditionStatus.True, ConditionAssert.Get(status, PodAutoscalerStatus.Active).Status);
        Assert.Equal(ConditionStatus.Unknown, ConditionAssert.Get(status, PodAutoscalerStatus.SKSReady).Status);
        Assert.Null(c.Controllers.Runtime.Scaler.Get(new RevisionKey(AutoscalingCluster.Ns, Rev))); // no KPA decider

        // The HPA controller reports 1 current of 3 desired: below min-scale 2, so not yet initialized.
        await SetHpaStatusAsync(c, current: 1, desired: 3);
        await c.SetSksStatusAsync(Rev, ready: true);
        await c.SettleAsync(Rev);
        await c.ReconcileHpaAsync(Rev);
        status = (await c.GetPaAsync(Rev)).Status!;
        Assert.Equal((3, 1), (status.DesiredScale, status.ActualScale));
        Assert.Equal((Rev, Rev + "-private"), (status.ServiceName, status.MetricsServiceName));
        Assert.Equal(ConditionStatus.True, ConditionAssert.Get(status, PodAutoscalerStatus.SKSReady).Status);
        Assert.Equal(ConditionStatus.Unknown, ConditionAssert.Get(status, PodAutoscalerStatus.ScaleTargetInitialized).Status);

        await SetHpaStatusAsync(c, current: 3, desired: 3);
        await c.SettleAsync(Rev);
        await c.ReconcileHpaAsync(Rev);
        status = (await c.GetPaAsync(Rev)).Status!;
        Assert.Equal((3, 3), (status.DesiredScale, status.ActualScale));
        Assert.Equal(ConditionStatus.True, ConditionAssert.Get(status, PodAutoscalerStatus.ScaleTargetInitialized).Status);
        Assert.Equal(ConditionStatus.True, ConditionAssert.Get(status, ConditionTypes.Ready).Status);
    }

    [Fact]
    public async Task A_changed_pa_updates_the_hpa_spec()
    {
        await using var c = await AutoscalingCluster.StartAsync();
        await c.CreatePaAsync(Rev, Hpa((AutoscalingKeys.Metric, "memory"), (AutoscalingKeys.Target, "100")));
        await c.ReconcileHpaAsync(Rev);
        var hpa = (await c.GetHpaAsync(Rev))!;
        Assert.Null(hpa.Spec!.MinReplicas);
        Assert.Equal(int.MaxValue, hpa.Spec.MaxReplicas);
        var metric = Assert.Single(hpa.Spec.Metrics!);
        Assert.Equal(("memory", "AverageValue", "100Mi"), (metric.Resource!.Name, metric.Resource.Target!.Type, metric.Resource.Target.AverageValue?.ToString()));
        Assert.Null(hpa.Spec.Behavior);

        var pa = await c.GetPaAsync(Rev);
        pa.Metadata.Annotations![AutoscalingKeys.Metric] = "custom_qps";
        pa.Metadata.Annotations[AutoscalingKeys.Target] = "2000";
        pa.Metadata.Annotations[AutoscalingKeys.MaxScale] = "10";
        await c.Client.For<PodAutoscaler>().UpdateAsync(pa, ct: c.Token);
        await c.SettleAsync(Rev);
        await AutoscalingCluster.Eventually(() => c.Informers.For<PodAutoscaler>().Lister.Get(AutoscalingCluster.Ns, Rev)?.Metadata.Annotations?[AutoscalingKeys.MaxScale] == "10", "PA update cached");
        await c.ReconcileHpaAsync(Rev);

        hpa = (await c.GetHpaAsync(Rev))!;
        Assert.Equal(10, hpa.Spec!.MaxReplicas);
        metric = Assert.Single(hpa.Spec.Metrics!);
        Assert.Equal("Pods", metric.Type);
        Assert.Equal("custom_qps", metric.Pods!["metric"]!["name"]!.GetValue<string>());
        Assert.Equal("2k", metric.Pods!["target"]!["averageValue"]!.GetValue<string>());
    }

    [Fact]
    public async Task Kpa_pas_are_left_to_the_kpa_reconciler()
    {
        await using var c = await AutoscalingCluster.StartAsync();
        await c.CreatePaAsync(Rev, new Dictionary<string, string> { [AutoscalingKeys.Class] = AutoscalingAnnotations.KpaClass });
        await c.ReconcileHpaAsync(Rev);
        Assert.Null(await c.GetHpaAsync(Rev));
        Assert.Null(await c.GetSksAsync(Rev));
    }

    private static async Task SetHpaStatusAsync(AutoscalingCluster c, int current, int desired)
    {
        var client = c.Client.For<HorizontalPodAutoscaler>();
        var hpa = await client.GetAsync(AutoscalingCluster.Ns, Rev, c.Token);
        hpa.Status = new HorizontalPodAutoscalerStatus { CurrentReplicas = current, DesiredReplicas = desired };
        await client.UpdateStatusAsync(hpa, ct: c.Token);
    }
}
