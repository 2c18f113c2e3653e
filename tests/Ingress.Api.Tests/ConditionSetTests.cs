using Ingress.Api.Knative;
using Ingress.Api.Networking.V1Alpha1;

namespace Ingress.Api.Tests;

public class ConditionSetTests
{
    private static readonly ConditionSet IngressConditions = ConditionSet.Living("NetworkConfigured", "LoadBalancerReady");

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;

        public void Advance(TimeSpan by) => Now += by;
    }

    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static (IngressStatus Status, ConditionManager Manager, ManualClock Clock) Fresh()
    {
        var status = new IngressStatus();
        var clock = new ManualClock(T0);
        return (status, IngressConditions.Manage(status, clock), clock);
    }

    private static Condition Get(IngressStatus status, string type) => status.Conditions!.Single(c => c.Type == type);

    [Fact]
    public void Initialize_adds_ready_and_dependents_as_unknown_sorted_by_type()
    {
        var (status, manager, _) = Fresh();

        manager.InitializeConditions();

        Assert.Equal(["LoadBalancerReady", "NetworkConfigured", "Ready"], status.Conditions!.Select(c => c.Type));
        Assert.All(status.Conditions!, c => Assert.Equal(ConditionStatus.Unknown, c.Status));
        Assert.All(status.Conditions!, c => Assert.Null(c.Severity));
        Assert.All(status.Conditions!, c => Assert.Equal(T0, c.LastTransitionTime));
    }

    [Fact]
    public void Initialize_with_ready_true_fills_missing_dependents_as_true()
    {
        var status = new IngressStatus { Conditions = [new Condition { Type = "Ready", Status = "True" }] };

        IngressConditions.Manage(status).InitializeConditions();

        Assert.All(status.Conditions!, c => Assert.Equal(ConditionStatus.True, c.Status));
    }

    [Fact]
    public void Ready_becomes_true_only_when_every_dependent_is_true()
    {
        var (status, manager, _) = Fresh();
        manager.InitializeConditions();

        manager.MarkTrue("NetworkConfigured");
        Assert.False(manager.IsHappy());
        Assert.Equal(ConditionStatus.Unknown, Get(status, "Ready").Status);

        manager.MarkTrue("LoadBalancerReady");
        Assert.True(manager.IsHappy());
    }

    [Fact]
    public void Ready_is_unknown_while_a_dependent_was_never_set()
    {
        var (status, manager, _) = Fresh();

        manager.MarkTrue("NetworkConfigured");

        Assert.Equal(ConditionStatus.Unknown, Get(status, "Ready").Status);
        Assert.Null(Get(status, "Ready").Reason);
    }

    [Fact]
    public void Mark_false_copies_reason_and_message_to_ready()
    {
        var (status, manager, _) = Fresh();
        manager.InitializeConditions();

        manager.MarkFalse("LoadBalancerReady", "ReconcileVirtualServiceFailed", "boom");

        var ready = Get(status, "Ready");
        Assert.Equal((ConditionStatus.False, "ReconcileVirtualServiceFailed", "boom"), (ready.Status, ready.Reason, ready.Message));
    }

    [Fact]
    public void Mark_unknown_keeps_ready_false_while_another_dependent_is_false()
    {
        var (status, manager, _) = Fresh();
        manager.InitializeConditions();
        manager.MarkFalse("NetworkConfigured", "NotOwned", "not ours");

        manager.MarkUnknown("LoadBalancerReady", "Uninitialized", "Waiting for load balancer to be ready");

        var ready = Get(status, "Ready");
        Assert.Equal((ConditionStatus.False, "NotOwned"), (ready.Status, ready.Reason));
        Assert.Equal(ConditionStatus.Unknown, Get(status, "LoadBalancerReady").Status);
    }

    [Fact]
    public void Mark_unknown_on_ready_with_a_false_dependent_turns_ready_false_with_the_given_reason()
    {
        var status = new IngressStatus
        {
            Conditions =
            [
                new Condition { Type = "NetworkConfigured", Status = "False", Reason = "Old" },
                new Condition { Type = "Ready", Status = "True" },
            ],
        };

        IngressConditions.Manage(status).MarkUnknown("Ready", "ReconcileIngressFailed", "Ingress reconciliation failed");

        var ready = Get(status, "Ready");
        Assert.Equal((ConditionStatus.False, "ReconcileIngressFailed", "Ingress reconciliation failed"), (ready.Status, ready.Reason, ready.Message));
    }

    [Fact]
    public void Mark_unknown_on_a_dependent_makes_ready_unknown_with_its_reason()
    {
        var (status, manager, _) = Fresh();
        manager.MarkTrue("NetworkConfigured");
        manager.MarkTrue("LoadBalancerReady");

        manager.MarkUnknown("LoadBalancerReady", "Uninitialized", "Waiting for load balancer to be ready");

        var ready = Get(status, "Ready");
        Assert.Equal((ConditionStatus.Unknown, "Uninitialized", "Waiting for load balancer to be ready"), (ready.Status, ready.Reason, ready.Message));
    }

    [Fact]
    public void The_most_recently_failed_dependent_explains_ready()
    {
        var (status, manager, clock) = Fresh();
        manager.InitializeConditions();
        manager.MarkFalse("NetworkConfigured", "First", "first");
        clock.Advance(TimeSpan.FromSeconds(5));
        manager.MarkFalse("LoadBalancerReady", "Second", "second");
        clock.Advance(TimeSpan.FromSeconds(5));

        // Marking some other dependent True recomputes Ready from the unhappy ones: the newest False wins.
        manager.MarkTrue("NetworkConfigured");

        Assert.Equal("Second", Get(status, "Ready").Reason);
        Assert.Equal(ConditionStatus.False, Get(status, "Ready").Status);
    }

    [Fact]
    public void Last_transition_time_moves_only_when_the_status_changes()
    {
        var (status, manager, clock) = Fresh();
        manager.MarkFalse("NetworkConfigured", "A", "a");
        var first = Get(status, "NetworkConfigured").LastTransitionTime;

        clock.Advance(TimeSpan.FromMinutes(1));
        manager.MarkFalse("NetworkConfigured", "B", "b");
        Assert.Equal(first, Get(status, "NetworkConfigured").LastTransitionTime);
        Assert.Equal("B", Get(status, "NetworkConfigured").Reason);

        clock.Advance(TimeSpan.FromMinutes(1));
        manager.MarkTrue("NetworkConfigured");
        Assert.Equal(T0.AddMinutes(2), Get(status, "NetworkConfigured").LastTransitionTime);
    }

    [Fact]
    public void Times_keep_precision_in_memory_and_are_written_in_whole_seconds()
    {
        var (status, manager, clock) = Fresh();
        clock.Now = T0.AddMilliseconds(1500);

        manager.MarkTrue("NetworkConfigured");

        Assert.Equal(T0.AddMilliseconds(1500), Get(status, "NetworkConfigured").LastTransitionTime);
        Assert.Contains("\"lastTransitionTime\":\"2026-01-01T00:00:01Z\"", KubeJson.Serialize(status), StringComparison.Ordinal);
    }

    [Fact]
    public void With_one_timestamp_the_dependent_marked_last_explains_ready()
    {
        var (status, manager, _) = Fresh();
        manager.InitializeConditions();

        manager.MarkFalse("NetworkConfigured", "Second", "nc");
        manager.MarkFalse("LoadBalancerReady", "First", "lb");
        // Re-marking with identical values is no transition: LoadBalancerReady stays the newest False.
        manager.MarkFalse("NetworkConfigured", "Second", "nc");
        manager.MarkTrue("Unrelated");

        Assert.Equal("First", Get(status, "Ready").Reason);
        manager.MarkUnknown("LoadBalancerReady", "Waiting", "w");
        manager.MarkTrue("LoadBalancerReady");
        Assert.Equal("Second", Get(status, "Ready").Reason);
    }

    [Fact]
    public void Marking_order_counts_across_managers_of_one_status()
    {
        var status = new IngressStatus();
        var clock = new ManualClock(T0);

        IngressConditions.Manage(status, clock).MarkFalse("LoadBalancerReady", "First", "lb");
        IngressConditions.Manage(status, clock).MarkFalse("NetworkConfigured", "Second", "nc");
        IngressConditions.Manage(status, clock).MarkTrue("Unrelated");

        Assert.Equal("Second", Get(status, "Ready").Reason);
    }

    [Fact]
    public void Non_dependent_conditions_get_info_severity_and_can_be_cleared()
    {
        var (status, manager, _) = Fresh();
        manager.InitializeConditions();

        manager.MarkFalse("CertificateProvisioned", "Pending", "waiting");

        var extra = Get(status, "CertificateProvisioned");
        Assert.Equal(ConditionSeverity.Info, extra.Severity);
        Assert.Equal(ConditionStatus.Unknown, Get(status, "Ready").Status);
        manager.ClearCondition("CertificateProvisioned");
        manager.ClearCondition("NetworkConfigured");
        Assert.Equal(["LoadBalancerReady", "NetworkConfigured", "Ready"], status.Conditions!.Select(c => c.Type));
    }

    [Fact]
    public void Conditions_serialize_without_severity_for_terminal_ones()
    {
        var (status, manager, _) = Fresh();
        manager.MarkTrue("NetworkConfigured");

        var json = KubeJson.Serialize(status);

        Assert.Equal(
            """{"conditions":[{"type":"NetworkConfigured","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"},{"type":"Ready","status":"Unknown","lastTransitionTime":"2026-01-01T00:00:00Z"}]}""",
            json);
    }
}

public class KindConditionSetTests
{
    [Fact]
    public void Each_knative_status_carries_its_upstream_condition_set()
    {
        Assert.Equal(["ConfigurationsReady", "RoutesReady"], Serving.V1.ServiceStatus.ConditionSet.Dependents);
        Assert.Equal(["AllTrafficAssigned", "IngressReady", "CertificateProvisioned"], Serving.V1.RouteStatus.ConditionSet.Dependents);
        Assert.Equal(["ResourcesAvailable", "ContainerHealthy"], Serving.V1.RevisionStatus.ConditionSet.Dependents);
        Assert.Empty(Serving.V1.ConfigurationStatus.ConditionSet.Dependents);
        Assert.Equal(["DomainClaimed", "ReferenceResolved", "CertificateProvisioned", "IngressReady"], Serving.V1Beta1.DomainMappingStatus.ConditionSet.Dependents);
        Assert.Equal(["NetworkConfigured", "LoadBalancerReady"], Networking.V1Alpha1.IngressStatus.ConditionSet.Dependents);
        Assert.Equal(["EndpointsPopulated"], Networking.V1Alpha1.ServerlessServiceStatus.ConditionSet.Dependents);
        Assert.Equal(["Active", "ScaleTargetInitialized", "SKSReady"], Autoscaling.V1Alpha1.PodAutoscalerStatus.ConditionSet.Dependents);
        Assert.All(
            [Serving.V1.ServiceStatus.ConditionSet, Networking.V1Alpha1.IngressStatus.ConditionSet, Autoscaling.V1Alpha1.PodAutoscalerStatus.ConditionSet],
            s => Assert.Equal("Ready", s.Happy));
    }

    [Fact]
    public void A_configuration_without_dependents_is_ready_when_ready_is_marked()
    {
        var status = new Serving.V1.ConfigurationStatus();
        var manager = status.Manage();

        manager.InitializeConditions();
        Assert.False(manager.IsHappy());
        manager.MarkTrue("Ready");

        Assert.True(manager.IsHappy());
        Assert.Single(status.Conditions!);
    }

    [Fact]
    public void Revision_active_is_informational_and_does_not_gate_ready()
    {
        var status = new Serving.V1.RevisionStatus();
        var manager = status.Manage();
        manager.MarkTrue(Serving.V1.RevisionStatus.ResourcesAvailable);
        manager.MarkTrue(Serving.V1.RevisionStatus.ContainerHealthy);

        manager.MarkFalse(Serving.V1.RevisionStatus.Active, "NoTraffic", "The target is not receiving traffic.");

        Assert.True(manager.IsHappy());
        Assert.Equal(Knative.ConditionSeverity.Info, manager.GetCondition("Active")!.Severity);
    }

    [Fact]
    public void Static_condition_sets_are_not_serialized()
    {
        Assert.Equal("{}", KubeJson.Serialize(new Serving.V1.ServiceStatus()));
    }
}

public class KnativeStatusExtensionsTests
{
    [Fact]
    public void Ready_needs_true_ready_and_the_current_generation()
    {
        var status = new Serving.V1.RevisionStatus { ObservedGeneration = 2, Conditions = [new Condition { Type = "Ready", Status = "True" }] };

        Assert.True(status.IsReady(2));
        Assert.False(status.IsReady(3));
        status.Conditions[0].Status = "Unknown";
        Assert.False(status.IsReady(2));
        Assert.False(((IKnativeStatus?)null).IsReady(2));
        Assert.Equal("Unknown", status.GetCondition("Ready")!.Status);
    }
}
