using System.Globalization;
using Ingress.Networking.Resources;

namespace Ingress.Networking.Probing;

/// <summary>One server of a configured Gateway, as far as probing cares.</summary>
public sealed record GatewayServerInfo(string? PortName, int PortNumber, string? Protocol, bool HttpsRedirect, string? TlsMode);

/// <summary>One port of the gateway Service.</summary>
public sealed record ServicePortInfo(string? Name, int Port);

/// <summary>One subset of the gateway Service's v1 Endpoints: ready addresses (notReadyAddresses are ignored) and named ports.</summary>
public sealed record EndpointSubsetInfo(IReadOnlyList<string> AddressIPs, IReadOnlyList<ServicePortInfo> Ports);

/// <summary>
/// Pure parts of upstream's probe target lister (spec §10.1): which hosts go to which gateway, and which
/// (pod IPs, pod port, URL) triples a gateway's servers give.
/// </summary>
public static class ProbeTargetPlanner
{
    /// <summary>
    /// <c>HostsPerVisibility</c>: every expanded host of each rule goes to every gateway of the rule's visibility.
    /// Returned sorted by gateway name, hosts sorted.
    /// </summary>
    public static IReadOnlyList<GatewayProbeHosts> HostsPerGateway(
        IEnumerable<(IReadOnlyList<string> Hosts, string Visibility)> rules,
        IReadOnlyDictionary<string, IReadOnlyList<string>> gatewaysByVisibility,
        string clusterDomain)
    {
        var byGateway = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (hosts, visibility) in rules)
        {
            if (!gatewaysByVisibility.TryGetValue(visibility, out var gateways)) continue;
            var expanded = Hosts.Expand(hosts, clusterDomain);
            foreach (var gateway in gateways)
            {
                if (!byGateway.TryGetValue(gateway, out var set)) byGateway[gateway] = set = new SortedSet<string>(StringComparer.Ordinal);
                set.UnionWith(expanded);
            }
        }
        return byGateway.Where(kv => kv.Value.Count > 0).Select(kv => new GatewayProbeHosts(kv.Key, kv.Value.ToArray())).ToArray();
    }

    /// <summary>Splits a qualified gateway name. Error: <c>unexpected unqualified Gateway name "&lt;n&gt;"</c>.</summary>
    public static (string Namespace, string Name) SplitGatewayName(string qualifiedName)
    {
        var slash = qualifiedName.IndexOf('/');
        if (slash < 0) throw new ProbeTargetException($"unexpected unqualified Gateway name {Config.GoFormat.Quote(qualifiedName)}");
        if (qualifiedName.IndexOf('/', slash + 1) >= 0)
            throw new ProbeTargetException($"failed to parse Gateway name {Config.GoFormat.Quote(qualifiedName)}: unexpected key format: {Config.GoFormat.Quote(qualifiedName)}");
        if (slash == 0) throw new ProbeTargetException($"unexpected unqualified Gateway name {Config.GoFormat.Quote(qualifiedName[1..])}");
        return (qualifiedName[..slash], qualifiedName[(slash + 1)..]);
    }

    /// <summary>
    /// The targets one gateway gives for one host (the first sorted host of its set): per eligible server
    /// (HTTP/HTTP2 without httpsRedirect, HTTPS unless MUTUAL), the Service port with the server's number, and per
    /// Endpoints subset with a port of that name, one target.
    /// </summary>
    public static IReadOnlyList<ProbeTarget> TargetsForGateway(
        string host,
        IReadOnlyList<GatewayServerInfo> servers,
        IReadOnlyList<ServicePortInfo> servicePorts,
        IReadOnlyList<EndpointSubsetInfo> subsets)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var targets = new List<ProbeTarget>();
        foreach (var server in servers)
        {
            string scheme;
            switch (server.Protocol)
            {
                case "HTTP":
                case "HTTP2":
                    if (server.HttpsRedirect) continue;
                    scheme = "http";
                    break;
                case "HTTPS":
                    if (server.TlsMode == "MUTUAL") continue;
                    scheme = "https";
                    break;
                default:
                    continue;
            }
            var servicePort = servicePorts.FirstOrDefault(p => p.Port == server.PortNumber);
            if (servicePort is null) continue;
            if (!seen.Add(server.Protocol + "/" + server.PortNumber.ToString(CultureInfo.InvariantCulture))) continue;

            foreach (var subset in subsets)
            {
                var endpointPort = subset.Ports.FirstOrDefault(p => p.Name == servicePort.Name);
                if (endpointPort is null) continue;
                targets.Add(new ProbeTarget(
                    subset.AddressIPs.Distinct().ToArray(),
                    endpointPort.Port,
                    server.PortNumber,
                    $"{scheme}://{host}:{server.PortNumber.ToString(CultureInfo.InvariantCulture)}"));
            }
        }
        return targets;
    }
}
