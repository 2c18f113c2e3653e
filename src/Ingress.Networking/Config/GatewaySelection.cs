namespace Ingress.Networking.Config;

/// <summary>The configured gateways chosen for one Ingress (spec §3.2), in config order.</summary>
public sealed record SelectedGateways(IReadOnlyList<IstioGateway> External, IReadOnlyList<IstioGateway> Local)
{
    /// <summary>Sorted, distinct qualified names of the external gateways.</summary>
    public IReadOnlyList<string> ExternalQualifiedNames => External.Select(g => g.QualifiedName).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>Sorted, distinct qualified names of the cluster-local gateways.</summary>
    public IReadOnlyList<string> LocalQualifiedNames => Local.Select(g => g.QualifiedName).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// The external gateway Services (name, namespace) parsed from the service FQDNs, in order. Used for per-Ingress
    /// TLS Gateways and Secret copies. Error: <c>unexpected service URL form: &lt;url&gt;</c>.
    /// </summary>
    public IReadOnlyList<(string Name, string Namespace)> ExternalServices(out string? error)
    {
        var result = new List<(string, string)>(External.Count);
        foreach (var gateway in External)
        {
            var svc = gateway.ServiceNameNamespace(out error);
            if (svc is null) return [];
            result.Add(svc.Value);
        }
        error = null;
        return result;
    }
}

public static class GatewaySelection
{
    /// <summary>
    /// Upstream <c>GatewaysFromContext</c>: gateways whose selector matches the Ingress labels replace the
    /// selector-less defaults; when none match, the defaults are used.
    /// </summary>
    public static SelectedGateways GatewaysFor(IstioConfig config, IReadOnlyDictionary<string, string>? ingressLabels)
    {
        return new SelectedGateways(
            Filter(config.IngressGateways, ingressLabels) is { Count: > 0 } external ? external : config.DefaultExternalGateways,
            Filter(config.LocalGateways, ingressLabels) is { Count: > 0 } local ? local : config.DefaultLocalGateways);
    }

    private static List<IstioGateway> Filter(IReadOnlyList<IstioGateway> gateways, IReadOnlyDictionary<string, string>? labels)
    {
        var result = new List<IstioGateway>(1);
        foreach (var gateway in gateways)
        {
            // Selectors were validated when the config was parsed, so Matches cannot meet an invalid one.
            if (gateway.LabelSelector is not null && gateway.LabelSelector.Matches(labels)) result.Add(gateway);
        }
        return result;
    }
}
