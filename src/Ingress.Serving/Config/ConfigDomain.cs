using YamlDotNet.RepresentationModel;

namespace Ingress.Serving.Config;

/// <summary>How a config-domain entry was declared.</summary>
public enum DomainType { Wildcard, Other }

/// <summary>One config-domain entry: a domain suffix and the label selector routes must match.</summary>
public sealed record DomainEntry(string Domain, IReadOnlyDictionary<string, string> Selector, string Type)
{
    public int Specificity => Selector.Count;
    public bool Matches(IReadOnlyDictionary<string, string>? labels) =>
        Selector.All(kv => labels is not null && labels.TryGetValue(kv.Key, out var v) && v == kv.Value);
}

/// <summary>Typed <c>config-domain</c>: domain suffixes chosen per Route by label selectors.</summary>
public sealed record ConfigDomain
{
    public const string Name = "config-domain";
    public const string VisibilityLabelKey = "networking.knative.dev/visibility";
    public const string VisibilityClusterLocal = "cluster-local";

    public required IReadOnlyList<DomainEntry> Entries { get; init; }

    /// <summary>The implicit default is the cluster-local domain (upstream since 2023): without an explicit
    /// default entry every Route is private to the cluster.</summary>
    public static string DefaultDomain => "svc." + ClusterDomain.Name;

    public static ConfigDomain Default => Parse(new Dictionary<string, string>());

    public static ConfigDomain Parse(IReadOnlyDictionary<string, string> data)
    {
        var entries = new List<DomainEntry>();
        var hasDefault = false;
        foreach (var (domain, value) in data.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (domain == "_example") continue;
            var (selector, type) = ParseValue(value);
            if (selector.Count == 0)
            {
                hasDefault = true;
                type = "wildcard";
            }
            entries.Add(new DomainEntry(domain, selector, type));
        }
        if (!hasDefault) entries.Add(new DomainEntry(DefaultDomain, new Dictionary<string, string>(), "wildcard"));
        return new ConfigDomain { Entries = entries };
    }

    private static (Dictionary<string, string> Selector, string Type) ParseValue(string value)
    {
        var selector = new Dictionary<string, string>(StringComparer.Ordinal);
        var type = "";
        if (string.IsNullOrWhiteSpace(value)) return (selector, type);
        var stream = new YamlStream();
        try { stream.Load(new StringReader(value)); }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ConfigMapParseException($"error converting YAML to JSON: yaml: line {e.Start.Line}: {e.Message}");
        }
        if (stream.Documents.Count == 0) return (selector, type);
        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode { Value: null or "" or "null" or "~" }) return (selector, type);
        if (root is not YamlMappingNode map)
            throw new ConfigMapParseException($"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {JsonKind(root)} into Go value of type config.domainInternalConfig");
        foreach (var (k, v) in map.Children)
        {
            var key = ((YamlScalarNode)k).Value;
            if (key == "selector")
            {
                if (v is YamlScalarNode { Value: null or "" or "null" or "~" }) continue;
                if (v is not YamlMappingNode sel)
                    throw new ConfigMapParseException($"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {JsonKind(v)} into Go struct field domainInternalConfig.selector of type map[string]string");
                foreach (var (sk, sv) in sel.Children)
                {
                    if (sv is not YamlScalarNode svs)
                        throw new ConfigMapParseException($"error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {JsonKind(sv)} into Go struct field domainInternalConfig.selector of type string");
                    selector[((YamlScalarNode)sk).Value ?? ""] = svs.Value ?? "";
                }
            }
            else if (key == "type" && v is YamlScalarNode t) type = t.Value ?? "";
        }
        return (selector, type);
    }

    private static string JsonKind(YamlNode n) => n switch
    {
        YamlSequenceNode => "array",
        YamlMappingNode => "object",
        YamlScalarNode s when s.Style is YamlDotNet.Core.ScalarStyle.Plain && (s.Value is "true" or "false") => "bool",
        YamlScalarNode s when s.Style is YamlDotNet.Core.ScalarStyle.Plain && double.TryParse(s.Value, System.Globalization.CultureInfo.InvariantCulture, out _) => "number",
        _ => "string",
    };

    /// <summary>The domain suffix for a Route with these labels: cluster-local visibility wins, then the
    /// matching entry with the most selector keys, ties to the lexicographically smallest domain.</summary>
    public string LookupDomainForLabels(IReadOnlyDictionary<string, string>? labels)
    {
        if (labels is not null && labels.TryGetValue(VisibilityLabelKey, out var vis) && vis == VisibilityClusterLocal)
            return DefaultDomain;
        var domain = "";
        var specificity = -1;
        foreach (var e in Entries)
        {
            if (!e.Matches(labels) || e.Specificity < specificity) continue;
            if (e.Specificity > specificity || string.CompareOrdinal(e.Domain, domain) < 0)
            {
                domain = e.Domain;
                specificity = e.Specificity;
            }
        }
        return domain;
    }
}

/// <summary>The cluster's DNS domain (<c>cluster.local</c> unless <c>CLUSTER_DOMAIN</c> or the
/// <c>search svc.X</c> line of /etc/resolv.conf says otherwise), resolved once like upstream.</summary>
public static class ClusterDomain
{
    private static readonly Lazy<string> Lazy = new(Resolve);
    private static string? _override;

    public static string Name => _override ?? Lazy.Value;

    /// <summary>For tests and `render`: force a cluster domain. Null restores discovery.</summary>
    public static void Override(string? name) => _override = name;

    private static string Resolve()
    {
        var env = Environment.GetEnvironmentVariable("CLUSTER_DOMAIN");
        if (!string.IsNullOrEmpty(env)) return env;
        try
        {
            foreach (var line in File.ReadLines("/etc/resolv.conf"))
            {
                if (!line.StartsWith("search", StringComparison.Ordinal)) continue;
                foreach (var part in line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1))
                    if (part.StartsWith("svc.", StringComparison.Ordinal)) return part[4..].TrimEnd('.');
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return "cluster.local";
    }
}
