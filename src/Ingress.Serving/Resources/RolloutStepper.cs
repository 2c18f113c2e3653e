using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Go;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>Gradual rollout (§6.4): given the plain rollout of the current traffic and the state stored on the
/// KIngress, moves traffic to a new latest revision 1% first, then in equal steps over the rollout duration once
/// the KIngress is Ready. Times are Unix nanoseconds, as in the annotation.</summary>
public static class RolloutStepper
{
    private sealed class Rev(string name, long percent) { public string Name = name; public long Percent = percent; }

    private sealed class Cfg
    {
        public string ConfigurationName = "", Tag = "";
        public long Percent, StartTime, NextStepTime, StepDuration, StepSize;
        public List<Rev> Revisions = [];

        public static Cfg From(ConfigurationRollout c) => new()
        {
            ConfigurationName = c.ConfigurationName, Tag = c.Tag, Percent = c.Percent, StartTime = c.StartTime,
            NextStepTime = c.NextStepTime, StepDuration = c.StepDuration, StepSize = c.StepSize,
            Revisions = c.Revisions.Select(r => new Rev(r.RevisionName, r.Percent)).ToList(),
        };

        public ConfigurationRollout To() => new(ConfigurationName, Tag, Percent,
            Revisions.Select(r => new RevisionRollout(r.Name, r.Percent)).ToList(), StartTime, NextStepTime, StepDuration, StepSize);
    }

    /// <summary>The rollout duration in whole seconds: the Route annotation (either key), else config-network.</summary>
    public static long DurationSeconds(ServingConfig config, IReadOnlyDictionary<string, string> routeAnnotations)
    {
        var (_, v, found) = Meta.FirstOf(routeAnnotations, Keys.RolloutDurationAnnotation, Keys.RolloutDurationLegacyAnnotation);
        if (found && GoFormat.TryParseDuration(v, out var d, out _) && d.WholeSeconds != 0) return d.WholeSeconds;
        return config.Network.RolloutDurationSeconds;
    }

    /// <summary>Reads the KIngress annotation; null when absent or corrupt (a fresh rollout then starts).</summary>
    public static Rollout? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            if (JsonNode.Parse(json) is not JsonObject root) return null;
            var configs = new List<ConfigurationRollout>();
            foreach (var c in Json.Arr(root, "configurations")?.OfType<JsonObject>() ?? [])
            {
                var sp = Json.Obj(c, "stepParams");
                configs.Add(new ConfigurationRollout(Json.Str(c, "configurationName"), Json.Str(c, "tag"), Json.Long(c, "percent") ?? 0,
                    (Json.Arr(c, "revisions")?.OfType<JsonObject>() ?? []).Select(r => new RevisionRollout(Json.Str(r, "revisionName"), Json.Long(r, "percent") ?? 0)).ToList(),
                    Json.Long(sp, "starttime") ?? 0, Json.Long(sp, "nextStepTime") ?? 0, Json.Long(sp, "stepDuration") ?? 0, Json.Long(sp, "stepSize") ?? 0));
            }
            return new Rollout(configs);
        }
        catch (System.Text.Json.JsonException) { return null; }
    }

    /// <summary>The Route reconciler's rollout step: returns the effective rollout and, when a later step is
    /// due, how long to wait before re-enqueueing the Route.</summary>
    public static (Rollout Rollout, TimeSpan? RequeueAfter) Reconcile(ServingConfig config, JsonObject route, TrafficConfig tc,
        JsonObject? existingIngress, long nowNs)
    {
        var current = TrafficBuilder.BuildRollout(tc);
        var duration = DurationSeconds(config, Meta.Annotations(route));
        if (duration <= 0 || existingIngress is null) return (current, null);
        var previous = Parse(Meta.Annotations(existingIngress).GetValueOrDefault(Keys.RolloutAnnotation));
        var routeIngressReady = Json.Str(Conditions.Get(route, "IngressReady"), "status") == "True";
        if (previous is not null && TrafficBuilder.IsReady(existingIngress) && !routeIngressReady)
            previous = ObserveReady(previous, nowNs, duration);
        var (effective, next) = Step(current, previous, nowNs);
        return (effective, next > 0 ? TimeSpan.FromTicks((next - nowNs) / 100) : null);
    }

    /// <summary>Once the KIngress with the 1% split is Ready, computes the step size and cadence.</summary>
    public static Rollout ObserveReady(Rollout previous, long nowNs, double durationSecs)
    {
        var configs = previous.Configurations.Select(Cfg.From).ToList();
        foreach (var c in configs)
        {
            if (c.StepDuration != 0 || c.StartTime <= 0) continue;
            var minStepSec = Math.Max(1, Math.Ceiling((nowNs - c.StartTime) / 1e9));
            var d = Math.Max(1, durationSecs - minStepSec);
            var numSteps = Math.Max(1, d / minStepSec);
            double remaining = c.Percent - 1;
            if (remaining < numSteps) numSteps = remaining;
            var stepSize = Math.Round(remaining / numSteps, MidpointRounding.AwayFromZero);
            var stepDuration = d / numSteps * 1e9;
            c.StepDuration = (long)stepDuration;
            c.StepSize = (long)stepSize;
            c.NextStepTime = (long)(nowNs + stepDuration);
        }
        return new Rollout(configs.Select(c => c.To()).ToList());
    }

    /// <summary>One step from the previous state towards the current goal; returns the earliest next step time (0 = none).</summary>
    public static (Rollout Rollout, long NextStepTime) Step(Rollout current, Rollout? previous, long nowNs)
    {
        if (previous is null || previous.Configurations.Count == 0) return (current, 0);
        var cur = current.Configurations.Select(Cfg.From).GroupBy(c => c.Tag).ToDictionary(g => g.Key, g => g.ToList());
        var prev = previous.Configurations.Select(Cfg.From).GroupBy(c => c.Tag).ToDictionary(g => g.Key, g => g.ToList());
        var result = new List<Cfg>();
        var returnTs = long.MaxValue;
        foreach (var (tag, ccfgs) in cur)
        {
            if (!prev.TryGetValue(tag, out var pcfgs))
            {
                result.Add(ccfgs[0]);
                continue;
            }
            for (int i = 0, j = 0; i < ccfgs.Count;)
            {
                if (j >= pcfgs.Count) { result.Add(ccfgs[i]); i++; continue; }
                var cmp = string.CompareOrdinal(ccfgs[i].ConfigurationName, pcfgs[j].ConfigurationName);
                if (cmp == 0)
                {
                    if (ccfgs[i].Percent > 1)
                    {
                        var sc = StepConfig(ccfgs[i], pcfgs[j], nowNs);
                        result.Add(sc);
                        if (sc.NextStepTime > 0 && sc.NextStepTime < returnTs) returnTs = sc.NextStepTime;
                    }
                    else if (ccfgs[i].Percent == 1) result.Add(ccfgs[i]);
                    i++; j++;
                }
                else if (cmp < 0)
                {
                    if (ccfgs[i].Percent != 0) result.Add(ccfgs[i]);
                    i++;
                }
                else j++;
            }
        }
        var sorted = result.OrderBy(c => c.Tag, StringComparer.Ordinal).ThenBy(c => c.ConfigurationName, StringComparer.Ordinal).Select(c => c.To()).ToList();
        return (new Rollout(sorted), returnTs == long.MaxValue ? 0 : returnTs);
    }

    private static void AdjustPercentage(long goal, Cfg cr)
    {
        var diff = goal - cr.Percent;
        if (goal == 0) { cr.Revisions = []; return; }
        if (diff > 0) { cr.Revisions[^1].Percent += diff; return; }
        if (diff == 0) return;
        diff = -diff;
        var i = 0;
        while (diff > 0 && i < cr.Revisions.Count)
        {
            if (cr.Revisions[i].Percent > diff) { cr.Revisions[i].Percent -= diff; break; }
            diff -= cr.Revisions[i].Percent;
            i++;
        }
        cr.Revisions = cr.Revisions.Skip(i).ToList();
    }

    private static void StepRevisions(Cfg goal, long nowNs)
    {
        if (nowNs < goal.NextStepTime || goal.Revisions.Count < 2) return;
        var len = goal.Revisions.Count;
        var remaining = goal.StepSize;
        var write = len - 1;
        var read = len - 2;
        while (remaining > 0 && read >= 0)
        {
            if (goal.Revisions[read].Percent > remaining) { goal.Revisions[read].Percent -= remaining; break; }
            remaining -= goal.Revisions[read].Percent;
            write--;
            read--;
        }
        goal.Revisions[write] = goal.Revisions[len - 1];
        goal.Revisions[write].Percent += goal.StepSize;
        if (goal.Revisions[write].Percent > goal.Percent) goal.Revisions[write].Percent = goal.Percent;
        goal.Revisions = goal.Revisions.Take(write + 1).ToList();
        if (goal.Revisions.Count > 1) goal.NextStepTime = nowNs + goal.StepDuration;
        else goal.StartTime = goal.NextStepTime = goal.StepDuration = goal.StepSize = 0;
    }

    private static Cfg StepConfig(Cfg goal, Cfg prev, long nowNs)
    {
        // The newest revision of the previous rollout, taken before the percentages are adjusted.
        var prevNewest = prev.Revisions.Count > 0 ? prev.Revisions[^1].Name : null;
        var ret = new Cfg { ConfigurationName = goal.ConfigurationName, Tag = goal.Tag, Percent = goal.Percent, Revisions = goal.Revisions };
        if (prev.Revisions.Count > 0) AdjustPercentage(goal.Percent, prev);
        if (prev.Revisions.Count == 0 || goal.Revisions[0].Name == prevNewest)
        {
            if (prev.Revisions.Count > 1)
            {
                ret.Revisions = prev.Revisions;
                ret.StartTime = prev.StartTime; ret.NextStepTime = prev.NextStepTime;
                ret.StepDuration = prev.StepDuration; ret.StepSize = prev.StepSize;
                if (ret.StepSize > 0) StepRevisions(ret, nowNs);
            }
            return ret;
        }
        ret.StartTime = nowNs;
        for (var i = prev.Revisions.Count - 1; i >= 0; i--)
            if (prev.Revisions[i].Percent > 0) { prev.Revisions[i].Percent--; break; }
        var outList = prev.Revisions.Where(r => r.Percent != 0).ToList();
        outList.Add(new Rev(goal.Revisions[0].Name, 1));
        ret.Revisions = outList;
        return ret;
    }
}
