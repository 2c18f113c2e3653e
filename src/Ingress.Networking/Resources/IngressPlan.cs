using Ingress.Api.Core.V1;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.Api.Networking.V1Alpha1;
using Ingress.Networking.Config;
using Ingress.Networking.Probing;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;
using GatewayModel = Ingress.Api.Istio.Networking.V1Beta1.Gateway;

namespace Ingress.Networking.Resources;

/// <summary>Read-only lookups a plan needs; the reconciler backs them with listers, tests and render with maps.</summary>
public interface IPlanLookups
{
    Secret? GetSecret(string ns, string name);
    Service? GetService(string ns, string name);
}

/// <summary>
/// Everything one reconcile pass (spec §4 steps A–H, or §9 in mesh-only mode) wants to exist for a KIngress,
/// computed without I/O. The reconciler's remaining job is to apply it: create/update the Secret copies and
/// Gateways, create/update/delete VirtualServices (§8.1), then probe with <see cref="Probe"/> and set status.
/// </summary>
public sealed record IngressPlan(
    IngressModel DefaultedIngress,
    bool MeshOnly,
    SelectedGateways Gateways,
    string Hash,
    List<Secret> SecretCopies,
    List<string> TrackedOriginSecrets,
    List<GatewayModel> WildcardGateways,
    List<GatewayModel> ExternalIngressGateways,
    List<GatewayModel> ClusterLocalIngressGateways,
    GatewayMap GatewayMap,
    List<VirtualService> VirtualServices,
    List<LoadBalancerIngressStatus> PublicLoadBalancer,
    List<LoadBalancerIngressStatus> PrivateLoadBalancer,
    ProbeSubject? Probe)
{
    /// <summary>Builds the plan. Throws <see cref="ResourceBuildException"/> with upstream's text when the pass must abort.</summary>
    public static IngressPlan Build(IngressModel ingress, IngressConfig config, IPlanLookups lookups, string clusterDomain, string systemNamespace)
    {
        var ing = IngressSpecs.Defaulted(ingress);
        var hash = IngressHash.Compute(ing.Spec, ing.Metadata.Namespace, ing.Metadata.Name);

        if (!config.Istio.GatewaysEnabled)
        {
            var meshVs = Resources.VirtualServices.Make(ing, GatewayMap.Create(), clusterDomain, systemNamespace);
            var meshOnly = IngressStatusRules.LoadBalancerFor(null);
            return new IngressPlan(ing, true, new SelectedGateways([], []), hash, [], [], [], [], [], GatewayMap.Create(), meshVs,
                meshOnly, IngressStatusRules.LoadBalancerFor(null), null);
        }

        var selected = GatewaySelection.GatewaysFor(config.Istio, ing.Metadata.Labels);
        var map = GatewayMap.Create(clusterLocal: selected.Local.Select(g => g.QualifiedName));
        var copies = new List<Secret>();
        var tracked = new List<string>();
        var wildcardGateways = new List<GatewayModel>();
        var externalGateways = new List<GatewayModel>();
        var localGateways = new List<GatewayModel>();

        var externalTls = IngressSpecs.TlsForVisibility(ing, NetworkingConstants.VisibilityExternalIP);
        var isPublic = IngressSpecs.IsPublic(ing);
        if (isPublic && externalTls.Count > 0)
        {
            var origins = Secrets.OriginSecrets(ing, NetworkingConstants.VisibilityExternalIP, lookups.GetSecret);
            tracked.AddRange(origins.Keys.Order(StringComparer.Ordinal));
            var (nonWildcard, wildcard) = Secrets.Categorize(origins);
            var services = GatewayServices(selected, lookups);
            var namespaces = services.Select(s => s.Metadata.Namespace ?? "").ToArray();
            copies.AddRange(Secrets.MakeCopies(nonWildcard, ing, namespaces));
            copies.AddRange(Secrets.MakeWildcardCopies(wildcard, namespaces));
            externalGateways = Resources.Gateways.MakeIngressTlsGateways(ing, NetworkingConstants.VisibilityExternalIP,
                Secrets.NonWildcardTls(externalTls, nonWildcard), nonWildcard, services);
            wildcardGateways = Resources.Gateways.MakeWildcardTlsGateways(wildcard, services);
            map.Add(NetworkingConstants.VisibilityExternalIP, wildcardGateways.Select(Qualified));
        }

        var localTls = IngressSpecs.TlsForVisibility(ing, NetworkingConstants.VisibilityClusterLocal);
        if (config.Network.ClusterLocalDomainTls && localTls.Count > 0)
        {
            var origins = Secrets.OriginSecrets(ing, NetworkingConstants.VisibilityClusterLocal, lookups.GetSecret);
            tracked.AddRange(origins.Keys.Order(StringComparer.Ordinal).Where(k => !tracked.Contains(k)));
            var services = GatewayServices(selected, lookups);
            copies.AddRange(Secrets.MakeCopies(origins, ing, services.Select(s => s.Metadata.Namespace ?? "").ToArray()));
            localGateways = Resources.Gateways.MakeIngressTlsGateways(ing, NetworkingConstants.VisibilityClusterLocal, localTls, origins, services);
        }

        if (isPublic && (ing.Spec?.HttpOption == NetworkingConstants.HttpOptionRedirected || externalTls.Count > 0))
        {
            var httpServer = Resources.Gateways.MakeHttpServer(ing.Spec?.HttpOption, IngressSpecs.PublicHosts(ing));
            if (externalGateways.Count == 0)
            {
                // Upstream passes a nil server here when httpOption is empty; we leave it out (spec §6.5).
                externalGateways = Resources.Gateways.MakeExternalIngressGateways(ing, httpServer is null ? [] : [httpServer],
                    GatewayServices(selected, lookups));
            }
            else if (httpServer is not null)
            {
                foreach (var gateway in externalGateways) gateway.Spec!.Servers!.Add(httpServer);
            }
        }
        else
        {
            map.Add(NetworkingConstants.VisibilityExternalIP, selected.External.Select(g => g.QualifiedName));
        }
        map.Add(NetworkingConstants.VisibilityExternalIP, externalGateways.Select(Qualified));
        map.Add(NetworkingConstants.VisibilityClusterLocal, localGateways.Select(Qualified));

        var vses = Resources.VirtualServices.Make(ing, map, clusterDomain, systemNamespace);

        var probeGateways = ProbeTargetPlanner.HostsPerGateway(
            (ing.Spec?.Rules ?? []).Select(r => ((IReadOnlyList<string>)(r.Hosts ?? []), r.Visibility ?? "")),
            new Dictionary<string, IReadOnlyList<string>>
            {
                [NetworkingConstants.VisibilityExternalIP] = selected.ExternalQualifiedNames,
                [NetworkingConstants.VisibilityClusterLocal] = selected.LocalQualifiedNames,
            },
            clusterDomain);
        var probe = new ProbeSubject(ing.Metadata.Namespace ?? "", ing.Metadata.Name ?? "", ing.Metadata.Generation ?? 0, hash, probeGateways);

        return new IngressPlan(ing, false, selected, hash, copies, tracked, wildcardGateways, externalGateways, localGateways, map, vses,
            IngressStatusRules.LoadBalancerFor(selected.External.FirstOrDefault()?.ServiceUrl),
            IngressStatusRules.LoadBalancerFor(selected.Local.FirstOrDefault()?.ServiceUrl),
            probe);
    }

    private static string Qualified(GatewayModel gateway) => gateway.Metadata.Namespace + "/" + gateway.Metadata.Name;

    /// <summary><c>getGatewayServices</c>: the external gateway Services, found by parsing the configured FQDNs.</summary>
    private static List<Service> GatewayServices(SelectedGateways selected, IPlanLookups lookups)
    {
        var refs = selected.ExternalServices(out var error);
        if (error is not null) throw new ResourceBuildException(error);
        var result = new List<Service>(refs.Count);
        foreach (var (name, ns) in refs)
            result.Add(lookups.GetService(ns, name) ?? throw new ResourceBuildException($"service \"{name}\" not found"));
        return result;
    }
}
