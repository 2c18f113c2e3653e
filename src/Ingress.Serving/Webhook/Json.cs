using System.Text.Json.Nodes;

namespace Ingress.Serving.Webhook;

/// <summary>Small accessors over untyped objects. Why untyped: admission and `ingress validate` see the
/// object exactly as sent (including fields no typed model knows), and defaulting must not drop them.</summary>
internal static class Json
{
    public static JsonObject? Obj(JsonNode? n, string key) => (n as JsonObject)?[key] as JsonObject;
    public static JsonArray? Arr(JsonNode? n, string key) => (n as JsonObject)?[key] as JsonArray;

    public static string Str(JsonNode? n, string key)
    {
        var v = (n as JsonObject)?[key];
        return v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : "";
    }

    public static bool Has(JsonNode? n, string key) => n is JsonObject o && o.ContainsKey(key) && o[key] is not null;

    public static long? Long(JsonNode? n, string key)
    {
        var v = (n as JsonObject)?[key];
        if (v is not JsonValue jv) return null;
        if (jv.TryGetValue<long>(out var l)) return l;
        if (jv.TryGetValue<int>(out var i)) return i;
        if (jv.TryGetValue<double>(out var d)) return (long)d;
        if (jv.TryGetValue<string>(out var s) && long.TryParse(s, out var p)) return p;
        return null;
    }

    public static bool? Bool(JsonNode? n, string key)
    {
        var v = (n as JsonObject)?[key];
        if (v is JsonValue jv)
        {
            if (jv.TryGetValue<bool>(out var b)) return b;
            if (jv.TryGetValue<string>(out var s) && bool.TryParse(s, out var p)) return p;
        }
        return null;
    }

    public static Dictionary<string, string> Map(JsonNode? n, string key)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Obj(n, key) is { } o)
            foreach (var (k, v) in o)
                result[k] = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : v?.ToJsonString() ?? "";
        return result;
    }

    public static JsonObject EnsureObj(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject o) return o;
        var created = new JsonObject();
        parent[key] = created;
        return created;
    }
}
