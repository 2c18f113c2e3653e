namespace Ingress.Local.Hosting;

/// <summary>How KIngress probes of the gateway are answered.</summary>
public enum ProbeMode
{
    /// <summary>Real HTTP probes to the gateway pods (in a cluster, and under <c>ingress up</c>).</summary>
    Real,
    /// <summary>Every probe succeeds (render's default: the gateway is assumed to have applied everything).</summary>
    Ready,
    /// <summary>Every probe fails (render's <c>--probe unready</c>).</summary>
    Unready,
}

/// <summary>The controller names accepted by <c>--controllers</c>, in the order of the request chain.</summary>
public static class ControllerNames
{
    public const string Service = "service";
    public const string Configuration = "configuration";
    public const string Revision = "revision";
    public const string Route = "route";
    public const string DomainMapping = "domainmapping";
    /// <summary>Namespace wildcard Certificates (upstream nscert); does nothing until config-network
    /// <c>namespace-wildcard-cert-selector</c> selects a namespace.</summary>
    public const string NamespaceWildcardCert = "namespace-wildcard-cert";
    public const string Ingress = "ingress";
    public const string Autoscaler = "autoscaler";

    public static readonly IReadOnlyList<string> All = [Service, Configuration, Revision, Route, DomainMapping, NamespaceWildcardCert, Ingress, Autoscaler];

    /// <summary>Parses a comma-separated list; null, empty or "all" selects every controller.</summary>
    /// <exception cref="ArgumentException">A name is not one of <see cref="All"/>.</exception>
    public static IReadOnlySet<string> Parse(string? list)
    {
        if (string.IsNullOrWhiteSpace(list) || list.Trim() == "all") return new HashSet<string>(All, StringComparer.Ordinal);
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var name = raw.ToLowerInvariant();
            if (!All.Contains(name)) throw new ArgumentException($"unknown controller \"{raw}\" (known: {string.Join(",", All)})");
            set.Add(name);
        }
        return set;
    }
}

/// <summary>Options of <see cref="ControllerHost"/>. Every default is Knative's own.</summary>
public sealed class ControllerHostOptions
{
    /// <summary>Where Knative's ConfigMaps and the leader-election Lease live; default knative-serving (SYSTEM_NAMESPACE upstream).</summary>
    public string SystemNamespace { get; init; } = "knative-serving";
    /// <summary>Cluster DNS suffix for private hosts; default cluster.local, Kubernetes' default.</summary>
    public string ClusterDomain { get; init; } = "cluster.local";
    /// <summary>Controllers to run; default all of <see cref="ControllerNames.All"/>.</summary>
    public IReadOnlySet<string> Controllers { get; init; } = ControllerNames.Parse(null);
    /// <summary>Run controllers only while holding a Lease; default on, as upstream (several replicas may run).</summary>
    public bool LeaderElection { get; init; } = true;
    /// <summary>Lease name; default "ingress-controller" (one Lease for the whole process: every controller runs in one binary).</summary>
    public string LeaseName { get; init; } = "ingress-controller";
    /// <summary>holderIdentity written into the Lease; default null: the elector's own (host name and a random id).
    /// In a pod, the pod name and a random id (Knative's form), so `kubectl get lease` names the leading pod.</summary>
    public string? LeaderIdentity { get; init; }
    /// <summary>How KIngress probes are answered; default real probes.</summary>
    public ProbeMode Probe { get; init; } = ProbeMode.Real;
    /// <summary>Port of the Prometheus /metrics, /healthz and /readyz endpoint; default 9090 (Knative's controller metrics port); 0 disables it; -1 picks a free port (tests).</summary>
    public int MetricsPort { get; init; } = 9090;
    /// <summary>Address the metrics endpoint binds; default all interfaces so Prometheus can scrape the pod.</summary>
    public string MetricsBindAddress { get; init; } = "0.0.0.0";
    /// <summary>Workers per controller; default 2, Knative's threads per controller.</summary>
    public int Workers { get; init; } = 2;
    /// <summary>Component name under which config-logging's <c>loglevel.&lt;component&gt;</c> is read; null (the
    /// default, render and tests) follows neither config-logging nor config-observability.</summary>
    public string? ObservabilityComponent { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>Hand memory back to the OS once the work queues go idle after a burst (see
    /// <see cref="Ingress.Kube.Diagnostics.IdleMemoryTrimmer"/>). Default null (off): render and tests are short-lived;
    /// <c>ingress controller</c> and <c>ingress up</c>, which live on after a burst, turn it on.</summary>
    public Ingress.Kube.Diagnostics.IdleMemoryTrimmerOptions? TrimMemoryWhenIdle { get; init; }
    /// <summary>Tag → digest resolution for Revisions. Default none: render and up have no registry underneath (see
    /// <see cref="Ingress.Serving.Images.ImageDigestResolvers.None"/>); <c>ingress controller</c> in a pod passes the registry client.</summary>
    public Ingress.Serving.Images.IImageDigestResolver ImageDigests { get; init; } = Ingress.Serving.Images.ImageDigestResolvers.None;
}
