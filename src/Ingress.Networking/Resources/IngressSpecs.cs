using Ingress.Api;
using Ingress.Api.Networking.V1Alpha1;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;

namespace Ingress.Networking.Resources;

/// <summary>Pure helpers over a KIngress: defaulting (§2.3), TLS per visibility (§2.5), probe insertion (§5.6).</summary>
public static class IngressSpecs
{
    /// <summary>A deep copy (through JSON, unknown fields included).</summary>
    public static IngressModel DeepCopy(IngressModel ingress) => KubeJson.Clone(ingress);

    /// <summary>
    /// A defaulted view of the Ingress for building: a new object whose spec is a typed deep copy with defaults applied,
    /// sharing metadata and status with <paramref name="ingress"/> (read them, never change them through the view).
    /// Typed copying instead of a JSON round trip keeps translation cheap (see docs/perf/networking.md).
    /// </summary>
    public static IngressModel Defaulted(IngressModel ingress) => SetDefaults(new IngressModel
    {
        ApiVersion = ingress.ApiVersion,
        Kind = ingress.Kind,
        Metadata = ingress.Metadata,
        Spec = CopySpec(ingress.Spec),
        Status = ingress.Status,
        AdditionalProperties = ingress.AdditionalProperties,
    });

    /// <summary>Typed deep copy of a spec (unknown-field bags are shared: they hold immutable JSON elements).</summary>
    public static IngressSpec? CopySpec(IngressSpec? spec) => spec is null ? null : new IngressSpec
    {
        Tls = spec.Tls?.Select(t => new IngressTLS { Hosts = t.Hosts?.ToList(), SecretName = t.SecretName, SecretNamespace = t.SecretNamespace, AdditionalProperties = t.AdditionalProperties }).ToList(),
        Rules = spec.Rules?.Select(r => new IngressRule
        {
            Hosts = r.Hosts?.ToList(),
            Visibility = r.Visibility,
            Http = r.Http is null ? null : new HTTPIngressRuleValue { Paths = r.Http.Paths?.Select(CopyPath).ToList(), AdditionalProperties = r.Http.AdditionalProperties },
            AdditionalProperties = r.AdditionalProperties,
        }).ToList(),
        HttpOption = spec.HttpOption,
        AdditionalProperties = spec.AdditionalProperties,
    };

    private static HTTPIngressPath CopyPath(HTTPIngressPath p) => new()
    {
        Path = p.Path,
        RewriteHost = p.RewriteHost,
        Headers = p.Headers?.ToDictionary(kv => kv.Key, kv => kv.Value is null ? null! : new HeaderMatch { Exact = kv.Value.Exact, AdditionalProperties = kv.Value.AdditionalProperties }),
        Splits = p.Splits?.Select(s => new IngressBackendSplit
        {
            ServiceNamespace = s.ServiceNamespace,
            ServiceName = s.ServiceName,
            ServicePort = s.ServicePort,
            Percent = s.Percent,
            AppendHeaders = s.AppendHeaders is null ? null : new Dictionary<string, string>(s.AppendHeaders),
            AdditionalProperties = s.AdditionalProperties,
        }).ToList(),
        AppendHeaders = p.AppendHeaders is null ? null : new Dictionary<string, string>(p.AppendHeaders),
        AdditionalProperties = p.AdditionalProperties,
    };

    /// <summary>
    /// <c>SetDefaults</c> on the given object (callers pass a copy): empty visibility → ExternalIP; a path with a single
    /// split of percent 0 → 100. Nothing else.
    /// </summary>
    public static IngressModel SetDefaults(IngressModel ingress)
    {
        foreach (var rule in ingress.Spec?.Rules ?? [])
        {
            if (string.IsNullOrEmpty(rule.Visibility)) rule.Visibility = NetworkingConstants.VisibilityExternalIP;
            foreach (var path in rule.Http?.Paths ?? [])
            {
                if (path.Splits is [{ Percent: null or 0 } only]) only.Percent = 100;
            }
        }
        return ingress;
    }

    /// <summary>Whether the class annotation is exactly the Istio class (missing or other → not ours).</summary>
    public static bool IsIstioClass(IngressModel ingress) =>
        ingress.Metadata.Annotations?.GetValueOrDefault(NetworkingConstants.IngressClassAnnotation) == NetworkingConstants.IstioIngressClass;

    /// <summary>Some rule's visibility is exactly ExternalIP.</summary>
    public static bool IsPublic(IngressModel ingress) =>
        ingress.Spec?.Rules?.Any(r => r.Visibility == NetworkingConstants.VisibilityExternalIP) == true;

    /// <summary>Sorted distinct hosts of rules whose visibility is exactly ExternalIP.</summary>
    public static IReadOnlyList<string> PublicHosts(IngressModel ingress) =>
        (ingress.Spec?.Rules ?? []).Where(r => r.Visibility == NetworkingConstants.VisibilityExternalIP)
            .SelectMany(r => r.Hosts ?? []).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>All rule hosts, distinct.</summary>
    public static IReadOnlyList<string> AllHosts(IngressModel ingress) =>
        (ingress.Spec?.Rules ?? []).SelectMany(r => r.Hosts ?? []).Distinct().ToArray();

    /// <summary>
    /// <c>GetIngressTLSForVisibility</c>: for each rule of this (raw) visibility, in order, the TLS entries covering all
    /// its hosts; a matching rule without hosts ends the walk. Duplicates are kept.
    /// </summary>
    public static IReadOnlyList<IngressTLS> TlsForVisibility(IngressModel ingress, string visibility)
    {
        var result = new List<IngressTLS>();
        var tls = ingress.Spec?.Tls;
        if (tls is null || tls.Count == 0) return result;
        foreach (var rule in ingress.Spec?.Rules ?? [])
        {
            if ((rule.Visibility ?? "") != visibility) continue;
            if (rule.Hosts is null || rule.Hosts.Count == 0) return result;
            foreach (var entry in tls)
            {
                var covered = entry.Hosts ?? [];
                if (rule.Hosts.All(h => covered.Contains(h))) result.Add(entry);
            }
        }
        return result;
    }

    /// <summary>
    /// <c>InsertProbe</c>: computes the hash of the spec as it is, then puts before each rule's paths a copy of each
    /// path matching <c>K-Network-Hash: override</c> and setting <c>K-Network-Hash: &lt;hash&gt;</c>. Mutates the given
    /// object (callers pass a copy). Error text as upstream when a rule has no http.
    /// </summary>
    public static string InsertProbe(IngressModel ingress)
    {
        var hash = IngressHash.Compute(ingress.Spec, ingress.Metadata.Namespace, ingress.Metadata.Name);
        foreach (var rule in ingress.Spec?.Rules ?? [])
        {
            if (rule.Http is null)
                throw new ResourceBuildException($"rule is missing HTTP block: {GoRuleString(rule)}");
            var originals = rule.Http.Paths ?? [];
            var probes = new List<HTTPIngressPath>(originals.Count * 2);
            foreach (var path in originals)
            {
                var copy = CopyPath(path);
                copy.Headers ??= new Dictionary<string, HeaderMatch>();
                copy.AppendHeaders ??= new Dictionary<string, string>();
                copy.Headers[NetworkingConstants.HashHeaderName] = new HeaderMatch { Exact = NetworkingConstants.HashOverrideValue };
                copy.AppendHeaders[NetworkingConstants.HashHeaderName] = hash;
                probes.Add(copy);
            }
            probes.AddRange(originals);
            rule.Http.Paths = probes;
        }
        return hash;
    }

    /// <summary>Go's <c>%+v</c> of an IngressRule without http (as far as it can be reproduced).</summary>
    private static string GoRuleString(IngressRule rule) =>
        $"{{Hosts:[{string.Join(" ", rule.Hosts ?? [])}] Visibility:{rule.Visibility} HTTP:<nil>}}";
}

/// <summary>A builder could not produce the desired objects; the message is upstream's error text.</summary>
public sealed class ResourceBuildException(string message) : Exception(message);
