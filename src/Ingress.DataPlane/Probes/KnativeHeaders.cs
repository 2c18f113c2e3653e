namespace Ingress.DataPlane.Probes;

/// <summary>Header names and values of Knative's data-plane protocols (knative.dev/networking/pkg/http/header).</summary>
public static class KnativeHeaders
{
    public const string ProbeHeader = "K-Network-Probe";
    public const string HashHeader = "K-Network-Hash";
    /// <summary><c>K-Network-Probe</c> value of the ingress prober.</summary>
    public const string ProbeValue = "probe";
    /// <summary><c>K-Network-Probe</c> value of queue-proxy's own readiness check.</summary>
    public const string QueueProbeValue = "queue";
    /// <summary><c>K-Network-Probe</c> value of the activator's component probe.</summary>
    public const string ActivatorProbeValue = "activator";
    public const string KubeletProbeHeader = "K-Kubelet-Probe";
    public const string ProxyRequestHeader = "K-Proxy-Request";
    public const string OriginalHostHeader = "K-Original-Host";
    public const string RevisionHeader = "Knative-Serving-Revision";
    public const string NamespaceHeader = "Knative-Serving-Namespace";
    public const string ActivatorUserAgent = "Knative-Activator-Probe";
    public const string AutoscalingUserAgent = "Knative-Autoscaling-Probe";
    public const string KubeProbeUserAgentPrefix = "kube-probe/";
    public const string MissingHashBody = "a probe request must contain a non-empty \"K-Network-Hash\" header";
}
