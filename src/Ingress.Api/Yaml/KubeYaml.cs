using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Ingress.Api;

/// <summary>
/// YAML for manifests and the CLI, mapped onto the JSON data model (<see cref="JsonNode"/>):
/// multi-document streams, key order kept, plain scalars typed by the YAML 1.2 core schema
/// (null, true/false, integers, floats; quoted scalars always stay strings), anchors and aliases expanded,
/// merge keys (<c>&lt;&lt;</c>) applied. Writing quotes every string a YAML 1.1 or 1.2 reader could take
/// for something else, so kubectl (YAML 1.1) reads back what we wrote.
/// Built on YamlDotNet's event parser and emitter, no reflection.
/// </summary>
public static partial class KubeYaml
{
    private const string TagPrefix = "tag:yaml.org,2002:";

    /// <summary>Every non-empty document of a stream; each must be a mapping (a Kubernetes object).</summary>
    public static IReadOnlyList<JsonObject> ParseDocuments(string yaml)
    {
        var result = new List<JsonObject>();
        var index = 0;
        foreach (var doc in ParseAll(yaml))
        {
            switch (doc)
            {
                case null:
                    break;
                case JsonObject obj:
                    result.Add(obj);
                    break;
                default:
                    throw new YamlFormatException($"document {index}: expected a mapping, got {doc.GetValueKind()}");
            }
            index++;
        }
        return result;
    }

    /// <summary>Every document of a stream in order, empty documents as null.</summary>
    public static IReadOnlyList<JsonNode?> ParseAll(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var docs = new List<JsonNode?>();
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                var anchors = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
                docs.Add(ReadNode(parser, anchors));
                parser.Consume<DocumentEnd>();
            }
            parser.Consume<StreamEnd>();
        }
        catch (YamlException e)
        {
            throw new YamlFormatException($"invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner reports some malformed input (badly indented flow continuations) this way.
            throw new YamlFormatException($"invalid YAML: {e.Message}", e);
        }
        return docs;
    }

    /// <summary>One document (an empty stream is null); more than one document is an error.</summary>
    public static JsonNode? Parse(string yaml)
    {
        var docs = ParseAll(yaml);
        return docs.Count switch
        {
            0 => null,
            1 => docs[0],
            _ => throw new YamlFormatException($"expected one YAML document, found {docs.Count}"),
        };
    }

    private static JsonNode? ReadNode(IParser parser, Dictionary<string, JsonNode?> anchors)
    {
        switch (parser.Current)
        {
            case AnchorAlias alias:
                parser.MoveNext();
                if (!anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    throw new YamlFormatException($"line {alias.Start.Line}: unknown alias *{alias.Value.Value}");
                }
                return target?.DeepClone();
            case Scalar scalar:
                {
                    parser.MoveNext();
                    var value = ResolveScalar(scalar);
                    Remember(scalar, value, anchors);
                    return value;
                }
            case SequenceStart seq:
                {
                    parser.MoveNext();
                    var array = new JsonArray();
                    Remember(seq, array, anchors);
                    while (!parser.TryConsume<SequenceEnd>(out _))
                    {
                        array.Add(ReadNode(parser, anchors));
                    }
                    return array;
                }
            case MappingStart map:
                {
                    parser.MoveNext();
                    var obj = new JsonObject();
                    Remember(map, obj, anchors);
                    var explicitKeys = new HashSet<string>(StringComparer.Ordinal);
                    while (!parser.TryConsume<MappingEnd>(out _))
                    {
                        if (parser.Current is not Scalar keyScalar)
                        {
                            throw new YamlFormatException($"line {parser.Current?.Start.Line}: mapping keys must be scalars");
                        }
                        parser.MoveNext();
                        var key = keyScalar.Value;
                        var value = ReadNode(parser, anchors);
                        if (key == "<<" && keyScalar.Style == ScalarStyle.Plain)
                        {
                            Merge(obj, value, explicitKeys, keyScalar.Start.Line);
                            continue;
                        }
                        if (!explicitKeys.Add(key))
                        {
                            throw new YamlFormatException($"line {keyScalar.Start.Line}: duplicate key \"{key}\"");
                        }
                        obj.Remove(key); // a merged value is overridden by an explicit key
                        obj[key] = value;
                    }
                    return obj;
                }
            default:
                throw new YamlFormatException($"unexpected YAML event {parser.Current}");
        }
    }

    private static void Merge(JsonObject target, JsonNode? source, HashSet<string> explicitKeys, long line)
    {
        IEnumerable<JsonNode?> sources = source switch
        {
            JsonObject o => [o],
            JsonArray a => a,
            _ => throw new YamlFormatException($"line {line}: merge key << needs a mapping or a sequence of mappings"),
        };
        foreach (var item in sources)
        {
            if (item is not JsonObject map)
            {
                throw new YamlFormatException($"line {line}: merge key << needs a mapping or a sequence of mappings");
            }
            foreach (var (k, v) in map)
            {
                // Explicit keys and earlier merged mappings win.
                if (!explicitKeys.Contains(k) && !target.ContainsKey(k))
                {
                    target[k] = v?.DeepClone();
                }
            }
        }
    }

    private static void Remember(NodeEvent e, JsonNode? node, Dictionary<string, JsonNode?> anchors)
    {
        if (!e.Anchor.IsEmpty)
        {
            anchors[e.Anchor.Value] = node;
        }
    }

    private static JsonNode? ResolveScalar(Scalar scalar)
    {
        var text = scalar.Value;
        if (!scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific)
        {
            var tag = scalar.Tag.Value;
            return tag switch
            {
                TagPrefix + "str" => JsonValue.Create(text),
                TagPrefix + "null" => null,
                TagPrefix + "bool" => TryBool(text, out var b) ? JsonValue.Create(b) : throw Bad(scalar, "bool"),
                TagPrefix + "int" => TryInt(text) ?? throw Bad(scalar, "int"),
                TagPrefix + "float" => TryFloat(text, scalar) ?? TryInt(text) ?? throw Bad(scalar, "float"),
                _ => throw new YamlFormatException($"line {scalar.Start.Line}: unsupported tag {tag}"),
            };
        }
        if (scalar.Style != ScalarStyle.Plain || scalar.Tag.IsNonSpecific)
        {
            return JsonValue.Create(text);
        }
        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }
        if (TryBool(text, out var boolean))
        {
            return JsonValue.Create(boolean);
        }
        return TryInt(text) ?? TryFloat(text, scalar) ?? JsonValue.Create(text);
    }

    private static YamlFormatException Bad(Scalar s, string type) =>
        new($"line {s.Start.Line}: \"{s.Value}\" is not a valid !!{type}");

    private static bool TryBool(string text, out bool value)
    {
        switch (text)
        {
            case "true" or "True" or "TRUE":
                value = true;
                return true;
            case "false" or "False" or "FALSE":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalInt();

    [GeneratedRegex(@"^0o[0-7]+$", RegexOptions.CultureInvariant)]
    private static partial Regex OctalInt();

    [GeneratedRegex(@"^0x[0-9a-fA-F]+$", RegexOptions.CultureInvariant)]
    private static partial Regex HexInt();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex CoreFloat();

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex JsonNumber();

    private static JsonNode? TryInt(string text)
    {
        if (DecimalInt().IsMatch(text))
        {
            // Keep the text when it is already a JSON number so nothing is lost (big integers included).
            if (JsonNumber().IsMatch(text))
            {
                return JsonValueFromNumberText(text);
            }
            var big = System.Numerics.BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            return JsonValueFromNumberText(big.ToString(CultureInfo.InvariantCulture));
        }
        if (OctalInt().IsMatch(text))
        {
            var value = System.Numerics.BigInteger.Zero;
            foreach (var digit in text.AsSpan(2))
            {
                value = value * 8 + (digit - '0');
            }
            return JsonValueFromNumberText(value.ToString(CultureInfo.InvariantCulture));
        }
        if (HexInt().IsMatch(text))
        {
            // A leading 0 keeps the value positive whatever the first hex digit is.
            var value = System.Numerics.BigInteger.Parse("0" + text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            return JsonValueFromNumberText(value.ToString(CultureInfo.InvariantCulture));
        }
        return null;
    }

    private static JsonNode? TryFloat(string text, Scalar scalar)
    {
        if (text is ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN")
        {
            throw new YamlFormatException($"line {scalar.Start.Line}: {text} cannot be represented in JSON");
        }
        if (!CoreFloat().IsMatch(text))
        {
            return null;
        }
        if (JsonNumber().IsMatch(text))
        {
            return JsonValueFromNumberText(text);
        }
        var d = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return JsonValue.Create(d);
    }

    private static JsonNode JsonValueFromNumberText(string text)
    {
        using var doc = JsonDocument.Parse(text);
        return JsonValue.Create(doc.RootElement.Clone())!;
    }

    // ---------------------------------------------------------------- writing

    /// <summary>One document, block style, two-space indent, no document marker.</summary>
    public static string Serialize(JsonNode? node) => SerializeDocuments([node]);

    /// <summary>A multi-document stream; documents after the first start with <c>---</c>.</summary>
    public static string SerializeDocuments(IEnumerable<JsonNode?> documents)
    {
        var list = documents as IReadOnlyCollection<JsonNode?> ?? documents.ToList();
        var fast = new StringBuilder();
        return BlockYamlWriter.TryWrite(list, fast) ? fast.ToString() : SerializeWithEmitter(list);
    }

    /// <summary>The same stream through YamlDotNet's emitter: what <see cref="BlockYamlWriter"/> must match, and the
    /// path for documents it does not cover.</summary>
    internal static string SerializeWithEmitter(IEnumerable<JsonNode?> documents)
    {
        var sb = new StringBuilder();
        using var writer = new StringWriter(sb, CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(writer, 2, int.MaxValue, false);
        emitter.Emit(new StreamStart());
        var first = true;
        foreach (var doc in documents)
        {
            emitter.Emit(new DocumentStart(null, null, isImplicit: first));
            Write(emitter, doc);
            emitter.Emit(new DocumentEnd(isImplicit: true));
            first = false;
        }
        emitter.Emit(new StreamEnd());
        return sb.ToString();
    }

    private static void Write(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case null:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, "null", ScalarStyle.Plain, true, false));
                break;
            case JsonObject obj:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, obj.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var (key, value) in obj)
                {
                    WriteString(emitter, key);
                    Write(emitter, value);
                }
                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, array.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in array)
                {
                    Write(emitter, item);
                }
                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value:
                switch (value.GetValueKind())
                {
                    case JsonValueKind.String:
                        // A JsonValue may wrap a string, a JsonElement, or a value that serializes to a string (Guid, DateTime).
                        WriteString(emitter, value.TryGetValue<string>(out var text) ? text : StringOf(value));
                        break;
                    case JsonValueKind.True:
                    case JsonValueKind.False:
                    case JsonValueKind.Number:
                        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, value.ToJsonString(), ScalarStyle.Plain, true, false));
                        break;
                    default:
                        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, "null", ScalarStyle.Plain, true, false));
                        break;
                }
                break;
        }
    }

    internal static string StringOf(JsonValue value)
    {
        using var doc = JsonDocument.Parse(value.ToJsonString());
        return doc.RootElement.GetString() ?? "";
    }

    private static void WriteString(IEmitter emitter, string text)
    {
        ScalarStyle style;
        if (NeedsQuotes(text))
        {
            style = ScalarStyle.DoubleQuoted;
        }
        else if (text.Contains('\n') && CanUseLiteral(text))
        {
            style = ScalarStyle.Literal;
        }
        else
        {
            // The emitter falls back to a quoted style when a plain scalar is not allowed (": ", "#", leading "-", ...).
            style = ScalarStyle.Plain;
        }
        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, style, style == ScalarStyle.Plain, true));
    }

    internal static bool CanUseLiteral(string text)
    {
        // Literal blocks cannot carry trailing spaces on a line or a leading space on the first line reliably.
        if (text.StartsWith(' ') || text.Contains(" \n") || text.Contains('\t') || text.Contains('\r'))
        {
            return false;
        }
        foreach (var c in text)
        {
            if (char.IsControl(c) && c != '\n')
            {
                return false;
            }
        }
        return true;
    }

    [GeneratedRegex(@"^[-+]?(\.[0-9]|[0-9])[0-9a-fA-F_.:eExXoObB+-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NumberLike();

    /// <summary>
    /// Strings a YAML 1.2 core reader or a YAML 1.1 reader (kubectl) would resolve to null, a boolean or a number.
    /// </summary>
    internal static bool NeedsQuotes(string text)
    {
        if (text.Length == 0)
        {
            return true;
        }
        switch (text)
        {
            case "~" or "null" or "Null" or "NULL":
            case "true" or "True" or "TRUE" or "false" or "False" or "FALSE":
            case "y" or "Y" or "yes" or "Yes" or "YES" or "n" or "N" or "no" or "No" or "NO":
            case "on" or "On" or "ON" or "off" or "Off" or "OFF":
            case "<<" or "=":
                return true;
        }
        var t = text.TrimStart('+', '-');
        if (t is ".inf" or ".Inf" or ".INF" or ".nan" or ".NaN" or ".NAN")
        {
            return true;
        }
        return NumberLike().IsMatch(text);
    }
}

/// <summary>A YAML stream that is not valid YAML or does not map onto the JSON data model.</summary>
public sealed class YamlFormatException : FormatException
{
    public YamlFormatException(string message) : base(message)
    {
    }

    public YamlFormatException(string message, Exception inner) : base(message, inner)
    {
    }
}
