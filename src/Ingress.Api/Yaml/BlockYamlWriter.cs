using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ingress.Api;

/// <summary>
/// Writes documents as <see cref="KubeYaml.SerializeDocuments"/> would with YamlDotNet's emitter, byte for byte, but
/// straight into a <see cref="StringBuilder"/>: block style, two-space indent, sequences in mappings not indented
/// (YamlDotNet's default), empty collections as <c>{}</c> and <c>[]</c>, strings plain where YamlDotNet allows it,
/// else single-quoted, else double-quoted, multi-line strings as literal blocks.
/// </summary>
/// <remarks>
/// Why it exists: the emitter analyses every scalar character by character through a look-ahead buffer and an
/// event queue; printing the 11,000 objects of a 1,000-Service render took 1.4–3.8 s, a fifth of the whole verb
/// (docs/perf/serving.md). This writer covers what Kubernetes objects hold: strings of printable ASCII, on one
/// line or in literal blocks without leading or doubled trailing breaks, and keys of at most 1,024 characters.
/// Anything else (non-ASCII, tabs, carriage returns, ...) makes <see cref="TryWrite"/> return false and the caller
/// uses the emitter for the whole stream, so the output never depends on which path ran. The rules are YamlDotNet's
/// (Emitter.AnalyzeScalar and SelectScalarStyle); a test compares both on every golden file and a corpus of
/// awkward strings.
/// </remarks>
internal static class BlockYamlWriter
{
    private const int Indent = 2;
    /// <summary>YamlDotNet's default MaxSimpleKeyLength: longer keys are written as complex keys (<c>? key</c>).</summary>
    private const int MaxSimpleKeyLength = 1024;

    /// <summary>Appends the stream to <paramref name="sb"/>; false (and <paramref name="sb"/> as it was) when a
    /// document holds something only the emitter writes.</summary>
    public static bool TryWrite(IEnumerable<JsonNode?> documents, StringBuilder sb)
    {
        var start = sb.Length;
        var first = true;
        foreach (var doc in documents)
        {
            // Only non-empty mappings: every Kubernetes object. Roots of other kinds go to the emitter.
            if (doc is not JsonObject { Count: > 0 } obj)
            {
                sb.Length = start;
                return false;
            }
            if (!first) sb.Append("---\n");
            if (!WriteMapping(sb, obj, 0, positioned: false))
            {
                sb.Length = start;
                return false;
            }
            first = false;
        }
        return true;
    }

    /// <summary>The entries of a non-empty mapping whose keys sit at column <paramref name="indent"/>;
    /// <paramref name="positioned"/>: the first key goes where the cursor already is (after "- ").</summary>
    private static bool WriteMapping(StringBuilder sb, JsonObject obj, int indent, bool positioned)
    {
        foreach (var (key, value) in obj)
        {
            if (!positioned) sb.Append(' ', indent);
            positioned = false;
            if (key.Length > MaxSimpleKeyLength || !WriteString(sb, key, indent, simpleKey: true)) return false;
            sb.Append(':');
            switch (value)
            {
                case JsonObject { Count: > 0 } child:
                    sb.Append('\n');
                    if (!WriteMapping(sb, child, indent + Indent, positioned: false)) return false;
                    break;
                case JsonArray { Count: > 0 } items:
                    sb.Append('\n');
                    // Indentless: a sequence in a mapping starts at the key's column.
                    if (!WriteSequence(sb, items, indent, positioned: false)) return false;
                    break;
                default:
                    sb.Append(' ');
                    if (!WriteScalar(sb, value, indent + Indent)) return false;
                    break;
            }
        }
        return true;
    }

    private static bool WriteSequence(StringBuilder sb, JsonArray items, int indent, bool positioned)
    {
        foreach (var item in items)
        {
            if (!positioned) sb.Append(' ', indent);
            positioned = false;
            sb.Append("- ");
            switch (item)
            {
                case JsonObject { Count: > 0 } child:
                    if (!WriteMapping(sb, child, indent + Indent, positioned: true)) return false;
                    break;
                case JsonArray { Count: > 0 } inner:
                    if (!WriteSequence(sb, inner, indent + Indent, positioned: true)) return false;
                    break;
                default:
                    if (!WriteScalar(sb, item, indent + Indent)) return false;
                    break;
            }
        }
        return true;
    }

    /// <summary>A scalar or an empty collection after "key: " or "- ", with its line break.</summary>
    private static bool WriteScalar(StringBuilder sb, JsonNode? node, int indent)
    {
        switch (node)
        {
            case null:
                sb.Append("null\n");
                return true;
            case JsonObject:
                sb.Append("{}\n");
                return true;
            case JsonArray:
                sb.Append("[]\n");
                return true;
        }
        var value = (JsonValue)node;
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                var text = value.TryGetValue<string>(out var s) ? s : KubeYaml.StringOf(value);
                if (!WriteString(sb, text, indent, simpleKey: false)) return false;
                // A literal block ends with its own break when its text does.
                if (sb[^1] != '\n') sb.Append('\n');
                return true;
            case JsonValueKind.True or JsonValueKind.False or JsonValueKind.Number:
                sb.Append(value.ToJsonString()).Append('\n');
                return true;
            default:
                sb.Append("null\n");
                return true;
        }
    }

    /// <summary>One string in the style <see cref="KubeYaml"/> asks for and YamlDotNet settles on. Literal block
    /// lines go at <paramref name="indent"/>.</summary>
    private static bool WriteString(StringBuilder sb, string text, int indent, bool simpleKey)
    {
        if (KubeYaml.NeedsQuotes(text))
        {
            // Asked for double quotes; such strings (keywords, number-like, empty) need no escapes, but check.
            if (!IsPlainAscii(text) || text.Contains('"') || text.Contains('\\')) return false;
            sb.Append('"').Append(text).Append('"');
            return true;
        }
        if (text.Contains('\n'))
        {
            return !simpleKey && KubeYaml.CanUseLiteral(text) && WriteLiteral(sb, text, indent);
        }
        if (!IsPlainAscii(text)) return false;
        if (PlainAllowedInBlock(text))
        {
            sb.Append(text);
        }
        else if (!text.Contains('\''))
        {
            sb.Append('\'').Append(text).Append('\'');
        }
        else
        {
            sb.Append('"');
            foreach (var c in text)
            {
                if (c is '"' or '\\') sb.Append('\\');
                sb.Append(c);
            }
            sb.Append('"');
        }
        return true;
    }

    private static bool WriteLiteral(StringBuilder sb, string text, int indent)
    {
        // YamlDotNet adds an indentation hint for a leading break and a "+" chomp for trailing breaks; left to it.
        if (text[0] == '\n' || text.EndsWith("\n\n", StringComparison.Ordinal)) return false;
        foreach (var c in text)
        {
            if (c != '\n' && c is < ' ' or > '~') return false;
        }
        sb.Append(text[^1] == '\n' ? "|\n" : "|-\n");
        var lineStart = true;
        foreach (var c in text)
        {
            if (c == '\n')
            {
                sb.Append('\n');
                lineStart = true;
                continue;
            }
            if (lineStart) sb.Append(' ', indent);
            lineStart = false;
            sb.Append(c);
        }
        return true;
    }

    private static bool IsPlainAscii(string text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or > '~') return false;
        }
        return true;
    }

    /// <summary>YamlDotNet's block-context plain test for a one-line printable-ASCII string: no leading or trailing
    /// space, no indicator at the start, no ": " or " #" inside, no trailing ':'.</summary>
    private static bool PlainAllowedInBlock(string text)
    {
        if (text.Length == 0 || text[0] == ' ' || text[^1] == ' ') return false;
        if (text.StartsWith("---", StringComparison.Ordinal) || text.StartsWith("...", StringComparison.Ordinal)) return false;
        var first = text[0];
        if ("#,[]{}&*!|>'\"%@`".Contains(first)) return false;
        var secondIsSpace = text.Length == 1 || text[1] == ' ';
        if (first is '?' or ':' or '-' && secondIsSpace) return false;
        for (var i = 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == ':' && (i + 1 == text.Length || text[i + 1] == ' ')) return false;
            if (c == '#' && text[i - 1] == ' ') return false;
        }
        return true;
    }
}
