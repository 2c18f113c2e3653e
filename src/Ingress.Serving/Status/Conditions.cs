using System.Globalization;
using System.Runtime.CompilerServices;
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

/// <summary>Knative's "living" condition set (§8) on an object's JSON <c>status</c>. The condition logic is
/// <see cref="Api.Knative.ConditionManager"/> (one implementation for every project); this class only adapts the
/// JSON form the serving builders work on (see docs/serving.md, "Why the builders work on JSON objects") and adds
/// the serving helpers (<see cref="ObserveGeneration"/>, <see cref="Propagate"/>). <c>now</c> stamps transitions.</summary>
public sealed class StatusConditions
{
    private readonly Api.Knative.ConditionManager _manager;

    public StatusConditions(JsonObject status, DateTimeOffset now, string happy, params string[] dependents)
    {
        _manager = Api.Knative.ConditionSet.Create(happy, dependents).Manage(JsonKnativeStatus.For(status), new FixedTime(now));
    }

    public static readonly string[] ServiceDependents = ["ConfigurationsReady", "RoutesReady"];
    public static readonly string[] RouteDependents = ["AllTrafficAssigned", "IngressReady", "CertificateProvisioned"];
    public static readonly string[] ConfigurationDependents = [];
    public static readonly string[] DomainMappingDependents = ["DomainClaimed", "ReferenceResolved", "IngressReady", "CertificateProvisioned"];

    public void Initialize() => _manager.InitializeConditions();

    public void MarkTrue(string type) => _manager.MarkTrue(type);

    public void MarkTrueWithReason(string type, string reason, string message) => _manager.MarkTrueWithReason(type, reason, message);

    public void MarkFalse(string type, string reason, string message) => _manager.MarkFalse(type, reason, message);

    public void MarkUnknown(string type, string reason, string message) => _manager.MarkUnknown(type, reason, message);

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
            new StatusConditions(status, now, happy, dependents).MarkUnknown(happy, "NewObservedGenFailure", "unsuccessfully observed a new generation");
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

/// <summary>A clock stopped at the reconcile's <c>now</c>: every transition of one reconcile carries the same time.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>
/// A JSON <c>status</c> seen as <see cref="Api.Knative.IKnativeStatus"/>. Conditions are read once and written
/// back (type, status, severity, lastTransitionTime in whole seconds, reason, message — Knative's field order) on
/// every change. The typed view is kept per status object while the JSON still holds what was last written, so
/// the transition order of one reconcile survives across helpers that each open their own manager.
/// </summary>
internal sealed class JsonKnativeStatus : Api.Knative.IKnativeStatus
{
    private static readonly ConditionalWeakTable<JsonObject, JsonKnativeStatus> Views = [];
    private readonly JsonObject _status;
    private List<Api.Knative.Condition>? _conditions;
    private string _written = "";

    private JsonKnativeStatus(JsonObject status) => _status = status;

    public static JsonKnativeStatus For(JsonObject status)
    {
        lock (Views)
        {
            if (Views.TryGetValue(status, out var view) && view._written == Current(status)) return view;
            view = new JsonKnativeStatus(status);
            view._conditions = Read(status);
            view._written = Current(status);
            Views.AddOrUpdate(status, view);
            return view;
        }
    }

    private static string Current(JsonObject status) => status["conditions"]?.ToJsonString() ?? "";

    public long? ObservedGeneration
    {
        get => Json.Long(_status, "observedGeneration");
        set
        {
            if (value is { } generation) _status["observedGeneration"] = generation;
            else _status.Remove("observedGeneration");
        }
    }

    public List<Api.Knative.Condition>? Conditions
    {
        get => _conditions;
        set
        {
            _conditions = value;
            var arr = new JsonArray();
            foreach (var c in value ?? [])
            {
                var o = new JsonObject { ["type"] = c.Type, ["status"] = c.Status };
                if (!string.IsNullOrEmpty(c.Severity)) o["severity"] = c.Severity;
                if (c.LastTransitionTime is { } t) o["lastTransitionTime"] = RevisionResources.Rfc3339(t);
                if (!string.IsNullOrEmpty(c.Reason)) o["reason"] = c.Reason;
                if (!string.IsNullOrEmpty(c.Message)) o["message"] = c.Message;
                arr.Add(o);
            }
            _status["conditions"] = arr;
            lock (Views) _written = Current(_status);
        }
    }

    private static List<Api.Knative.Condition> Read(JsonObject status)
    {
        var list = new List<Api.Knative.Condition>();
        foreach (var c in Json.Arr(status, "conditions")?.OfType<JsonObject>() ?? [])
        {
            DateTimeOffset? time = DateTimeOffset.TryParse(Json.Str(c, "lastTransitionTime"), CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
            list.Add(new Api.Knative.Condition
            {
                Type = Json.Str(c, "type"),
                Status = Json.Str(c, "status"),
                Severity = Json.Str(c, "severity") is { Length: > 0 } sev ? sev : null,
                LastTransitionTime = time,
                Reason = Json.Str(c, "reason") is { Length: > 0 } r ? r : null,
                Message = Json.Str(c, "message") is { Length: > 0 } m ? m : null,
            });
        }
        return list;
    }
}
