using System.Text.Json.Nodes;
using Ingress.Serving.Go;
using Ingress.Serving.Webhook;
using Ingress.Serving.Yaml;

namespace Ingress.Serving.Config;

/// <summary>One <c>matchExpressions</c> entry of a <c>metav1.LabelSelector</c>.</summary>
public sealed record SelectorRequirement(string Key, string Operator, IReadOnlyList<string> Values);

/// <summary>
/// config-network <c>namespace-wildcard-cert-selector</c>: a <c>metav1.LabelSelector</c> written as YAML or JSON
/// (<c>matchLabels</c>, <c>matchExpressions</c> with In / NotIn / Exists / DoesNotExist). As upstream's
/// <c>LabelSelectorAsSelector</c>: an absent or empty value selects nothing (the feature is off), while <c>{}</c>
/// selects every namespace. An unparsable value rejects the ConfigMap (the last good config stays).
/// </summary>
public sealed record NamespaceSelector(IReadOnlyDictionary<string, string> MatchLabels, IReadOnlyList<SelectorRequirement> MatchExpressions)
{
    /// <summary>Parses the value; null or "" gives null (off).</summary>
    /// <exception cref="ConfigMapParseException">Not a YAML/JSON object of LabelSelector's shape, or an unknown operator.</exception>
    public static NamespaceSelector? Parse(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        JsonNode? node;
        try { node = YamlJson.ParseAll(raw).FirstOrDefault(); }
        catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidCastException)
        {
            throw new ConfigMapParseException($"failed to parse {GoFormat.Quote("namespace-wildcard-cert-selector")}: {e.Message}");
        }
        if (node is not JsonObject obj) throw Bad("the value is not a label selector object");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["matchLabels"] is JsonObject ml)
            foreach (var (k, v) in ml) labels[k] = v is JsonValue jv ? jv.ToString() : throw Bad($"matchLabels[{k}] is not a string");
        else if (obj["matchLabels"] is not null) throw Bad("matchLabels is not a map");
        var expressions = new List<SelectorRequirement>();
        if (obj["matchExpressions"] is JsonArray me)
        {
            foreach (var e in me)
            {
                if (e is not JsonObject eo) throw Bad("a matchExpressions entry is not an object");
                var op = Json.Str(eo, "operator");
                var values = (Json.Arr(eo, "values") ?? []).Select(v => v?.ToString() ?? "").ToList();
                switch (op)
                {
                    case "In" or "NotIn" when values.Count == 0:
                        throw Bad("values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty");
                    case "Exists" or "DoesNotExist" when values.Count != 0:
                        throw Bad($"values: Invalid value: [{string.Join(" ", values)}]: values set must be empty for exists and does not exist");
                    case "In" or "NotIn" or "Exists" or "DoesNotExist":
                        break;
                    default:
                        throw Bad($"{GoFormat.Quote(op)} is not a valid label selector operator");
                }
                expressions.Add(new SelectorRequirement(Json.Str(eo, "key"), op, values));
            }
        }
        else if (obj["matchExpressions"] is not null) throw Bad("matchExpressions is not a list");
        return new NamespaceSelector(labels, expressions);
    }

    private static ConfigMapParseException Bad(string why) =>
        new($"failed to parse {GoFormat.Quote("namespace-wildcard-cert-selector")}: {why}");

    /// <summary>Whether a namespace with <paramref name="labels"/> is selected (every requirement holds).</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (k, v) in MatchLabels)
            if (!labels.TryGetValue(k, out var actual) || actual != v) return false;
        foreach (var r in MatchExpressions)
        {
            var has = labels.TryGetValue(r.Key, out var value);
            var ok = r.Operator switch
            {
                "In" => has && r.Values.Contains(value!),
                "NotIn" => !has || !r.Values.Contains(value!),
                "Exists" => has,
                _ => !has, // DoesNotExist
            };
            if (!ok) return false;
        }
        return true;
    }
}
