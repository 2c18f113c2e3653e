using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Ingress.Kube.Client;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KubeStatus))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(WatchEnvelope))]
internal sealed partial class KubeJsonContext : JsonSerializerContext;

/// <summary>One line of a watch stream, with the object left unparsed until its type is known.</summary>
internal sealed class WatchEnvelope
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("object")] public JsonElement Object { get; set; }
}

/// <summary>The JsonTypeInfo the dynamic client uses.</summary>
public static class DynamicJson
{
    public static System.Text.Json.Serialization.Metadata.JsonTypeInfo<JsonObject> JsonObjectType => KubeJsonContext.Default.JsonObject;
}
