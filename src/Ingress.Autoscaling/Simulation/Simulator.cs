using System.Globalization;
using System.Text;
using Ingress.Api.Metrics;
using Ingress.Autoscaling.Metrics;
using Ingress.Autoscaling.Scaling;

namespace Ingress.Autoscaling.Simulation;

/// <summary>One decision of the simulation (the YAML output entry), plus what the plot needs.</summary>
public sealed record SimulationStep(double T, int DesiredPodCount, int ExcessBurstCapacity, bool Panicking, bool ScaleValid)
{
    public int ReadyPods { get; init; }
    public double Traffic { get; init; }
}

/// <summary>
/// Replays a <see cref="Scenario"/> through the real decider (and, for traces, the real metric windows).
/// Time starts at a fixed instant (unix 1 700 000 000, an even second so 2 s slots line up), so results are
/// reproducible.
/// </summary>
public static class Simulator
{
    public static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    public static IReadOnlyList<SimulationStep> Run(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return scenario.Steps is not null ? RunSteps(scenario) : RunTrace(scenario);
    }

    private static List<SimulationStep> RunSteps(Scenario scenario)
    {
        var decider = new Decider(scenario.Spec, Start, scenario.ReadyPodsAtCreation);
        var result = new List<SimulationStep>();
        foreach (var step in scenario.Steps!)
        {
            var now = Start + TimeSpan.FromSeconds(step.T);
            if (step.ObservedStable is not { } stable)
            {
                result.Add(new SimulationStep(step.T, 0, 0, decider.Panicking, false) { ReadyPods = step.ReadyPods });
                continue;
            }
            var panic = step.ObservedPanic ?? stable;
            var r = decider.Scale(now, step.ReadyPods, stable, panic);
            result.Add(new SimulationStep(step.T, r.DesiredPodCount, r.ExcessBurstCapacity, decider.Panicking, r.Valid)
            {
                ReadyPods = step.ReadyPods,
                Traffic = stable,
            });
        }
        return result;
    }

    // Trace mode: every second the offered traffic is recorded into the windows; every 2 s the decider runs;
    // pods requested by the decision (bounded by min/max like the reconciler) become ready after PodStartup;
    // removals take effect at once; a decision of 0 removes the last pod after the scale-to-zero grace period.
    private static List<SimulationStep> RunTrace(Scenario scenario)
    {
        var spec = scenario.Spec;
        var settings = scenario.Settings;
        var stableWindow = spec.StableWindow;
        // An explicit decider spec has no panic window: use the config default of 10 % of the stable window.
        var panicWindow = settings?.PanicWindow ?? Ingress.Api.GoDuration.ToTimeSpan(Configuration.RevisionAutoscaling.PanicWindowOf(Ingress.Api.GoDuration.FromTimeSpan(stableWindow), 10));
        var collection = new MetricCollection(new MetricSpec(stableWindow, panicWindow,
            settings?.Algorithm ?? Configuration.AggregationAlgorithm.Linear, spec.TargetBurstCapacity != -1));
        var (min, max) = settings?.ScaleBounds(spec.Reachable ? Configuration.Reachability.Reachable : Configuration.Reachability.Unreachable) ?? (0, 0);
        var grace = settings?.Config.ScaleToZeroGracePeriod ?? TimeSpan.FromSeconds(30);
        var enableScaleToZero = settings?.Config.EnableScaleToZero ?? true;

        var ready = scenario.ReadyPodsAtCreation;
        var decider = new Decider(spec, Start, ready);
        var pending = new List<(double ReadyAt, int Count)>();
        double? zeroSince = null;
        var result = new List<SimulationStep>();
        var trace = scenario.Trace!;
        if (trace.Count == 0) return result;
        var end = trace[^1].T;
        var index = 0;
        var requested = ready;
        for (var second = Math.Floor(trace[0].T); second <= end; second++)
        {
            var now = Start + TimeSpan.FromSeconds(second);
            // Pods finishing start-up.
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                if (pending[i].ReadyAt <= second)
                {
                    ready += pending[i].Count;
                    pending.RemoveAt(i);
                }
            }
            // Offered traffic of this second (the latest trace point at or before it).
            while (index + 1 < trace.Count && trace[index + 1].T <= second) index++;
            var point = trace[index];
            collection.Record(now, new Stat { AverageConcurrentRequests = point.Concurrency, RequestCount = point.Rps });
            if (((long)second) % 2 != 0) continue;

            var observed = spec.ScalingMetric == "rps" ? collection.StableAndPanicRps(now) : collection.StableAndPanicConcurrency(now);
            if (!observed.Ok)
            {
                result.Add(new SimulationStep(second, 0, 0, decider.Panicking, false) { ReadyPods = ready, Traffic = Traffic(spec, point) });
                continue;
            }
            var r = decider.Scale(now, ready, observed.Stable, observed.Panic);
            result.Add(new SimulationStep(second, r.DesiredPodCount, r.ExcessBurstCapacity, decider.Panicking, true)
            {
                ReadyPods = ready,
                Traffic = Traffic(spec, point),
            });

            // What the reconciler would ask the Deployment for.
            var want = Math.Max(r.DesiredPodCount, min);
            if (max != 0) want = Math.Min(want, max);
            if (want == 0)
            {
                if (!enableScaleToZero) want = 1;
                else
                {
                    zeroSince ??= second;
                    if (second - zeroSince < grace.TotalSeconds) want = Math.Min(requested, 1); // the last pod stays for the grace period
                }
            }
            else zeroSince = null;
            var inFlight = pending.Sum(p => p.Count);
            if (want > ready + inFlight)
            {
                pending.Add((second + scenario.PodStartup.TotalSeconds, want - ready - inFlight));
            }
            else if (want < ready + inFlight)
            {
                // Scale down: pending pods are cancelled first, then ready ones stop.
                var excess = ready + inFlight - want;
                for (var i = pending.Count - 1; i >= 0 && excess > 0; i--)
                {
                    var take = Math.Min(excess, pending[i].Count);
                    excess -= take;
                    pending[i] = (pending[i].ReadyAt, pending[i].Count - take);
                    if (pending[i].Count == 0) pending.RemoveAt(i);
                }
                ready -= excess;
            }
            requested = want;
        }
        return result;
    }

    private static double Traffic(DeciderSpec spec, TracePoint point) => spec.ScalingMetric == "rps" ? point.Rps : point.Concurrency;

    /// <summary>The YAML output: one entry per decision with t, desiredPodCount, excessBurstCapacity, panicking,
    /// scaleValid (and readyPods in trace mode, where the simulator owns the pods).</summary>
    public static string ToYaml(IReadOnlyList<SimulationStep> steps, bool includeReadyPods)
    {
        var sb = new StringBuilder();
        if (steps.Count == 0) return "[]\n";
        foreach (var s in steps)
        {
            sb.Append("- t: ").Append(s.T.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            sb.Append("  desiredPodCount: ").Append(s.DesiredPodCount.ToString(CultureInfo.InvariantCulture)).Append('\n');
            sb.Append("  excessBurstCapacity: ").Append(s.ExcessBurstCapacity.ToString(CultureInfo.InvariantCulture)).Append('\n');
            sb.Append("  panicking: ").Append(s.Panicking ? "true" : "false").Append('\n');
            sb.Append("  scaleValid: ").Append(s.ScaleValid ? "true" : "false").Append('\n');
            if (includeReadyPods) sb.Append("  readyPods: ").Append(s.ReadyPods.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        return sb.ToString();
    }
}
