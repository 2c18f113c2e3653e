using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Ingress.Networking.Config;

/// <summary>One configured Istio gateway: the Gateway object and the Service FQDN that fronts its pods.</summary>
public sealed record IstioGateway(string Namespace, string Name, string ServiceUrl, LabelSelector? LabelSelector = null)
{
    /// <summary><c>&lt;namespace&gt;/&lt;name&gt;</c>, the form VirtualServices reference.</summary>
    public string QualifiedName => Namespace + "/" + Name;

    /// <summary>Upstream's <c>Gateway.Validate</c>; null when valid.</summary>
    public string? Validate()
    {
        if (Namespace.Length == 0) return "missing namespace";
        if (Name.Length == 0) return "missing name";
        if (ServiceUrl.Length == 0) return "missing service";
        var trimmed = ServiceUrl.EndsWith('.') ? ServiceUrl[..^1] : ServiceUrl;
        var errors = LabelValidation.Dns1123SubdomainErrors(trimmed);
        if (errors.Count > 0) return $"invalid gateway service format: [{string.Join(" ", errors)}]";
        var selectorError = LabelSelector?.Validate();
        if (selectorError is not null) return $"failed to create selector from label selector: {selectorError}";
        return null;
    }

    /// <summary>
    /// The gateway Service's name and namespace, from splitting <see cref="ServiceUrl"/> on '.' into at most 3 parts
    /// (upstream <c>parseIngressGatewayConfig</c>). Null with <paramref name="error"/> set when there are fewer than 3.
    /// </summary>
    public (string Name, string Namespace)? ServiceNameNamespace(out string? error)
    {
        var parts = ServiceUrl.Split('.', 3);
        if (parts.Length != 3)
        {
            error = $"unexpected service URL form: {ServiceUrl}";
            return null;
        }
        error = null;
        return (parts[0], parts[1]);
    }

    /// <summary>Go's <c>%v</c> of the struct, used in the "exactly one ... gateway" message (selectors are nil there).</summary>
    internal string GoValue() => "{" + Namespace + " " + Name + " " + ServiceUrl + " " + (LabelSelector is null ? "<nil>" : LabelSelector.ToString()) + "}";
}

/// <summary>
/// The parsed <c>config-istio</c> ConfigMap (net-istio spec §3.1): ordered external and cluster-local gateway lists.
/// </summary>
public sealed record IstioConfig(IReadOnlyList<IstioGateway> IngressGateways, IReadOnlyList<IstioGateway> LocalGateways)
{
    public const string ExternalGatewaysKey = "external-gateways";
    public const string LocalGatewaysKey = "local-gateways";
    public const string GatewayKeyPrefix = "gateway.";
    public const string LocalGatewayKeyPrefix = "local-gateway.";
    public const string KnativeIngressGateway = "knative-ingress-gateway";
    public const string KnativeLocalGateway = "knative-local-gateway";
    public const string IstioIngressGateway = "istio-ingressgateway";
    public const string IstioNamespace = "istio-system";

    /// <summary>False only when both lists are empty: mesh-only mode (§9).</summary>
    public bool GatewaysEnabled => IngressGateways.Count > 0 || LocalGateways.Count > 0;

    public IReadOnlyList<IstioGateway> DefaultExternalGateways => IngressGateways.Where(g => g.LabelSelector is null).ToArray();
    public IReadOnlyList<IstioGateway> DefaultLocalGateways => LocalGateways.Where(g => g.LabelSelector is null).ToArray();

    /// <summary>The configuration of an empty ConfigMap: both default gateways.</summary>
    public static IstioConfig Default(string systemNamespace, string clusterDomain) =>
        new(DefaultIngress(systemNamespace, clusterDomain), DefaultLocal(systemNamespace, clusterDomain));

    private static IstioGateway[] DefaultIngress(string systemNamespace, string clusterDomain) =>
        [new IstioGateway(systemNamespace, KnativeIngressGateway, $"{IstioIngressGateway}.{IstioNamespace}.svc.{clusterDomain}")];

    private static IstioGateway[] DefaultLocal(string systemNamespace, string clusterDomain) =>
        [new IstioGateway(systemNamespace, KnativeLocalGateway, $"{KnativeLocalGateway}.{IstioNamespace}.svc.{clusterDomain}")];

    /// <summary>Parses the ConfigMap data exactly as upstream's <c>NewIstioFromConfigMap</c>.</summary>
    public static ConfigParseResult<IstioConfig> Parse(IReadOnlyDictionary<string, string>? data, string systemNamespace, string clusterDomain)
    {
        data ??= new Dictionary<string, string>();
        var newFormat = data.ContainsKey(ExternalGatewaysKey) || data.ContainsKey(LocalGatewaysKey);
        var oldFormat = data.Keys.Any(k => k.StartsWith(GatewayKeyPrefix, StringComparison.Ordinal) || k.StartsWith(LocalGatewayKeyPrefix, StringComparison.Ordinal));

        IstioConfig config;
        if (newFormat && oldFormat)
        {
            return ConfigParseResult<IstioConfig>.Fail(ConfigErrorKind.BothGatewayFormats,
                $"invalid configmap: \"{LocalGatewaysKey}\" or \"{ExternalGatewaysKey}\" can not be defined simultaneously with \"{GatewayKeyPrefix}\" or \"{LocalGatewayKeyPrefix}\"");
        }
        if (newFormat)
        {
            var external = ParseList(data, ExternalGatewaysKey, () => DefaultIngress(systemNamespace, clusterDomain), out var error);
            if (error is not null) return ConfigParseResult<IstioConfig>.Fail(ConfigErrorKind.InvalidGatewayList, "failed to parse configmap: " + error);
            var local = ParseList(data, LocalGatewaysKey, () => DefaultLocal(systemNamespace, clusterDomain), out error);
            if (error is not null) return ConfigParseResult<IstioConfig>.Fail(ConfigErrorKind.InvalidGatewayList, "failed to parse configmap: " + error);
            config = new IstioConfig(external!, local!);
            if (config.IngressGateways.Count > 0 && config.DefaultExternalGateways.Count != 1)
                return ConfigParseResult<IstioConfig>.Fail(ConfigErrorKind.DefaultGatewayCount,
                    $"failed to parse configmap: exactly one external gateway with no selector can be defined, here: [{string.Join(" ", config.DefaultExternalGateways.Select(g => g.GoValue()))}]");
            if (config.LocalGateways.Count > 0 && config.DefaultLocalGateways.Count != 1)
                return ConfigParseResult<IstioConfig>.Fail(ConfigErrorKind.DefaultGatewayCount,
                    $"failed to parse configmap: exactly one local gateway with no selector can be defined, here: [{string.Join(" ", config.DefaultLocalGateways.Select(g => g.GoValue()))}]");
        }
        else if (oldFormat)
        {
            var external = ParseOldFormat(data, GatewayKeyPrefix, systemNamespace);
            var local = ParseOldFormat(data, LocalGatewayKeyPrefix, systemNamespace);
            config = new IstioConfig(
                external.Count == 0 ? DefaultIngress(systemNamespace, clusterDomain) : external,
                local.Count == 0 ? DefaultLocal(systemNamespace, clusterDomain) : local);
        }
        else
        {
            config = Default(systemNamespace, clusterDomain);
        }

        foreach (var gateway in config.IngressGateways)
        {
            var error = gateway.Validate();
            if (error is not null)
                return ConfigParseResult<IstioConfig>.Fail(ConfigErrorKind.InvalidGateway, $"invalid configuration: invalid gateway {gateway.QualifiedName}: {error}");
        }
        foreach (var gateway in config.LocalGateways)
        {
            var error = gateway.Validate();
            if (error is not null)
                return ConfigParseResult<IstioConfig>.Fail(ConfigErrorKind.InvalidGateway, $"invalid configuration: invalid local gateway {gateway.QualifiedName}: {error}");
        }
        return ConfigParseResult<IstioConfig>.Ok(config);
    }

    private static IReadOnlyList<IstioGateway>? ParseList(IReadOnlyDictionary<string, string> data, string key, Func<IReadOnlyList<IstioGateway>> defaults, out string? error)
    {
        error = null;
        data.TryGetValue(key, out var text);
        // Absent, empty or blank means the default; an explicit "[]" means none (mesh-only when both are "[]").
        if (string.IsNullOrWhiteSpace(text)) return defaults();
        var parsed = GatewayListYaml.Parse(text, out var yamlError);
        if (yamlError is not null)
        {
            error = $"failed to parse \"{key}\" gateways: failed to unmarshal: {yamlError}";
            return null;
        }
        return parsed;
    }

    private static List<IstioGateway> ParseOldFormat(IReadOnlyDictionary<string, string> data, string prefix, string systemNamespace)
    {
        var names = data.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k != prefix)
            .Select(k => k[prefix.Length..])
            .OrderBy(k => k, StringComparer.Ordinal)
            .ToList();
        var result = new List<IstioGateway>(names.Count);
        foreach (var gatewayName in names)
        {
            var dot = gatewayName.IndexOf('.');
            var (ns, name) = dot < 0 ? (systemNamespace, gatewayName) : (gatewayName[..dot], gatewayName[(dot + 1)..]);
            result.Add(new IstioGateway(ns, name, data[prefix + gatewayName]));
        }
        return result;
    }
}

/// <summary>
/// Reads the YAML gateway list the way sigs.k8s.io/yaml + encoding/json do: field names match case-insensitively,
/// unknown fields are ignored, null means an empty list, scalars where objects are expected are errors.
/// </summary>
internal static class GatewayListYaml
{
    private const string Prefix = "error unmarshaling JSON: while decoding JSON: json: ";

    public static IReadOnlyList<IstioGateway>? Parse(string text, out string? error)
    {
        error = null;
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            error = $"error converting YAML to JSON: yaml: line {e.Start.Line}: {e.Message}";
            return null;
        }
        if (stream.Documents.Count == 0) return [];
        var root = stream.Documents[0].RootNode;
        if (IsNull(root)) return [];
        if (root is not YamlSequenceNode sequence)
        {
            error = Prefix + $"cannot unmarshal {JsonKind(root)} into Go value of type []config.Gateway";
            return null;
        }
        var result = new List<IstioGateway>();
        foreach (var item in sequence)
        {
            if (IsNull(item)) { result.Add(new IstioGateway("", "", "")); continue; }
            if (item is not YamlMappingNode map)
            {
                error = Prefix + $"cannot unmarshal {JsonKind(item)} into Go value of type config.Gateway";
                return null;
            }
            string ns = "", name = "", service = "";
            LabelSelector? selector = null;
            foreach (var (keyNode, valueNode) in map.Children)
            {
                var key = ((keyNode as YamlScalarNode)?.Value ?? "").ToLowerInvariant();
                switch (key)
                {
                    case "namespace": ns = ReadString(valueNode, "Gateway.Namespace", ref error); break;
                    case "name": name = ReadString(valueNode, "Gateway.Name", ref error); break;
                    case "service": service = ReadString(valueNode, "Gateway.service", ref error); break;
                    case "labelselector": selector = ReadSelector(valueNode, ref error); break;
                }
                if (error is not null) return null;
            }
            result.Add(new IstioGateway(ns, name, service, selector));
        }
        return result;
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain } s && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");

    private static string JsonKind(YamlNode node) => node switch
    {
        YamlMappingNode => "object",
        YamlSequenceNode => "array",
        YamlScalarNode { Style: ScalarStyle.Plain } s when s.Value is "true" or "false" => "bool",
        YamlScalarNode { Style: ScalarStyle.Plain } s when double.TryParse(s.Value, System.Globalization.CultureInfo.InvariantCulture, out _) => "number",
        _ => "string",
    };

    private static string ReadString(YamlNode node, string field, ref string? error)
    {
        if (IsNull(node)) return "";
        if (node is YamlScalarNode scalar && JsonKind(node) == "string") return scalar.Value ?? "";
        error = Prefix + $"cannot unmarshal {JsonKind(node)} into Go struct field {field} of type string";
        return "";
    }

    private static LabelSelector? ReadSelector(YamlNode node, ref string? error)
    {
        if (IsNull(node)) return null;
        if (node is not YamlMappingNode map)
        {
            error = Prefix + $"cannot unmarshal {JsonKind(node)} into Go struct field Gateway.labelSelector of type v1.LabelSelector";
            return null;
        }
        Dictionary<string, string>? labels = null;
        List<LabelSelectorRequirement>? expressions = null;
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = ((keyNode as YamlScalarNode)?.Value ?? "").ToLowerInvariant();
            if (key == "matchlabels" && !IsNull(valueNode))
            {
                if (valueNode is not YamlMappingNode labelMap)
                {
                    error = Prefix + $"cannot unmarshal {JsonKind(valueNode)} into Go struct field LabelSelector.labelSelector.matchLabels of type map[string]string";
                    return null;
                }
                labels = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (k, v) in labelMap.Children)
                {
                    labels[(k as YamlScalarNode)?.Value ?? ""] = ReadString(v, "LabelSelector.labelSelector.matchLabels", ref error);
                    if (error is not null) return null;
                }
            }
            else if (key == "matchexpressions" && !IsNull(valueNode))
            {
                if (valueNode is not YamlSequenceNode exprs)
                {
                    error = Prefix + $"cannot unmarshal {JsonKind(valueNode)} into Go struct field LabelSelector.labelSelector.matchExpressions of type []v1.LabelSelectorRequirement";
                    return null;
                }
                expressions = [];
                foreach (var exprNode in exprs)
                {
                    if (exprNode is not YamlMappingNode exprMap)
                    {
                        error = Prefix + $"cannot unmarshal {JsonKind(exprNode)} into Go struct field LabelSelector.labelSelector.matchExpressions of type v1.LabelSelectorRequirement";
                        return null;
                    }
                    string exprKey = "", op = "";
                    List<string>? values = null;
                    foreach (var (k, v) in exprMap.Children)
                    {
                        switch (((k as YamlScalarNode)?.Value ?? "").ToLowerInvariant())
                        {
                            case "key": exprKey = ReadString(v, "LabelSelectorRequirement.labelSelector.matchExpressions.key", ref error); break;
                            case "operator": op = ReadString(v, "LabelSelectorRequirement.labelSelector.matchExpressions.operator", ref error); break;
                            case "values":
                                if (IsNull(v)) break;
                                if (v is not YamlSequenceNode valueSeq)
                                {
                                    error = Prefix + $"cannot unmarshal {JsonKind(v)} into Go struct field LabelSelectorRequirement.labelSelector.matchExpressions.values of type []string";
                                    break;
                                }
                                values = [];
                                foreach (var valueNode2 in valueSeq)
                                {
                                    values.Add(ReadString(valueNode2, "LabelSelectorRequirement.labelSelector.matchExpressions.values", ref error));
                                    if (error is not null) break;
                                }
                                break;
                        }
                        if (error is not null) return null;
                    }
                    expressions.Add(new LabelSelectorRequirement(exprKey, op, values));
                }
            }
        }
        return new LabelSelector(labels, expressions);
    }
}
