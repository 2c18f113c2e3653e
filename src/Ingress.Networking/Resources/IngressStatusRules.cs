using Ingress.Api.Knative;
using Ingress.Api.Networking.V1Alpha1;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;

namespace Ingress.Networking.Resources;

/// <summary>KIngress status transitions (spec §7), over the shared Knative condition set.</summary>
public static class IngressStatusRules
{
    public const string LoadBalancerReady = "LoadBalancerReady";
    public const string NetworkConfigured = "NetworkConfigured";

    public const string ReasonVirtualServiceNotReconciled = "ReconcileVirtualServiceFailed";
    public const string ReasonReconcileFailed = "ReconcileIngressFailed";
    public const string MessageReconcileFailed = "Ingress reconciliation failed";
    public const string ReasonUninitialized = "Uninitialized";
    public const string MessageWaitingForLoadBalancer = "Waiting for load balancer to be ready";
    public const string ReasonNewObservedGeneration = "NewObservedGenFailure";
    public const string MessageNewObservedGeneration = "unsuccessfully observed a new generation";

    public static ConditionSet Conditions => IngressStatus.ConditionSet;

    private static ConditionManager Manage(IngressModel ingress, TimeProvider? clock) =>
        Conditions.Manage(ingress.Status ??= new IngressStatus(), clock);

    /// <summary>Pre-processing of a pass: missing conditions Unknown; a new generation resets Ready to Unknown.</summary>
    public static void BeginPass(IngressModel ingress, TimeProvider? clock = null)
    {
        var manager = Manage(ingress, clock);
        manager.InitializeConditions();
        if (ingress.Status!.ObservedGeneration != ingress.Metadata.Generation)
            manager.MarkUnknown(ConditionTypes.Ready, ReasonNewObservedGeneration, MessageNewObservedGeneration);
    }

    /// <summary>Post-processing: observedGeneration follows generation, whether or not the pass failed.</summary>
    public static void EndPass(IngressModel ingress) => (ingress.Status ??= new IngressStatus()).ObservedGeneration = ingress.Metadata.Generation;

    public static void MarkNetworkConfigured(IngressModel ingress, TimeProvider? clock = null) => Manage(ingress, clock).MarkTrue(NetworkConfigured);

    public static void MarkLoadBalancerReady(IngressModel ingress, List<LoadBalancerIngressStatus> publicLb, List<LoadBalancerIngressStatus> privateLb, TimeProvider? clock = null)
    {
        ingress.Status ??= new IngressStatus();
        ingress.Status.PublicLoadBalancer = new LoadBalancerStatus { Ingress = publicLb };
        ingress.Status.PrivateLoadBalancer = new LoadBalancerStatus { Ingress = privateLb };
        Manage(ingress, clock).MarkTrue(LoadBalancerReady);
    }

    public static void MarkLoadBalancerNotReady(IngressModel ingress, TimeProvider? clock = null) =>
        Manage(ingress, clock).MarkUnknown(LoadBalancerReady, ReasonUninitialized, MessageWaitingForLoadBalancer);

    public static void MarkLoadBalancerFailed(IngressModel ingress, string reason, string message, TimeProvider? clock = null) =>
        Manage(ingress, clock).MarkFalse(LoadBalancerReady, reason, message);

    public static void MarkResourceNotOwned(IngressModel ingress, string kind, string name, TimeProvider? clock = null) =>
        Manage(ingress, clock).MarkFalse(NetworkConfigured, "NotOwned", $"There is an existing {kind} \"{name}\" that we do not own.");

    /// <summary>Ready Unknown with the reason, unless a dependent is False (then Ready False with it).</summary>
    public static void MarkIngressNotReady(IngressModel ingress, string reason, string message, TimeProvider? clock = null) =>
        Manage(ingress, clock).MarkUnknown(ConditionTypes.Ready, reason, message);

    /// <summary>Step K's short-circuit: Ready True and observedGeneration == generation.</summary>
    public static bool IsReady(IngressModel ingress) =>
        ingress.Status?.ObservedGeneration == ingress.Metadata.Generation
        && ingress.Status?.Conditions?.FirstOrDefault(c => c.Type == ConditionTypes.Ready)?.Status == ConditionStatus.True;

    /// <summary><c>getLBStatus</c>: the first selected gateway's service as domainInternal, or meshOnly.</summary>
    public static List<LoadBalancerIngressStatus> LoadBalancerFor(string? gatewayServiceUrl) =>
        string.IsNullOrEmpty(gatewayServiceUrl)
            ? [new LoadBalancerIngressStatus { MeshOnly = true }]
            : [new LoadBalancerIngressStatus { DomainInternal = gatewayServiceUrl }];
}

/// <summary>Status changes that close a failed pass (spec §4).</summary>
public static class IngressPassOutcome
{
    /// <summary>ReconcileKind failed: Ready Unknown (or False when a dependent is False) with ReconcileIngressFailed.</summary>
    public static void Failed(IngressModel ingress, TimeProvider? clock = null) =>
        IngressStatusRules.MarkIngressNotReady(ingress, IngressStatusRules.ReasonReconcileFailed, IngressStatusRules.MessageReconcileFailed, clock);

    /// <summary>The VirtualServices could not be reconciled: LoadBalancerReady False with the error text, then <see cref="Failed"/>.</summary>
    public static void VirtualServicesFailed(IngressModel ingress, string error, TimeProvider? clock = null)
    {
        IngressStatusRules.MarkLoadBalancerFailed(ingress, IngressStatusRules.ReasonVirtualServiceNotReconciled, error, clock);
        Failed(ingress, clock);
    }

    /// <summary>The prober's answer: ready → LB statuses and LoadBalancerReady True; not ready → Unknown/Uninitialized.</summary>
    public static void Probed(IngressModel ingress, bool ready, IngressPlan plan, TimeProvider? clock = null)
    {
        if (ready) IngressStatusRules.MarkLoadBalancerReady(ingress, plan.PublicLoadBalancer, plan.PrivateLoadBalancer, clock);
        else IngressStatusRules.MarkLoadBalancerNotReady(ingress, clock);
    }

    /// <summary>The wrapped error of a failed probe.</summary>
    public static string ProbeError(IngressModel ingress, string error) =>
        $"failed to probe Ingress {ingress.Metadata.Namespace}/{ingress.Metadata.Name}: {error}";
}
