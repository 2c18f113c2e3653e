using System.Text.Json.Nodes;

namespace Ingress.ApiServer.Patching;

/// <summary>JSON merge patch (RFC 7386): objects merge recursively, null deletes, anything else replaces.</summary>
internal static class MergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject po) return patch?.DeepClone();
        var result = target as JsonObject ?? new JsonObject();
        foreach (var (key, value) in po)
        {
            if (value is null) result.Remove(key);
            else
            {
                var merged = Apply(result[key], value);
                if (result[key] is not null && ReferenceEquals(merged, result[key])) continue;
                result[key] = merged is { Parent: not null } ? merged.DeepClone() : merged;
            }
        }
        return result;
    }
}

/// <summary>JSON patch (RFC 6902): add, remove, replace, move, copy, test.</summary>
internal static class JsonPatch
{
    public static JsonNode Apply(JsonNode doc, JsonArray ops)
    {
        var root = new JsonObject { ["r"] = doc.Parent is null ? doc : doc.DeepClone() };
        foreach (var opNode in ops)
        {
            if (opNode is not JsonObject op) throw ApiException.BadRequest("json patch: each operation must be an object");
            var name = op["op"]?.GetValue<string>() ?? throw ApiException.BadRequest("json patch: missing \"op\"");
            var path = op["path"]?.GetValue<string>() ?? throw ApiException.BadRequest("json patch: missing \"path\"");
            switch (name)
            {
                case "add": Add(root, path, Value(op)); break;
                case "remove": Remove(root, path); break;
                case "replace": Remove(root, path); Add(root, path, Value(op)); break;
                case "move":
                {
                    var from = op["from"]?.GetValue<string>() ?? throw ApiException.BadRequest("json patch: move needs \"from\"");
                    var v = Remove(root, from);
                    Add(root, path, v);
                    break;
                }
                case "copy":
                {
                    var from = op["from"]?.GetValue<string>() ?? throw ApiException.BadRequest("json patch: copy needs \"from\"");
                    Add(root, path, Get(root, from)?.DeepClone());
                    break;
                }
                case "test":
                    if (!JsonNode.DeepEquals(Get(root, path), op["value"]))
                        throw new ApiException(StatusReason.Invalid, $"json patch: test failed at {path}");
                    break;
                default: throw ApiException.BadRequest($"json patch: unknown op \"{name}\"");
            }
        }
        return root["r"]!;
    }

    private static JsonNode? Value(JsonObject op)
    {
        if (!op.ContainsKey("value")) throw ApiException.BadRequest("json patch: missing \"value\"");
        return op["value"]?.DeepClone();
    }

    private static List<string> Tokens(string path)
    {
        if (path.Length > 0 && path[0] != '/') throw ApiException.BadRequest($"json patch: invalid path \"{path}\"");
        var tokens = new List<string> { "r" };
        if (path.Length == 0) return tokens;
        tokens.AddRange(path[1..].Split('/').Select(t => t.Replace("~1", "/").Replace("~0", "~")));
        return tokens;
    }

    private static JsonNode? Get(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (var t in Tokens(path)) node = Child(node, t, path);
        return node;
    }

    private static JsonNode? Child(JsonNode? node, string token, string path) => node switch
    {
        JsonObject o when o.ContainsKey(token) => o[token],
        JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count => a[i],
        _ => throw new ApiException(StatusReason.Invalid, $"json patch: path \"{path}\" does not exist"),
    };

    private static void Add(JsonObject root, string path, JsonNode? value)
    {
        var tokens = Tokens(path);
        JsonNode? parent = root;
        for (var i = 0; i < tokens.Count - 1; i++) parent = Child(parent, tokens[i], path);
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o: o[last] = value; break;
            case JsonArray a:
                if (last == "-") a.Add(value);
                else if (int.TryParse(last, out var idx) && idx >= 0 && idx <= a.Count) a.Insert(idx, value);
                else throw new ApiException(StatusReason.Invalid, $"json patch: invalid array index in \"{path}\"");
                break;
            default: throw new ApiException(StatusReason.Invalid, $"json patch: path \"{path}\" does not exist");
        }
    }

    private static JsonNode? Remove(JsonObject root, string path)
    {
        var tokens = Tokens(path);
        if (tokens.Count == 1) throw ApiException.BadRequest("json patch: cannot remove the root");
        JsonNode? parent = root;
        for (var i = 0; i < tokens.Count - 1; i++) parent = Child(parent, tokens[i], path);
        var last = tokens[^1];
        var v = Child(parent, last, path);
        if (parent is JsonObject o) o.Remove(last);
        else if (parent is JsonArray a) a.RemoveAt(int.Parse(last));
        return v;
    }
}
