using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.Api.Meta.V1;
using Ingress.Api.Networking.V1Alpha1;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;

namespace Ingress.Networking.Resources;

/// <summary>Gateway names per visibility (<c>GW</c> in the spec): qualified names the VirtualService routes bind to.</summary>
public sealed class GatewayMap
{
    private readonly Dictionary<string, SortedSet<string>> _byVisibility = new(StringComparer.Ordinal);

    public static GatewayMap Create(IEnumerable<string>? external = null, IEnumerable<string>? clusterLocal = null)
    {
        var map = new GatewayMap();
        map.Add(NetworkingConstants.VisibilityExternalIP, external ?? []);
        map.Add(NetworkingConstants.VisibilityClusterLocal, clusterLocal ?? []);
        return map;
    }

    private readonly Dictionary<string, string[]> _sorted = new(StringComparer.Ordinal);

    public GatewayMap Add(string visibility, IEnumerable<string> names)
    {
        if (!_byVisibility.TryGetValue(visibility, out var set)) _byVisibility[visibility] = set = new SortedSet<string>(StringComparer.Ordinal);
        set.UnionWith(names);
        _sorted.Remove(visibility);
        return this;
    }

    /// <summary>Sorted names for a visibility; empty when it has none or no entry. Cached until the next Add.</summary>
    public IReadOnlyList<string> Get(string? visibility)
    {
        if (visibility is null || !_byVisibility.TryGetValue(visibility, out var set)) return [];
        if (!_sorted.TryGetValue(visibility, out var sorted)) _sorted[visibility] = sorted = set.ToArray();
        return sorted;
    }

    public IReadOnlyList<string> External => Get(NetworkingConstants.VisibilityExternalIP);
    public IReadOnlyList<string> ClusterLocal => Get(NetworkingConstants.VisibilityClusterLocal);
}

/// <summary>KIngress → Istio VirtualServices (spec §5).</summary>
public static class VirtualServices
{
    public const string MeshGateway = "mesh";

    /// <summary>
    /// <c>MakeVirtualServices</c>: the mesh VS (if any cluster-local host) then the ingress VS (if any gateway is
    /// needed), from the defaulted Ingress with probe routes inserted.
    /// </summary>
    public static List<VirtualService> Make(IngressModel defaultedIngress, GatewayMap gateways, string clusterDomain, string systemNamespace)
    {
        // Probe insertion (spec §5.6) without copying the Ingress: every rule's routes are its paths as probe copies
        // (matching K-Network-Hash: override, setting K-Network-Hash: <hash>) followed by the originals.
        var ingress = defaultedIngress;
        var hash = IngressHash.Compute(ingress.Spec, ingress.Metadata.Namespace, ingress.Metadata.Name);
        foreach (var rule in ingress.Spec?.Rules ?? [])
        {
            if (rule.Http is null)
                throw new ResourceBuildException($"failed to insert a probe into the Ingress: rule is missing HTTP block: {{Hosts:[{string.Join(" ", rule.Hosts ?? [])}] Visibility:{rule.Visibility} HTTP:<nil>}}");
        }

        var result = new List<VirtualService>(2);
        var allHosts = IngressSpecs.AllHosts(ingress);

        var meshHosts = Hosts.KeepLocalHostnames(allHosts, clusterDomain);
        if (gateways.ClusterLocal.Count != 0) meshHosts = Hosts.Expand(meshHosts, clusterDomain);
        if (meshHosts.Count > 0)
        {
            var meshGateways = GatewayMap.Create([MeshGateway], [MeshGateway]);
            result.Add(MakeVirtualService(ingress, hash, Names.MeshVirtualService(ingress.Metadata.Name ?? ""), meshHosts, meshGateways, clusterDomain, systemNamespace));
        }

        var rules = ingress.Spec?.Rules ?? [];
        var required = 0;
        if (rules.Any(r => r.Visibility is NetworkingConstants.VisibilityExternalIP or "" or null)) required += gateways.External.Count;
        if (rules.Any(r => r.Visibility == NetworkingConstants.VisibilityClusterLocal)) required += gateways.ClusterLocal.Count;
        if (required > 0)
        {
            result.Add(MakeVirtualService(ingress, hash, Names.IngressVirtualService(ingress.Metadata.Name ?? ""),
                Hosts.Expand(allHosts, clusterDomain), gateways, clusterDomain, systemNamespace));
        }
        return result;
    }

    private static VirtualService MakeVirtualService(IngressModel ingress, string hash, string name, IReadOnlyList<string> hosts, GatewayMap gateways, string clusterDomain, string systemNamespace)
    {
        var ns = string.IsNullOrEmpty(ingress.Metadata.Namespace) ? systemNamespace : ingress.Metadata.Namespace;
        return new VirtualService
        {
            Metadata = new ObjectMeta
            {
                Name = name,
                Namespace = ns,
                Labels = ChildLabels(ingress),
                Annotations = ingress.Metadata.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
                OwnerReferences = [OwnerReferences.ControllerOf(ingress)],
            },
            Spec = MakeSpec(ingress, hash, hosts, gateways, clusterDomain),
        };
    }

    /// <summary>Only the two route labels survive, then the ingress label is set.</summary>
    public static Dictionary<string, string> ChildLabels(IngressModel ingress)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (ingress.Metadata.Labels is { } source)
        {
            foreach (var key in new[] { NetworkingConstants.RouteLabel, NetworkingConstants.RouteNamespaceLabel })
            {
                if (source.TryGetValue(key, out var value)) labels[key] = value;
            }
        }
        labels[NetworkingConstants.IngressLabel] = ingress.Metadata.Name ?? "";
        return labels;
    }

    private static VirtualServiceSpec MakeSpec(IngressModel ingress, string hash, IReadOnlyList<string> hosts, GatewayMap gateways, string clusterDomain)
    {
        var hostSet = new HashSet<string>(hosts, StringComparer.Ordinal);
        var spec = new VirtualServiceSpec { Hosts = hosts.Order(StringComparer.Ordinal).ToList() };
        var used = new SortedSet<string>(StringComparer.Ordinal);
        var routes = new List<HTTPRoute>();
        foreach (var rule in ingress.Spec?.Rules ?? [])
        {
            var ruleHosts = (rule.Hosts ?? []).Where(hostSet.Contains).Distinct().ToArray();
            if (ruleHosts.Length == 0) continue;
            var paths = rule.Http?.Paths ?? [];
            var visibilityGateways = gateways.Get(rule.Visibility);
            for (var pass = 0; pass < 2; pass++)
            {
                var probe = pass == 0;
                foreach (var path in paths)
                {
                    var route = MakeRoute(ruleHosts, path, probe ? hash : null, visibilityGateways, clusterDomain);
                    foreach (var match in route.Match ?? []) used.UnionWith(match.Gateways ?? []);
                    routes.Add(route);
                }
            }
        }
        if (routes.Count > 0) spec.Http = routes;
        if (used.Count > 0) spec.Gateways = used.ToList();
        return spec;
    }

    /// <param name="probeHash">Non-null for the probe copy of the path: adds the override match and sets the hash.</param>
    private static HTTPRoute MakeRoute(IReadOnlyList<string> hosts, HTTPIngressPath path, string? probeHash, IReadOnlyList<string> gateways, string clusterDomain)
    {
        var headerMatches = path.Headers?.ToDictionary(kv => kv.Key, kv => kv.Value?.Exact ?? "", StringComparer.Ordinal);
        var appendHeaders = path.AppendHeaders;
        if (probeHash is not null)
        {
            headerMatches ??= new Dictionary<string, string>(StringComparer.Ordinal);
            headerMatches[NetworkingConstants.HashHeaderName] = NetworkingConstants.HashOverrideValue;
            appendHeaders = appendHeaders is null ? new Dictionary<string, string>() : new Dictionary<string, string>(appendHeaders);
            appendHeaders[NetworkingConstants.HashHeaderName] = probeHash;
        }
        var matches = new List<HTTPMatchRequest>();
        foreach (var prefix in Hosts.DistinctHostPrefixes(hosts, clusterDomain))
        {
            var match = new HTTPMatchRequest
            {
                Gateways = gateways.Count > 0 ? gateways.ToList() : null,
                Authority = new StringMatch { Prefix = prefix },
            };
            if (!string.IsNullOrEmpty(path.Path)) match.Uri = new StringMatch { Prefix = path.Path };
            if (headerMatches is { Count: > 0 })
            {
                match.Headers = new Dictionary<string, StringMatch>(StringComparer.Ordinal);
                foreach (var key in headerMatches.Keys.Order(StringComparer.Ordinal)) match.Headers[key] = new StringMatch { Exact = headerMatches[key] };
            }
            matches.Add(match);
        }

        var destinations = new List<HTTPRouteDestination>();
        foreach (var split in path.Splits ?? [])
        {
            var port = split.ServicePort is { } servicePort && servicePort.TryGetInt(out var number) ? number : 0;
            destinations.Add(new HTTPRouteDestination
            {
                Destination = new Destination
                {
                    Host = $"{split.ServiceName}.{split.ServiceNamespace}.svc.{clusterDomain}",
                    // Upstream always writes a port selector; a named (non-numeric) port gives number 0, which
                    // protobuf JSON omits, leaving "port: {}".
                    Port = new PortSelector { Number = port != 0 ? port : null },
                },
                Weight = split.Percent is { } percent and not 0 ? percent : null,
                Headers = SetHeaders(split.AppendHeaders),
            });
        }

        return new HTTPRoute
        {
            Match = matches,
            Route = destinations,
            Rewrite = string.IsNullOrEmpty(path.RewriteHost) ? null : new HTTPRewrite { Authority = path.RewriteHost },
            Headers = SetHeaders(appendHeaders),
            // An empty policy overrides Istio's default of two retries.
            Retries = new HTTPRetry(),
        };
    }

    private static Headers? SetHeaders(Dictionary<string, string>? append) =>
        append is { Count: > 0 }
            ? new Headers { Request = new HeaderOperations { Set = new SortedDictionary<string, string>(append, StringComparer.Ordinal).ToDictionary() } }
            : null;
}

/// <summary>Owner references of the objects an Ingress controls.</summary>
public static class OwnerReferences
{
    public static OwnerReference ControllerOf(IngressModel ingress) => new()
    {
        ApiVersion = NetworkingConstants.IngressGroupVersion,
        Kind = NetworkingConstants.IngressKind,
        Name = ingress.Metadata.Name,
        Uid = ingress.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    /// <summary>Whether <paramref name="meta"/> has a controller reference to the Ingress (by UID, as <c>metav1.IsControlledBy</c>).</summary>
    public static bool IsControlledBy(ObjectMeta meta, IngressModel ingress) =>
        meta.OwnerReferences?.Any(r => r.Controller == true && r.Uid == ingress.Metadata.Uid) == true;
}
