using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Domains;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>Why a traffic target could not be resolved (§5.1 step 3).</summary>
public enum TrafficErrorKind { ConfigurationMissing, RevisionMissing, ConfigurationNotReady, RevisionNotReady, RevisionNotOwned }

/// <summary>A target error with the AllTrafficAssigned condition it produces. <see cref="IsFailure"/> ⇒ False,
/// else Unknown.</summary>
public sealed record TrafficTargetError(TrafficErrorKind Kind, string Name, bool IsFailure, string Reason, string Message);

/// <summary>One resolved target: the spec target with its revision and protocol (<c>http1</c> or <c>h2c</c>).</summary>
public sealed record RevisionTarget(string Tag, string RevisionName, string ConfigurationName, bool LatestRevision, long Percent, string Protocol);

/// <summary>A reference the Route tracks so it is re-queued when the object appears or changes.</summary>
public sealed record TrackedReference(string Kind, string Name);

/// <summary>The outcome of traffic resolution (upstream traffic.Config).</summary>
public sealed class TrafficConfig
{
    /// <summary>Per traffic name ("" = main host), consolidated by revision (§3.3).</summary>
    public required SortedDictionary<string, List<RevisionTarget>> Targets { get; init; }
    /// <summary>Flattened targets in spec order, merged on (tag, revision, latestRevision) — for status.traffic.</summary>
    public required List<RevisionTarget> RevisionTargets { get; init; }
    public required List<TrackedReference> MissingTargets { get; init; }
    public required List<string> ReferencedConfigurations { get; init; }
    public required List<string> ReferencedRevisions { get; init; }
}

/// <summary>Route traffic resolution over lookups (listers in the reconciler, dictionaries in tests).</summary>
public static class TrafficBuilder
{
    public static (TrafficConfig Config, TrafficTargetError? Error) Build(JsonObject route,
        Func<string, JsonObject?> getConfiguration, Func<string, JsonObject?> getRevision)
    {
        var targets = new Dictionary<string, List<RevisionTarget>>(StringComparer.Ordinal);
        var flattened = new List<RevisionTarget>();
        var missing = new List<TrackedReference>();
        var configs = new List<string>();
        var revisions = new List<string>();
        TrafficTargetError? deferred = null;
        var routeService = Meta.Labels(route).GetValueOrDefault(Keys.ServiceLabel, "");

        void Defer(TrafficTargetError e)
        {
            if (deferred is null || e.IsFailure) deferred = e;
            if (e.Kind is TrafficErrorKind.ConfigurationMissing) missing.Add(new TrackedReference("Configuration", e.Name));
            if (e.Kind is TrafficErrorKind.RevisionMissing && e.IsFailure && e.Message.EndsWith("referenced in traffic not found.", StringComparison.Ordinal))
                missing.Add(new TrackedReference("Revision", e.Name));
        }
        JsonObject? Cfg(string n) { if (!configs.Contains(n)) configs.Add(n); return getConfiguration(n); }
        JsonObject? Rev(string n) { if (!revisions.Contains(n)) revisions.Add(n); return getRevision(n); }
        void Add(RevisionTarget t)
        {
            var idx = flattened.FindIndex(x => x.Tag == t.Tag && x.RevisionName == t.RevisionName && x.LatestRevision == t.LatestRevision);
            if (idx >= 0) flattened[idx] = flattened[idx] with { Percent = flattened[idx].Percent + t.Percent };
            else flattened.Add(t);
            (targets.TryGetValue("", out var main) ? main : targets[""] = []).Add(t);
            if (t.Tag.Length > 0) (targets.TryGetValue(t.Tag, out var tagged) ? tagged : targets[t.Tag] = []).Add(t);
        }

        foreach (var tt in Json.Arr(Json.Obj(route, "spec"), "traffic")?.OfType<JsonObject>() ?? [])
        {
            var tag = Json.Str(tt, "tag");
            var revName = Json.Str(tt, "revisionName");
            var cfgName = Json.Str(tt, "configurationName");
            var latest = Json.Bool(tt, "latestRevision") ?? revName.Length == 0;
            var percent = Json.Long(tt, "percent") ?? 0;
            if (revName.Length > 0)
            {
                var rev = Rev(revName);
                if (rev is null) { Defer(MissingRevision(revName)); continue; }
                if (routeService.Length > 0)
                {
                    var revService = Meta.Labels(rev).GetValueOrDefault(Keys.ServiceLabel, "");
                    if (revService != routeService)
                    {
                        Defer(new TrafficTargetError(TrafficErrorKind.RevisionNotOwned, revName, true, "RevisionNotOwned",
                            revService.Length > 0
                                ? $"Revision \"{revName}\" belongs to Service \"{revService}\", not Service \"{routeService}\"."
                                : $"Revision \"{revName}\" does not belong to Service \"{routeService}\"."));
                        continue;
                    }
                }
                if (ReadyError(rev, revName) is { } notReady) { Defer(notReady); continue; }
                var configOfRevision = "";
                if (Meta.Labels(rev).TryGetValue(Keys.ConfigurationLabel, out var cl))
                {
                    configOfRevision = cl;
                    if (Cfg(cl) is null) { Defer(MissingConfiguration(cl)); continue; }
                }
                Add(new RevisionTarget(tag, revName, configOfRevision, latest, percent, Protocol(rev)));
            }
            else if (cfgName.Length > 0)
            {
                var cfg = Cfg(cfgName);
                if (cfg is null) { Defer(MissingConfiguration(cfgName)); continue; }
                var latestReady = Json.Str(Json.Obj(cfg, "status"), "latestReadyRevisionName");
                if (latestReady.Length == 0)
                {
                    var failed = Conditions.Status(cfg, "Ready") == "False";
                    Defer(new TrafficTargetError(TrafficErrorKind.ConfigurationNotReady, cfgName, failed, "RevisionMissing",
                        failed ? $"Configuration \"{cfgName}\" does not have any ready Revision."
                               : $"Configuration \"{cfgName}\" is waiting for a Revision to become ready."));
                    continue;
                }
                var rev = Rev(latestReady);
                if (rev is null) { Defer(MissingRevision(latestReady)); continue; }
                if (ReadyError(rev, latestReady) is { } notReady) { Defer(notReady); continue; }
                Add(new RevisionTarget(tag, latestReady, cfgName, latest, percent, Protocol(rev)));
            }
        }

        var config = new TrafficConfig
        {
            Targets = deferred is null ? ConsolidateAll(targets) : new SortedDictionary<string, List<RevisionTarget>>(StringComparer.Ordinal),
            RevisionTargets = deferred is null ? flattened : [],
            MissingTargets = missing,
            ReferencedConfigurations = configs,
            ReferencedRevisions = revisions,
        };
        return (config, deferred);
    }

    private static TrafficTargetError MissingRevision(string name) =>
        new(TrafficErrorKind.RevisionMissing, name, true, "RevisionMissing", $"Revision \"{name}\" referenced in traffic not found.");

    private static TrafficTargetError MissingConfiguration(string name) =>
        new(TrafficErrorKind.ConfigurationMissing, name, true, "ConfigurationMissing", $"Configuration \"{name}\" referenced in traffic not found.");

    private static TrafficTargetError? ReadyError(JsonObject rev, string name)
    {
        if (IsReady(rev)) return null;
        var failed = Conditions.Status(rev, "Ready") == "False";
        return new TrafficTargetError(TrafficErrorKind.RevisionNotReady, name, failed, "RevisionMissing",
            failed ? $"Revision \"{name}\" failed to become ready." : $"Revision \"{name}\" is not yet ready.");
    }

    /// <summary>Ready=True for the object's current generation.</summary>
    public static bool IsReady(JsonObject obj) =>
        Conditions.Status(obj, "Ready") == "True"
        && (Json.Long(Json.Obj(obj, "status"), "observedGeneration") ?? 0) == Meta.Generation(obj);

    /// <summary><c>h2c</c> iff the serving container's first port is named h2c.</summary>
    public static string Protocol(JsonObject revision)
    {
        var containers = Json.Arr(Json.Obj(revision, "spec"), "containers")?.OfType<JsonObject>().ToList() ?? [];
        var serving = containers.FirstOrDefault(c => Json.Arr(c, "ports") is { Count: > 0 }) ?? containers.FirstOrDefault();
        var port = Json.Arr(serving, "ports")?.FirstOrDefault() as JsonObject;
        return Json.Str(port, "name") == "h2c" ? "h2c" : "http1";
    }

    private static SortedDictionary<string, List<RevisionTarget>> ConsolidateAll(Dictionary<string, List<RevisionTarget>> targets)
    {
        var result = new SortedDictionary<string, List<RevisionTarget>>(StringComparer.Ordinal);
        foreach (var (name, list) in targets)
        {
            var byName = new List<RevisionTarget>();
            foreach (var t in list)
            {
                var i = byName.FindIndex(x => x.RevisionName == t.RevisionName);
                if (i >= 0) byName[i] = byName[i] with { Percent = byName[i].Percent + t.Percent };
                else byName.Add(t);
            }
            if (byName.Count == 1) byName[0] = byName[0] with { Percent = 100 };
            result[name] = byName;
        }
        return result;
    }

    /// <summary>Visibility of each traffic name (§4.4). <paramref name="placeholderLabels"/> returns the labels
    /// of the placeholder Service named hostname(N), or null when it does not exist.</summary>
    public static SortedDictionary<string, Visibility> Visibilities(ServingConfig config, JsonObject route, TrafficConfig tc,
        Func<string, IReadOnlyDictionary<string, string>?> placeholderLabels)
    {
        var routeLocal = DomainNames.IsRouteClusterLocal(config, Meta.Labels(route));
        var result = new SortedDictionary<string, Visibility>(StringComparer.Ordinal);
        foreach (var name in tc.Targets.Keys.Append(""))
        {
            var host = DomainNames.HostnameFromTemplate(config.Network, Meta.Name(route), name);
            result[name] = DomainNames.VisibilityFor(routeLocal, placeholderLabels(host));
        }
        return result;
    }

    /// <summary>
    /// status.traffic (§3.5): one entry per flattened target. While <paramref name="rollout"/> is in progress
    /// (<see cref="Rollout.InProgress"/>), a latestRevision target whose configuration is rolling on the main host
    /// is expanded into one entry per rolling revision. The split is the main host's (tag <c>""</c>) for every
    /// target, tagged or not, scaled to the target's own percent: status.traffic percents are shares of the main
    /// host, so they keep summing to 100. (A tag's own rollout always covers 100% of its tag host; reading it for a
    /// tagged target showed 100 — or a full old/new split — for a target that takes, say, 20% of the main host.)
    /// A rollout that is not in progress changes nothing: the plain split is exact.
    /// </summary>
    public static JsonArray StatusTraffic(ServingConfig config, JsonObject route, TrafficConfig tc,
        IReadOnlyDictionary<string, Visibility> visibility, Rollout? rollout = null)
    {
        var result = new JsonArray();
        var meta = RouteMeta(route);
        var rolling = rollout is { InProgress: true } ? rollout : null;
        foreach (var t in tc.RevisionTargets)
        {
            string? url = null;
            if (t.Tag.Length > 0)
            {
                var vis = visibility.GetValueOrDefault(t.Tag, Visibility.ExternalIP);
                var host = DomainNames.DomainsForVisibility(config, meta, t.Tag, vis).Primary;
                url = DomainNames.Url(config, vis, host);
            }
            var split = t.LatestRevision && t.Percent > 0 && rolling?.Find("", t.ConfigurationName) is { Revisions.Count: > 1 } main
                ? ScaleSplit(main.Revisions, t.Percent)
                : [new RevisionRollout(t.RevisionName, t.Percent)];
            foreach (var r in split)
            {
                var entry = new JsonObject();
                if (t.Tag.Length > 0) entry["tag"] = t.Tag;
                entry["revisionName"] = r.RevisionName;
                entry["percent"] = r.Percent;
                entry["latestRevision"] = t.LatestRevision;
                if (url is not null) entry["url"] = url;
                result.Add(entry);
            }
        }
        return result;
    }

    /// <summary>A rolling split scaled to <paramref name="percent"/> (largest remainder, ties to the newer revision,
    /// so the parts sum exactly to it); revisions whose share rounds to 0 are left out. Unchanged when the split
    /// already sums to <paramref name="percent"/> — the common case of one target per configuration.</summary>
    public static IReadOnlyList<RevisionRollout> ScaleSplit(IReadOnlyList<RevisionRollout> split, long percent)
    {
        var total = split.Sum(r => r.Percent);
        if (total == percent || total <= 0) return split;
        var parts = split.Select((r, i) => (r.RevisionName, Floor: r.Percent * percent / total, Remainder: r.Percent * percent % total, Index: i)).ToList();
        var left = percent - parts.Sum(p => p.Floor);
        var bonus = parts.OrderByDescending(p => p.Remainder).ThenByDescending(p => p.Index).Take((int)left).Select(p => p.Index).ToHashSet();
        var scaled = parts.Select(p => new RevisionRollout(p.RevisionName, p.Floor + (bonus.Contains(p.Index) ? 1 : 0))).Where(r => r.Percent > 0).ToList();
        return scaled;
    }

    public static MetaView RouteMeta(JsonObject route) =>
        new(Meta.Name(route), Meta.Namespace(route), Meta.Labels(route), Meta.Annotations(route));

    /// <summary>The plain rollout state: one entry per latestRevision target with percent &gt; 0 per traffic
    /// name, sorted by tag then configuration (upstream BuildRollout).</summary>
    public static Rollout BuildRollout(TrafficConfig tc)
    {
        var configs = new List<ConfigurationRollout>();
        foreach (var (tag, list) in tc.Targets)
            foreach (var t in list.Where(t => t.LatestRevision && t.Percent != 0))
                configs.Add(new ConfigurationRollout(t.ConfigurationName, tag, t.Percent, [new RevisionRollout(t.RevisionName, t.Percent)]));
        return new Rollout(configs.OrderBy(c => c.Tag, StringComparer.Ordinal).ThenBy(c => c.ConfigurationName, StringComparer.Ordinal).ToList());
    }
}

public sealed record RevisionRollout(string RevisionName, long Percent);

public sealed record ConfigurationRollout(string ConfigurationName, string Tag, long Percent, List<RevisionRollout> Revisions,
    long StartTime = 0, long NextStepTime = 0, long StepDuration = 0, long StepSize = 0);

/// <summary>Rollout state stored in the KIngress annotation <c>networking.internal.knative.dev/rollout</c>.</summary>
public sealed record Rollout(List<ConfigurationRollout> Configurations)
{
    /// <summary>Some configuration is split over two or more revisions (upstream: not Done()).</summary>
    public bool InProgress => Configurations.Any(c => c.Revisions.Count > 1);

    public ConfigurationRollout? Find(string tag, string configurationName) =>
        Configurations.FirstOrDefault(c => c.Tag == tag && c.ConfigurationName == configurationName);

    /// <summary>Upstream's JSON encoding (field order and omitempty rules).</summary>
    public string ToJson()
    {
        var root = new JsonObject();
        if (Configurations.Count > 0)
        {
            var arr = new JsonArray();
            foreach (var c in Configurations)
            {
                var o = new JsonObject { ["configurationName"] = c.ConfigurationName };
                if (c.Tag.Length > 0) o["tag"] = c.Tag;
                o["percent"] = c.Percent;
                if (c.Revisions.Count > 0)
                    o["revisions"] = new JsonArray(c.Revisions.Select(r => (JsonNode)new JsonObject { ["revisionName"] = r.RevisionName, ["percent"] = r.Percent }).ToArray());
                var sp = new JsonObject();
                if (c.StartTime != 0) sp["starttime"] = c.StartTime;
                if (c.NextStepTime != 0) sp["nextStepTime"] = c.NextStepTime;
                if (c.StepDuration != 0) sp["stepDuration"] = c.StepDuration;
                if (c.StepSize != 0) sp["stepSize"] = c.StepSize;
                o["stepParams"] = sp;
                arr.Add(o);
            }
            root["configurations"] = arr;
        }
        return root.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
