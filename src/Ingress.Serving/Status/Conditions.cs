using System.Text.Json.Nodes;
using Ingress.Serving.Resources;
using Ingress.Serving.Webhook;

namespace Ingress.Serving;

/// <summary>Reading conditions of an object (JSON form).</summary>
public static class Conditions
{
    public static JsonObject? Get(JsonObject obj, string type) =>
        (Json.Arr(Json.Obj(obj, "status"), "conditions")?.OfType<JsonObject>() ?? []).FirstOrDefault(c => Json.Str(c, "type") == type);

    /// <summary>"True", "False", "Unknown" or "" when absent.</summary>
    public static string Status(JsonObject obj, string type) => Json.Str(Get(obj, type), "status");
}

/// <summary>Knative's "living" condition set (§8) operating on an object's <c>status</c>: a happy condition
/// (<c>Ready</c>) that summarises the dependents. One manager per reconcile; <c>now</c> stamps transitions.</summary>
public sealed class ConditionManager
{
    private readonly JsonObject _status;
    private readonly string _happy;
    private readonly IReadOnlyList<string> _dependents;
    private readonly string _now;
    // Transitions made by this manager are more recent than stored ones with the same timestamp.
    private readonly Dictionary<string, long> _sequence = new(StringComparer.Ordinal);
    private long _counter;

    public ConditionManager(JsonObject status, DateTimeOffset now, string happy, params string[] dependents)
    {
        _status = status;
        _happy = happy;
        _dependents = dependents;
        _now = RevisionResources.Rfc3339(now);
    }

    public static readonly string[] ServiceDependents = ["ConfigurationsReady", "RoutesReady"];
    public static readonly string[] RouteDependents = ["AllTrafficAssigned", "IngressReady", "CertificateProvisioned"];
    public static readonly string[] ConfigurationDependents = [];
    public static readonly string[] DomainMappingDependents = ["DomainClaimed", "ReferenceResolved", "IngressReady", "CertificateProvisioned"];

    private JsonArray ConditionsArray()
    {
        if (_status["conditions"] is JsonArray a) return a;
        var created = new JsonArray();
        _status["conditions"] = created;
        return created;
    }

    public JsonObject? Get(string type) => ConditionsArray().OfType<JsonObject>().FirstOrDefault(c => Json.Str(c, "type") == type);

    private void Set(string type, string status, string reason = "", string message = "")
    {
        var arr = ConditionsArray();
        var existing = Get(type);
        if (existing is not null && Json.Str(existing, "status") == status && Json.Str(existing, "reason") == reason && Json.Str(existing, "message") == message)
            return;
        var list = arr.OfType<JsonObject>().Where(c => Json.Str(c, "type") != type).Select(c => (JsonObject)c.DeepClone()).ToList();
        var cond = new JsonObject { ["type"] = type, ["status"] = status };
        if (reason.Length > 0) cond["reason"] = reason;
        if (message.Length > 0) cond["message"] = message;
        cond["lastTransitionTime"] = _now;
        if (type != _happy && !_dependents.Contains(type)) cond["severity"] = "Info";
        list.Add(cond);
        _sequence[type] = ++_counter;
        arr.Clear();
        foreach (var c in list.OrderBy(c => Json.Str(c, "type"), StringComparer.Ordinal)) arr.Add(c);
    }

    public void Initialize()
    {
        var happy = Get(_happy);
        if (happy is null) Set(_happy, "Unknown");
        var status = Json.Str(Get(_happy), "status") == "True" ? "True" : "Unknown";
        foreach (var d in _dependents) if (Get(d) is null) Set(d, status);
    }

    public void MarkTrue(string type) { Set(type, "True"); Recompute(type); }

    public void MarkTrueWithReason(string type, string reason, string message) { Set(type, "True", reason, message); Recompute(type); }

    public void MarkFalse(string type, string reason, string message)
    {
        if (_dependents.Contains(type)) Set(type, "False", reason, message);
        Set(_happy, "False", reason, message);
    }

    public void MarkUnknown(string type, string reason, string message)
    {
        Set(type, "Unknown", reason, message);
        var isDependent = false;
        foreach (var d in _dependents)
        {
            if (Json.Str(Get(d), "status") == "False")
            {
                if (Json.Str(Get(_happy), "status") != "False") MarkFalse(_happy, reason, message);
                return;
            }
            if (d == type) isDependent = true;
        }
        if (isDependent) Set(_happy, "Unknown", reason, message);
    }

    private void Recompute(string type)
    {
        var unhappy = FindUnhappyDependent();
        if (unhappy is not null)
            Set(_happy, Json.Str(unhappy, "status") is { Length: > 0 } s ? s : "Unknown", Json.Str(unhappy, "reason"), Json.Str(unhappy, "message"));
        else if (type != _happy) Set(_happy, "True");
    }

    private JsonObject? FindUnhappyDependent()
    {
        if (_dependents.Count == 0) return null;
        var conds = ConditionsArray().OfType<JsonObject>()
            .Where(c => Json.Str(c, "type") != _happy && Json.Str(c, "severity").Length == 0)
            .Select((c, i) => (c, i))
            .OrderByDescending(x => Json.Str(x.c, "lastTransitionTime"), StringComparer.Ordinal)
            .ThenByDescending(x => _sequence.GetValueOrDefault(Json.Str(x.c, "type")))
            .ThenBy(x => x.i)
            .Select(x => x.c).ToList();
        foreach (var c in conds) if (Json.Str(c, "status") == "False") return c;
        foreach (var c in conds) if (Json.Str(c, "status") == "Unknown") return c;
        if (_dependents.Count > conds.Count) return new JsonObject { ["status"] = "Unknown" };
        return null;
    }

    /// <summary>After a reconcile of a new generation (§8): observedGeneration := generation, and if the
    /// reconcile left Ready exactly as it was, Ready becomes Unknown/NewObservedGenFailure.</summary>
    public static void ObserveGeneration(JsonObject obj, JsonObject? readyBefore, DateTimeOffset now, string happy, params string[] dependents)
    {
        var status = Json.EnsureObj(obj, "status");
        var generation = Meta.Generation(obj);
        var sawNewGeneration = (Json.Long(status, "observedGeneration") ?? 0) != generation;
        status["observedGeneration"] = generation;
        var readyAfter = Conditions.Get(obj, happy);
        if (sawNewGeneration && JsonNode.DeepEquals(readyBefore, readyAfter))
            new ConditionManager(status, now, happy, dependents).MarkUnknown(happy, "NewObservedGenFailure", "unsuccessfully observed a new generation");
    }

    /// <summary>Copies another object's Ready condition into <paramref name="type"/> (True, or False/Unknown
    /// with its reason and message) — the propagation used for ConfigurationsReady, RoutesReady, IngressReady.</summary>
    public void Propagate(string type, JsonObject? childReady, string missingReason = "", string missingMessage = "")
    {
        switch (Json.Str(childReady, "status"))
        {
            case "True": MarkTrue(type); break;
            case "False": MarkFalse(type, Json.Str(childReady, "reason"), Json.Str(childReady, "message")); break;
            case "Unknown": MarkUnknown(type, Json.Str(childReady, "reason"), Json.Str(childReady, "message")); break;
            default: MarkUnknown(type, missingReason, missingMessage); break;
        }
    }
}
