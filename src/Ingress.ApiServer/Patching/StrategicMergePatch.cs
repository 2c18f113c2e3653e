using System.Text.Json.Nodes;

namespace Ingress.ApiServer.Patching;

/// <summary>
/// Strategic merge patch for the built-in kinds: a JSON merge patch in which lists of objects with a
/// known merge key (containers by name, conditions by type, ...) merge element by element, and the
/// directives <c>$patch</c> (replace/delete), <c>$retainKeys</c>, <c>$setElementOrder/&lt;field&gt;</c> and
/// <c>$deleteFromPrimitiveList/&lt;field&gt;</c> are honoured. Merge keys come from
/// <see cref="BuiltInKinds.MergeKeys"/> by field name.
/// </summary>
internal static class StrategicMergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject po) return patch?.DeepClone();
        var directive = po["$patch"]?.ToString();
        if (directive == "replace") return WithoutDirectives(po);
        var result = target as JsonObject ?? new JsonObject();
        var orders = new List<(string Field, JsonArray Order)>();
        foreach (var (key, value) in po)
        {
            if (key is "$patch" or "$retainKeys") continue;
            if (key.StartsWith("$setElementOrder/", StringComparison.Ordinal))
            {
                if (value is JsonArray order) orders.Add((key["$setElementOrder/".Length..], order));
                continue;
            }
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (result[field] is JsonArray list && value is JsonArray remove)
                    foreach (var r in remove)
                        for (var i = list.Count - 1; i >= 0; i--)
                            if (JsonNode.DeepEquals(list[i], r)) list.RemoveAt(i);
                continue;
            }
            if (value is null) { result.Remove(key); continue; }
            if (value is JsonObject vo && vo["$patch"]?.ToString() == "delete") { result.Remove(key); continue; }
            if (value is JsonArray pa) { result[key] = MergeList(result[key] as JsonArray, pa, key); continue; }
            var merged = Apply(result[key], value);
            if (!ReferenceEquals(merged, result[key])) result[key] = merged;
        }
        if (po["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(r => r?.ToString()).ToHashSet();
            foreach (var k in result.Select(kv => kv.Key).ToList()) if (!keep.Contains(k)) result.Remove(k);
        }
        foreach (var (field, order) in orders) Reorder(result, field, order);
        return result;
    }

    private static JsonNode WithoutDirectives(JsonObject o)
    {
        var copy = (JsonObject)o.DeepClone();
        foreach (var k in copy.Select(kv => kv.Key).Where(k => k.StartsWith('$')).ToList()) copy.Remove(k);
        return copy;
    }

    private static JsonArray MergeList(JsonArray? target, JsonArray patch, string field)
    {
        if (patch.Any(p => p is JsonObject o && o["$patch"]?.ToString() == "replace"))
            return new JsonArray(patch.Where(p => !(p is JsonObject o && o["$patch"] is not null)).Select(p => p?.DeepClone()).ToArray());
        var mergeKey = BuiltInKinds.MergeKeyFor(field, target ?? patch);
        if (mergeKey is not null && patch.All(p => p is JsonObject))
        {
            var result = target is null ? new JsonArray() : (JsonArray)target.DeepClone();
            foreach (var p in patch.Cast<JsonObject>())
            {
                var keyValue = p[mergeKey];
                var existing = result.OfType<JsonObject>().FirstOrDefault(e => JsonNode.DeepEquals(e[mergeKey], keyValue));
                if (p["$patch"]?.ToString() == "delete")
                {
                    if (existing is not null) result.Remove(existing);
                    continue;
                }
                if (existing is not null) Apply(existing, p);
                else result.Add(WithoutDirectives(p));
            }
            return result;
        }
        if (BuiltInKinds.SetLists.Contains(field) && target is not null)
        {
            var result = (JsonArray)target.DeepClone();
            foreach (var p in patch) if (!result.Any(e => JsonNode.DeepEquals(e, p))) result.Add(p?.DeepClone());
            return result;
        }
        return (JsonArray)patch.DeepClone();
    }

    private static void Reorder(JsonObject result, string field, JsonArray order)
    {
        if (result[field] is not JsonArray list) return;
        var mergeKey = BuiltInKinds.MergeKeyFor(field, list);
        JsonNode? KeyOf(JsonNode? n) => mergeKey is not null && n is JsonObject o ? o[mergeKey] : n;
        var items = list.ToList();
        int Rank(JsonNode? item)
        {
            var k = KeyOf(item);
            for (var i = 0; i < order.Count; i++) if (JsonNode.DeepEquals(KeyOf(order[i]), k)) return i;
            return order.Count;
        }
        var sorted = items.Select((item, index) => (item, index)).OrderBy(x => Rank(x.item)).ThenBy(x => x.index).Select(x => x.item).ToList();
        list.Clear();
        foreach (var item in sorted) list.Add(item);
    }
}
