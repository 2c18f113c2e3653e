using System.Text.Json.Nodes;
using Ingress.Serving.Resources;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Status;

/// <summary>What the Service reconciler does with a child it found (§1.4 steps 1 and 4).</summary>
public enum ChildAction { Create, Update, UpToDate, NotOwned }

/// <summary>The Service reconciler's decisions and status aggregation (§1.4, §1.5) as pure functions.</summary>
public static class ServiceStatus
{
    /// <summary>Compares an existing child with the desired one: spec, labels and annotations. The reconciler
    /// passes the existing object after running <see cref="Webhook.ServingDefaulting"/> on it (§1.4 step 1).</summary>
    public static ChildAction Decide(JsonObject service, JsonObject? existing, JsonObject desired)
    {
        if (existing is null) return ChildAction.Create;
        if (!Meta.IsControlledBy(existing, Meta.Uid(service))) return ChildAction.NotOwned;
        var same = JsonNode.DeepEquals(existing["spec"], desired["spec"])
            && Meta.Labels(existing).OrderBy(k => k.Key).SequenceEqual(Meta.Labels(desired).OrderBy(k => k.Key))
            && Meta.Annotations(existing).OrderBy(k => k.Key).SequenceEqual(Meta.Annotations(desired).OrderBy(k => k.Key));
        return same ? ChildAction.UpToDate : ChildAction.Update;
    }

    /// <summary>§1.4 step 3: the BYO revision name is taken by a Revision that is not ours, or that belongs to
    /// another generation with a different spec.</summary>
    public static bool IsRevisionNameTaken(JsonObject configuration, JsonObject? existingRevision)
    {
        if (existingRevision is null) return false;
        if (!Meta.IsControlledBy(existingRevision, Meta.Uid(configuration))) return true;
        var genLabel = Meta.Labels(existingRevision).GetValueOrDefault(Keys.ConfigurationGenerationLabel, "");
        var sameGeneration = genLabel == Meta.Generation(configuration).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var sameSpec = JsonNode.DeepEquals(existingRevision["spec"], Json.Obj(Json.Obj(configuration, "spec"), "template")?["spec"]);
        return !sameGeneration && !sameSpec;
    }

    public sealed record Result(bool TouchRoute, string? ReconcileError);

    /// <summary>Status of a KService from what the reconciler observed. <paramref name="configuration"/> and
    /// <paramref name="route"/> are the children as read (after create/update); <paramref name="configurationOwned"/>
    /// false means a foreign object holds the name.</summary>
    public static Result ComputeConfigurationPart(JsonObject service, DateTimeOffset now, JsonObject configuration, bool configurationOwned)
    {
        var status = Json.EnsureObj(service, "status");
        var cm = new StatusConditions(status, now, "Ready", StatusConditions.ServiceDependents);
        cm.Initialize();
        var name = Meta.Name(configuration);
        if (!configurationOwned)
        {
            cm.MarkFalse("ConfigurationsReady", "NotOwned", Meta.NotOwnedMessage("Configuration", name));
            return new Result(false, $"service: \"{Meta.Name(service)}\" does not own configuration: \"{name}\"");
        }
        var cstatus = Json.Obj(configuration, "status");
        if ((Json.Long(cstatus, "observedGeneration") ?? 0) != Meta.Generation(configuration))
        {
            cm.MarkUnknown("ConfigurationsReady", "OutOfDate", "The Configuration is still working to reflect the latest desired specification.");
            var byo = RevisionResources.TemplateName(configuration);
            if (byo.Length > 0) return new Result(false, null);
        }
        else
        {
            if (Json.Str(cstatus, "latestReadyRevisionName") is { Length: > 0 } lr) status["latestReadyRevisionName"] = lr;
            if (Json.Str(cstatus, "latestCreatedRevisionName") is { Length: > 0 } lc) status["latestCreatedRevisionName"] = lc;
            cm.Propagate("ConfigurationsReady", Conditions.Get(configuration, "Ready"));
        }
        return new Result(true, null);
    }

    /// <summary>§1.4 step 3 outcome on the status.</summary>
    public static void MarkRevisionNameTaken(JsonObject service, DateTimeOffset now, string revisionName)
    {
        var cm = new StatusConditions(Json.EnsureObj(service, "status"), now, "Ready", StatusConditions.ServiceDependents);
        cm.MarkFalse("RoutesReady", "RevisionNameTaken", $"The revision name \"{revisionName}\" is taken by a conflicting Revision, so traffic will not be migrated");
    }

    /// <summary>§1.4 steps 4–6 and §1.5 for the Route part; sets observedGeneration.</summary>
    public static Result ComputeRoutePart(JsonObject service, DateTimeOffset now, JsonObject configuration, JsonObject route, bool routeOwned)
    {
        var status = Json.EnsureObj(service, "status");
        var cm = new StatusConditions(status, now, "Ready", StatusConditions.ServiceDependents);
        var name = Meta.Name(route);
        if (!routeOwned)
        {
            cm.MarkFalse("RoutesReady", "NotOwned", Meta.NotOwnedMessage("Route", name));
            return new Result(false, $"service: \"{Meta.Name(service)}\" does not own route: \"{name}\"");
        }
        var rstatus = Json.Obj(route, "status");
        if ((Json.Long(rstatus, "observedGeneration") ?? 0) != Meta.Generation(route))
            cm.MarkUnknown("RoutesReady", "OutOfDate", "The Route is still working to reflect the latest desired specification.");
        else
        {
            if (rstatus?["url"] is { } url) status["url"] = url.DeepClone();
            if (rstatus?["address"] is { } address) status["address"] = address.DeepClone();
            if (rstatus?["traffic"] is { } traffic) status["traffic"] = traffic.DeepClone();
            cm.Propagate("RoutesReady", Conditions.Get(route, "Ready"));
        }

        if (Json.Str(Conditions.Get(service, "RoutesReady"), "status") == "True" && !TrafficMigrated(configuration, route))
            cm.MarkUnknown("RoutesReady", "TrafficNotMigrated", "Traffic is not yet migrated to the latest revision.");
        status["observedGeneration"] = Meta.Generation(service);
        return new Result(true, null);
    }

    /// <summary>§1.4 step 6: spec targets (configuration targets replaced by latestReady) equal status.traffic
    /// ignoring url and latestRevision.</summary>
    public static bool TrafficMigrated(JsonObject configuration, JsonObject route)
    {
        var spec = Json.Arr(Json.Obj(route, "spec"), "traffic")?.OfType<JsonObject>().ToList() ?? [];
        var stat = Json.Arr(Json.Obj(route, "status"), "traffic")?.OfType<JsonObject>().ToList() ?? [];
        if (spec.Count != stat.Count) return false;
        var cfgName = Meta.Name(configuration);
        var latestReady = Json.Str(Json.Obj(configuration, "status"), "latestReadyRevisionName");
        for (var i = 0; i < spec.Count; i++)
        {
            var s = spec[i];
            var rev = Json.Str(s, "configurationName") == cfgName ? latestReady : Json.Str(s, "revisionName");
            var cfg = Json.Str(s, "configurationName") == cfgName ? "" : Json.Str(s, "configurationName");
            var t = stat[i];
            if (Json.Str(t, "tag") != Json.Str(s, "tag") || Json.Str(t, "revisionName") != rev
                || Json.Str(t, "configurationName") != cfg || (Json.Long(t, "percent") ?? 0) != (Json.Long(s, "percent") ?? 0))
                return false;
        }
        return true;
    }
}
