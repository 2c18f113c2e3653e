using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Ingress.DataPlane.Proxy;

/// <summary>
/// Optional spans of the proxies, named as Knative's: a server span per proxied request (<c>queue_proxy</c>,
/// <c>activator_proxy</c>) continuing the caller's W3C <c>traceparent</c>, and the activator's <c>throttler_try</c>
/// for the time a request waits for capacity. The sources are exported when config-observability turns tracing on
/// (the process's TracerProvider adds them); with tracing off <see cref="ActivitySource.HasListeners"/> is false and
/// nothing is created, parsed or allocated on the forwarding path.
/// </summary>
public static class ProxyTracing
{
    public const string QueueProxySourceName = "Ingress.DataPlane.QueueProxy";
    public const string ActivatorSourceName = "Ingress.DataPlane.Activator";

    public static readonly ActivitySource QueueProxy = new(QueueProxySourceName);
    public static readonly ActivitySource Activator = new(ActivatorSourceName);

    private const string TraceParent = "traceparent";
    private const string TraceState = "tracestate";

    /// <summary>A server span for <paramref name="context"/>'s request, child of its <c>traceparent</c> when it has a
    /// valid one; null when nobody listens (tracing off) or the sampler drops it.</summary>
    public static Activity? StartServerSpan(ActivitySource source, string name, HttpContext context)
    {
        if (!source.HasListeners()) return null;
        var request = context.Request;
        ActivityContext.TryParse(request.Headers[TraceParent].ToString(), request.Headers[TraceState].ToString(), isRemote: true, out var parent);
        var span = source.StartActivity(name, ActivityKind.Server, parent);
        if (span is null) return null;
        span.SetTag("http.request.method", request.Method);
        span.SetTag("url.path", request.Path.Value);
        span.SetTag("server.address", request.Host.Host);
        return span;
    }

    /// <summary>Ends <paramref name="span"/> with the response's status (an error status at 5xx).</summary>
    public static void Complete(Activity? span, int statusCode)
    {
        if (span is null) return;
        span.SetTag("http.response.status_code", statusCode);
        if (statusCode >= 500) span.SetStatus(ActivityStatusCode.Error);
        span.Dispose();
    }

    /// <summary>The upstream request continues <paramref name="span"/>'s trace: its <c>traceparent</c> (and
    /// <c>tracestate</c>) replace the caller's. The handler's own propagation is off, so this is the only injection.</summary>
    public static ForwardRequest Propagate(ForwardRequest transform, Activity? span)
    {
        if (span is null || span.IdFormat != ActivityIdFormat.W3C || span.Id is not { } id) return transform;
        var set = new List<KeyValuePair<string, string>>((transform.SetHeaders?.Count ?? 0) + 2);
        if (transform.SetHeaders is { } existing)
            foreach (var header in existing)
                if (!header.Key.Equals(TraceParent, StringComparison.OrdinalIgnoreCase) && !header.Key.Equals(TraceState, StringComparison.OrdinalIgnoreCase)) set.Add(header);
        set.Add(new(TraceParent, id));
        var remove = transform.RemoveHeaders;
        if (span.TraceStateString is { Length: > 0 } state) set.Add(new(TraceState, state));
        else remove = [.. remove ?? [], TraceState];
        return transform with { SetHeaders = set, RemoveHeaders = remove };
    }
}
