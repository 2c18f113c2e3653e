using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Domains;
using Ingress.Serving.Resources;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Status;

/// <summary>One Certificate a Route needs: the desired object, the namespace wildcard Certificate that already
/// covers it (then nothing is created), the traffic name and the hosts the KIngress TLS entry lists.</summary>
public sealed record CertificateRequest(JsonObject Desired, JsonObject? Wildcard, string Tag, IReadOnlyList<string> Hosts);

/// <summary>What a Route's TLS needs (§5.4), decided before any write.</summary>
public sealed class RouteTlsPlan
{
    public bool ExternalEnabled { get; init; }
    public bool ClusterLocalEnabled { get; init; }
    /// <summary>One per external host, sorted by host (upstream MakeCertificates).</summary>
    public List<CertificateRequest> External { get; } = [];
    /// <summary>One per traffic name, in traffic-name order, when cluster-local-domain-tls is on.</summary>
    public List<CertificateRequest> ClusterLocal { get; } = [];
    /// <summary>External hosts in use; labelled external-domain Certificates covering none of them are orphans.</summary>
    public HashSet<string> ExternalHosts { get; } = new(StringComparer.Ordinal);
    /// <summary>Cluster-local hosts in use (same rule for cluster-local-domain Certificates).</summary>
    public HashSet<string> ClusterLocalHosts { get; } = new(StringComparer.Ordinal);
}

/// <summary>How one certificate outcome marks CertificateProvisioned.</summary>
public enum CertificateMark { TlsNotEnabled, Ready, NotReady, Failed, HttpDowngrade }

/// <summary>The TLS result of a Route reconcile: KIngress TLS entries, ACME challenges to route, and the status
/// effects (URL schemes, CertificateProvisioned) replayed by <see cref="Apply"/> each time the status is recomputed.</summary>
public sealed class RouteTlsOutcome
{
    private readonly List<Action<JsonObject>> _schemeChanges = [];
    private (string Status, string Reason, string Message)? _mark;

    public JsonArray Tls { get; } = [];
    /// <summary>Sorted by URL (external ones; upstream sorts them before building paths).</summary>
    public List<JsonObject> Challenges { get; } = [];

    internal void Mark(string status, string reason, string message) => _mark = (status, reason, message);
    internal void Scheme(Action<JsonObject> change) => _schemeChanges.Add(change);

    /// <summary>The CertificateProvisioned the reconcile ends with (upstream marks once per certificate and the
    /// last one wins; only that one is applied, so a pass never flips the condition and back, which would move its
    /// lastTransitionTime and make every reconcile write the status).</summary>
    public (string Status, string Reason, string Message)? FinalMark => _mark;

    /// <summary>Replays the scheme changes on <paramref name="status"/> (after url, address and traffic are set) and the
    /// final CertificateProvisioned mark.</summary>
    public void Apply(StatusConditions cm, JsonObject status)
    {
        foreach (var change in _schemeChanges) change(status);
        if (_mark is not { } m) return;
        switch (m.Status)
        {
            case "True" when m.Reason.Length == 0: cm.MarkTrue("CertificateProvisioned"); break;
            case "True": cm.MarkTrueWithReason("CertificateProvisioned", m.Reason, m.Message); break;
            case "False": cm.MarkFalse("CertificateProvisioned", m.Reason, m.Message); break;
            default: cm.MarkUnknown("CertificateProvisioned", m.Reason, m.Message); break;
        }
    }
}

/// <summary>
/// Route certificates and TLS (§5.4), as upstream's externalDomainTLS and clusterLocalDomainTLS: which
/// Certificates to create (or which wildcard Certificate to reuse), and from the Certificates as they are
/// in the cluster, the KIngress TLS entries, the ACME HTTP01 paths, https URLs and CertificateProvisioned.
/// </summary>
public static class RouteTls
{
    public const string ExternalDomainTlsNotEnabledMessage = "external-domain-tls is not enabled";
    public const string TlsNotEnabledForClusterLocalMessage = "TLS is not enabled for cluster-local";

    /// <summary>The config-domain domain of the Route's own labels; wildcard Certificates are found by it.</summary>
    public static string RouteDomain(ServingConfig config, JsonObject route) => config.Domain.LookupDomainForLabels(Meta.Labels(route));

    /// <summary>Every host of the Route's traffic names for their visibility, mapped to the traffic name
    /// (upstream GetAllDomainsAndTags). Throws <see cref="DomainNameException"/>.</summary>
    public static Dictionary<string, string> AllDomainsAndTags(ServingConfig config, JsonObject route, IEnumerable<string> names,
        IReadOnlyDictionary<string, Visibility> visibility)
    {
        var meta = TrafficBuilder.RouteMeta(route);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var hostname = DomainNames.HostnameFromTemplate(config.Network, meta.Name, name);
            var local = visibility.TryGetValue(name, out var v) && v == Visibility.ClusterLocal;
            var host = DomainNames.DomainNameFromTemplate(config, meta with { Labels = DomainNames.WithVisibility(meta.Labels, local) }, hostname);
            result[host] = name;
        }
        return result;
    }

    /// <summary>Decides the Certificates. <paramref name="wildcardCertificates"/> are the namespace's Certificates
    /// labelled <c>networking.knative.dev/wildcardDomain=&lt;route domain&gt;</c>; the first (by name) that covers a
    /// host is used instead of a per-host Certificate. Throws <see cref="DomainNameException"/>.</summary>
    public static RouteTlsPlan Plan(ServingConfig config, JsonObject route, TrafficConfig tc,
        IReadOnlyDictionary<string, Visibility> visibility, IEnumerable<JsonObject> wildcardCertificates)
    {
        var annotations = Meta.Annotations(route);
        var plan = new RouteTlsPlan
        {
            ExternalEnabled = CertificateResources.ExternalDomainTlsEnabled(config, annotations),
            ClusterLocalEnabled = config.Network.ClusterLocalDomainTls == EncryptionMode.Enabled,
        };
        var certClass = CertificateResources.CertClass(config, annotations);
        if (plan.ExternalEnabled)
        {
            var domainToTag = AllDomainsAndTags(config, route, tc.Targets.Keys, visibility);
            foreach (var host in domainToTag.Keys.Where(h => h.EndsWith(ClusterDomain.Name, StringComparison.Ordinal)).ToList())
                domainToTag.Remove(host);
            var wildcards = wildcardCertificates.OrderBy(Meta.Name, StringComparer.Ordinal).ToList();
            foreach (var desired in CertificateResources.MakeRouteCertificates(route, domainToTag, certClass, RouteDomain(config, route)))
            {
                var hosts = CertificateResources.DnsNames(desired);
                var wildcard = wildcards.FirstOrDefault(w => CertificateResources.WildcardMatches(hosts, w));
                plan.External.Add(new CertificateRequest(desired, wildcard, domainToTag[hosts[0]], hosts));
            }
            plan.ExternalHosts.UnionWith(domainToTag.Keys);
        }
        if (plan.ClusterLocalEnabled)
        {
            var meta = TrafficBuilder.RouteMeta(route);
            foreach (var name in tc.Targets.Keys)
            {
                var local = DomainNames.DomainsForVisibility(config, meta, name, Visibility.ClusterLocal);
                var desired = CertificateResources.MakeClusterLocalCertificate(route, name, local.Expanded, certClass);
                plan.ClusterLocal.Add(new CertificateRequest(desired, null, name, local.Expanded.Order(StringComparer.Ordinal).ToList()));
                plan.ClusterLocalHosts.UnionWith(local.Expanded);
            }
        }
        return plan;
    }

    /// <summary>Certificates labelled with this Route whose type matches and whose DNS names are all out of use
    /// (upstream deleteOrphanRouteCerts, run for each enabled type).</summary>
    public static List<JsonObject> Orphans(RouteTlsPlan plan, IEnumerable<JsonObject> labelledWithRoute)
    {
        var result = new List<JsonObject>();
        foreach (var cert in labelledWithRoute)
        {
            var type = Meta.Labels(cert).GetValueOrDefault(CertificateKeys.CertificateTypeLabel);
            var inUse = type switch
            {
                CertificateKeys.ExternalDomainType when plan.ExternalEnabled => plan.ExternalHosts,
                CertificateKeys.ClusterLocalDomainType when plan.ClusterLocalEnabled => plan.ClusterLocalHosts,
                _ => null,
            };
            if (inUse is not null && !CertificateResources.DnsNames(cert).Any(inUse.Contains)) result.Add(cert);
        }
        return result;
    }

    /// <summary>The not-owned texts: the condition message and the reconcile error.</summary>
    public static (string Message, string Error) NotOwned(JsonObject owner, string ownerGoType, string certName) =>
        ($"There is an existing certificate {certName} that we don't own.",
         $"owner: {Meta.Name(owner)} with Type {ownerGoType} does not own Certificate: \"{certName}\"");

    /// <summary>From the Certificates as they are in the cluster (<paramref name="external"/> and
    /// <paramref name="clusterLocal"/> parallel to the plan's lists: the wildcard, the created, updated or existing
    /// one), the TLS entries, challenges and status effects, in upstream's order.</summary>
    public static RouteTlsOutcome Resolve(ServingConfig config, RouteTlsPlan plan, IReadOnlyList<JsonObject> external, IReadOnlyList<JsonObject> clusterLocal)
    {
        var outcome = new RouteTlsOutcome();
        if (!plan.ExternalEnabled) outcome.Mark("True", "TLSNotEnabled", ExternalDomainTlsNotEnabledMessage);
        var challenges = new List<JsonObject>();
        for (var i = 0; i < plan.External.Count; i++)
        {
            var request = plan.External[i];
            var cert = external[i];
            // A wildcard certificate serves the requested host; a per-host one its own DNS names.
            var dnsNames = request.Wildcard is null ? CertificateResources.DnsNames(cert) : request.Hosts;
            var names = new HashSet<string>(dnsNames, StringComparer.Ordinal);
            outcome.Scheme(status => SetSchemes(status, names, "https"));
            var name = Meta.Name(cert);
            if (CertificateResources.IsReady(cert))
            {
                // A certificate being renewed may need its challenges routed again.
                if (Conditions.Get(cert, "Renewing") is { } renewing && Json.Str(renewing, "status") == "True")
                    challenges.AddRange(CertificateResources.Challenges(cert));
                outcome.Mark("True", "", "");
                outcome.Tls.Add(CertificateResources.MakeIngressTls(cert, names.Order(StringComparer.Ordinal)));
            }
            else
            {
                challenges.AddRange(CertificateResources.Challenges(cert));
                if (CertificateResources.IsFailed(cert))
                    outcome.Mark("False", "CertificateProvisionFailed", $"Certificate {name} fails to be provisioned: {CertificateResources.ReadyReason(cert)}");
                else
                    outcome.Mark("Unknown", "CertificateNotReady", $"Certificate {name} is not ready: {CertificateResources.ReadyReason(cert)}");
                // Plain HTTP stays available while the certificate is issued (http-protocol Enabled only; the
                // per-route annotation is deliberately not read here, as upstream).
                if (config.Network.HttpProtocol == HttpProtocol.Enabled)
                {
                    outcome.Scheme(status => SetSchemes(status, names, "http"));
                    outcome.Mark("True", "HTTPDowngrade", $"Certificate {name} is not ready downgrade HTTP.");
                }
            }
        }
        outcome.Challenges.AddRange(CertificateResources.SortChallenges(challenges));

        if (plan.ClusterLocalEnabled)
        {
            for (var i = 0; i < plan.ClusterLocal.Count; i++)
            {
                var request = plan.ClusterLocal[i];
                var cert = clusterLocal[i];
                var name = Meta.Name(cert);
                var expanded = new HashSet<string>(request.Hosts, StringComparer.Ordinal);
                if (CertificateResources.IsReady(cert))
                {
                    outcome.Scheme(status =>
                    {
                        if (status["address"] is JsonObject address && Json.Str(address, "url") is { Length: > 0 } a) address["url"] = WithScheme(a, "https");
                        if (Json.Str(status, "url") is { Length: > 0 } u && expanded.Contains(Host(u))) status["url"] = WithScheme(u, "https");
                    });
                    outcome.Mark("True", "", "");
                    outcome.Tls.Add(CertificateResources.MakeIngressTls(cert, request.Hosts));
                }
                else if (CertificateResources.IsFailed(cert))
                    outcome.Mark("False", "CertificateProvisionFailed", $"Certificate {name} fails to be provisioned: {CertificateResources.ReadyReason(cert)}");
                else
                    outcome.Mark("Unknown", "CertificateNotReady", $"Certificate {name} is not ready: {CertificateResources.ReadyReason(cert)}");
            }
        }
        else if (plan.ExternalEnabled && plan.External.Count == 0)
            outcome.Mark("True", "TLSNotEnabled", TlsNotEnabledForClusterLocalMessage);
        return outcome;
    }

    /// <summary>URL (when its host is one of <paramref name="names"/>) and per-tag traffic URLs get <paramref name="scheme"/>.</summary>
    private static void SetSchemes(JsonObject status, HashSet<string> names, string scheme)
    {
        if (Json.Str(status, "url") is { Length: > 0 } u && names.Contains(Host(u))) status["url"] = WithScheme(u, scheme);
        foreach (var t in Json.Arr(status, "traffic")?.OfType<JsonObject>() ?? [])
            if (Json.Str(t, "url") is { Length: > 0 } tu && names.Contains(Host(tu))) t["url"] = WithScheme(tu, scheme);
    }

    internal static string Host(string url)
    {
        var rest = url.IndexOf("://", StringComparison.Ordinal) is var i and >= 0 ? url[(i + 3)..] : url;
        var slash = rest.IndexOf('/');
        return slash >= 0 ? rest[..slash] : rest;
    }

    internal static string WithScheme(string url, string scheme)
    {
        var i = url.IndexOf("://", StringComparison.Ordinal);
        return scheme + "://" + (i >= 0 ? url[(i + 3)..] : url);
    }
}
