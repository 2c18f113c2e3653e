using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Ingress.Serving.Yaml;

/// <summary>Multi-document YAML ⇄ <see cref="JsonNode"/> with YAML 1.2 core-schema scalars (what kubectl and
/// sigs.k8s.io/yaml produce for Kubernetes objects). Used by `ingress validate` and the golden tests, which work
/// on objects as written.</summary>
public static partial class YamlJson
{
    /// <summary>Every non-empty document of <paramref name="yaml"/>.</summary>
    public static List<JsonNode> ParseAll(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var result = new List<JsonNode>();
        foreach (var doc in stream.Documents)
        {
            var node = Convert(doc.RootNode);
            if (node is not null) result.Add(node);
        }
        return result;
    }

    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9]*)$")] private static partial Regex IntRx();
    [GeneratedRegex(@"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")] private static partial Regex TimestampRx();
    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")] private static partial Regex FloatRx();

    private static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                var obj = new JsonObject();
                foreach (var (k, v) in map.Children) obj[((YamlScalarNode)k).Value ?? ""] = Convert(v);
                return obj;
            case YamlSequenceNode seq:
                var arr = new JsonArray();
                foreach (var item in seq.Children) arr.Add(Convert(item));
                return arr;
            case YamlScalarNode s:
                var value = s.Value ?? "";
                if (s.Style != ScalarStyle.Plain) return JsonValue.Create(value);
                if (value is "" or "~" or "null" or "Null" or "NULL") return null;
                if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
                if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
                if (IntRx().IsMatch(value) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
                if (FloatRx().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
                return JsonValue.Create(value);
            default:
                return null;
        }
    }

    /// <summary>Block-style YAML for documents, strings quoted when a plain scalar would change type.</summary>
    public static string Serialize(IEnumerable<JsonNode?> documents)
    {
        var sb = new StringBuilder();
        var first = true;
        foreach (var doc in documents)
        {
            if (!first) sb.Append("---\n");
            first = false;
            Write(sb, doc, 0, inSequence: false);
        }
        return sb.ToString();
    }

    public static string Serialize(JsonNode? node) => Serialize([node]);

    private static void Write(StringBuilder sb, JsonNode? node, int indent, bool inSequence)
    {
        var pad = new string(' ', indent);
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                var firstKey = true;
                foreach (var (k, v) in obj)
                {
                    if (!(inSequence && firstKey)) sb.Append(pad);
                    firstKey = false;
                    sb.Append(Scalar(k)).Append(':');
                    WriteValue(sb, v, indent);
                }
                break;
            case JsonArray arr when arr.Count > 0:
                var firstItem = true;
                foreach (var item in arr)
                {
                    if (!(inSequence && firstItem)) sb.Append(pad);
                    firstItem = false;
                    sb.Append("- ");
                    if (item is JsonObject { Count: > 0 } or JsonArray { Count: > 0 }) Write(sb, item, indent + 2, inSequence: true);
                    else sb.Append(Inline(item)).Append('\n');
                }
                break;
            default:
                sb.Append(pad).Append(Inline(node)).Append('\n');
                break;
        }
    }

    private static void WriteValue(StringBuilder sb, JsonNode? v, int indent)
    {
        switch (v)
        {
            case JsonObject { Count: > 0 }:
                sb.Append('\n');
                Write(sb, v, indent + 2, inSequence: false);
                break;
            case JsonArray { Count: > 0 }:
                sb.Append('\n');
                Write(sb, v, indent, inSequence: false);
                break;
            default:
                sb.Append(' ').Append(Inline(v)).Append('\n');
                break;
        }
    }

    private static string Inline(JsonNode? v) => v switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue jv when jv.TryGetValue<string>(out var s) => Scalar(s),
        JsonValue jv when jv.TryGetValue<bool>(out var b) => b ? "true" : "false",
        _ => v.ToJsonString(),
    };

    /// <summary>A string as a YAML scalar: plain when unambiguous, else JSON-style double quoted.</summary>
    public static string Scalar(string s)
    {
        var needsQuotes = s.Length == 0
            || s is "~" or "null" or "Null" or "NULL" or "true" or "True" or "TRUE" or "false" or "False" or "FALSE" or "yes" or "no" or "on" or "off" or "y" or "n"
            || IntRx().IsMatch(s) || FloatRx().IsMatch(s) || TimestampRx().IsMatch(s)
            || s.StartsWith(' ') || s.EndsWith(' ')
            || "-?:,[]{}#&*!|>'\"%@`".Contains(s[0])
            || s.Contains(": ") || s.Contains(" #") || s.EndsWith(':')
            || s.Any(c => c < 0x20 || c == 0x7f);
        return needsQuotes ? JsonValue.Create(s).ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) : s;
    }
}
