using System.Text.Json.Nodes;

namespace Ingress.ApiServer.Patching;

/// <summary>
/// Server-side apply: merges the applied configuration into the live object, removes fields this
/// manager applied before but no longer specifies (unless another manager also owns them), and
/// refuses with 409 Conflict to change a field another manager owns unless force is set.
/// </summary>
internal static class ServerSideApply
{
    public static JsonObject Apply(JsonObject live, JsonObject applied, string manager, bool force, ResourceType rt)
    {
        if (string.IsNullOrEmpty(manager))
            throw ApiException.BadRequest("PATCH, application/apply-patch+yaml requests must include a fieldManager query parameter");
        var config = (JsonObject)applied.DeepClone();
        if (config["metadata"] is JsonObject cm)
        {
            foreach (var k in new[] { "resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "deletionTimestamp" }) cm.Remove(k);
        }
        var appliedLeaves = ManagedFields.Leaves(config);
        var entries = ManagedFields.Entries(live);
        var previous = new HashSet<string>(StringComparer.Ordinal);
        var others = new List<(JsonObject Entry, HashSet<string> Owned)>();
        foreach (var e in entries.OfType<JsonObject>())
        {
            if (e["manager"]?.ToString() == manager && e["operation"]?.ToString() == "Apply") previous = ManagedFields.Owned(e);
            else others.Add(((JsonObject)e.DeepClone(), ManagedFields.Owned(e)));
        }

        var conflicts = new List<(string Manager, string Path)>();
        foreach (var p in appliedLeaves)
        {
            if (p.EndsWith(".", StringComparison.Ordinal)) continue;
            var liveValue = ManagedFields.Get(live, p, out var exists);
            if (!exists || JsonNode.DeepEquals(liveValue, ManagedFields.Get(config, p, out _))) continue;
            foreach (var (entry, owned) in others)
                if (owned.Contains(p)) conflicts.Add((entry["manager"]?.ToString() ?? "", p));
        }
        if (conflicts.Count > 0 && !force)
        {
            var causes = new JsonArray(conflicts.Select(c => (JsonNode?)new JsonObject
            {
                ["reason"] = "FieldManagerConflict",
                ["message"] = $"conflict with \"{c.Manager}\"",
                ["field"] = PrettyPath(c.Path),
            }).ToArray());
            var list = string.Join("\n", conflicts.Select(c => $"- {c.Manager}: {PrettyPath(c.Path)}"));
            throw new ApiException(StatusReason.Conflict,
                $"Apply failed with {conflicts.Count} conflict{(conflicts.Count == 1 ? "" : "s")}: " +
                string.Join(", ", conflicts.Select(c => $"conflict with \"{c.Manager}\": {PrettyPath(c.Path)}")),
                live["metadata"]?["name"]?.ToString(), rt) { Causes = causes };
        }
        if (force) foreach (var (_, owned) in others) owned.ExceptWith(appliedLeaves);

        var result = (JsonObject)live.DeepClone();
        // Fields this manager applied before and no longer applies go away unless someone else owns them.
        foreach (var p in previous.Where(p => !appliedLeaves.Contains(p)).OrderByDescending(p => p.Length))
        {
            if (others.Any(o => o.Owned.Contains(p))) continue;
            ManagedFields.Remove(result, p);
        }
        var merged = (JsonObject)StrategicMergePatch.Apply(result, config)!;
        var newEntries = new JsonArray();
        foreach (var (entry, owned) in others)
        {
            if (owned.Count == 0) continue;
            entry["fieldsV1"] = ManagedFields.ToFieldsV1(owned);
            newEntries.Add(entry);
        }
        newEntries.Add(ManagedFields.NewEntry(manager, "Apply", rt.ApiVersion, appliedLeaves));
        ((JsonObject)merged["metadata"]!)["managedFields"] = newEntries;
        return merged;
    }

    private static string PrettyPath(string path) =>
        string.Concat(path.Split('\n').Where(s => s != ".").Select(s => s.StartsWith("f:", StringComparison.Ordinal) ? "." + s[2..] : "[" + s[2..].Trim('{', '}').Replace("\"", "").Replace(':', '=') + "]"));
}
