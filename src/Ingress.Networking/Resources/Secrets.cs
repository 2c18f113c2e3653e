using System.Text;
using Ingress.Api.Core.V1;
using Ingress.Api.Meta.V1;
using Ingress.Api.Networking.V1Alpha1;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;

namespace Ingress.Networking.Resources;

/// <summary>TLS Secret lookup, classification and copies into the gateway namespaces (spec §6.1). Pure.</summary>
public static class Secrets
{
    /// <summary>
    /// <c>GetSecrets</c>: the origin Secrets referenced by the TLS entries selected for a visibility, keyed
    /// <c>ns/name</c>. A missing Secret is an error with the API's NotFound text.
    /// </summary>
    public static Dictionary<string, Secret> OriginSecrets(IngressModel ingress, string visibility, Func<string, string, Secret?> lookup)
    {
        var result = new Dictionary<string, Secret>(StringComparer.Ordinal);
        foreach (var tls in IngressSpecs.TlsForVisibility(ingress, visibility))
        {
            var key = Gateways.SecretKey(tls);
            if (result.ContainsKey(key)) continue;
            var secret = lookup(tls.SecretNamespace ?? "", tls.SecretName ?? "")
                ?? throw new ResourceBuildException($"secret \"{tls.SecretName}\" not found");
            result[key] = secret;
        }
        return result;
    }

    /// <summary>The DNS names of a Secret's certificate, or the upstream error.</summary>
    public static IReadOnlyList<string> CertificateDnsNames(Secret secret)
    {
        byte[]? crt = null;
        if (secret.Data?.TryGetValue("tls.crt", out var b64) == true)
        {
            try { crt = Convert.FromBase64String(b64); } catch (FormatException) { crt = Encoding.UTF8.GetBytes(b64); }
        }
        var hosts = CertificateHosts.FromTlsCrt(crt, secret.Metadata.Namespace ?? "", secret.Metadata.Name ?? "", out var error);
        if (error is not null) throw new ResourceBuildException(error);
        return hosts;
    }

    /// <summary><c>CategorizeSecrets</c>: (non-wildcard, wildcard).</summary>
    public static (Dictionary<string, Secret> NonWildcard, Dictionary<string, Secret> Wildcard) Categorize(IReadOnlyDictionary<string, Secret> secrets)
    {
        var nonWildcard = new Dictionary<string, Secret>(StringComparer.Ordinal);
        var wildcard = new Dictionary<string, Secret>(StringComparer.Ordinal);
        foreach (var key in secrets.Keys.Order(StringComparer.Ordinal))
        {
            var isWildcard = CertificateHosts.IsWildcard(CertificateDnsNames(secrets[key]), out var error);
            if (error is not null) throw new ResourceBuildException(error);
            (isWildcard ? wildcard : nonWildcard)[key] = secrets[key];
        }
        return (nonWildcard, wildcard);
    }

    /// <summary>The TLS entries whose Secret is a non-wildcard one.</summary>
    public static List<IngressTLS> NonWildcardTls(IReadOnlyList<IngressTLS> tls, IReadOnlyDictionary<string, Secret> nonWildcard) =>
        tls.Where(t => nonWildcard.ContainsKey(Gateways.SecretKey(t))).ToList();

    /// <summary><c>MakeSecrets</c>: a copy of each origin Secret into each gateway Service namespace other than its own.</summary>
    public static List<Secret> MakeCopies(IReadOnlyDictionary<string, Secret> origins, IngressModel ingress, IReadOnlyList<string> gatewayServiceNamespaces) =>
        MakeCopies(origins, gatewayServiceNamespaces, origin => Names.SecretCopyName(ingress.Metadata.Name ?? "", origin.Metadata.Uid ?? ""));

    /// <summary><c>MakeWildcardSecrets</c>: as <see cref="MakeCopies(IReadOnlyDictionary{string,Secret},IngressModel,IReadOnlyList{string})"/>, named <c>ns--name-wildcard</c>.</summary>
    public static List<Secret> MakeWildcardCopies(IReadOnlyDictionary<string, Secret> origins, IReadOnlyList<string> gatewayServiceNamespaces) =>
        MakeCopies(origins, gatewayServiceNamespaces, origin => Names.WildcardSecretCopyName(origin.Metadata.Namespace ?? "", origin.Metadata.Name ?? ""));

    private static List<Secret> MakeCopies(IReadOnlyDictionary<string, Secret> origins, IReadOnlyList<string> namespaces, Func<Secret, string> name)
    {
        var result = new List<Secret>();
        foreach (var key in origins.Keys.Order(StringComparer.Ordinal))
        {
            var origin = origins[key];
            foreach (var ns in namespaces)
            {
                if (ns == origin.Metadata.Namespace) continue;
                result.Add(new Secret
                {
                    Metadata = new ObjectMeta
                    {
                        Name = name(origin),
                        Namespace = ns,
                        Labels = CopyLabels(origin),
                        Annotations = (origin.Metadata.Name ?? "").Length > 63
                            ? new Dictionary<string, string> { [NetworkingConstants.OriginSecretNameLabel] = origin.Metadata.Name! }
                            : null,
                    },
                    Data = origin.Data is { } data ? new Dictionary<string, string>(data) : null,
                    Type = origin.Type,
                });
            }
        }
        return result;
    }

    /// <summary>Labels of a copy: origin name (shortened past 63), origin namespace and the certificate UID.</summary>
    public static Dictionary<string, string> CopyLabels(Secret origin) => new(StringComparer.Ordinal)
    {
        [NetworkingConstants.OriginSecretNameLabel] = Names.OriginSecretNameLabelValue(origin.Metadata.Name ?? ""),
        [NetworkingConstants.OriginSecretNamespaceLabel] = origin.Metadata.Namespace ?? "",
        [NetworkingConstants.CertificateUidLabel] = origin.Metadata.Labels?.GetValueOrDefault(NetworkingConstants.CertificateUidLabel) ?? "",
    };

    /// <summary>Label selector (as a map) of the copies of one TLS entry, used by finalization and mesh-only cleanup.</summary>
    public static Dictionary<string, string> CopySelector(IngressTLS tls) => new(StringComparer.Ordinal)
    {
        [NetworkingConstants.OriginSecretNamespaceLabel] = tls.SecretNamespace ?? "",
        [NetworkingConstants.OriginSecretNameLabel] = Names.OriginSecretNameLabelValue(tls.SecretName ?? ""),
    };

    /// <summary>Whether an existing copy needs an update: its data or labels differ (no ownership check).</summary>
    public static bool CopyNeedsUpdate(Secret existing, Secret desired) =>
        !MapEquals(existing.Data, desired.Data) || !MapEquals(existing.Metadata.Labels, desired.Metadata.Labels);

    internal static bool MapEquals(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0)) return false;
        if (a is null || b is null) return true;
        foreach (var (k, v) in a)
        {
            if (!b.TryGetValue(k, out var other) || other != v) return false;
        }
        return true;
    }
}
