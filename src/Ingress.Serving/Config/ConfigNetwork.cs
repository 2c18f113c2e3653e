using Ingress.Serving.Go;

namespace Ingress.Serving.Config;

/// <summary>config-network <c>http-protocol</c>: how plain-HTTP requests to external hosts are treated.</summary>
public enum HttpProtocol { Enabled, Redirected, Disabled }

/// <summary>Encryption switches (<c>system-internal-tls</c>, <c>cluster-local-domain-tls</c>).</summary>
public enum EncryptionMode { Disabled, Enabled }

/// <summary>config-network <c>mesh-compatibility-mode</c>.</summary>
public enum MeshCompatibilityMode { Auto, Enabled, Disabled }

/// <summary>Typed <c>config-network</c> (knative.dev/networking pkg/config). Legacy camelCase keys are read
/// first and the new kebab-case keys override them.</summary>
public sealed record ConfigNetwork
{
    public const string Name = "config-network";
    public const string DefaultDomainTemplate = "{{.Name}}.{{.Namespace}}.{{.Domain}}";
    public const string DefaultTagTemplate = "{{.Tag}}-{{.Name}}";
    public const string IstioIngressClass = "istio.ingress.networking.knative.dev";
    public const string CertManagerCertificateClass = "cert-manager.certificate.networking.knative.dev";

    /// <summary>Istio is the only gateway this project programs, so it is the default class (as upstream).</summary>
    public string DefaultIngressClass { get; init; } = IstioIngressClass;
    public string DefaultCertificateClass { get; init; } = CertManagerCertificateClass;
    public string DomainTemplate { get; init; } = DefaultDomainTemplate;
    public string TagTemplate { get; init; } = DefaultTagTemplate;
    /// <summary>0 = new revisions take traffic at once (upstream default; gradual rollout is opt-in).</summary>
    public long RolloutDurationSeconds { get; init; }
    public bool AutocreateClusterDomainClaims { get; init; }
    public bool EnableMeshPodAddressability { get; init; }
    public string DefaultExternalScheme { get; init; } = "http";
    public bool ExternalDomainTls { get; init; }
    public HttpProtocol HttpProtocol { get; init; } = HttpProtocol.Enabled;
    public EncryptionMode SystemInternalTls { get; init; } = EncryptionMode.Disabled;
    public EncryptionMode ClusterLocalDomainTls { get; init; } = EncryptionMode.Disabled;
    public MeshCompatibilityMode MeshCompatibilityMode { get; init; } = MeshCompatibilityMode.Auto;
    /// <summary>Raw YAML of <c>namespace-wildcard-cert-selector</c> (a LabelSelector), null when unset.</summary>
    public string? NamespaceWildcardCertSelector { get; init; }
    /// <summary>The parsed selector; null (the default, as upstream) selects no namespace: no wildcard Certificates.</summary>
    public NamespaceSelector? NamespaceWildcardCertSelectorParsed { get; init; }

    internal GoTemplate DomainTemplateParsed { get; private init; } = GoTemplate.Parse("domain-template", DefaultDomainTemplate);
    internal GoTemplate TagTemplateParsed { get; private init; } = GoTemplate.Parse("tag-template", DefaultTagTemplate);

    public static ConfigNetwork Default { get; } = new();

    public static ConfigNetwork Parse(IReadOnlyDictionary<string, string> data)
    {
        var c = new ConfigNetwork();
        // Legacy keys first, new keys take precedence.
        var ingressClass = ConfigMapReader.String(data, "ingress.class", c.DefaultIngressClass);
        var certClass = ConfigMapReader.String(data, "certificate.class", c.DefaultCertificateClass);
        var domainTemplate = ConfigMapReader.String(data, "domainTemplate", c.DomainTemplate);
        var tagTemplate = ConfigMapReader.String(data, "tagTemplate", c.TagTemplate);
        var rollout = ConfigMapReader.Int(data, "rolloutDuration", 0);
        var autocreate = ConfigMapReader.Bool(data, "autocreateClusterDomainClaims", false);
        var scheme = ConfigMapReader.String(data, "defaultExternalScheme", c.DefaultExternalScheme);

        ingressClass = ConfigMapReader.String(data, "ingress-class", ingressClass);
        certClass = ConfigMapReader.String(data, "certificate-class", certClass);
        domainTemplate = ConfigMapReader.String(data, "domain-template", domainTemplate);
        tagTemplate = ConfigMapReader.String(data, "tag-template", tagTemplate);
        rollout = ConfigMapReader.Int(data, "rollout-duration", rollout);
        autocreate = ConfigMapReader.Bool(data, "autocreate-cluster-domain-claims", autocreate);
        var meshPod = ConfigMapReader.Bool(data, "enable-mesh-pod-addressability", false);
        scheme = ConfigMapReader.String(data, "default-external-scheme", scheme);
        var internalEncryption = ConfigMapReader.Bool(data, "internal-encryption", false);

        var mesh = MeshCompatibilityMode.Auto;
        if (data.TryGetValue("mesh-compatibility-mode", out var meshRaw))
        {
            mesh = meshRaw.ToLowerInvariant() switch
            {
                "enabled" => MeshCompatibilityMode.Enabled,
                "disabled" => MeshCompatibilityMode.Disabled,
                "auto" => MeshCompatibilityMode.Auto,
                _ => throw new ConfigMapParseException($"failed to parse {GoFormat.Quote("mesh-compatibility-mode")}: unknown mesh compatibility mode {GoFormat.Quote(meshRaw)}"),
            };
        }
        string? wildcardSelector = data.TryGetValue("namespace-wildcard-cert-selector", out var sel) && sel.Length > 0 ? sel : null;

        if (rollout < 0)
            throw new ConfigMapParseException($"rollout-duration must be a positive integer, but was {rollout}");

        var domainT = ParseTemplate("domain-template", domainTemplate);
        CheckDomainTemplate(domainT);
        var tagT = ParseTemplate("tag-template", tagTemplate);
        try { tagT.Execute(TemplateValues.Tag("foo", "v2")); }
        catch (GoTemplateException e) { throw new ConfigMapParseException(e.Message); }

        var autoTls = false;
        if (data.TryGetValue("autoTLS", out var at1)) autoTls = string.Equals(at1, "enabled", StringComparison.OrdinalIgnoreCase);
        if (data.TryGetValue("auto-tls", out var at2)) autoTls = string.Equals(at2, "enabled", StringComparison.OrdinalIgnoreCase);
        var externalTls = data.TryGetValue("external-domain-tls", out var edt)
            ? string.Equals(edt, "enabled", StringComparison.OrdinalIgnoreCase)
            : autoTls;

        var httpRaw = "";
        if (data.TryGetValue("httpProtocol", out var hp1)) httpRaw = hp1;
        if (data.TryGetValue("http-protocol", out var hp2)) httpRaw = hp2;
        var http = httpRaw.ToLowerInvariant() switch
        {
            "" or "enabled" => HttpProtocol.Enabled,
            "disabled" => HttpProtocol.Disabled,
            "redirected" => HttpProtocol.Redirected,
            // Upstream quotes the new key's value even when only the legacy key was set.
            _ => throw new ConfigMapParseException($"httpProtocol {(data.TryGetValue("http-protocol", out var v) ? v : "")} in config-network ConfigMap is not supported"),
        };

        var sysTlsRaw = data.TryGetValue("system-internal-tls", out var st) ? st : "";
        var sysTls = sysTlsRaw.ToLowerInvariant() switch
        {
            "" or "disabled" => internalEncryption ? EncryptionMode.Enabled : EncryptionMode.Disabled,
            "enabled" => EncryptionMode.Enabled,
            _ => throw new ConfigMapParseException($"system-internal-tls with value: {GoFormat.Quote(sysTlsRaw)} in config-network ConfigMap is not supported"),
        };
        var clTlsRaw = data.TryGetValue("cluster-local-domain-tls", out var cl) ? cl : "";
        var clTls = clTlsRaw.ToLowerInvariant() switch
        {
            "" or "disabled" => EncryptionMode.Disabled,
            "enabled" => EncryptionMode.Enabled,
            _ => throw new ConfigMapParseException($"cluster-local-domain-tls with value: {GoFormat.Quote(clTlsRaw)} in config-network ConfigMap is not supported"),
        };

        return new ConfigNetwork
        {
            DefaultIngressClass = ingressClass,
            DefaultCertificateClass = certClass,
            DomainTemplate = domainTemplate,
            TagTemplate = tagTemplate,
            RolloutDurationSeconds = rollout,
            AutocreateClusterDomainClaims = autocreate,
            EnableMeshPodAddressability = meshPod,
            DefaultExternalScheme = scheme,
            ExternalDomainTls = externalTls,
            HttpProtocol = http,
            SystemInternalTls = sysTls,
            ClusterLocalDomainTls = clTls,
            MeshCompatibilityMode = mesh,
            NamespaceWildcardCertSelector = wildcardSelector,
            NamespaceWildcardCertSelectorParsed = NamespaceSelector.Parse(wildcardSelector),
            DomainTemplateParsed = domainT,
            TagTemplateParsed = tagT,
        };
    }

    private static GoTemplate ParseTemplate(string name, string text)
    {
        try { return GoTemplate.Parse(name, text); }
        catch (GoTemplateException e) { throw new ConfigMapParseException(e.Message); }
    }

    /// <summary>Renders with Name=foo, Namespace=bar, Domain=baz.com and checks the result is a host
    /// without a path, like upstream's checkDomainTemplate.</summary>
    private static void CheckDomainTemplate(GoTemplate t)
    {
        string rendered;
        try { rendered = t.Execute(TemplateValues.Domain("foo", "bar", "baz.com", null, null)); }
        catch (GoTemplateException e) { throw new ConfigMapParseException(e.Message); }
        var (host, requestUri, error) = GoUrl.ParseHttps(rendered);
        if (error is not null) throw new ConfigMapParseException(error);
        if (host.Length == 0) throw new ConfigMapParseException("empty hostname");
        if (requestUri != "/") throw new ConfigMapParseException($"domain template has url path: {requestUri}");
    }
}

/// <summary>The values the domain and tag templates see (Go structs <c>config.DomainTemplateValues</c>
/// and <c>config.TagTemplateValues</c>; the type names appear in template error messages).</summary>
public static class TemplateValues
{
    public static TemplateData Domain(string name, string ns, string domain,
        IReadOnlyDictionary<string, string>? annotations, IReadOnlyDictionary<string, string>? labels) =>
        new("config.DomainTemplateValues", new Dictionary<string, object?>
        {
            ["Name"] = name, ["Namespace"] = ns, ["Domain"] = domain, ["Annotations"] = annotations, ["Labels"] = labels,
        });

    public static TemplateData Tag(string name, string tag) =>
        new("config.TagTemplateValues", new Dictionary<string, object?> { ["Name"] = name, ["Tag"] = tag });
}

/// <summary>The part of Go's net/url parsing that the domain-template check relies on.</summary>
internal static class GoUrl
{
    /// <summary>Parses <c>https://</c>+<paramref name="rest"/>: returns the hostname, the request URI and
    /// Go's error text for an invalid host character or port.</summary>
    public static (string Host, string RequestUri, string? Error) ParseHttps(string rest)
    {
        var full = "https://" + rest;
        var s = rest;
        var hash = s.IndexOf('#');
        if (hash >= 0) s = s[..hash];
        string query = "";
        var q = s.IndexOf('?');
        if (q >= 0) { query = s[(q + 1)..]; s = s[..q]; }
        var slash = s.IndexOf('/');
        var authority = slash >= 0 ? s[..slash] : s;
        var path = slash >= 0 ? s[slash..] : "";
        var at = authority.LastIndexOf('@');
        var hostport = at >= 0 ? authority[(at + 1)..] : authority;
        foreach (var c in hostport)
        {
            if (c < 0x80 && !(char.IsAsciiLetterOrDigit(c) || "-._~!$&'()*+,;=:[]<>\"%".Contains(c)))
                return ("", "", $"parse {GoFormat.Quote(full)}: invalid character {GoFormat.Quote(c.ToString())} in host name");
        }
        var host = hostport;
        var colon = hostport.LastIndexOf(':');
        if (colon >= 0 && !hostport.StartsWith('['))
        {
            var port = hostport[(colon + 1)..];
            if (!port.All(char.IsAsciiDigit))
                return ("", "", $"parse {GoFormat.Quote(full)}: invalid port {GoFormat.Quote(hostport[colon..])} after host");
            host = hostport[..colon];
        }
        var requestUri = (path.Length == 0 ? "/" : path) + (q >= 0 ? "?" + query : "");
        return (host, requestUri, null);
    }
}
