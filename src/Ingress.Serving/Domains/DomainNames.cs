using Ingress.Serving.Config;
using Ingress.Serving.Go;
using Ingress.Serving.Validation;

namespace Ingress.Serving.Domains;

/// <summary>KIngress rule visibility.</summary>
public enum Visibility { ExternalIP, ClusterLocal }

/// <summary>The metadata the host computations read (name, namespace, labels, annotations).</summary>
public sealed record MetaView(string Name, string Namespace,
    IReadOnlyDictionary<string, string>? Labels = null, IReadOnlyDictionary<string, string>? Annotations = null);

/// <summary>A domain or tag template produced an unusable host (Route condition reason <c>ErrorConfig</c>).
/// The message starts with <c>domain name error: </c> like upstream's wrapped ErrDomainName.</summary>
public sealed class DomainNameException(string message) : Exception(message);

/// <summary>The primary host of a traffic name for one visibility and, for cluster-local, its expansion.</summary>
public sealed record RouteDomains(string Primary, IReadOnlyList<string> Expanded);

/// <summary>Host computation for Routes (§4): tag template, domain template, config-domain lookup,
/// cluster-local expansion.</summary>
public static class DomainNames
{
    /// <summary>Parsed once: every cluster-local host renders it (a parse per host was a third of a Route reconcile).</summary>
    private static readonly GoTemplate DefaultDomainTemplate = GoTemplate.Parse("domain-template", ConfigNetwork.DefaultDomainTemplate);

    /// <summary>Hostname of traffic name <paramref name="tag"/> ("" = the Route's own name).</summary>
    public static string HostnameFromTemplate(ConfigNetwork network, string routeName, string tag)
    {
        if (tag.Length == 0) return routeName;
        try { return network.TagTemplateParsed.Execute(TemplateValues.Tag(routeName, tag)); }
        catch (GoTemplateException e) { throw new DomainNameException($"domain name error: error executing the TagTemplate: {e.Message}"); }
    }

    /// <summary>Renders the domain template for <paramref name="meta"/> with Name=<paramref name="hostname"/>.
    /// Cluster-local metadata always uses the default template.</summary>
    public static string DomainNameFromTemplate(ServingConfig config, MetaView meta, string hostname)
    {
        var domain = config.Domain.LookupDomainForLabels(meta.Labels);
        var template = IsClusterLocalLabel(meta.Labels) ? DefaultDomainTemplate : config.Network.DomainTemplateParsed;
        string host;
        try { host = template.Execute(TemplateValues.Domain(hostname, meta.Namespace, domain, meta.Annotations, meta.Labels)); }
        catch (GoTemplateException e) { throw new DomainNameException($"domain name error: error executing the DomainTemplate: {e.Message}"); }
        var err = K8sNames.FullyQualifiedDomainNameError("url", host);
        if (err is not null) throw new DomainNameException($"domain name error: invalid domain name {GoFormat.Quote(host)}: {err}");
        return host;
    }

    public static bool IsClusterLocalLabel(IReadOnlyDictionary<string, string>? labels) =>
        labels is not null && labels.TryGetValue(ConfigDomain.VisibilityLabelKey, out var v) && v == ConfigDomain.VisibilityClusterLocal;

    /// <summary>Copy of <paramref name="labels"/> with the visibility label set (cluster-local) or removed.</summary>
    public static Dictionary<string, string> WithVisibility(IReadOnlyDictionary<string, string>? labels, bool clusterLocal)
    {
        var copy = labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(labels);
        if (clusterLocal) copy[ConfigDomain.VisibilityLabelKey] = ConfigDomain.VisibilityClusterLocal;
        else copy.Remove(ConfigDomain.VisibilityLabelKey);
        return copy;
    }

    /// <summary>The domains of traffic name <paramref name="tag"/> for <paramref name="visibility"/> (GetDomainsForVisibility).</summary>
    public static RouteDomains DomainsForVisibility(ServingConfig config, MetaView route, string tag, Visibility visibility)
    {
        var hostname = HostnameFromTemplate(config.Network, route.Name, tag);
        var clusterLocal = visibility == Visibility.ClusterLocal;
        var meta = route with { Labels = WithVisibility(route.Labels, clusterLocal) };
        var primary = DomainNameFromTemplate(config, meta, hostname);
        return new RouteDomains(primary, clusterLocal ? ExpandedHosts([primary]) : [primary]);
    }

    /// <summary>{x.ns, x.ns.svc, x.ns.svc.cluster.local} from x.ns.svc.cluster.local, sorted; candidates whose
    /// last label is numeric or longer than 63 characters are dropped.</summary>
    public static IReadOnlyList<string> ExpandedHosts(IEnumerable<string> hosts)
    {
        var cd = ClusterDomain.Name;
        string[] suffixes = ["", "." + cd, ".svc." + cd];
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var h in hosts)
            foreach (var suffix in suffixes)
            {
                if (suffix.Length > 0 && !h.EndsWith(suffix, StringComparison.Ordinal)) continue;
                var th = h[..^suffix.Length];
                if (IsValidTopLevelDomain(th)) set.Add(th);
            }
        return set.ToArray();
    }

    private static bool IsValidTopLevelDomain(string host)
    {
        var tld = host[(host.LastIndexOf('.') + 1)..];
        return tld.Length <= 63 && !tld.All(char.IsAsciiDigit);
    }

    /// <summary>Route default visibility: cluster-local iff the config-domain lookup yields svc.&lt;cluster domain&gt;.</summary>
    public static bool IsRouteClusterLocal(ServingConfig config, IReadOnlyDictionary<string, string>? routeLabels) =>
        config.Domain.LookupDomainForLabels(routeLabels) == "svc." + ClusterDomain.Name;

    /// <summary>Visibility of each traffic name (§4.4): cluster-local if the Route is, or if the placeholder
    /// Service named hostname(N) carries any non-empty visibility label.</summary>
    public static Visibility VisibilityFor(bool routeClusterLocal, IReadOnlyDictionary<string, string>? placeholderServiceLabels) =>
        routeClusterLocal || (placeholderServiceLabels is not null
            && placeholderServiceLabels.TryGetValue(ConfigDomain.VisibilityLabelKey, out var v) && v.Length > 0)
            ? Visibility.ClusterLocal : Visibility.ExternalIP;

    /// <summary>Main/tag URL: <c>http</c> for cluster-local names, else default-external-scheme.</summary>
    public static string Url(ServingConfig config, Visibility visibility, string host) =>
        (visibility == Visibility.ClusterLocal ? "http" : config.Network.DefaultExternalScheme) + "://" + host;

    /// <summary>The Route address host, always <c>&lt;route&gt;.&lt;ns&gt;.svc.&lt;cluster domain&gt;</c>.</summary>
    public static string ClusterLocalHost(string name, string ns) => $"{name}.{ns}.svc.{ClusterDomain.Name}";
}
