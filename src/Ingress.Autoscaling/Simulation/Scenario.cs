using Ingress.Api;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.GoCompat;
using Ingress.Autoscaling.Scaling;
using YamlDotNet.RepresentationModel;

namespace Ingress.Autoscaling.Simulation;

/// <summary>One explicit observation: revision-wide totals at <see cref="T"/> seconds after start. A missing
/// observation means "no data" (the decision is invalid, as when the stable window is empty).</summary>
public sealed record ScenarioStep(double T, int ReadyPods, double? ObservedStable, double? ObservedPanic);

/// <summary>One second of offered traffic: revision-wide concurrency and requests per second.</summary>
public sealed record TracePoint(double T, double Concurrency, double Rps);

/// <summary>A what-if scenario for <c>ingress autoscale simulate</c>.</summary>
public sealed record Scenario
{
    public required DeciderSpec Spec { get; init; }
    /// <summary>Resolved revision settings when the scenario gave config + annotations (null for an explicit spec).</summary>
    public RevisionAutoscaling? Settings { get; init; }
    public int ReadyPodsAtCreation { get; init; }
    public IReadOnlyList<ScenarioStep>? Steps { get; init; }
    public IReadOnlyList<TracePoint>? Trace { get; init; }
    /// <summary>Trace mode: seconds from a scale-up decision until the new pods are ready.</summary>
    public TimeSpan PodStartup { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Parses scenario YAML; throws <see cref="ScenarioException"/> with a message naming the field.</summary>
    public static Scenario Parse(string yaml)
    {
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            root = stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode m
                ? m : throw new ScenarioException("scenario must be a YAML mapping");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ScenarioException($"invalid YAML: {e.Message}");
        }

        var known = new HashSet<string> { "config", "annotations", "containerConcurrency", "reachability", "decider",
            "readyPodsAtCreation", "steps", "trace", "podStartup" };
        foreach (var key in root.Children.Keys)
        {
            var name = ((YamlScalarNode)key).Value!;
            if (!known.Contains(name)) throw new ScenarioException($"unknown field \"{name}\"");
        }

        DeciderSpec spec;
        RevisionAutoscaling? settings = null;
        var hasDecider = root.Children.ContainsKey("decider");
        if (hasDecider && (root.Children.ContainsKey("config") || root.Children.ContainsKey("annotations")))
            throw new ScenarioException("give either decider or config/annotations, not both");
        if (hasDecider)
        {
            spec = ParseDecider(Mapping(root, "decider")!);
        }
        else
        {
            var data = StringMap(root, "config");
            if (!AutoscalerConfig.TryParse(data, out var config, out var error)) throw new ScenarioException($"config: {error}");
            var annotations = StringMap(root, "annotations");
            var validation = AutoscalingAnnotations.Validate(annotations, config!);
            if (!validation.IsEmpty) throw new ScenarioException($"annotations: {validation}");
            var cc = (long)(Number(root, "containerConcurrency") ?? 0);
            var reachability = Text(root, "reachability") switch
            {
                null or "Reachable" => Reachability.Reachable,
                "Unreachable" => Reachability.Unreachable,
                "Unknown" => Reachability.Unknown,
                var other => throw new ScenarioException($"reachability: unknown value \"{other}\""),
            };
            settings = RevisionAutoscaling.Resolve(annotations, cc, config!);
            spec = settings.ToDeciderSpec(reachability);
        }

        var steps = root.Children.TryGetValue("steps", out var s) ? ParseSteps(s) : null;
        var trace = root.Children.TryGetValue("trace", out var t) ? ParseTrace(t) : null;
        if ((steps is null) == (trace is null)) throw new ScenarioException("give exactly one of steps or trace");
        var startup = Text(root, "podStartup") is { } ps ? Duration(ps, "podStartup") : TimeSpan.FromSeconds(5);
        return new Scenario
        {
            Spec = spec,
            Settings = settings,
            ReadyPodsAtCreation = (int)(Number(root, "readyPodsAtCreation") ?? (trace is not null ? Math.Max(spec.InitialScale, 0) : 0)),
            Steps = steps,
            Trace = trace,
            PodStartup = startup,
        };
    }

    private static DeciderSpec ParseDecider(YamlMappingNode node)
    {
        var d = new DeciderSpec();
        foreach (var (k, v) in node.Children)
        {
            var key = ((YamlScalarNode)k).Value!;
            var raw = (v as YamlScalarNode)?.Value ?? throw new ScenarioException($"decider.{key} must be a scalar");
            d = key switch
            {
                "scalingMetric" => d with { ScalingMetric = raw },
                "targetValue" => d with { TargetValue = Float(raw, key) },
                "totalValue" => d with { TotalValue = Float(raw, key) },
                "targetBurstCapacity" => d with { TargetBurstCapacity = Float(raw, key) },
                "panicThreshold" => d with { PanicThreshold = Float(raw, key) },
                "maxScaleUpRate" => d with { MaxScaleUpRate = Float(raw, key) },
                "maxScaleDownRate" => d with { MaxScaleDownRate = Float(raw, key) },
                "activatorCapacity" => d with { ActivatorCapacity = Float(raw, key) },
                "stableWindow" => d with { StableWindow = Duration(raw, key) },
                "scaleDownDelay" => d with { ScaleDownDelay = Duration(raw, key) },
                "reachable" => d with { Reachable = GoStrconv.TryParseBool(raw, out var b, out _) ? b : throw new ScenarioException($"decider.{key}: not a boolean: {raw}") },
                "activationScale" => d with { ActivationScale = (int)Float(raw, key) },
                "initialScale" => d with { InitialScale = (int)Float(raw, key) },
                _ => throw new ScenarioException($"decider: unknown field \"{key}\""),
            };
        }
        if (d.TargetValue <= 0) throw new ScenarioException("decider.targetValue must be positive");
        if (d.MaxScaleUpRate <= 1 || d.MaxScaleDownRate <= 1) throw new ScenarioException("decider: scale rates must be greater than 1");
        return d;
    }

    private static List<ScenarioStep> ParseSteps(YamlNode node)
    {
        var list = new List<ScenarioStep>();
        foreach (var item in Sequence(node, "steps"))
        {
            list.Add(new ScenarioStep(
                Required(item, "t", "steps"),
                (int)Required(item, "readyPods", "steps"),
                Number(item, "observedStable"),
                Number(item, "observedPanic")));
        }
        for (var i = 1; i < list.Count; i++)
            if (list[i].T < list[i - 1].T) throw new ScenarioException($"steps[{i}].t goes back in time");
        return list;
    }

    private static List<TracePoint> ParseTrace(YamlNode node)
    {
        var list = new List<TracePoint>();
        foreach (var item in Sequence(node, "trace"))
            list.Add(new TracePoint(Required(item, "t", "trace"), Number(item, "concurrency") ?? 0, Number(item, "rps") ?? 0));
        for (var i = 1; i < list.Count; i++)
            if (list[i].T < list[i - 1].T) throw new ScenarioException($"trace[{i}].t goes back in time");
        return list;
    }

    private static IEnumerable<YamlMappingNode> Sequence(YamlNode node, string name) =>
        node is YamlSequenceNode seq
            ? seq.Children.Select((c, i) => c as YamlMappingNode ?? throw new ScenarioException($"{name}[{i}] must be a mapping"))
            : throw new ScenarioException($"{name} must be a list");

    private static YamlMappingNode? Mapping(YamlMappingNode root, string key) =>
        root.Children.TryGetValue(key, out var n) ? n as YamlMappingNode ?? throw new ScenarioException($"{key} must be a mapping") : null;

    private static Dictionary<string, string>? StringMap(YamlMappingNode root, string key) =>
        Mapping(root, key)?.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => (kv.Value as YamlScalarNode)?.Value ?? "");

    private static string? Text(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var v) ? (v as YamlScalarNode)?.Value : null;

    private static double? Number(YamlMappingNode node, string key) => Text(node, key) is { } raw ? Float(raw, key) : null;

    private static double Required(YamlMappingNode node, string key, string where) =>
        Number(node, key) ?? throw new ScenarioException($"{where}: every entry needs \"{key}\"");

    private static double Float(string raw, string key) =>
        GoStrconv.TryParseFloat(raw, out var f, out _) ? f : throw new ScenarioException($"{key}: not a number: {raw}");

    private static TimeSpan Duration(string raw, string key) =>
        GoDuration.TryParseNanoseconds(raw, out var ns, out var error) ? GoDuration.ToTimeSpan(ns) : throw new ScenarioException($"{key}: {error}");
}

/// <summary>A scenario that cannot be read.</summary>
public sealed class ScenarioException(string message) : Exception(message);
