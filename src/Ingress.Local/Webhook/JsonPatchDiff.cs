using System.Text.Json.Nodes;

namespace Ingress.Local.Webhook;

/// <summary>RFC 6902 JSON Patch that turns one JSON value into another: what a mutating webhook answers
/// (the API server applies it to the object it sent). Objects are diffed key by key; arrays that differ are
/// replaced whole, because defaulting rarely reorders lists and a whole-array replace can never be
/// misapplied to a list the API server changed concurrently in another way.</summary>
public static class JsonPatchDiff
{
    public static JsonArray Create(JsonNode? before, JsonNode? after)
    {
        var ops = new JsonArray();
        Diff("", before, after, ops);
        return ops;
    }

    private static void Diff(string path, JsonNode? before, JsonNode? after, JsonArray ops)
    {
        if (before is JsonObject b && after is JsonObject a)
        {
            foreach (var (key, value) in b)
            {
                if (!a.ContainsKey(key)) ops.Add(Op("remove", path + "/" + Escape(key)));
            }
            foreach (var (key, value) in a)
            {
                var child = path + "/" + Escape(key);
                if (!b.TryGetPropertyValue(key, out var old)) ops.Add(Op("add", child, value));
                else Diff(child, old, value, ops);
            }
            return;
        }
        if (!JsonNode.DeepEquals(before, after)) ops.Add(Op("replace", path, after));
    }

    private static JsonObject Op(string op, string path, JsonNode? value = null)
    {
        var o = new JsonObject { ["op"] = op, ["path"] = path };
        if (op != "remove") o["value"] = value?.DeepClone();
        return o;
    }

    /// <summary>RFC 6901: '~' becomes "~0" and '/' becomes "~1" (in that order).</summary>
    public static string Escape(string key) => key.Replace("~", "~0").Replace("/", "~1");
}
