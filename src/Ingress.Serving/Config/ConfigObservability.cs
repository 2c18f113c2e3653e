using System.Text.Json.Nodes;

namespace Ingress.Serving.Config;

/// <summary>
/// The part of <c>config-observability</c> a Revision's queue-proxy needs: its tracing settings, handed over as
/// Knative's <c>OBSERVABILITY_CONFIG</c> environment variable (<c>{"tracing": {"protocol", "endpoint",
/// "sampling-rate"}}</c>). With tracing off the variable stays <c>{}</c>, so Deployments of an install that never
/// traces do not change. The values are passed as written; the queue-proxy judges them (a bad value turns its
/// tracing off with a line on stderr), as the controllers judge the same keys for themselves.
/// </summary>
public sealed record ConfigObservability
{
    public const string Name = "config-observability";

    /// <summary>The queue-proxy's <c>OBSERVABILITY_CONFIG</c>.</summary>
    public string QueueProxyEnv { get; init; } = "{}";

    public static ConfigObservability Default { get; } = new();

    public static ConfigObservability Parse(IReadOnlyDictionary<string, string> data)
    {
        var protocol = data.TryGetValue("tracing-protocol", out var p) ? p.Trim() : "";
        if (protocol is "" or "none") return Default;
        var tracing = new JsonObject { ["protocol"] = protocol };
        if (data.TryGetValue("tracing-endpoint", out var e) && e.Trim().Length > 0) tracing["endpoint"] = e.Trim();
        if (data.TryGetValue("tracing-sampling-rate", out var r) && r.Trim().Length > 0) tracing["sampling-rate"] = r.Trim();
        return new ConfigObservability { QueueProxyEnv = new JsonObject { ["tracing"] = tracing }.ToJsonString() };
    }
}
