using Ingress.Api;
using Ingress.Api.Core.V1;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.Api.Meta.V1;
using Ingress.Networking.Resources;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;

namespace Ingress.Networking.Tests.Resources;

public class ChildDecisionsTests
{
    private static IngressModel Ingress() => KubeJson.Deserialize<IngressModel>("""
        {"metadata":{"name":"ing","namespace":"ns","uid":"uid-1","generation":2,
          "annotations":{"networking.knative.dev/ingress.class":"istio.ingress.networking.knative.dev"},
          "labels":{"serving.knative.dev/route":"r"}},
         "spec":{"rules":[{"hosts":["a.example.com"],"http":{"paths":[{"splits":[{"serviceNamespace":"ns","serviceName":"s","servicePort":80}]}]}}]}}
        """);

    private static List<VirtualService> Desired(IngressModel ing) =>
        VirtualServices.Make(IngressSpecs.SetDefaults(IngressSpecs.DeepCopy(ing)), GatewayMap.Create(["knative-serving/knative-ingress-gateway"]), "cluster.local", "knative-serving");

    [Fact]
    public void MissingVirtualServiceIsCreated()
    {
        var ing = Ingress();
        var desired = Desired(ing).Single();
        var decision = ChildDecisions.ForVirtualService(ing, desired, null);
        Assert.Equal(ChildAction.Create, decision.Action);
        Assert.Same(desired, decision.Object);
    }

    [Fact]
    public void EqualVirtualServiceIsLeftAlone()
    {
        var ing = Ingress();
        var desired = Desired(ing).Single();
        var existing = KubeJson.Clone(desired);
        existing.Metadata.ResourceVersion = "7";
        Assert.Equal(ChildAction.None, ChildDecisions.ForVirtualService(ing, desired, existing).Action);
    }

    [Fact]
    public void ChangedSpecOrLabelsOverwriteOnlyThoseFields()
    {
        var ing = Ingress();
        var desired = Desired(ing).Single();
        var existing = KubeJson.Clone(desired);
        existing.Metadata.ResourceVersion = "7";
        existing.Metadata.Labels!["extra"] = "x";
        existing.Spec!.Hosts = ["old.example.com"];
        var decision = ChildDecisions.ForVirtualService(ing, desired, existing);
        Assert.Equal(ChildAction.Update, decision.Action);
        Assert.Equal("7", decision.Object.Metadata.ResourceVersion);
        Assert.Equal(["a.example.com"], decision.Object.Spec!.Hosts);
        Assert.False(decision.Object.Metadata.Labels!.ContainsKey("extra"));
        Assert.Equal(["old.example.com"], existing.Spec.Hosts); // input untouched
    }

    [Fact]
    public void VirtualServiceOwnedBySomeoneElseIsNeverTouched()
    {
        var ing = Ingress();
        var desired = Desired(ing).Single();
        var foreign = KubeJson.Clone(desired);
        foreign.Metadata.OwnerReferences = [new OwnerReference { ApiVersion = "v1", Kind = "Thing", Name = "other", Uid = "other-uid", Controller = true }];
        var decision = ChildDecisions.ForVirtualService(ing, desired, foreign);
        Assert.Equal(ChildAction.NotOwned, decision.Action);
        Assert.Equal("notowned: owner: ing with Type *v1alpha1.Ingress does not own VirtualService: \"ing-ingress\"", decision.Error);

        IngressStatusRules.BeginPass(ing);
        IngressStatusRules.MarkResourceNotOwned(ing, "VirtualService", "ing-ingress");
        var ready = ing.Status!.Conditions!.Single(c => c.Type == "Ready");
        Assert.Equal(("False", "NotOwned", "There is an existing VirtualService \"ing-ingress\" that we do not own."), (ready.Status, ready.Reason, ready.Message));
    }

    [Fact]
    public void ForeignClassIsSkippedAndThenStale()
    {
        var ing = Ingress();
        ing.Metadata.Annotations!["networking.knative.dev/ingress.class"] = "contour.ingress.networking.knative.dev";
        var desired = Desired(ing);
        Assert.Equal(ChildAction.Skip, ChildDecisions.ForVirtualService(ing, desired[0], null).Action);
        var existing = KubeJson.Clone(desired[0]);
        var stale = ChildDecisions.StaleVirtualServices(ing, ChildDecisions.AppliedNames(desired), [existing], [existing]);
        Assert.Equal(["ing-ingress"], stale.Select(v => v.Metadata.Name));
    }

    [Fact]
    public void StaleOnlyWhenControlledAndNotDesired()
    {
        var ing = Ingress();
        VirtualService Vs(string name, string uid) => new() { Metadata = new ObjectMeta { Name = name, Namespace = "ns", OwnerReferences = [new OwnerReference { Uid = uid, Controller = true }] } };
        var stale = ChildDecisions.StaleVirtualServices(ing, ["ing-ingress"],
            [Vs("ing-mesh", "uid-1"), Vs("ing-ingress", "uid-1"), Vs("zzz", "other")],
            [Vs("legacy-vs", "uid-1"), Vs("ing-mesh", "uid-1")]);
        Assert.Equal(["ing-mesh", "legacy-vs"], stale.Select(v => v.Metadata.Name));
    }

    [Fact]
    public void GatewayUpdatesOnlyTheSpec()
    {
        var desired = new Ingress.Api.Istio.Networking.V1Beta1.Gateway
        {
            Metadata = new ObjectMeta { Name = "g", Namespace = "ns", Labels = new() { ["a"] = "b" }, OwnerReferences = [OwnerReferences.ControllerOf(Ingress())] },
            Spec = new GatewaySpec { Selector = new() { ["istio"] = "ingressgateway" }, Servers = [Gateways.Placeholder()] },
        };
        Assert.Equal(ChildAction.Create, ChildDecisions.ForGateway(desired, null).Action);
        var existing = KubeJson.Clone(desired);
        existing.Metadata.Labels = new() { ["user"] = "label" };
        Assert.Equal(ChildAction.None, ChildDecisions.ForGateway(desired, existing).Action);
        existing.Spec!.Selector!["istio"] = "other";
        var decision = ChildDecisions.ForGateway(desired, existing);
        Assert.Equal(ChildAction.Update, decision.Action);
        Assert.Equal("ingressgateway", decision.Object.Spec!.Selector!["istio"]);
        Assert.Equal("label", decision.Object.Metadata.Labels!["user"]);

        var foreign = KubeJson.Clone(existing);
        foreign.Metadata.OwnerReferences = null;
        var notOwned = ChildDecisions.ForGateway(desired, foreign);
        Assert.Equal(ChildAction.NotOwned, notOwned.Action);
        Assert.Equal("notowned: owner: ing with Type *v1alpha1.Ingress does not own Gateway: \"g\"", notOwned.Error);
    }

    [Fact]
    public void SecretCopyOverwritesDataAndLabels()
    {
        var desired = new Secret { Metadata = new ObjectMeta { Name = "c", Namespace = "istio-system", Labels = new() { ["l"] = "1" } }, Data = new() { ["tls.crt"] = "AAAA" } };
        Assert.Equal(ChildAction.Create, ChildDecisions.ForSecretCopy(desired, null).Action);
        var existing = KubeJson.Clone(desired);
        existing.Metadata.Annotations = new() { ["kept"] = "yes" };
        Assert.Equal(ChildAction.None, ChildDecisions.ForSecretCopy(desired, existing).Action);
        existing.Data!["tls.crt"] = "BBBB";
        var decision = ChildDecisions.ForSecretCopy(desired, existing);
        Assert.Equal(ChildAction.Update, decision.Action);
        Assert.Equal("AAAA", decision.Object.Data!["tls.crt"]);
        Assert.Equal("yes", decision.Object.Metadata.Annotations!["kept"]);
    }

    [Fact]
    public void FailedVirtualServicePassStatus()
    {
        var ing = Ingress();
        ing.Status = new Ingress.Api.Networking.V1Alpha1.IngressStatus { ObservedGeneration = 1 };
        IngressStatusRules.BeginPass(ing);
        IngressStatusRules.MarkNetworkConfigured(ing);
        IngressPassOutcome.VirtualServicesFailed(ing, "failed to update VirtualService: boom");
        IngressStatusRules.EndPass(ing);
        var c = ing.Status.Conditions!.ToDictionary(x => x.Type!);
        Assert.Equal(["LoadBalancerReady", "NetworkConfigured", "Ready"], ing.Status.Conditions!.Select(x => x.Type));
        Assert.Equal(("False", "ReconcileVirtualServiceFailed", "failed to update VirtualService: boom"), (c["LoadBalancerReady"].Status, c["LoadBalancerReady"].Reason, c["LoadBalancerReady"].Message));
        Assert.Equal("True", c["NetworkConfigured"].Status);
        Assert.Equal(("False", "ReconcileIngressFailed", "Ingress reconciliation failed"), (c["Ready"].Status, c["Ready"].Reason, c["Ready"].Message));
        Assert.Equal(2, ing.Status.ObservedGeneration);
    }

    [Fact]
    public void NotReadyYetAfterNewGeneration()
    {
        var ing = Ingress();
        ing.Status = new Ingress.Api.Networking.V1Alpha1.IngressStatus { ObservedGeneration = 1 };
        IngressStatusRules.BeginPass(ing);
        Assert.False(IngressStatusRules.IsReady(ing));
        var ready = ing.Status.Conditions!.Single(x => x.Type == "Ready");
        Assert.Equal(("Unknown", "NewObservedGenFailure"), (ready.Status, ready.Reason));
        IngressStatusRules.MarkNetworkConfigured(ing);
        IngressStatusRules.MarkLoadBalancerNotReady(ing);
        ready = ing.Status.Conditions!.Single(x => x.Type == "Ready");
        Assert.Equal(("Unknown", "Uninitialized", "Waiting for load balancer to be ready"), (ready.Status, ready.Reason, ready.Message));
        IngressStatusRules.MarkLoadBalancerReady(ing, IngressStatusRules.LoadBalancerFor("gw.istio-system.svc.cluster.local"), IngressStatusRules.LoadBalancerFor(null));
        IngressStatusRules.EndPass(ing);
        Assert.True(IngressStatusRules.IsReady(ing));
        Assert.True(ing.Status.PrivateLoadBalancer!.Ingress![0].MeshOnly);
    }
}
