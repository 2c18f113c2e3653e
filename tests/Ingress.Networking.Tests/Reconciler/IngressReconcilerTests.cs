using Ingress.Api.Core.V1;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.Api.Knative;
using Ingress.Api.Meta.V1;
using Ingress.Kube.Typed;
using Ingress.Networking.Config;
using Ingress.Networking.Resources;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;
using GatewayModel = Ingress.Api.Istio.Networking.V1Beta1.Gateway;
using ConditionStatus = Ingress.Api.Knative.ConditionStatus;
using static Ingress.Networking.Tests.Reconciler.NetworkingCluster;

namespace Ingress.Networking.Tests.Reconciler;

/// <summary>
/// The KIngress controller end to end: embedded API server over real HTTP, informers, the controller's work queue,
/// the real prober dialling Kestrel "gateway pods" listed in an Endpoints object.
/// </summary>
public class IngressReconcilerTests
{
    [Fact]
    public async Task CreatesVirtualServicesAndTurnsReadyOnlyOnceGatewaysServeTheHash_ThenAgainAfterASpecChange()
    {
        await using var cluster = await StartAsync();
        await cluster.CreateIngressAsync(MakeIngress("hello"));

        var ingressVs = await cluster.EventuallyAsync(() => cluster.GetVirtualServiceAsync("hello-ingress"), v => v is not null, "hello-ingress");
        var meshVs = await cluster.EventuallyAsync(() => cluster.GetVirtualServiceAsync("hello-mesh"), v => v is not null, "hello-mesh");
        Assert.Contains("knative-serving/knative-ingress-gateway", ingressVs!.Spec!.Gateways!);
        Assert.Contains("mesh", meshVs!.Spec!.Gateways!);
        Assert.Equal("hello", ingressVs.Metadata.Labels![NetworkingConstants.IngressLabel]);
        var hash1 = HashOf(ingressVs);

        // The gateways still serve something else: configured, but the load balancer is not ready.
        var waiting = await cluster.EventuallyAsync(() => cluster.GetIngressAsync("hello"),
            i => ConditionOf(i, IngressStatusRules.LoadBalancerReady)?.Reason == IngressStatusRules.ReasonUninitialized, "LoadBalancerReady Uninitialized");
        Assert.Contains(NetworkingConstants.Finalizer, waiting!.Metadata.Finalizers!);
        Assert.Equal(ConditionStatus.True, ConditionOf(waiting, IngressStatusRules.NetworkConfigured)!.Status);
        Assert.NotEqual(ConditionStatus.True, ConditionOf(waiting, ConditionTypes.Ready)!.Status);
        Assert.All(cluster.Pods, p => Assert.Contains(p.Requests, r => r.Headers.GetValueOrDefault("K-Network-Probe") == "probe"));

        cluster.ApplyOnGateways(hash1);
        var ready = await cluster.EventuallyAsync(() => cluster.GetIngressAsync("hello"), IsReady, "Ready after the gateways serve the hash");
        Assert.Equal("istio-ingressgateway.istio-system.svc.cluster.local", ready!.Status!.PublicLoadBalancer!.Ingress![0].DomainInternal);
        Assert.Equal(1, ready.Status.ObservedGeneration);

        // A spec change: a new hash; Ready again only once the gateways serve it.
        var changed = ready;
        foreach (var rule in changed.Spec!.Rules!) rule.Http!.Paths![0].Splits![0].ServiceName = "hello-2";
        await cluster.Client.For<IngressModel>().UpdateAsync(changed, ct: cluster.Token);
        var updatedVs = await cluster.EventuallyAsync(() => cluster.GetVirtualServiceAsync("hello-ingress"), v => HashOf(v!) != hash1, "a new hash");
        var hash2 = HashOf(updatedVs!);
        var notYet = await cluster.EventuallyAsync(() => cluster.GetIngressAsync("hello"), i => i!.Status?.ObservedGeneration == 2, "generation 2 observed");
        Assert.NotEqual(ConditionStatus.True, ConditionOf(notYet, ConditionTypes.Ready)!.Status);
        cluster.ApplyOnGateways(hash2);
        var readyAgain = await cluster.EventuallyAsync(() => cluster.GetIngressAsync("hello"), IsReady, "Ready with the new hash");
        Assert.Equal(2, readyAgain!.Metadata.Generation);
        Assert.Contains(await cluster.EventsAboutAsync(Ns, "hello"), e => e.Reason == "Created" && e.Message == "Created VirtualService \"hello-ingress\"");
    }

    [Fact]
    public async Task PodLeavingEndpointsNoLongerHoldsReadinessBack()
    {
        await using var cluster = await StartAsync();
        await cluster.CreateIngressAsync(MakeIngress("scale"));
        var vs = await cluster.EventuallyAsync(() => cluster.GetVirtualServiceAsync("scale-ingress"), v => v is not null, "scale-ingress");
        cluster.Pods[0].Hash = HashOf(vs!); // the second pod never applies the new config
        await cluster.EventuallyAsync(() => cluster.GetIngressAsync("scale"),
            i => ConditionOf(i, IngressStatusRules.LoadBalancerReady)?.Reason == IngressStatusRules.ReasonUninitialized, "waiting for the second pod");
        await cluster.EventuallyAsync(async () => cluster.Pods[1].RequestCount, n => n >= 2, "the second pod probed repeatedly");
        Assert.False(IsReady(await cluster.GetIngressAsync("scale")));

        // The stuck pod leaves the gateway Service's Endpoints: the prober re-resolves its targets and the KIngress turns Ready.
        var endpoints = await cluster.Client.For<Endpoints>().GetAsync(GatewayNs, "istio-ingressgateway", cluster.Token);
        endpoints.Subsets!.RemoveAll(s => s.Addresses!.Any(a => a.Ip == cluster.Pods[1].IP));
        await cluster.Client.For<Endpoints>().UpdateAsync(endpoints, ct: cluster.Token);
        await cluster.EventuallyAsync(() => cluster.GetIngressAsync("scale"), IsReady, "Ready without the removed pod");
    }

    [Fact]
    public async Task IngressOfAnotherClassIsNeverTouched()
    {
        await using var cluster = await StartAsync(fixedProbeAnswer: true);
        var other = await cluster.CreateIngressAsync(MakeIngress("kourier", ingressClass: "kourier.ingress.networking.knative.dev"));
        await cluster.CreateIngressAsync(MakeIngress("istio"));
        // The Istio one is processed (same queue, created later): by then the other one would have been too.
        await cluster.EventuallyAsync(() => cluster.GetIngressAsync("istio"), IsReady, "istio Ready");

        var after = await cluster.GetIngressAsync("kourier");
        Assert.Equal(other.Metadata.ResourceVersion, after!.Metadata.ResourceVersion);
        Assert.Null(after.Status);
        Assert.True(after.Metadata.Finalizers is null or { Count: 0 });
        Assert.Null(await cluster.GetVirtualServiceAsync("kourier-ingress"));
        Assert.Null(await cluster.GetVirtualServiceAsync("kourier-mesh"));
    }

    [Fact]
    public async Task VirtualServiceWeDoNotOwnIsNeverTouched()
    {
        await using var cluster = await StartAsync(fixedProbeAnswer: true);
        var foreign = await cluster.Client.For<VirtualService>().CreateAsync(new VirtualService
        {
            Metadata = new ObjectMeta { Name = "taken-ingress", Namespace = Ns, Labels = new() { ["owner"] = "someone-else" } },
            Spec = new VirtualServiceSpec { Hosts = ["elsewhere.example.com"] },
        }, ct: cluster.Token);
        await cluster.CreateIngressAsync(MakeIngress("taken"));

        var failed = await cluster.EventuallyAsync(() => cluster.GetIngressAsync("taken"),
            i => ConditionOf(i, IngressStatusRules.NetworkConfigured)?.Status == ConditionStatus.False, "NetworkConfigured False");
        Assert.Equal("NotOwned", ConditionOf(failed, IngressStatusRules.NetworkConfigured)!.Reason);
        Assert.Equal("There is an existing VirtualService \"taken-ingress\" that we do not own.", ConditionOf(failed, IngressStatusRules.NetworkConfigured)!.Message);
        Assert.Equal(ConditionStatus.False, ConditionOf(failed, ConditionTypes.Ready)!.Status);
        var warning = await cluster.EventuallyAsync(() => cluster.EventsAboutAsync(Ns, "taken"), es => es.Any(e => e.Reason == "InternalError"), "InternalError event");
        Assert.Contains(warning, e => e.Message!.Contains("does not own VirtualService: \"taken-ingress\""));

        var still = await cluster.GetVirtualServiceAsync("taken-ingress");
        Assert.Equal(foreign.Metadata.ResourceVersion, still!.Metadata.ResourceVersion);
        Assert.Equal(["elsewhere.example.com"], still.Spec!.Hosts!);
    }

    [Fact]
    public async Task DeletionRunsFinalizationAndRemovesTheFinalizer()
    {
        await using var cluster = await StartAsync(fixedProbeAnswer: true);
        await cluster.CreateIngressAsync(MakeIngress("bye"));
        await cluster.EventuallyAsync(() => cluster.GetIngressAsync("bye"), IsReady, "Ready");
        Assert.NotNull(await cluster.GetVirtualServiceAsync("bye-ingress"));
        var shared = await cluster.Client.For<GatewayModel>().GetAsync(SystemNs, "knative-ingress-gateway", cluster.Token);

        await cluster.Client.For<IngressModel>().DeleteAsync(Ns, "bye", ct: cluster.Token);
        await cluster.EventuallyAsync(() => cluster.GetIngressAsync("bye"), i => i is null, "the KIngress gone (finalizer removed)");
        await cluster.EventuallyAsync(() => cluster.GetVirtualServiceAsync("bye-ingress"), v => v is null, "owned VirtualService collected");
        await cluster.EventuallyAsync(() => cluster.GetVirtualServiceAsync("bye-mesh"), v => v is null, "owned mesh VirtualService collected");
        // The shared gateway had no server of this Ingress: finalization leaves it as it was.
        var sharedAfter = await cluster.Client.For<GatewayModel>().GetAsync(SystemNs, "knative-ingress-gateway", cluster.Token);
        Assert.Equal(shared.Metadata.ResourceVersion, sharedAfter.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task BadConfigIstioKeepsTheLastGoodValueAndAGoodChangeResyncsEveryIngress()
    {
        await using var cluster = await StartAsync(fixedProbeAnswer: true,
            configIstio: new Dictionary<string, string> { ["gateway.knative-serving.knative-ingress-gateway"] = "istio-ingressgateway.istio-system.svc.cluster.local" });
        await cluster.CreateIngressAsync(MakeIngress("cfg"));
        await cluster.EventuallyAsync(() => cluster.GetIngressAsync("cfg"), IsReady, "Ready");

        var configMaps = cluster.Client.For<ConfigMap>();
        var cm = await configMaps.GetAsync(SystemNs, NetworkingConstants.IstioConfigMapName, cluster.Token);
        cm.Data = new Dictionary<string, string> { ["external-gateways"] = "[]", ["gateway.knative-serving.other-gateway"] = "x" };
        await configMaps.UpdateAsync(cm, ct: cluster.Token);

        var events = await cluster.EventuallyAsync(() => cluster.EventsAboutAsync(SystemNs, NetworkingConstants.IstioConfigMapName),
            es => es.Any(e => e.Reason == Networking.Reconciler.NetworkingControllers.InvalidConfigReason), "InvalidConfiguration event");
        Assert.Contains(events, e => e.Type == "Warning" && e.Message!.Contains("can not be defined simultaneously"));
        Assert.Equal(ConfigErrorKind.BothGatewayFormats, cluster.Controllers.Config.LastError(NetworkingConstants.IstioConfigMapName)!.Kind);
        Assert.Equal("knative-ingress-gateway", Assert.Single(cluster.Controllers.Config.Current.Istio.IngressGateways).Name);

        // A KIngress created now still gets the last good gateways.
        await cluster.CreateIngressAsync(MakeIngress("later"));
        var laterVs = await cluster.EventuallyAsync(() => cluster.GetVirtualServiceAsync("later-ingress"), v => v is not null, "later-ingress");
        Assert.Contains("knative-serving/knative-ingress-gateway", laterVs!.Spec!.Gateways!);

        // A good change is applied to every existing KIngress.
        cm = await configMaps.GetAsync(SystemNs, NetworkingConstants.IstioConfigMapName, cluster.Token);
        cm.Data = new Dictionary<string, string> { ["gateway.knative-serving.other-gateway"] = "istio-ingressgateway.istio-system.svc.cluster.local" };
        await configMaps.UpdateAsync(cm, ct: cluster.Token);
        foreach (var name in new[] { "cfg-ingress", "later-ingress" })
        {
            var vs = await cluster.EventuallyAsync(() => cluster.GetVirtualServiceAsync(name),
                v => v!.Spec!.Gateways!.Contains("knative-serving/other-gateway"), name + " on the new gateway");
            Assert.DoesNotContain("knative-serving/knative-ingress-gateway", vs!.Spec!.Gateways!);
        }
        Assert.Null(cluster.Controllers.Config.LastError(NetworkingConstants.IstioConfigMapName));
    }

    [Fact]
    public async Task FixedUnreadyAnswerKeepsLoadBalancerWaitingWithoutProbing()
    {
        await using var cluster = await StartAsync(fixedProbeAnswer: false);
        await cluster.CreateIngressAsync(MakeIngress("render"));
        var waiting = await cluster.EventuallyAsync(() => cluster.GetIngressAsync("render"),
            i => ConditionOf(i, IngressStatusRules.LoadBalancerReady)?.Reason == IngressStatusRules.ReasonUninitialized, "waiting");
        Assert.Equal(ConditionStatus.True, ConditionOf(waiting, IngressStatusRules.NetworkConfigured)!.Status);
        Assert.Equal(ConditionStatus.Unknown, ConditionOf(waiting, ConditionTypes.Ready)!.Status);
        Assert.All(cluster.Pods, p => Assert.Empty(p.Requests));
    }
}
