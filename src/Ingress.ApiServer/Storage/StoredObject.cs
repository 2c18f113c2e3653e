using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ingress.ApiServer.Storage;

/// <summary>One stored object: its compact UTF-8 JSON plus the few metadata fields the server
/// filters on, kept parsed so lists and watches never re-parse the JSON. Immutable.</summary>
internal sealed class StoredObject
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public required string Uid { get; init; }
    public required long ResourceVersion { get; init; }
    public required byte[] Json { get; init; }
    public required string ApiVersion { get; init; }
    /// <summary>Labels as a flat array (smaller than a dictionary for the usual handful).</summary>
    public KeyValuePair<string, string>[]? Labels { get; init; }
    public string[]? OwnerUids { get; init; }

    private string? _key;
    /// <summary>namespace/name, cached: lists sort and page by it.</summary>
    public string Key => _key ??= Namespace.Length == 0 ? Name : Namespace + "/" + Name;

    public string? Label(string key)
    {
        if (Labels is null) return null;
        foreach (var kv in Labels) if (kv.Key == key) return kv.Value;
        return null;
    }

    public JsonObject ToJsonObject() => JsonNode.Parse(Json)!.AsObject();

    public static StoredObject From(JsonObject obj, byte[] json, long rv)
    {
        var meta = obj["metadata"] as JsonObject;
        KeyValuePair<string, string>[]? labels = null;
        if (meta?["labels"] is JsonObject l && l.Count > 0)
            labels = l.Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value?.ToString() ?? "")).ToArray();
        string[]? owners = null;
        if (meta?["ownerReferences"] is JsonArray refs && refs.Count > 0)
            owners = refs.Select(r => r?["uid"]?.ToString() ?? "").Where(u => u.Length > 0).ToArray();
        return new StoredObject
        {
            Namespace = meta?["namespace"]?.ToString() ?? "",
            Name = meta?["name"]?.ToString() ?? "",
            Uid = meta?["uid"]?.ToString() ?? "",
            ResourceVersion = rv,
            Json = json,
            ApiVersion = obj["apiVersion"]?.ToString() ?? "",
            Labels = labels,
            OwnerUids = owners,
        };
    }

    public static StoredObject FromBytes(byte[] json, long rv) => From(JsonNode.Parse(json)!.AsObject(), json, rv);

    public static byte[] Serialize(JsonObject obj) => JsonSerializer.SerializeToUtf8Bytes(obj, JsonOptions.Compact);
}

internal static class JsonOptions
{
    public static readonly JsonSerializerOptions Compact = new()
    {
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
