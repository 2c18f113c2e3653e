using System.Globalization;
using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Naming;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>Label and annotation keys of Knative Certificates (networking.internal.knative.dev/v1alpha1).</summary>
public static class CertificateKeys
{
    /// <summary>Which TLS feature asked for a certificate (upstream <c>CertificateTypeLabelKey</c>).</summary>
    public const string CertificateTypeLabel = "networking.knative.dev/certificate-type";
    public const string ExternalDomainType = "external-domain";
    public const string ClusterLocalDomainType = "cluster-local-domain";
    /// <summary>On a wildcard Certificate: the config-domain domain it covers (routes look these up by their domain).</summary>
    public const string WildcardDomainLabel = "networking.knative.dev/wildcardDomain";
    public const string DisableExternalDomainTlsAnnotation = "networking.knative.dev/disable-external-domain-tls";
}

/// <summary>
/// Builders for the Certificates a Route or DomainMapping asks for (upstream route/resources/certificate.go,
/// domainmapping/resources/certificate.go, nscert/resources), the KIngress TLS entries made from them, and the
/// ACME HTTP01 challenge paths. Pure: no I/O.
/// </summary>
public static class CertificateResources
{
    /// <summary>Annotations never copied onto a Certificate (or KIngress): kubectl's last-applied and the alias keys.</summary>
    private static readonly string[] Excluded = [Keys.LastAppliedAnnotation, Keys.CertificateClassAliasAnnotation, Keys.IngressClassAliasAnnotation];

    /// <summary>Certificate class: the owner's annotation (either alias) if non-empty, else config-network certificate-class.</summary>
    public static string CertClass(ServingConfig config, IReadOnlyDictionary<string, string> annotations)
    {
        var (_, v, found) = Meta.FirstOf(annotations, Keys.CertificateClassAnnotation, Keys.CertificateClassAliasAnnotation);
        return found && v.Length > 0 ? v : config.Network.DefaultCertificateClass;
    }

    /// <summary>Whether external-domain TLS applies to an object: config on, and not switched off by the
    /// <c>disable-external-domain-tls</c> annotation (or its legacy aliases). An unparsable value does not disable
    /// it, as upstream (validation rejects it earlier).</summary>
    public static bool ExternalDomainTlsEnabled(ServingConfig config, IReadOnlyDictionary<string, string> annotations)
    {
        if (!config.Network.ExternalDomainTls) return false;
        var (_, v, found) = Meta.FirstOf(annotations, CertificateKeys.DisableExternalDomainTlsAnnotation,
            "networking.knative.dev/disableAutoTLS", "networking.knative.dev/disable-auto-tls");
        return !(found && GoParseBool(v) == true);
    }

    /// <summary>Go's strconv.ParseBool.</summary>
    private static bool? GoParseBool(string s) => s switch
    {
        "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
        "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
        _ => null,
    };

    /// <summary><c>route-&lt;uid&gt;</c>, plus <c>-&lt;decimal adler32(tag)&gt;</c> for a tag: at most 42 + 11 characters,
    /// so always a valid name whatever the tag's length.</summary>
    public static string RouteCertificateName(JsonObject route, string tag) =>
        "route-" + Meta.Uid(route) + (tag.Length > 0 ? "-" + Adler32(tag).ToString(CultureInfo.InvariantCulture) : "");

    /// <summary>One Certificate for one DNS name, owned (controller) by <paramref name="owner"/>.</summary>
    public static JsonObject MakeCertificate(JsonObject owner, string ownerApiVersion, string ownerKind, string ownerLabelKey,
        string dnsName, string certName, string certClass, string baseDomain) =>
        Certificate(owner, ownerApiVersion, ownerKind, certName, certClass,
            new Dictionary<string, string> { [ownerLabelKey] = Meta.Name(owner), [CertificateKeys.CertificateTypeLabel] = CertificateKeys.ExternalDomainType },
            [dnsName], baseDomain);

    /// <summary>The external-domain Certificates of a Route, one per DNS name, sorted by name.
    /// <paramref name="domainToTag"/> maps each external host to its traffic name ("" = main);
    /// <paramref name="domain"/> is the config-domain domain of the Route.</summary>
    public static List<JsonObject> MakeRouteCertificates(JsonObject route, IReadOnlyDictionary<string, string> domainToTag, string certClass, string domain) =>
        domainToTag.Keys.Order(StringComparer.Ordinal)
            .Select(dns => MakeCertificate(route, Keys.ServingV1, "Route", Keys.RouteLabel, dns, RouteCertificateName(route, domainToTag[dns]), certClass, domain))
            .ToList();

    /// <summary>The cluster-local-domain Certificate of one traffic name: <c>&lt;route cert name&gt;-local</c> over the
    /// expanded cluster-local hosts (sorted), domain <c>svc.&lt;cluster domain&gt;</c>.</summary>
    public static JsonObject MakeClusterLocalCertificate(JsonObject route, string tag, IEnumerable<string> domains, string certClass) =>
        Certificate(route, Keys.ServingV1, "Route", RouteCertificateName(route, tag) + "-local", certClass,
            new Dictionary<string, string> { [Keys.RouteLabel] = Meta.Name(route), [CertificateKeys.CertificateTypeLabel] = CertificateKeys.ClusterLocalDomainType },
            domains.Order(StringComparer.Ordinal).ToList(), "svc." + ClusterDomain.Name);

    /// <summary>A DomainMapping's Certificate: named <c>ChildName(dm, "")</c>, for the mapped domain. Upstream labels it
    /// <c>serving.knative.dev/domainMappingUID</c> with the mapping's <em>name</em>; kept so selectors match.</summary>
    public static JsonObject MakeDomainMappingCertificate(JsonObject dm, string certClass) =>
        MakeCertificate(dm, Keys.ServingV1Beta1, "DomainMapping", Keys.DomainMappingUidLabel, Meta.Name(dm),
            Kmeta.ChildName(Meta.Name(dm), ""), certClass, Meta.Name(dm));

    private static JsonObject Certificate(JsonObject owner, string ownerApiVersion, string ownerKind, string name, string certClass,
        Dictionary<string, string> labels, IReadOnlyList<string> dnsNames, string domain)
    {
        var annotations = Meta.Without(Meta.Union(new Dictionary<string, string> { [Keys.CertificateClassAnnotation] = certClass }, Meta.Annotations(owner)), Excluded);
        return new JsonObject
        {
            ["apiVersion"] = Keys.NetworkingV1Alpha1,
            ["kind"] = "Certificate",
            ["metadata"] = Meta.NewMetadata(name, Meta.Namespace(owner), labels, annotations, Meta.ControllerRef(owner, ownerApiVersion, ownerKind)),
            ["spec"] = new JsonObject
            {
                ["dnsNames"] = new JsonArray(dnsNames.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
                ["domain"] = domain,
                ["secretName"] = name,
            },
        };
    }

    /// <summary>Ready: the certificate controller observed this generation and says Ready=True.</summary>
    public static bool IsReady(JsonObject cert) => Observed(cert) && ReadyStatus(cert) == "True";

    /// <summary>Failed: observed and Ready=False.</summary>
    public static bool IsFailed(JsonObject cert) => Observed(cert) && ReadyStatus(cert) == "False";

    /// <summary>The reason of the Ready condition ("" when there is none), quoted in Route messages.</summary>
    public static string ReadyReason(JsonObject cert) => Json.Str(Ready(cert), "reason");

    private static bool Observed(JsonObject cert) => (Json.Long(Json.Obj(cert, "status"), "observedGeneration") ?? 0) == Meta.Generation(cert);
    private static JsonObject? Ready(JsonObject cert) =>
        Json.Arr(Json.Obj(cert, "status"), "conditions")?.OfType<JsonObject>().FirstOrDefault(c => Json.Str(c, "type") == "Ready");
    private static string ReadyStatus(JsonObject cert) => Json.Str(Ready(cert), "status");

    public static IReadOnlyList<string> DnsNames(JsonObject cert) =>
        Json.Arr(Json.Obj(cert, "spec"), "dnsNames")?.Select(n => n?.GetValue<string>() ?? "").ToList() ?? [];

    /// <summary>True when every domain's parent (all but the first label) is the parent of one of the
    /// certificate's DNS names, i.e. a <c>*.ns.example.com</c> certificate covers <c>foo.ns.example.com</c>.
    /// DNS names without a dot are skipped.</summary>
    public static bool WildcardMatches(IEnumerable<string> domains, JsonObject cert)
    {
        var parents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dns in DnsNames(cert))
        {
            var dot = dns.IndexOf('.');
            if (dot >= 0) parents.Add(dns[(dot + 1)..]);
        }
        foreach (var d in domains)
        {
            var dot = d.IndexOf('.');
            if (dot < 0 || !parents.Contains(d[(dot + 1)..])) return false;
        }
        return true;
    }

    /// <summary>A KIngress TLS entry: the hosts, and the certificate's Secret in its namespace.</summary>
    public static JsonObject MakeIngressTls(JsonObject cert, IEnumerable<string> hosts) => new()
    {
        ["hosts"] = new JsonArray(hosts.Select(h => (JsonNode)JsonValue.Create(h)).ToArray()),
        ["secretName"] = Json.Str(Json.Obj(cert, "spec"), "secretName"),
        ["secretNamespace"] = Meta.Namespace(cert),
    };

    /// <summary>The HTTP01 challenges a Certificate lists in its status.</summary>
    public static IEnumerable<JsonObject> Challenges(JsonObject cert) =>
        Json.Arr(Json.Obj(cert, "status"), "http01Challenges")?.OfType<JsonObject>() ?? [];

    /// <summary>Challenges sorted by URL, as upstream before building paths.</summary>
    public static List<JsonObject> SortChallenges(IEnumerable<JsonObject> challenges) =>
        challenges.OrderBy(c => Json.Str(c, "url"), StringComparer.Ordinal).ToList();

    /// <summary>The host part of a challenge URL (<c>http://host/.well-known/acme-challenge/token</c>).</summary>
    public static string ChallengeHost(JsonObject challenge) => SplitUrl(Json.Str(challenge, "url")).Host;

    private static (string Host, string Path) SplitUrl(string url)
    {
        var rest = url.IndexOf("://", StringComparison.Ordinal) is var i and >= 0 ? url[(i + 3)..] : url;
        var slash = rest.IndexOf('/');
        var host = slash >= 0 ? rest[..slash] : rest;
        var path = slash >= 0 ? rest[slash..] : "";
        var q = path.IndexOfAny(['?', '#']);
        if (q >= 0) path = path[..q];
        return (host, path);
    }

    /// <summary>The KIngress path that sends a challenge's URL path to the solver Service (100%).</summary>
    public static JsonObject MakeAcmePath(JsonObject challenge)
    {
        var split = new JsonObject
        {
            ["serviceNamespace"] = Json.Str(challenge, "serviceNamespace"),
            ["serviceName"] = Json.Str(challenge, "serviceName"),
            ["servicePort"] = challenge["servicePort"]?.DeepClone(),
            ["percent"] = 100,
        };
        if (split["servicePort"] is null) split.Remove("servicePort");
        var path = new JsonObject();
        if (SplitUrl(Json.Str(challenge, "url")).Path is { Length: > 0 } p) path["path"] = p;
        path["splits"] = new JsonArray(split);
        return path;
    }

    /// <summary>A namespace's wildcard Certificate for <paramref name="domain"/> (upstream nscert): named
    /// <see cref="WildcardCertificateName"/>, controlled by the Namespace, labelled with the domain, annotated with
    /// the certificate class; its Secret has the same name.</summary>
    public static JsonObject MakeWildcardCertificate(JsonObject ns, string dnsName, string domain, string certClass)
    {
        var name = WildcardCertificateName(dnsName);
        return new JsonObject
        {
            ["apiVersion"] = Keys.NetworkingV1Alpha1,
            ["kind"] = "Certificate",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = Meta.Name(ns),
                ["labels"] = new JsonObject { [CertificateKeys.WildcardDomainLabel] = domain },
                ["annotations"] = new JsonObject { [Keys.CertificateClassAnnotation] = certClass },
                ["ownerReferences"] = new JsonArray(Meta.ControllerRef(ns, "v1", "Namespace")),
            },
            ["spec"] = new JsonObject
            {
                ["dnsNames"] = new JsonArray(dnsName),
                ["secretName"] = name,
            },
        };
    }

    /// <summary>The wildcard DNS name without its first label: <c>*.ns.example.com</c> → <c>ns.example.com</c>
    /// (a name without a dot is kept whole).</summary>
    public static string WildcardCertificateName(string dnsName)
    {
        var dot = dnsName.IndexOf('.');
        return dot >= 0 ? dnsName[(dot + 1)..] : dnsName;
    }

    /// <summary>zlib's Adler-32 of the UTF-8 bytes (Go hash/adler32.Checksum).</summary>
    public static uint Adler32(string value)
    {
        const uint mod = 65521;
        uint a = 1, b = 0;
        foreach (var by in System.Text.Encoding.UTF8.GetBytes(value))
        {
            a = (a + by) % mod;
            b = (b + a) % mod;
        }
        return (b << 16) | a;
    }
}
