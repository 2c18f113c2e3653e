using System.Text.Json.Nodes;

namespace Ingress.Kube.Controller;

public enum ConditionStatus { True, False, Unknown }

/// <summary>
/// status.conditions[] helpers over JSON, usable on any object. lastTransitionTime changes only when a
/// condition's status changes, as Knative does, so unchanged status does not cause a write.
/// </summary>
public static class Conditions
{
    public const string Ready = "Ready";

    public static JsonObject? Get(JsonObject? status, string type)
    {
        if (status?["conditions"] is not JsonArray arr) return null;
        foreach (var c in arr)
        {
            if (c is JsonObject o && (string?)o["type"] == type) return o;
        }
        return null;
    }

    public static ConditionStatus StatusOf(JsonObject? status, string type) =>
        (string?)Get(status, type)?["status"] switch
        {
            "True" => ConditionStatus.True,
            "False" => ConditionStatus.False,
            _ => ConditionStatus.Unknown,
        };

    public static bool IsTrue(JsonObject? status, string type) => StatusOf(status, type) == ConditionStatus.True;

    /// <summary>Sets a condition; returns whether anything changed.</summary>
    public static bool Set(JsonObject status, string type, ConditionStatus value, string? reason, string? message, DateTimeOffset now)
    {
        if (status["conditions"] is not JsonArray arr)
        {
            arr = [];
            status["conditions"] = arr;
        }
        var existing = Get(status, type);
        var statusText = value.ToString();
        if (existing is not null && (string?)existing["status"] == statusText && (string?)existing["reason"] == reason && (string?)existing["message"] == message)
        {
            return false;
        }
        var transition = existing is not null && (string?)existing["status"] == statusText
            ? (string?)existing["lastTransitionTime"]
            : now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var c = new JsonObject { ["type"] = type, ["status"] = statusText };
        if (!string.IsNullOrEmpty(reason)) c["reason"] = reason;
        if (!string.IsNullOrEmpty(message)) c["message"] = message;
        c["lastTransitionTime"] = transition;
        if (existing is not null)
        {
            arr[arr.IndexOf(existing)] = c;
        }
        else
        {
            arr.Add(c);
            // Keep a stable order (by type) so equal condition sets serialise equally.
            var sorted = arr.OfType<JsonObject>().OrderBy(o => (string?)o["type"], StringComparer.Ordinal).ToList();
            arr.Clear();
            foreach (var o in sorted) arr.Add(o);
        }
        return true;
    }
}

/// <summary>
/// A "living" condition set in Knative's sense: the happy condition (Ready) is True when every dependent
/// is True, False as soon as one is False (with that one's reason and message), Unknown otherwise.
/// </summary>
public sealed class ConditionSet(string happy, params string[] dependents)
{
    public string Happy { get; } = happy;
    public IReadOnlyList<string> Dependents { get; } = dependents;

    /// <summary>Sets every missing condition (happy and dependents) to Unknown.</summary>
    public void Initialize(JsonObject status, DateTimeOffset now)
    {
        foreach (var t in Dependents.Prepend(Happy))
        {
            if (Conditions.Get(status, t) is null) Conditions.Set(status, t, ConditionStatus.Unknown, null, null, now);
        }
    }

    public bool IsHappy(JsonObject? status) => Conditions.IsTrue(status, Happy);

    public void MarkTrue(JsonObject status, string type, DateTimeOffset now)
    {
        Conditions.Set(status, type, ConditionStatus.True, null, null, now);
        if (type == Happy) return;
        if (Dependents.All(d => Conditions.IsTrue(status, d)))
        {
            Conditions.Set(status, Happy, ConditionStatus.True, null, null, now);
        }
    }

    public void MarkFalse(JsonObject status, string type, string reason, string message, DateTimeOffset now)
    {
        Conditions.Set(status, type, ConditionStatus.False, reason, message, now);
        if (type != Happy) Conditions.Set(status, Happy, ConditionStatus.False, reason, message, now);
    }

    public void MarkUnknown(JsonObject status, string type, string reason, string message, DateTimeOffset now)
    {
        Conditions.Set(status, type, ConditionStatus.Unknown, reason, message, now);
        if (type == Happy) return;
        // A False dependent keeps the happy condition False.
        if (Dependents.Any(d => d != type && Conditions.StatusOf(status, d) == ConditionStatus.False)) return;
        Conditions.Set(status, Happy, ConditionStatus.Unknown, reason, message, now);
    }
}
