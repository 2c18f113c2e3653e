// The condition sets of each Knative kind (upstream's *_lifecycle.go), as static members of the status classes:
// `ServiceStatus.ConditionSet.Manage(status)` or `status.Manage()`. Types that are not dependents (Revision
// "Active", SKS "ActivatorEndpointsPopulated", Route/DomainMapping extras) get Info severity when marked.
using Ingress.Api.Knative;

namespace Ingress.Api.Serving.V1
{
    public partial class ServiceStatus
    {
        public const string ConfigurationsReady = "ConfigurationsReady";
        public const string RoutesReady = "RoutesReady";

        public static ConditionSet ConditionSet { get; } = ConditionSet.Living(ConfigurationsReady, RoutesReady);

        public ConditionManager Manage(TimeProvider? clock = null) => ConditionSet.Manage(this, clock);
    }

    public partial class ConfigurationStatus
    {
        public static ConditionSet ConditionSet { get; } = ConditionSet.Living();

        public ConditionManager Manage(TimeProvider? clock = null) => ConditionSet.Manage(this, clock);
    }

    public partial class RevisionStatus
    {
        public const string ResourcesAvailable = "ResourcesAvailable";
        public const string ContainerHealthy = "ContainerHealthy";

        /// <summary>Whether the revision is scaled up (not a dependent: an inactive revision can be Ready).</summary>
        public const string Active = "Active";

        public static ConditionSet ConditionSet { get; } = ConditionSet.Living(ResourcesAvailable, ContainerHealthy);

        public ConditionManager Manage(TimeProvider? clock = null) => ConditionSet.Manage(this, clock);
    }

    public partial class RouteStatus
    {
        public const string AllTrafficAssigned = "AllTrafficAssigned";
        public const string IngressReady = "IngressReady";
        public const string CertificateProvisioned = "CertificateProvisioned";

        public static ConditionSet ConditionSet { get; } = ConditionSet.Living(AllTrafficAssigned, IngressReady, CertificateProvisioned);

        public ConditionManager Manage(TimeProvider? clock = null) => ConditionSet.Manage(this, clock);
    }
}

namespace Ingress.Api.Serving.V1Beta1
{
    public partial class DomainMappingStatus
    {
        public const string DomainClaimed = "DomainClaimed";
        public const string ReferenceResolved = "ReferenceResolved";
        public const string CertificateProvisioned = "CertificateProvisioned";
        public const string IngressReady = "IngressReady";

        public static ConditionSet ConditionSet { get; } = ConditionSet.Living(DomainClaimed, ReferenceResolved, CertificateProvisioned, IngressReady);

        public ConditionManager Manage(TimeProvider? clock = null) => ConditionSet.Manage(this, clock);
    }
}

namespace Ingress.Api.Networking.V1Alpha1
{
    public partial class IngressStatus
    {
        public const string NetworkConfigured = "NetworkConfigured";
        public const string LoadBalancerReady = "LoadBalancerReady";

        public static ConditionSet ConditionSet { get; } = ConditionSet.Living(NetworkConfigured, LoadBalancerReady);

        public ConditionManager Manage(TimeProvider? clock = null) => ConditionSet.Manage(this, clock);
    }

    public partial class ServerlessServiceStatus
    {
        public const string EndpointsPopulated = "EndpointsPopulated";

        /// <summary>Not a dependent: set when the activator endpoints back the public service (proxy mode).</summary>
        public const string ActivatorEndpointsPopulated = "ActivatorEndpointsPopulated";

        public static ConditionSet ConditionSet { get; } = ConditionSet.Living(EndpointsPopulated);

        public ConditionManager Manage(TimeProvider? clock = null) => ConditionSet.Manage(this, clock);
    }

    public partial class CertificateStatus
    {
        public static ConditionSet ConditionSet { get; } = ConditionSet.Living();

        public ConditionManager Manage(TimeProvider? clock = null) => ConditionSet.Manage(this, clock);
    }
}

namespace Ingress.Api.Autoscaling.V1Alpha1
{
    public partial class PodAutoscalerStatus
    {
        public const string Active = "Active";
        public const string ScaleTargetInitialized = "ScaleTargetInitialized";
        public const string SKSReady = "SKSReady";

        public static ConditionSet ConditionSet { get; } = ConditionSet.Living(Active, ScaleTargetInitialized, SKSReady);

        public ConditionManager Manage(TimeProvider? clock = null) => ConditionSet.Manage(this, clock);
    }

    public partial class MetricStatus
    {
        public static ConditionSet ConditionSet { get; } = ConditionSet.Living();

        public ConditionManager Manage(TimeProvider? clock = null) => ConditionSet.Manage(this, clock);
    }
}
