using Ingress.Api.Autoscaling.V1Alpha1;
using Ingress.Api.Knative;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Reconciler;
using Ingress.Kube.Typed;

namespace Ingress.Autoscaling.Tests.Reconciler;

/// <summary>The controllers from <see cref="AutoscalingControllers.Register"/> running on their own queues
/// (system clock): changes to PAs, SKSs and pods drive them to the expected state.</summary>
public sealed class ControllerWiringTests
{
    private const string Rev = "wired-00001";
    private const string Deploy = Rev + "-deployment";

    [Fact]
    public async Task Kpa_controller_reacts_to_the_pa_the_sks_and_the_pods()
    {
        await using var c = await AutoscalingCluster.StartAsync(manualClock: false);
        using var run = CancellationTokenSource.CreateLinkedTokenSource(c.Token);
        var running = c.Controllers.RunAsync(run.Token);

        await c.CreateDeploymentAsync(Deploy, 1);
        await c.CreatePaAsync(Rev, new Dictionary<string, string>
        {
            [AutoscalingKeys.Class] = AutoscalingAnnotations.KpaClass,
            [AutoscalingKeys.MinScale] = "2",
            [AutoscalingKeys.TargetBurstCapacity] = "0",
        });

        // PA added → SKS created (in Proxy mode; it may already have moved on to Serve, asserted below, by the time
        // this poll looks, so only its existence is awaited here).
        await AutoscalingCluster.EventuallyAsync(async () => await c.GetSksAsync(Rev) is not null, "SKS created");
        // The SKS controller creates the services and sets the private service name → PA reconciled: decider,
        // Metric, replicas to min-scale, SKS to Serve.
        await AutoscalingCluster.EventuallyAsync(async () => (await c.GetSksAsync(Rev))?.Status?.PrivateServiceName == Rev + "-private", "SKS status");
        Assert.NotNull(await c.Client.For<Api.Core.V1.Service>().TryGetAsync(AutoscalingCluster.Ns, Rev + "-private", ct: c.Token));
        await AutoscalingCluster.EventuallyAsync(async () => await c.DeploymentReplicasAsync(Deploy) == 2, "Deployment scaled to min-scale");
        await AutoscalingCluster.EventuallyAsync(async () => await c.GetMetricAsync(Rev) is not null, "Metric created");
        await AutoscalingCluster.EventuallyAsync(async () => (await c.GetSksAsync(Rev))?.Spec?.Mode == "Serve", "SKS serving");
        // Pods become ready → PA reconciled → Active and Ready.
        await c.CreatePodAsync("w1", Rev, ready: true, ip: "10.1.0.1");
        await c.CreatePodAsync("w2", Rev, ready: true, ip: "10.1.0.2");
        // Playing Kubernetes' endpoints controller for the private service.
        await c.Client.For<Api.Core.V1.Endpoints>().CreateAsync(new Api.Core.V1.Endpoints
        {
            Metadata = new Api.Meta.V1.ObjectMeta { Name = Rev + "-private", Namespace = AutoscalingCluster.Ns },
            Subsets = [new Api.Core.V1.EndpointsSubset { Addresses = [new Api.Core.V1.EndpointAddress { Ip = "10.1.0.1" }, new Api.Core.V1.EndpointAddress { Ip = "10.1.0.2" }] }],
        }, ct: c.Token);
        await AutoscalingCluster.EventuallyAsync(async () =>
        {
            var status = (await c.GetPaAsync(Rev)).Status;
            return status?.ActualScale == 2 && status.Conditions?.Any(x => x.Type == ConditionTypes.Ready && x.IsTrue) == true;
        }, "PA Ready with 2 pods");
        var publicIps = (await c.Client.For<Api.Core.V1.Endpoints>().GetAsync(AutoscalingCluster.Ns, Rev, c.Token)).Subsets!.SelectMany(s => s.Addresses!).Select(a => a.Ip).Order();
        Assert.Equal(["10.1.0.1", "10.1.0.2"], publicIps);

        // PA deleted → its decider goes too.
        await c.Client.For<PodAutoscaler>().DeleteAsync(AutoscalingCluster.Ns, Rev, ct: c.Token);
        await AutoscalingCluster.Eventually(() => c.Controllers.Runtime.Scaler.Get(new RevisionKey(AutoscalingCluster.Ns, Rev)) is null, "decider removed");

        await run.CancelAsync();
        await running;
    }

    [Fact]
    public async Task Ready_pods_come_from_the_pod_cache()
    {
        await using var c = await AutoscalingCluster.StartAsync();
        var key = new RevisionKey(AutoscalingCluster.Ns, "pods-00001");
        await c.CreatePodAsync("ready", key.Name, ready: true, ip: "10.2.0.1");
        await c.CreatePodAsync("ready6", key.Name, ready: true, ip: "fd00::1");
        await c.CreatePodAsync("unready", key.Name, ready: false, ip: "10.2.0.2");
        await c.CreatePodAsync("pending", key.Name, ready: true, ip: "10.2.0.3", running: false);
        await c.CreatePodAsync("other", "other-00001", ready: true, ip: "10.2.0.4");
        var pods = c.Controllers.Context.Pods;

        Assert.Equal(2, pods.ReadyCount(key));
        Assert.Equal(4, pods.PodsOf(key).Count);
        Assert.Equal(0, pods.ReadyCount(new RevisionKey(AutoscalingCluster.Ns, "missing")));
        var scrape = pods.For(key).ReadyPods().Select(p => p.Authority).Order().ToList();
        Assert.Equal(["10.2.0.1:9090", "[fd00::1]:9090"], scrape);
        Assert.Same(pods.For(key), pods.For(key));
    }

    [Fact]
    public async Task Config_autoscaler_is_followed_keeping_the_last_good_value()
    {
        await using var c = await AutoscalingCluster.StartAsync();
        var store = c.Controllers.ConfigStore!;
        Assert.Same(AutoscalerConfig.Default, c.Controllers.Context.Config());
        var configMaps = c.Client.For<Api.Core.V1.ConfigMap>();
        var cm = await configMaps.CreateAsync(new Api.Core.V1.ConfigMap
        {
            Metadata = new Api.Meta.V1.ObjectMeta { Name = "config-autoscaler", Namespace = "knative-serving" },
            Data = new() { ["min-scale"] = "2", ["enable-scale-to-zero"] = "false" },
        }, ct: c.Token);
        await AutoscalingCluster.Eventually(() => c.Controllers.Context.Config().MinScale == 2, "config applied");
        Assert.False(c.Controllers.Context.Config().EnableScaleToZero);

        cm.Data!["stable-window"] = "60";
        await configMaps.UpdateAsync(cm, ct: c.Token);
        await AutoscalingCluster.Eventually(() => store.LastError is not null, "bad config reported");
        Assert.Equal("failed to parse data: failed to parse \"stable-window\": time: missing unit in duration \"60\"", store.LastError);
        Assert.Equal(2, c.Controllers.Context.Config().MinScale);

        await configMaps.DeleteAsync("knative-serving", "config-autoscaler", ct: c.Token);
        await AutoscalingCluster.Eventually(() => c.Controllers.Context.Config().MinScale == 0, "defaults after delete");
        Assert.True(c.Controllers.Context.Config().EnableScaleToZero);
    }
}

public sealed class ReconcilerMetricsTests
{
    [Fact]
    public async Task Kpa_reconcile_records_requested_actual_and_pod_state_gauges()
    {
        const string rev = "metrics-00001";
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == AutoscalerTelemetry.MeterName) l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "revision_name" && (string?)tag.Value == rev) seen[instrument.Name] = value;
        });
        listener.Start();

        await using var c = await AutoscalingCluster.StartAsync();
        await c.CreateDeploymentAsync(rev + "-deployment", 1);
        await c.CreatePaAsync(rev, new Dictionary<string, string> { [AutoscalingKeys.Class] = AutoscalingAnnotations.KpaClass, [AutoscalingKeys.MinScale] = "3" });
        await c.ReconcileKpaAsync(rev);
        await c.SetSksStatusAsync(rev, ready: true);
        await c.CreatePodAsync("m1", rev, ready: true, ip: "10.3.0.1");
        await c.CreatePodAsync("m2", rev, ready: false, ip: "10.3.0.2");
        await c.CreatePodAsync("m3", rev, ready: false, ip: "10.3.0.3", running: false);
        await c.SettleAsync(rev);
        await c.ReconcileKpaAsync(rev);

        Assert.Equal(3, seen["requested_pods"]);
        Assert.Equal(1, seen["actual_pods"]);
        Assert.Equal(1, seen["not_ready_pods"]);
        Assert.Equal(1, seen["pending_pods"]);
        Assert.Equal(0, seen["terminating_pods"]);
    }
}
