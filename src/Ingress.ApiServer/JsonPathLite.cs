using System.Text.Json.Nodes;

namespace Ingress.ApiServer;

/// <summary>The JSONPath subset printer columns use: <c>.a.b</c>, <c>.a[0]</c>, <c>.a[*].b</c> and
/// <c>.a[?(@.k=='v')].b</c>. Returns the first match.</summary>
internal static class JsonPathLite
{
    public static JsonNode? Evaluate(JsonNode? root, string path)
    {
        var p = path.Trim();
        if (p.StartsWith('{') && p.EndsWith('}')) p = p[1..^1];
        if (p.StartsWith('$')) p = p[1..];
        var current = new List<JsonNode?> { root };
        var i = 0;
        while (i < p.Length && current.Count > 0)
        {
            if (p[i] == '.')
            {
                i++;
                var start = i;
                while (i < p.Length && p[i] != '.' && p[i] != '[') i++;
                var name = p[start..i];
                current = current.Select(n => n is JsonObject o ? o[name] : null).Where(n => n is not null).ToList();
            }
            else if (p[i] == '[')
            {
                var end = FindClose(p, i);
                var inner = p[(i + 1)..end];
                i = end + 1;
                if (inner == "*") current = current.SelectMany(n => n is JsonArray a ? a : (IEnumerable<JsonNode?>)[]).ToList();
                else if (int.TryParse(inner, out var idx))
                    current = current.Select(n => n is JsonArray a && idx < a.Count && idx >= -a.Count ? a[idx < 0 ? a.Count + idx : idx] : null).Where(n => n is not null).ToList();
                else if (inner.StartsWith("?(@.") && inner.EndsWith(')'))
                {
                    var cond = inner[4..^1];
                    var eq = cond.IndexOf("==", StringComparison.Ordinal);
                    if (eq < 0) return null;
                    var field = cond[..eq].Trim();
                    var value = cond[(eq + 2)..].Trim().Trim('\'', '"');
                    current = current.SelectMany(n => n is JsonArray a ? a : (IEnumerable<JsonNode?>)[])
                        .Where(e => e is JsonObject o && o[field]?.ToString() == value).ToList();
                }
                else if (inner.StartsWith('\'')) { var name = inner.Trim('\''); current = current.Select(n => n is JsonObject o ? o[name] : null).Where(n => n is not null).ToList(); }
                else return null;
            }
            else return null;
        }
        return current.FirstOrDefault();
    }

    private static int FindClose(string p, int open)
    {
        var depth = 0;
        for (var i = open; i < p.Length; i++)
        {
            if (p[i] == '[') depth++;
            else if (p[i] == ']' && --depth == 0) return i;
        }
        return p.Length - 1;
    }
}
