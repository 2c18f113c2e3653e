using System.Text.Json;
using System.Text.Json.Serialization;
using Ingress.Api.Meta.V1;

namespace Ingress.Api;

/// <summary>A list response (<c>ServiceList</c> etc.): every kind's list has this one shape.</summary>
public sealed class KubernetesList<T>
    where T : class, IKubernetesObject
{
    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    [JsonPropertyName("metadata")]
    public ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public List<T> Items { get; set; } = [];

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}

/// <summary>Watch event types as sent on the wire.</summary>
public static class WatchEventTypes
{
    public const string Added = "ADDED";
    public const string Modified = "MODIFIED";
    public const string Deleted = "DELETED";
    public const string Bookmark = "BOOKMARK";

    /// <summary>The object of an ERROR event is a <see cref="Status"/>, not a <typeparamref name="T"/>; read it as JSON.</summary>
    public const string Error = "ERROR";
}

/// <summary>One line of a watch stream: <c>{"type":"ADDED","object":{...}}</c>.</summary>
public sealed class WatchEvent<T>
    where T : class
{
    [JsonPropertyName("type")]
    public string Type { get; set; } = "";

    [JsonPropertyName("object")]
    public T? Object { get; set; }
}
