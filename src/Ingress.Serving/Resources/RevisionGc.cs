using System.Globalization;
using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>Why a Revision is collected: stale by age (both retain bounds passed) or beyond the max count.</summary>
public enum GcReason { Stale, OverMax }

public sealed record GcDeletion(string RevisionName, GcReason Reason);

/// <summary>The outcome of one collection: what to delete, and when a kept Revision may next become stale
/// (the reconciler re-enqueues the Configuration then, rather than waiting for its 10 h resync).</summary>
public sealed record GcPlan(IReadOnlyList<GcDeletion> Deletions, DateTimeOffset? NextCheck);

/// <summary>
/// Revision garbage collection per config-gc (upstream <c>pkg/reconciler/gc</c>), a pure function of the
/// Configuration and its Revisions. Active Revisions are never collected: the Configuration's latest ready one, one
/// annotated <c>serving.knative.dev/no-gc: "true"</c>, and any not labelled <c>routingState: reserve</c> by the
/// Route labeler (pending and active ones). Non-active ones are ordered by last activity (the
/// <c>routingStateModified</c> annotation, else creation time), oldest first; stale ones go while more than
/// min-non-active-revisions remain, then the oldest survivors go until at most max-non-active-revisions remain.
/// </summary>
public static class RevisionGc
{
    public static GcPlan Collect(ConfigGc cfg, JsonObject configuration, IEnumerable<JsonObject> revisions, DateTimeOffset now)
    {
        var none = new GcPlan([], null);
        var max = cfg.MaxNonActiveRevisions;
        if (max is null && cfg.RetainSinceCreateTime is null && cfg.RetainSinceLastActiveTime is null) return none; // all deletion settings are disabled
        var min = cfg.MinNonActiveRevisions;
        var name = Meta.Name(configuration);
        var all = revisions.Where(r => Meta.Labels(r).GetValueOrDefault(Keys.ConfigurationLabel) == name).ToList();
        if (all.Count <= min) return none;
        var latestReady = Json.Str(Json.Obj(configuration, "status"), "latestReadyRevisionName");
        // Oldest activity first; names break ties so the choice does not depend on lister order.
        var candidates = all.Where(r => !IsActive(r, latestReady))
            .OrderBy(LastActive).ThenBy(Meta.Name, StringComparer.Ordinal).ToList();
        if (candidates.Count <= min) return none;

        var deletions = new List<GcDeletion>();
        var kept = new List<JsonObject>();
        DateTimeOffset? next = null;
        var maxDeletions = candidates.Count - min;
        foreach (var rev in candidates)
        {
            if (deletions.Count >= maxDeletions) { kept.Add(rev); continue; }
            var staleAt = StaleAt(cfg, rev);
            if (staleAt is { } at && at <= now)
            {
                deletions.Add(new GcDeletion(Meta.Name(rev), GcReason.Stale));
                continue;
            }
            kept.Add(rev);
            if (staleAt is { } later && (next is null || later < next)) next = later;
        }
        if (deletions.Count >= maxDeletions) return new GcPlan(deletions, null);
        if (max is { } m && kept.Count > m)
            deletions.AddRange(kept.Take((int)(kept.Count - m)).Select(r => new GcDeletion(Meta.Name(r), GcReason.OverMax)));
        return new GcPlan(deletions, next);
    }

    /// <summary>Never collected: the latest ready Revision, a no-gc one, and any not labelled reserve.</summary>
    public static bool IsActive(JsonObject revision, string latestReadyRevisionName) =>
        Meta.Name(revision) == latestReadyRevisionName
        || string.Equals(Meta.Annotations(revision).GetValueOrDefault(Keys.NoGcAnnotation), "true", StringComparison.OrdinalIgnoreCase)
        || Meta.Labels(revision).GetValueOrDefault(Keys.RoutingStateLabel) != "reserve";

    /// <summary>routingStateModified when it parses, else the creation time.</summary>
    public static DateTimeOffset LastActive(JsonObject revision)
    {
        if (Parse(Meta.Annotations(revision).GetValueOrDefault(Keys.RoutingStateModifiedAnnotation)) is { } modified) return modified;
        return Created(revision);
    }

    /// <summary>The moment both enabled retain bounds have passed (null: the time checks are both disabled).</summary>
    public static DateTimeOffset? StaleAt(ConfigGc cfg, JsonObject revision)
    {
        if (cfg.RetainSinceCreateTime is null && cfg.RetainSinceLastActiveTime is null) return null;
        var at = DateTimeOffset.MinValue;
        if (cfg.RetainSinceCreateTime is { } sinceCreate) at = Max(at, Created(revision) + sinceCreate);
        if (cfg.RetainSinceLastActiveTime is { } sinceActive) at = Max(at, LastActive(revision) + sinceActive);
        return at;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Created(JsonObject revision) =>
        Parse(Json.Str(Meta.Metadata(revision), "creationTimestamp")) ?? DateTimeOffset.UnixEpoch;

    private static DateTimeOffset? Parse(string? text) =>
        DateTimeOffset.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"], CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
}
