using System.Text.Json.Nodes;

namespace Ingress.Serving.Webhook;

/// <summary>A short "-old +new" description of how two JSON trees differ, used as the details of the
/// immutability errors. Upstream prints a go-cmp diff; the wording of these details is not reproduced,
/// only the message and path are.</summary>
internal static class JsonDiff
{
    public static string? Describe(JsonNode? oldNode, JsonNode? newNode)
    {
        var lines = new List<string>();
        Walk("", oldNode, newNode, lines);
        return lines.Count == 0 ? null : string.Join("\n", lines);
    }

    private static void Walk(string path, JsonNode? a, JsonNode? b, List<string> lines)
    {
        if (JsonNode.DeepEquals(a, b)) return;
        if (a is JsonObject oa && b is JsonObject ob)
        {
            foreach (var key in oa.Select(kv => kv.Key).Union(ob.Select(kv => kv.Key)).OrderBy(k => k, StringComparer.Ordinal))
                Walk(path.Length == 0 ? key : path + "." + key, oa[key], ob[key], lines);
            return;
        }
        if (a is JsonArray aa && b is JsonArray ab && aa.Count == ab.Count)
        {
            for (var i = 0; i < aa.Count; i++) Walk($"{path}[{i}]", aa[i], ab[i], lines);
            return;
        }
        lines.Add($"{path}:");
        lines.Add($"\t-: {a?.ToJsonString() ?? "<nil>"}");
        lines.Add($"\t+: {b?.ToJsonString() ?? "<nil>"}");
    }
}
