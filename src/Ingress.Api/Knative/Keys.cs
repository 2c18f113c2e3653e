namespace Ingress.Api.Knative;

/// <summary>Labels and annotations of group <c>serving.knative.dev</c> (see reference serving-routing.md §0).</summary>
public static class ServingKeys
{
    public const string Group = "serving.knative.dev";

    /// <summary>Label on Configuration, Route, Revision: the KService name.</summary>
    public const string Service = Group + "/service";

    /// <summary>Label on Configuration (KService UID), copied to Revision.</summary>
    public const string ServiceUid = Group + "/serviceUID";

    /// <summary>Label on Revision: the Configuration name.</summary>
    public const string Configuration = Group + "/configuration";

    /// <summary>Label on Revision: the Configuration's <c>metadata.generation</c> in decimal.</summary>
    public const string ConfigurationGeneration = Group + "/configurationGeneration";

    public const string ConfigurationUid = Group + "/configurationUID";

    /// <summary>Label on Deployment, PodAutoscaler and pods: the revision name.</summary>
    public const string Revision = Group + "/revision";

    /// <summary>Label on Deployment, PodAutoscaler and pods; the Deployment selector uses only this one.</summary>
    public const string RevisionUid = Group + "/revisionUID";

    /// <summary>Label on KIngress, placeholder Services and Certificates: the Route name.</summary>
    public const string Route = Group + "/route";

    public const string RouteNamespace = Group + "/routeNamespace";

    /// <summary>Annotation on Configuration/Revision: comma-separated, sorted route names.</summary>
    public const string Routes = Group + "/routes";

    /// <summary>Label on Revision: <c>pending</c>, <c>active</c> or <c>reserve</c>.</summary>
    public const string RoutingState = Group + "/routingState";

    /// <summary>Annotation on Revision: RFC 3339 UTC time of the last routing state change.</summary>
    public const string RoutingStateModified = Group + "/routingStateModified";

    public const string Creator = Group + "/creator";

    public const string LastModifier = Group + "/lastModifier";

    /// <summary>Route/KService annotation, a Go duration.</summary>
    public const string RolloutDuration = Group + "/rollout-duration";

    /// <summary>Legacy alias of <see cref="RolloutDuration"/> (the canonical key wins when both are set).</summary>
    public const string RolloutDurationLegacy = Group + "/rolloutDuration";

    public const string DomainMappingUid = Group + "/domainMappingUID";

    public const string DomainMappingNamespace = Group + "/domainMappingNamespace";

    /// <summary>Revision annotation read by the autoscaler for the activation timeout.</summary>
    public const string ProgressDeadline = Group + "/progress-deadline";

    public const string RoutingStatePending = "pending";
    public const string RoutingStateActive = "active";
    public const string RoutingStateReserve = "reserve";
}

/// <summary>Labels and annotations of groups <c>networking.knative.dev</c> and <c>networking.internal.knative.dev</c>.</summary>
public static class NetworkingKeys
{
    public const string PublicGroup = "networking.knative.dev";
    public const string InternalGroup = "networking.internal.knative.dev";

    /// <summary>Label; the value <see cref="VisibilityClusterLocal"/> makes a Route or KService cluster-local.</summary>
    public const string Visibility = PublicGroup + "/visibility";

    public const string VisibilityClusterLocal = "cluster-local";

    /// <summary>Annotation choosing the KIngress class (the only key net-istio honours).</summary>
    public const string IngressClass = PublicGroup + "/ingress.class";

    /// <summary>Alias of <see cref="IngressClass"/>.</summary>
    public const string IngressClassAlias = PublicGroup + "/ingress-class";

    public const string IstioIngressClass = "istio.ingress.networking.knative.dev";

    public const string CertificateClass = PublicGroup + "/certificate.class";

    public const string CertificateClassAlias = PublicGroup + "/certificate-class";

    public const string HttpOption = PublicGroup + "/httpOption";

    public const string HttpOptionAlias = PublicGroup + "/http-protocol";

    public const string DisableExternalDomainTls = PublicGroup + "/disable-external-domain-tls";

    public const string DisableAutoTlsLegacy = PublicGroup + "/disableAutoTLS";

    public const string DisableAutoTlsLegacyAlias = PublicGroup + "/disable-auto-tls";

    /// <summary>Annotation on KIngress: JSON rollout state.</summary>
    public const string Rollout = InternalGroup + "/rollout";

    /// <summary>Annotation on KIngress: JSON map tag → list of hosts.</summary>
    public const string TagToHost = InternalGroup + "/tag-to-host";

    /// <summary>Label on VirtualServices and Gateways generated for a KIngress: the KIngress name.</summary>
    public const string Ingress = InternalGroup + "/ingress";

    public const string OriginSecretName = InternalGroup + "/originSecretName";

    public const string OriginSecretNamespace = InternalGroup + "/originSecretNamespace";

    public const string CertificateUid = InternalGroup + "/certificate-uid";

    /// <summary>Finalizer net-istio puts on a KIngress.</summary>
    public const string IngressFinalizer = "ingresses.networking.internal.knative.dev";
}

/// <summary>Per-revision annotations of group <c>autoscaling.knative.dev</c> (reference autoscaling.md §3).</summary>
public static class AutoscalingKeys
{
    public const string Group = "autoscaling.knative.dev";

    public const string Class = Group + "/class";
    public const string Metric = Group + "/metric";
    public const string Target = Group + "/target";
    public const string TargetUtilizationPercentage = Group + "/target-utilization-percentage";
    public const string TargetUtilizationPercentageLegacy = Group + "/targetUtilizationPercentage";
    public const string TargetBurstCapacity = Group + "/target-burst-capacity";
    public const string TargetBurstCapacityLegacy = Group + "/targetBurstCapacity";
    public const string Window = Group + "/window";
    public const string PanicWindowPercentage = Group + "/panic-window-percentage";
    public const string PanicWindowPercentageLegacy = Group + "/panicWindowPercentage";
    public const string PanicThresholdPercentage = Group + "/panic-threshold-percentage";
    public const string PanicThresholdPercentageLegacy = Group + "/panicThresholdPercentage";
    public const string MinScale = Group + "/min-scale";
    public const string MinScaleLegacy = Group + "/minScale";
    public const string MaxScale = Group + "/max-scale";
    public const string MaxScaleLegacy = Group + "/maxScale";
    public const string InitialScale = Group + "/initial-scale";
    public const string InitialScaleLegacy = Group + "/initialScale";
    public const string ActivationScale = Group + "/activation-scale";
    public const string ScaleDownDelay = Group + "/scale-down-delay";
    public const string ScaleDownDelayLegacy = Group + "/scaleDownDelay";
    public const string ScaleToZeroPodRetentionPeriod = Group + "/scale-to-zero-pod-retention-period";
    public const string ScaleToZeroPodRetentionPeriodLegacy = Group + "/scaleToZeroPodRetentionPeriod";
    public const string MetricAggregationAlgorithm = Group + "/metric-aggregation-algorithm";
    public const string MetricAggregationAlgorithmLegacy = Group + "/metricAggregationAlgorithm";

    public const string KpaClass = "kpa.autoscaling.knative.dev";
    public const string HpaClass = "hpa.autoscaling.knative.dev";
}

/// <summary>Keys from Kubernetes itself that Knative code handles specially.</summary>
public static class KubernetesKeys
{
    /// <summary>Never propagated from a parent to its children.</summary>
    public const string LastAppliedConfiguration = "kubectl.kubernetes.io/last-applied-configuration";
}

/// <summary>Helpers for keys that have aliases ("KeyPriority"): the first listed key present wins.</summary>
public static class KeyPriority
{
    public static bool TryGet(IReadOnlyDictionary<string, string>? map, out string key, out string value, params string[] keys)
    {
        if (map is not null)
        {
            foreach (var k in keys)
            {
                if (map.TryGetValue(k, out var v))
                {
                    key = k;
                    value = v;
                    return true;
                }
            }
        }
        key = "";
        value = "";
        return false;
    }
}
