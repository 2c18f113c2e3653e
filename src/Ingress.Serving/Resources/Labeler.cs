using System.Text.Json.Nodes;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>The desired routing metadata of one Configuration or Revision.</summary>
public sealed record RoutingMetadata(string? Routes, string? RoutingState, string? RoutingStateModified)
{
    public bool Changed { get; init; }
}

/// <summary>The Route reconciler's labeler (§0): Configurations and Revisions referenced by a Route's traffic
/// list it in their <c>serving.knative.dev/routes</c> annotation; Revisions also carry
/// <c>serving.knative.dev/routingState</c> (<c>active</c> while routed, <c>reserve</c> after) with the time
/// of the last change.</summary>
public static class Labeler
{
    /// <summary>Adds or removes <paramref name="route"/> from a comma-separated, sorted route list; null when empty.</summary>
    public static string? UpdateRoutes(string? current, string route, bool referenced)
    {
        var set = new SortedSet<string>((current ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
        if (referenced) set.Add(route); else set.Remove(route);
        return set.Count == 0 ? null : string.Join(",", set);
    }

    /// <summary>Routing metadata of a Configuration after this route (un)references it.</summary>
    public static RoutingMetadata ForConfiguration(JsonObject configuration, string route, bool referenced)
    {
        var current = Meta.Annotations(configuration).GetValueOrDefault(Keys.RoutesAnnotation);
        var routes = UpdateRoutes(current, route, referenced);
        return new RoutingMetadata(routes, null, null) { Changed = routes != current };
    }

    /// <summary>Routing metadata of a Revision: routes annotation, and routingState active/reserve with the
    /// modification time updated only when the state changes.</summary>
    public static RoutingMetadata ForRevision(JsonObject revision, string route, bool referenced, DateTimeOffset now)
    {
        var annotations = Meta.Annotations(revision);
        var current = annotations.GetValueOrDefault(Keys.RoutesAnnotation);
        var routes = UpdateRoutes(current, route, referenced);
        var currentState = Meta.Labels(revision).GetValueOrDefault(Keys.RoutingStateLabel);
        // Routed → active. Never routed (pending, no routes before) → stays pending. Routed before → reserve.
        var neverRouted = current is null && currentState is null or "pending";
        var state = routes is not null ? "active" : neverRouted ? currentState ?? "pending" : "reserve";
        var modified = state == currentState
            ? annotations.GetValueOrDefault(Keys.RoutingStateModifiedAnnotation)
            : RevisionResources.Rfc3339(now);
        return new RoutingMetadata(routes, state, modified) { Changed = routes != current || state != currentState };
    }

    /// <summary>Applies <paramref name="m"/> to a copy of <paramref name="obj"/> (what the reconciler patches).</summary>
    public static JsonObject Apply(JsonObject obj, RoutingMetadata m)
    {
        var copy = (JsonObject)obj.DeepClone();
        var meta = Json.EnsureObj(copy, "metadata");
        var annotations = Json.Map(meta, "annotations");
        if (m.Routes is null) annotations.Remove(Keys.RoutesAnnotation); else annotations[Keys.RoutesAnnotation] = m.Routes;
        if (m.RoutingStateModified is not null) annotations[Keys.RoutingStateModifiedAnnotation] = m.RoutingStateModified;
        meta["annotations"] = Meta.StringMap(annotations);
        if (m.RoutingState is not null)
        {
            var labels = Json.Map(meta, "labels");
            labels[Keys.RoutingStateLabel] = m.RoutingState;
            meta["labels"] = Meta.StringMap(labels);
        }
        return copy;
    }
}
