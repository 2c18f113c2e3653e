using System.Text.Json.Nodes;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>The desired routing metadata of one Configuration or Revision.</summary>
public sealed record RoutingMetadata(string? Routes, string? RoutingState, string? RoutingStateModified)
{
    public bool Changed { get; init; }
}

/// <summary>What a Route's labeler touches: the Configurations and Revisions to list the Route on, and whether
/// ones no longer listed may be cleared now.</summary>
public sealed record LabelTargets(IReadOnlySet<string> Configurations, IReadOnlySet<string> Revisions, bool ClearUnlisted);

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

    /// <summary>Routing metadata of a Revision (upstream markRoutingState): the routes annotation, and
    /// <c>routingState</c> <c>active</c> while some Route lists it, else <c>reserve</c>; the modification time is
    /// stamped only when the state changes.</summary>
    public static RoutingMetadata ForRevision(JsonObject revision, string route, bool referenced, DateTimeOffset now)
    {
        var annotations = Meta.Annotations(revision);
        var current = annotations.GetValueOrDefault(Keys.RoutesAnnotation);
        var routes = UpdateRoutes(current, route, referenced);
        var currentState = Meta.Labels(revision).GetValueOrDefault(Keys.RoutingStateLabel);
        var state = routes is not null ? "active" : "reserve";
        var modified = state == currentState
            ? annotations.GetValueOrDefault(Keys.RoutingStateModifiedAnnotation)
            : RevisionResources.Rfc3339(now);
        return new RoutingMetadata(routes, state, modified) { Changed = routes != current || state != currentState };
    }

    /// <summary>
    /// What the labeler of <paramref name="route"/> labels (upstream syncRoutingMeta): every target of
    /// <c>status.traffic</c> and <c>spec.traffic</c> — a named Revision that exists (and its controlling
    /// Configuration), a named Configuration that exists and, for latestRevision targets, that Configuration's
    /// latest <em>created</em> Revision, so a new Revision is active before it becomes ready and routed. Routes and
    /// Revisions no longer listed are cleared only once the Route is resolved (Ready or failed for its current
    /// generation), so a Route still moving does not put what it serves into reserve.
    /// </summary>
    public static LabelTargets Targets(JsonObject route, Func<string, JsonObject?> getConfiguration, Func<string, JsonObject?> getRevision)
    {
        var configurations = new SortedSet<string>(StringComparer.Ordinal);
        var revisions = new SortedSet<string>(StringComparer.Ordinal);
        var status = Json.Obj(route, "status");
        var targets = (Json.Arr(status, "traffic")?.OfType<JsonObject>() ?? []).Concat(Json.Arr(Json.Obj(route, "spec"), "traffic")?.OfType<JsonObject>() ?? []);
        foreach (var tt in targets)
        {
            var revisionName = Json.Str(tt, "revisionName");
            var configurationName = Json.Str(tt, "configurationName");
            if (revisionName.Length > 0)
            {
                if (getRevision(revisionName) is not { } revision) continue; // the informer re-enqueues once it exists
                revisions.Add(revisionName);
                var owner = (Json.Arr(Meta.Metadata(revision), "ownerReferences")?.OfType<JsonObject>() ?? [])
                    .FirstOrDefault(o => Json.Bool(o, "controller") == true);
                if (Json.Str(owner, "kind") == "Configuration") configurationName = Json.Str(owner, "name");
            }
            if (configurationName.Length == 0 || getConfiguration(configurationName) is not { } configuration) continue;
            configurations.Add(configurationName);
            var latestRevision = Json.Bool(tt, "latestRevision") ?? Json.Str(tt, "revisionName").Length == 0;
            if (latestRevision && Json.Str(Json.Obj(configuration, "status"), "latestCreatedRevisionName") is { Length: > 0 } latestCreated)
                revisions.Add(latestCreated);
        }
        var readyStatus = Conditions.Status(route, "Ready");
        var resolved = (Json.Long(status, "observedGeneration") ?? 0) == Meta.Generation(route) && readyStatus is "True" or "False";
        return new LabelTargets(configurations, revisions, resolved);
    }

    /// <summary>True when <paramref name="obj"/>'s routes annotation lists <paramref name="route"/>.</summary>
    public static bool Lists(JsonObject obj, string route)
    {
        // Every Route reconcile asks this of every Configuration and Revision in its namespace, so it reads the one
        // annotation in place: building the whole annotation map (Meta.Annotations) and splitting made a namespace
        // of N Routes cost N² maps.
        if (obj["metadata"]?["annotations"]?[Keys.RoutesAnnotation] is not JsonValue raw || !raw.TryGetValue<string>(out var routes)) return false;
        if (!routes.Contains(route, StringComparison.Ordinal)) return false;
        foreach (var entry in routes.AsSpan().Split(','))
            if (routes.AsSpan()[entry].Trim().SequenceEqual(route)) return true;
        return false;
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
