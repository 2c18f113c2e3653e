using System.Text.Json.Nodes;

namespace Ingress.ApiServer.Patching;

/// <summary>
/// metadata.managedFields bookkeeping. A field set is kept as flat leaf paths whose segments are
/// fieldsV1 keys (<c>f:name</c> for a field, <c>k:{"name":"x"}</c> for a keyed list element, <c>.</c> for
/// the element itself) joined by newlines; it converts to and from the nested FieldsV1 JSON.
/// </summary>
internal static class ManagedFields
{
    private const char Sep = '\n';

    /// <summary>Leaf paths of an object's user fields (metadata except labels, annotations, finalizers
    /// and ownerReferences is the server's; status is left out of spec writes).</summary>
    public static HashSet<string> Leaves(JsonObject obj, bool includeStatus = false)
    {
        var acc = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind") continue;
            if (key == "status" && !includeStatus) continue;
            if (key == "metadata")
            {
                if (value is not JsonObject m) continue;
                foreach (var mk in new[] { "labels", "annotations", "finalizers", "ownerReferences" })
                    if (m[mk] is { } mv) Walk(mv, "f:metadata" + Sep + "f:" + mk, mk, acc);
                continue;
            }
            Walk(value, "f:" + key, key, acc);
        }
        return acc;
    }

    private static void Walk(JsonNode? node, string prefix, string field, HashSet<string> acc)
    {
        switch (node)
        {
            case JsonObject o when o.Count > 0:
                foreach (var (k, v) in o) Walk(v, prefix + Sep + "f:" + k, k, acc);
                break;
            case JsonArray a when a.Count > 0 && BuiltInKinds.MergeKeyFor(field, a) is { } mk && a.All(e => e is JsonObject eo && eo[mk] is not null):
                foreach (var e in a.Cast<JsonObject>())
                {
                    var elem = prefix + Sep + ElementKey(mk, e);
                    acc.Add(elem + Sep + ".");
                    foreach (var (k, v) in e) Walk(v, elem + Sep + "f:" + k, k, acc);
                }
                break;
            default:
                acc.Add(prefix);
                break;
        }
    }

    private static string ElementKey(string mergeKey, JsonObject e) =>
        "k:" + new JsonObject { [mergeKey] = e[mergeKey]!.DeepClone() }.ToJsonString();

    public static JsonObject ToFieldsV1(IEnumerable<string> leaves)
    {
        var root = new JsonObject();
        foreach (var leaf in leaves.OrderBy(l => l, StringComparer.Ordinal))
        {
            var node = root;
            foreach (var seg in leaf.Split(Sep))
            {
                if (node[seg] is not JsonObject child) { child = new JsonObject(); node[seg] = child; }
                node = child;
            }
        }
        return root;
    }

    public static HashSet<string> FromFieldsV1(JsonNode? fields)
    {
        var acc = new HashSet<string>(StringComparer.Ordinal);
        void Rec(JsonObject o, string prefix)
        {
            foreach (var (k, v) in o)
            {
                var path = prefix.Length == 0 ? k : prefix + Sep + k;
                if (v is JsonObject c && c.Count > 0) Rec(c, path); else acc.Add(path);
            }
        }
        if (fields is JsonObject f) Rec(f, "");
        return acc;
    }

    /// <summary>Value at a leaf path (null when absent); "." paths resolve to the list element.</summary>
    public static JsonNode? Get(JsonObject obj, string path, out bool found)
    {
        JsonNode? node = obj;
        found = true;
        foreach (var seg in path.Split(Sep))
        {
            if (seg == ".") continue;
            if (seg.StartsWith("f:", StringComparison.Ordinal) && node is JsonObject o && o.ContainsKey(seg[2..])) node = o[seg[2..]];
            else if (seg.StartsWith("k:", StringComparison.Ordinal) && node is JsonArray a && FindElement(a, seg) is { } e) node = e;
            else { found = false; return null; }
        }
        return node;
    }

    private static JsonObject? FindElement(JsonArray a, string seg)
    {
        var key = JsonNode.Parse(seg[2..]) as JsonObject;
        if (key is null) return null;
        return a.OfType<JsonObject>().FirstOrDefault(e => key.All(kv => JsonNode.DeepEquals(e[kv.Key], kv.Value)));
    }

    /// <summary>Removes the field at a leaf path (the whole element for "." paths).</summary>
    public static void Remove(JsonObject obj, string path)
    {
        var segs = path.Split(Sep);
        if (segs[^1] == ".") segs = segs[..^1];
        JsonNode? node = obj;
        for (var i = 0; i < segs.Length - 1; i++)
        {
            var seg = segs[i];
            if (seg.StartsWith("f:", StringComparison.Ordinal) && node is JsonObject o) node = o[seg[2..]];
            else if (seg.StartsWith("k:", StringComparison.Ordinal) && node is JsonArray a) node = FindElement(a, seg);
            else return;
            if (node is null) return;
        }
        var last = segs[^1];
        if (last.StartsWith("f:", StringComparison.Ordinal) && node is JsonObject po) po.Remove(last[2..]);
        else if (last.StartsWith("k:", StringComparison.Ordinal) && node is JsonArray pa && FindElement(pa, last) is { } el) pa.Remove(el);
    }

    public static JsonArray Entries(JsonObject obj) =>
        obj["metadata"]?["managedFields"] as JsonArray ?? new JsonArray();

    public static HashSet<string> Owned(JsonObject entry) => FromFieldsV1(entry["fieldsV1"]);

    public static JsonObject NewEntry(string manager, string operation, string apiVersion, IEnumerable<string> leaves) => new()
    {
        ["manager"] = manager, ["operation"] = operation, ["apiVersion"] = apiVersion,
        ["time"] = ResourceService.Now(), ["fieldsType"] = "FieldsV1", ["fieldsV1"] = ToFieldsV1(leaves),
    };

    /// <summary>Records a non-apply write: the manager takes the fields it changed; other managers lose them;
    /// fields that disappeared leave every manager. Leaves the entries untouched when nothing changed.</summary>
    public static void Record(JsonObject result, JsonObject? old, string manager, string operation, string apiVersion)
    {
        var newLeaves = Leaves(result);
        var changed = old is null
            ? newLeaves
            : newLeaves.Where(p => !JsonNode.DeepEquals(Get(result, p, out _), Get(old, p, out var f)) || !f).ToHashSet();
        var entries = old is null ? new JsonArray() : (JsonArray)Entries(old).DeepClone();
        var kept = new JsonArray();
        var mine = new HashSet<string>(StringComparer.Ordinal);
        var touched = false;
        foreach (var e in entries.OfType<JsonObject>())
        {
            var owned = Owned(e);
            var before = owned.Count;
            owned.RemoveWhere(p => !newLeaves.Contains(p));
            if (e["manager"]?.ToString() == manager && e["operation"]?.ToString() == operation && e["subresource"] is null)
            {
                mine = owned;
                if (before != owned.Count) touched = true;
                continue;
            }
            var removed = owned.RemoveWhere(changed.Contains);
            if (removed > 0 || before != owned.Count) { touched = true; e["fieldsV1"] = ToFieldsV1(owned); }
            if (owned.Count > 0) kept.Add(e.DeepClone());
            else touched = true;
        }
        var countBefore = mine.Count;
        mine.UnionWith(changed);
        if (mine.Count != countBefore) touched = true;
        if (!touched && old is not null)
        {
            if (Entries(old).Count > 0) ((JsonObject)result["metadata"]!)["managedFields"] = Entries(old).DeepClone();
            return;
        }
        if (mine.Count > 0) kept.Add(NewEntry(manager, operation, apiVersion, mine));
        var meta = (JsonObject)result["metadata"]!;
        if (kept.Count > 0) meta["managedFields"] = kept; else meta.Remove("managedFields");
    }
}
