using Ingress.Api.Core.V1;
using GatewayModel = Ingress.Api.Istio.Networking.V1Beta1.Gateway;

namespace Ingress.Networking.Probing;

/// <summary>Read-only lookups for resolving gateway pods; backed by listers in a cluster, by maps in tests and render.</summary>
public interface IGatewayPodLookups
{
    GatewayModel? GetGateway(string ns, string name);

    /// <summary>Services in all namespaces whose labels match the selector (an empty selector matches all).</summary>
    IEnumerable<Service> ServicesMatching(IReadOnlyDictionary<string, string> selector);

    Endpoints? GetEndpoints(string ns, string name);
}

/// <summary>
/// net-istio's <c>ListProbeTargets</c> over typed objects (spec §10.1): for each selected gateway (sorted), the Gateway,
/// the first Service whose labels match its selector (sorted by namespace/name for determinism), that Service's
/// Endpoints, and the server → Service port name → Endpoints port mapping of <see cref="ProbeTargetPlanner"/>.
/// </summary>
public static class GatewayProbeTargets
{
    public static IReadOnlyList<ProbeTarget> Resolve(ProbeSubject subject, IGatewayPodLookups lookups)
    {
        var result = new List<ProbeTarget>();
        foreach (var gatewayHosts in subject.Gateways.OrderBy(g => g.GatewayQualifiedName, StringComparer.Ordinal))
        {
            var name = gatewayHosts.GatewayQualifiedName;
            var (ns, gwName) = ProbeTargetPlanner.SplitGatewayName(name);
            var gateway = lookups.GetGateway(ns, gwName)
                ?? throw new ProbeTargetException($"failed to get Gateway {Config.GoFormat.Quote(name)}: gateway.networking.istio.io {Config.GoFormat.Quote(gwName)} not found");
            var selector = gateway.Spec?.Selector ?? new Dictionary<string, string>();
            var service = lookups.ServicesMatching(selector)
                .OrderBy(s => s.Metadata.Namespace, StringComparer.Ordinal).ThenBy(s => s.Metadata.Name, StringComparer.Ordinal)
                .FirstOrDefault();
            if (service is null) continue;
            var endpoints = lookups.GetEndpoints(service.Metadata.Namespace ?? "", service.Metadata.Name ?? "")
                ?? throw new ProbeTargetException($"failed to list the probing URLs of Gateway {Config.GoFormat.Quote(name)}: failed to get Endpoints: endpoints {Config.GoFormat.Quote(service.Metadata.Name ?? "")} not found");
            var host = gatewayHosts.Hosts.Order(StringComparer.Ordinal).FirstOrDefault();
            if (host is null) continue;
            result.AddRange(ProbeTargetPlanner.TargetsForGateway(host, Servers(gateway), Ports(service), Subsets(endpoints)));
        }
        return result;
    }

    /// <summary>Whether a Service's labels satisfy a Gateway's <c>spec.selector</c> (<c>labels.SelectorFromSet</c>).</summary>
    public static bool SelectorMatches(IReadOnlyDictionary<string, string> selector, IReadOnlyDictionary<string, string>? labels) =>
        selector.All(kv => labels is not null && labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static List<GatewayServerInfo> Servers(GatewayModel gateway) =>
        (gateway.Spec?.Servers ?? []).Select(s => new GatewayServerInfo(s.Port?.Name, s.Port?.Number ?? 0, s.Port?.Protocol,
            s.Tls?.HttpsRedirect == true, s.Tls?.Mode)).ToList();

    private static List<ServicePortInfo> Ports(Service service) =>
        (service.Spec?.Ports ?? []).Select(p => new ServicePortInfo(p.Name, p.Port ?? 0)).ToList();

    private static List<EndpointSubsetInfo> Subsets(Endpoints endpoints) =>
        (endpoints.Subsets ?? []).Select(s => new EndpointSubsetInfo(
            (s.Addresses ?? []).Select(a => a.Ip ?? "").Where(ip => ip.Length > 0).ToList(),
            (s.Ports ?? []).Select(p => new ServicePortInfo(p.Name, p.Port ?? 0)).ToList())).ToList();
}

/// <summary>An <see cref="IProbeTargetSource"/> over <see cref="IGatewayPodLookups"/> (listers in the reconciler).</summary>
public sealed class LookupProbeTargetSource(IGatewayPodLookups lookups) : IProbeTargetSource
{
    public ValueTask<IReadOnlyList<ProbeTarget>> ListTargetsAsync(ProbeSubject subject, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GatewayProbeTargets.Resolve(subject, lookups));
}
