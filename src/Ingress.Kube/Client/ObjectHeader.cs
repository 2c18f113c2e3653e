using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ingress.Kube.Client;

/// <summary>One entry of metadata.ownerReferences.</summary>
public sealed record OwnerReference(string ApiVersion, string Kind, string Name, string Uid, bool Controller);

/// <summary>
/// The identity and bookkeeping fields of an object's metadata, read once from its JSON when the object
/// enters the client. Why a separate view: the cache, the work queue and the reconciler host must work for
/// dynamic <see cref="JsonObject"/>s and for any typed model alike, without asking the model for anything.
/// </summary>
public sealed class ObjectHeader
{
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    public string Name { get; init; } = "";
    public string? Namespace { get; init; }
    public string? Uid { get; init; }
    public string? ResourceVersion { get; init; }
    public long Generation { get; init; }
    public string? DeletionTimestamp { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = NoLabels;
    public IReadOnlyList<OwnerReference> OwnerReferences { get; init; } = [];
    public IReadOnlyList<string> Finalizers { get; init; } = [];

    /// <summary>"namespace/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKeyFunc).</summary>
    public string Key => _key ??= ObjectKey.Of(Namespace, Name);
    private string? _key;

    public bool IsBeingDeleted => DeletionTimestamp is not null;

    public static ObjectHeader From(JsonElement obj) => From(obj, null);

    /// <summary>
    /// As <see cref="From(JsonElement)"/>, reading the strings that repeat across objects (label keys and values,
    /// namespace, owners' apiVersion and kind) through <paramref name="pool"/>: an informer cache keeps one header per
    /// object, and without the pool each would hold its own copy of, say, every Revision's label keys.
    /// </summary>
    public static ObjectHeader From(JsonElement obj, Cache.StringPool? pool)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty("metadata", out var m) || m.ValueKind != JsonValueKind.Object)
        {
            return new ObjectHeader();
        }
        Dictionary<string, string>? labels = null;
        if (m.TryGetProperty("labels", out var l) && l.ValueKind == JsonValueKind.Object)
        {
            labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in l.EnumerateObject())
            {
                labels[Pooled(p.Name)] = Pooled(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.ToString());
            }
        }
        List<OwnerReference>? owners = null;
        if (m.TryGetProperty("ownerReferences", out var o) && o.ValueKind == JsonValueKind.Array)
        {
            owners = [];
            foreach (var r in o.EnumerateArray())
            {
                owners.Add(new OwnerReference(Pooled(Str(r, "apiVersion") ?? ""), Pooled(Str(r, "kind") ?? ""), Str(r, "name") ?? "", Str(r, "uid") ?? "",
                    r.TryGetProperty("controller", out var c) && c.ValueKind == JsonValueKind.True));
            }
        }
        List<string>? finalizers = null;
        if (m.TryGetProperty("finalizers", out var f) && f.ValueKind == JsonValueKind.Array)
        {
            finalizers = [];
            foreach (var s in f.EnumerateArray())
            {
                if (s.ValueKind == JsonValueKind.String) finalizers.Add(s.GetString()!);
            }
        }
        return new ObjectHeader
        {
            Name = Str(m, "name") ?? "",
            Namespace = NullIfEmpty(Str(m, "namespace")) is { } ns ? Pooled(ns) : null,
            Uid = Str(m, "uid"),
            ResourceVersion = Str(m, "resourceVersion"),
            Generation = m.TryGetProperty("generation", out var g) && g.ValueKind == JsonValueKind.Number ? g.GetInt64() : 0,
            DeletionTimestamp = Str(m, "deletionTimestamp"),
            Labels = labels ?? NoLabels,
            OwnerReferences = owners ?? (IReadOnlyList<OwnerReference>)[],
            Finalizers = finalizers ?? (IReadOnlyList<string>)[],
        };

        string Pooled(string value) => pool is not null && value.Length <= Cache.StringPool.MaxLength ? pool.Get(value) : value;
    }

    /// <summary>
    /// The header of a typed model, sharing its strings and collections (the cache then holds them once).
    /// </summary>
    public static ObjectHeader From(Ingress.Api.IKubernetesObject obj)
    {
        var m = obj.Metadata;
        IReadOnlyList<OwnerReference> owners = m.OwnerReferences is { Count: > 0 } refs
            ? refs.Select(r => new OwnerReference(r.ApiVersion ?? "", r.Kind ?? "", r.Name ?? "", r.Uid ?? "", r.Controller == true)).ToArray()
            : [];
        return new ObjectHeader
        {
            Name = m.Name ?? "",
            Namespace = string.IsNullOrEmpty(m.Namespace) ? null : m.Namespace,
            Uid = m.Uid,
            ResourceVersion = m.ResourceVersion,
            Generation = m.Generation ?? 0,
            DeletionTimestamp = m.DeletionTimestamp?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            Labels = m.Labels ?? NoLabels,
            OwnerReferences = owners,
            Finalizers = m.Finalizers ?? (IReadOnlyList<string>)[],
        };
    }

    public static ObjectHeader From(JsonNode? obj)
    {
        if (obj is null) return new ObjectHeader();
        // JsonNode → JsonElement costs one serialisation; only used on write paths, never per watch event.
        using var doc = JsonDocument.Parse(obj.ToJsonString());
        return From(doc.RootElement);
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}

/// <summary>Work-queue keys: "namespace/name" or "name".</summary>
public static class ObjectKey
{
    public static string Of(string? @namespace, string name) => string.IsNullOrEmpty(@namespace) ? name : $"{@namespace}/{name}";

    public static (string? Namespace, string Name) Split(string key)
    {
        var i = key.IndexOf('/');
        return i < 0 ? (null, key) : (key[..i], key[(i + 1)..]);
    }
}
