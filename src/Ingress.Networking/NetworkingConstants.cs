namespace Ingress.Networking;

/// <summary>Names and values shared by every part of the Istio networking layer (net-istio spec §1).</summary>
public static class NetworkingConstants
{
    public const string IngressGroupVersion = "networking.internal.knative.dev/v1alpha1";
    public const string IngressKind = "Ingress";
    public const string IstioGroupVersion = "networking.istio.io/v1beta1";

    /// <summary>The only annotation key honoured for the ingress class.</summary>
    public const string IngressClassAnnotation = "networking.knative.dev/ingress.class";
    public const string IstioIngressClass = "istio.ingress.networking.knative.dev";
    public const string Finalizer = "ingresses.networking.internal.knative.dev";

    public const string IngressLabel = "networking.internal.knative.dev/ingress";
    public const string RouteLabel = "serving.knative.dev/route";
    public const string RouteNamespaceLabel = "serving.knative.dev/routeNamespace";

    public const string OriginSecretNameLabel = "networking.internal.knative.dev/originSecretName";
    public const string OriginSecretNamespaceLabel = "networking.internal.knative.dev/originSecretNamespace";
    public const string CertificateUidLabel = "networking.internal.knative.dev/certificate-uid";

    public const string ProbeHeaderName = "K-Network-Probe";
    public const string ProbeHeaderValue = "probe";
    public const string HashHeaderName = "K-Network-Hash";
    public const string HashOverrideValue = "override";
    public const string ProbeUserAgent = "Knative-Ingress-Probe";
    public const string ProbePath = "/healthz";

    public const int HttpPort = 80;
    public const int ExternalHttpsPort = 443;
    public const int ClusterLocalHttpsPort = 8444;
    public const int PlaceholderPort = 9999;

    public const string VisibilityExternalIP = "ExternalIP";
    public const string VisibilityClusterLocal = "ClusterLocal";

    public const string HttpOptionEnabled = "Enabled";
    public const string HttpOptionRedirected = "Redirected";

    /// <summary>Default cluster domain when neither CLUSTER_DOMAIN nor resolv.conf says otherwise.</summary>
    public const string DefaultClusterDomain = "cluster.local";

    /// <summary>Default system namespace (upstream reads SYSTEM_NAMESPACE; Knative installs into knative-serving).</summary>
    public const string DefaultSystemNamespace = "knative-serving";

    public const string IstioConfigMapName = "config-istio";
    public const string NetworkConfigMapName = "config-network";
}
