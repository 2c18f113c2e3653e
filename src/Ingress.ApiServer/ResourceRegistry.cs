using System.Text.Json.Nodes;

namespace Ingress.ApiServer;

/// <summary>The kinds the server serves: a built-in table of core kinds plus every
/// CustomResourceDefinition stored. Thread-safe; readers see an immutable snapshot.</summary>
public sealed class ResourceRegistry
{
    private readonly object _gate = new();
    private IReadOnlyList<ResourceType> _builtIn;
    private Dictionary<string, IReadOnlyList<ResourceType>> _crdTypes = new(StringComparer.Ordinal); // crd name -> types
    private volatile Snapshot _snapshot;

    internal sealed record Snapshot(IReadOnlyList<ResourceType> All,
        Dictionary<(string Group, string Version, string Plural), ResourceType> ByPath,
        Dictionary<string, ResourceType> StorageByKey, long Generation);

    public ResourceRegistry()
    {
        _builtIn = BuiltInKinds.Create();
        _snapshot = Build(0);
    }

    /// <summary>Every served resource (all versions).</summary>
    public IReadOnlyList<ResourceType> All => _snapshot.All;

    internal long Generation => _snapshot.Generation;

    public ResourceType? Find(string group, string version, string plural) =>
        _snapshot.ByPath.GetValueOrDefault((group, version, plural));

    /// <summary>The storage version's type for a storage key (group/plural).</summary>
    public ResourceType? FindByStorageKey(string storageKey) => _snapshot.StorageByKey.GetValueOrDefault(storageKey);

    public ResourceType? FindByKind(string apiVersion, string kind)
    {
        foreach (var t in _snapshot.All)
            if (t.Kind == kind && t.ApiVersion == apiVersion) return t;
        return null;
    }

    /// <summary>Registers (or replaces) the kinds one CRD declares. Returns an error message when the CRD is unusable.</summary>
    public string? ApplyCustomResourceDefinition(JsonObject crd)
    {
        var parsed = ParseCrd(crd, out var error);
        if (parsed is null) return error;
        var name = crd["metadata"]?["name"]?.GetValue<string>() ?? "";
        lock (_gate)
        {
            var copy = new Dictionary<string, IReadOnlyList<ResourceType>>(_crdTypes, StringComparer.Ordinal) { [name] = parsed };
            _crdTypes = copy;
            _snapshot = Build(_snapshot.Generation + 1);
        }
        return null;
    }

    public void RemoveCustomResourceDefinition(string name)
    {
        lock (_gate)
        {
            if (!_crdTypes.ContainsKey(name)) return;
            var copy = new Dictionary<string, IReadOnlyList<ResourceType>>(_crdTypes, StringComparer.Ordinal);
            copy.Remove(name);
            _crdTypes = copy;
            _snapshot = Build(_snapshot.Generation + 1);
        }
    }

    private Snapshot Build(long generation)
    {
        var all = new List<ResourceType>(_builtIn);
        foreach (var list in _crdTypes.Values) all.AddRange(list);
        var byPath = new Dictionary<(string, string, string), ResourceType>();
        var byKey = new Dictionary<string, ResourceType>(StringComparer.Ordinal);
        foreach (var t in all)
        {
            byPath[(t.Group, t.Version, t.Plural)] = t;
            if (t.Storage || !byKey.ContainsKey(t.StorageKey)) byKey[t.StorageKey] = t;
        }
        return new Snapshot(all, byPath, byKey, generation);
    }

    /// <summary>The storage version a CRD declares (the only version when there is one).</summary>
    internal static string? StorageVersionOf(JsonObject crd)
    {
        if (crd["spec"]?["versions"] is not JsonArray versions) return null;
        foreach (var v in versions.OfType<JsonObject>())
            if (v["storage"] is JsonValue sv && sv.TryGetValue<bool>(out var b) && b) return v["name"]?.ToString();
        return versions.Count == 1 ? versions[0]?["name"]?.ToString() : null;
    }

    /// <summary>Reads the served versions of a CRD. Null (with <paramref name="error"/>) when it is malformed.</summary>
    internal static IReadOnlyList<ResourceType>? ParseCrd(JsonObject crd, out string? error)
    {
        error = null;
        var spec = crd["spec"] as JsonObject;
        var names = spec?["names"] as JsonObject;
        var group = spec?["group"]?.GetValue<string>();
        var plural = names?["plural"]?.GetValue<string>();
        var kind = names?["kind"]?.GetValue<string>();
        if (spec is null || names is null || string.IsNullOrEmpty(group) || string.IsNullOrEmpty(plural) || string.IsNullOrEmpty(kind))
        {
            error = "spec.group, spec.names.plural and spec.names.kind are required";
            return null;
        }
        var expectedName = plural + "." + group;
        var name = crd["metadata"]?["name"]?.GetValue<string>();
        if (name != expectedName)
        {
            error = $"metadata.name: Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group";
            return null;
        }
        var scope = spec["scope"]?.GetValue<string>() ?? "Namespaced";
        var singular = names["singular"]?.GetValue<string>() ?? kind.ToLowerInvariant();
        var shortNames = (names["shortNames"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToArray() ?? [];
        var categories = (names["categories"] as JsonArray)?.Select(n => n!.GetValue<string>()).ToArray() ?? [];
        var versions = spec["versions"] as JsonArray;
        if (versions is null || versions.Count == 0)
        {
            error = "spec.versions: Required value: must have at least one version";
            return null;
        }
        var storage = versions.OfType<JsonObject>().Where(v => v["storage"] is JsonValue sv && sv.TryGetValue<bool>(out var b) && b)
            .Select(v => v["name"]?.ToString()).ToList();
        if (storage.Count != 1 && versions.Count > 1)
        {
            error = $"spec.versions: Invalid value: {versions.Count} versions: must have exactly one version marked as storage version";
            return null;
        }
        var storageVersion = storage.Count == 1 ? storage[0] : versions[0]?["name"]?.ToString();
        var strategy = spec["conversion"]?["strategy"]?.ToString() ?? "None";
        if (strategy is not ("None" or "Webhook"))
        {
            error = $"spec.conversion.strategy: Unsupported value: \"{strategy}\": supported values: \"None\", \"Webhook\"";
            return null;
        }
        var result = new List<ResourceType>();
        foreach (var v in versions.OfType<JsonObject>())
        {
            var vname = v["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(vname)) { error = "spec.versions[].name: Required value"; return null; }
            if (v["served"]?.GetValue<bool>() == false) continue;
            var columns = new List<PrinterColumn>();
            if (v["additionalPrinterColumns"] is JsonArray cols)
            {
                foreach (var c in cols.OfType<JsonObject>())
                {
                    columns.Add(new PrinterColumn(
                        c["name"]?.GetValue<string>() ?? "",
                        c["type"]?.GetValue<string>() ?? "string",
                        c["jsonPath"]?.GetValue<string>() ?? "",
                        c["priority"]?.GetValue<int>() ?? 0,
                        c["format"]?.GetValue<string>() ?? "",
                        c["description"]?.GetValue<string>() ?? ""));
                }
            }
            result.Add(new ResourceType
            {
                Group = group, Version = vname, Kind = kind, Plural = plural, Singular = singular,
                Namespaced = scope != "Cluster", ShortNames = shortNames, Categories = categories,
                HasStatusSubresource = v["subresources"]?["status"] is not null,
                Columns = columns, BuiltIn = false, Storage = vname == storageVersion,
                StorageVersion = storageVersion, ConversionStrategy = strategy,
                Schema = v["schema"]?["openAPIV3Schema"]?.DeepClone() as JsonObject,
            });
        }
        return result;
    }
}
