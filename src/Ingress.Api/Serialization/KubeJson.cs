using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Ingress.Api;

/// <summary>
/// JSON for every model type through the source-generated <see cref="KubeJsonContext"/>: Kubernetes
/// conventions (camelCase, nulls omitted, RFC 3339 times, quantities, int-or-string), unknown fields kept in
/// each object's <c>AdditionalProperties</c>.
/// </summary>
public static class KubeJson
{
    /// <summary>Options of the generated context (read-only).</summary>
    public static JsonSerializerOptions Options => KubeJsonContext.Default.Options;

    public static JsonTypeInfo GetTypeInfo(Type type) =>
        KubeJsonContext.Default.GetTypeInfo(type)
        ?? throw new NotSupportedException($"{type} is not in KubeJsonContext; only generated models, their lists and watch events are");

    public static JsonTypeInfo<T> GetTypeInfo<T>() => (JsonTypeInfo<T>)GetTypeInfo(typeof(T));

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, GetTypeInfo<T>());

    public static string Serialize(object value, Type type) => JsonSerializer.Serialize(value, GetTypeInfo(type));

    public static byte[] SerializeToUtf8Bytes<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, GetTypeInfo<T>());

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize(json, GetTypeInfo<T>()) ?? throw new JsonException($"null is not a {typeof(T).Name}");

    public static T Deserialize<T>(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize(utf8Json, GetTypeInfo<T>()) ?? throw new JsonException($"null is not a {typeof(T).Name}");

    public static object Deserialize(string json, Type type) =>
        JsonSerializer.Deserialize(json, GetTypeInfo(type)) ?? throw new JsonException($"null is not a {type.Name}");

    public static object Deserialize(ReadOnlySpan<byte> utf8Json, Type type) =>
        JsonSerializer.Deserialize(utf8Json, GetTypeInfo(type)) ?? throw new JsonException($"null is not a {type.Name}");

    /// <summary>Typed value → JSON tree.</summary>
    public static JsonNode ToNode<T>(T value) =>
        JsonSerializer.SerializeToNode(value, GetTypeInfo<T>()) ?? throw new JsonException("value serialized to null");

    public static JsonNode ToNode(object value, Type type) =>
        JsonSerializer.SerializeToNode(value, GetTypeInfo(type)) ?? throw new JsonException("value serialized to null");

    /// <summary>JSON tree → typed value.</summary>
    public static T FromNode<T>(JsonNode node) =>
        node.Deserialize(GetTypeInfo<T>()) ?? throw new JsonException($"null is not a {typeof(T).Name}");

    public static object FromNode(JsonNode node, Type type) =>
        node.Deserialize(GetTypeInfo(type)) ?? throw new JsonException($"null is not a {type.Name}");

    /// <summary>Deep copy through JSON (unknown fields included).</summary>
    public static T Clone<T>(T value) => Deserialize<T>(SerializeToUtf8Bytes(value));

    /// <summary>
    /// Re-reads a value as another model type with the same JSON shape (e.g. a Revision's container as a core
    /// <c>Container</c>); fields the target does not declare land in its <c>AdditionalProperties</c>.
    /// </summary>
    public static TTarget Convert<TSource, TTarget>(TSource value) => Deserialize<TTarget>(SerializeToUtf8Bytes(value));

    /// <summary>
    /// Reads any object whose <c>apiVersion</c>/<c>kind</c> is a <see cref="KnownKinds">known kind</see>.
    /// </summary>
    public static IKubernetesObject FromNodeKnown(JsonObject obj)
    {
        var apiVersion = obj["apiVersion"]?.GetValue<string>() ?? throw new JsonException("object has no apiVersion");
        var kind = obj["kind"]?.GetValue<string>() ?? throw new JsonException("object has no kind");
        if (!KnownKinds.TryGetByApiVersion(apiVersion, kind, out var known))
        {
            throw new JsonException($"no kind \"{kind}\" is registered for version \"{apiVersion}\"");
        }
        return (IKubernetesObject)FromNode(obj, known.Type);
    }

    /// <summary>Typed value → YAML (block style, via <see cref="KubeYaml"/>).</summary>
    public static string ToYaml<T>(T value) => KubeYaml.Serialize(ToNode(value));

    /// <summary>One YAML document → typed value.</summary>
    public static T FromYaml<T>(string yaml) =>
        FromNode<T>(KubeYaml.Parse(yaml) ?? throw new JsonException("empty YAML document"));

    /// <summary>
    /// Every object of a multi-document manifest, each read as its <see cref="KnownKinds">known kind</see>
    /// (what <c>kubectl apply -f</c> would send).
    /// </summary>
    public static IReadOnlyList<IKubernetesObject> ReadManifests(string yaml) =>
        KubeYaml.ParseDocuments(yaml).Select(FromNodeKnown).ToList();

    /// <summary>Objects → a multi-document YAML stream.</summary>
    public static string WriteManifests(IEnumerable<IKubernetesObject> objects) =>
        KubeYaml.SerializeDocuments(objects.Select(o => (JsonNode?)ToNode(o, o.GetType())));

    /// <summary>
    /// Whether two values write the same JSON (key order included, which schema order makes stable) — the
    /// "has anything changed?" test reconcilers need before an update (Go's <c>equality.Semantic.DeepEqual</c>
    /// for our purposes; quantities and times compare by their written form).
    /// </summary>
    public static bool JsonEquals<T>(T? a, T? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }
        return SerializeToUtf8Bytes(a).AsSpan().SequenceEqual(SerializeToUtf8Bytes(b));
    }
}
