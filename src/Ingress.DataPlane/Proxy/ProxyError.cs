using Microsoft.AspNetCore.Http;

namespace Ingress.DataPlane.Proxy;

/// <summary>The closed set of ways a proxied request can fail. Every value maps to one status code and one
/// body (see <see cref="ProxyErrors"/>), so a client can always tell which stage failed.</summary>
public enum ProxyError
{
    /// <summary>No failure.</summary>
    None = 0,
    /// <summary>The TCP connection to the upstream could not be established; nothing was sent, so a retry
    /// against another destination is safe.</summary>
    UpstreamConnectFailed,
    /// <summary>The connection existed but sending the request or reading the response head failed.</summary>
    UpstreamRequestFailed,
    /// <summary>Reading the upstream response body failed after the head arrived.</summary>
    UpstreamResponseFailed,
    /// <summary>The upstream refused or broke a protocol upgrade (WebSocket).</summary>
    UpgradeFailed,
    /// <summary>Reading the client's request body failed (client went away mid-body).</summary>
    RequestBodyFailed,
    /// <summary>The client cancelled the request; nothing can be written back.</summary>
    ClientCanceled,
    /// <summary>The revision's timeoutSeconds elapsed.</summary>
    RequestTimeout,
    /// <summary>responseStartTimeoutSeconds elapsed before the first byte of the response.</summary>
    ResponseStartTimeout,
    /// <summary>idleTimeoutSeconds elapsed without a write to the client.</summary>
    IdleTimeout,
    /// <summary>The concurrency breaker's queue is full (queue-proxy: 10 × containerConcurrency).</summary>
    QueueFull,
    /// <summary>The proxy is draining for shutdown and refuses the request.</summary>
    Draining,
    /// <summary>The activator has no destination it could send to (every pod failed to connect).</summary>
    NoHealthyBackend,
}

/// <summary>Status codes and bodies of <see cref="ProxyError"/>, and the one place that writes them.</summary>
public static class ProxyErrors
{
    /// <summary>Status per kind: 502 when the upstream misbehaved, 503 when we chose not to send (capacity,
    /// drain), 504 when a configured timeout ended the request. ClientCanceled has no status: the client is gone
    /// (499 is what access logs record, as nginx does).</summary>
    public static int StatusCode(this ProxyError error) => error switch
    {
        ProxyError.None => 200,
        ProxyError.UpstreamConnectFailed => 502,
        ProxyError.UpstreamRequestFailed => 502,
        ProxyError.UpstreamResponseFailed => 502,
        ProxyError.UpgradeFailed => 502,
        ProxyError.RequestBodyFailed => 400,
        ProxyError.ClientCanceled => 499,
        ProxyError.RequestTimeout => 504,
        ProxyError.ResponseStartTimeout => 504,
        ProxyError.IdleTimeout => 504,
        ProxyError.QueueFull => 503,
        ProxyError.Draining => 503,
        ProxyError.NoHealthyBackend => 503,
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, null),
    };

    /// <summary>Body per kind. "pending request queue full", "request timeout" and "shutting down" are
    /// Knative's own texts; the others name the stage that failed.</summary>
    public static string Body(this ProxyError error) => error switch
    {
        ProxyError.None => "",
        ProxyError.UpstreamConnectFailed => "upstream connect failed",
        ProxyError.UpstreamRequestFailed => "upstream request failed",
        ProxyError.UpstreamResponseFailed => "upstream response failed",
        ProxyError.UpgradeFailed => "upstream upgrade failed",
        ProxyError.RequestBodyFailed => "reading the request body failed",
        ProxyError.ClientCanceled => "client canceled the request",
        ProxyError.RequestTimeout => "request timeout",
        ProxyError.ResponseStartTimeout => "response start timeout",
        ProxyError.IdleTimeout => "idle timeout",
        ProxyError.QueueFull => "pending request queue full",
        ProxyError.Draining => "shutting down",
        ProxyError.NoHealthyBackend => "no healthy backend",
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, null),
    };

    /// <summary>Writes the error as the response when the response has not started; otherwise aborts the
    /// connection, because a status can no longer be changed and a truncated body must not look complete.</summary>
    public static Task WriteAsync(Microsoft.AspNetCore.Http.HttpContext context, ProxyError error, string? prefix = null)
    {
        if (error is ProxyError.None or ProxyError.ClientCanceled)
        {
            if (error == ProxyError.ClientCanceled) context.Abort();
            return Task.CompletedTask;
        }
        if (context.Response.HasStarted)
        {
            context.Abort();
            return Task.CompletedTask;
        }
        context.Response.Clear();
        context.Response.StatusCode = error.StatusCode();
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers["X-Ingress-Proxy-Error"] = error.ToString();
        var body = prefix is null ? error.Body() : prefix + error.Body();
        return context.Response.WriteAsync(body + "\n");
    }
}
