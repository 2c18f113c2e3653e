using System.Text.Json.Nodes;
using Ingress.ApiServer.Storage;

namespace Ingress.ApiServer;

/// <summary>Label selectors: equality (<c>a=b</c>, <c>a==b</c>, <c>a!=b</c>) and set-based
/// (<c>a in (x,y)</c>, <c>a notin (x)</c>, <c>a</c>, <c>!a</c>), comma-separated and ANDed.</summary>
internal sealed class LabelSelector
{
    private enum Op { Equals, NotEquals, In, NotIn, Exists, NotExists }
    private readonly List<(string Key, Op Op, string[] Values)> _requirements = [];

    public static LabelSelector? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var s = new LabelSelector();
        foreach (var part in SplitTopLevel(text))
        {
            var p = part.Trim();
            if (p.Length == 0) continue;
            int idx;
            if (p.StartsWith('!')) s._requirements.Add((Check(p[1..].Trim()), Op.NotExists, []));
            else if ((idx = p.IndexOf(" notin ", StringComparison.Ordinal)) > 0) s._requirements.Add((Check(p[..idx].Trim()), Op.NotIn, SetOf(p[(idx + 7)..])));
            else if ((idx = p.IndexOf(" in ", StringComparison.Ordinal)) > 0) s._requirements.Add((Check(p[..idx].Trim()), Op.In, SetOf(p[(idx + 4)..])));
            else if ((idx = p.IndexOf("!=", StringComparison.Ordinal)) > 0) s._requirements.Add((Check(p[..idx].Trim()), Op.NotEquals, [p[(idx + 2)..].Trim()]));
            else if ((idx = p.IndexOf("==", StringComparison.Ordinal)) > 0) s._requirements.Add((Check(p[..idx].Trim()), Op.Equals, [p[(idx + 2)..].Trim()]));
            else if ((idx = p.IndexOf('=')) > 0) s._requirements.Add((Check(p[..idx].Trim()), Op.Equals, [p[(idx + 1)..].Trim()]));
            else s._requirements.Add((Check(p), Op.Exists, []));
        }
        return s;
    }

    private static string Check(string key)
    {
        if (key.Length == 0 || key.Any(c => !(char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/')))
            throw ApiException.BadRequest($"unable to parse requirement: invalid label key \"{key}\"");
        return key;
    }

    private static string[] SetOf(string text)
    {
        var t = text.Trim();
        if (!t.StartsWith('(') || !t.EndsWith(')')) throw ApiException.BadRequest($"unable to parse requirement: found '{t}', expected: '('");
        return t[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0) { yield return text[start..i]; start = i + 1; }
        }
        yield return text[start..];
    }

    public bool Matches(Func<string, string?> label)
    {
        foreach (var (key, op, values) in _requirements)
        {
            var v = label(key);
            var ok = op switch
            {
                Op.Equals => v == values[0],
                Op.NotEquals => v != values[0],
                Op.In => v is not null && values.Contains(v),
                Op.NotIn => v is null || !values.Contains(v),
                Op.Exists => v is not null,
                _ => v is null,
            };
            if (!ok) return false;
        }
        return true;
    }

    public bool Matches(StoredObject o) => Matches(o.Label);
}

/// <summary>Field selectors: <c>path=value</c>, <c>path==value</c>, <c>path!=value</c>, ANDed. metadata.name and
/// metadata.namespace are answered from the index; any other dotted path is read from the object (that is
/// how describe's involvedObject.* selector on events works).</summary>
internal sealed class FieldSelector
{
    private readonly List<(string Path, bool Negate, string Value)> _requirements = [];

    public static FieldSelector? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var f = new FieldSelector();
        foreach (var raw in text.Split(','))
        {
            var p = raw.Trim();
            if (p.Length == 0) continue;
            int idx;
            if ((idx = p.IndexOf("!=", StringComparison.Ordinal)) > 0) f._requirements.Add((p[..idx], true, p[(idx + 2)..]));
            else if ((idx = p.IndexOf("==", StringComparison.Ordinal)) > 0) f._requirements.Add((p[..idx], false, p[(idx + 2)..]));
            else if ((idx = p.IndexOf('=')) > 0) f._requirements.Add((p[..idx], false, p[(idx + 1)..]));
            else throw ApiException.BadRequest($"invalid field selector: '{p}': expected <field>=<value>");
        }
        return f;
    }

    /// <summary>The name when the selector pins metadata.name (lets get/wait skip scanning).</summary>
    public string? PinnedName => _requirements.FirstOrDefault(r => r.Path == "metadata.name" && !r.Negate).Value;

    public bool Matches(StoredObject o)
    {
        JsonObject? parsed = null;
        foreach (var (path, negate, value) in _requirements)
        {
            string? actual;
            if (path == "metadata.name") actual = o.Name;
            else if (path == "metadata.namespace") actual = o.Namespace;
            else
            {
                parsed ??= o.ToJsonObject();
                JsonNode? node = parsed;
                foreach (var seg in path.Split('.')) node = node is JsonObject jo ? jo[seg] : null;
                actual = node switch { null => "", JsonValue v => v.ToString(), _ => node.ToJsonString() };
            }
            if ((actual == value) == negate) return false;
        }
        return true;
    }
}
