using Microsoft.AspNetCore.Http;

namespace Ingress.DataPlane.Probes;

/// <summary>The ingress prober's contract (net-istio §10.4): <c>K-Network-Probe: probe</c> is answered by the
/// proxy itself with 200 and the request's <c>K-Network-Hash</c> echoed as a response header; without a hash, 400.</summary>
public static class NetworkProbe
{
    public static bool IsNetworkProbe(HttpRequest request) =>
        request.Headers.TryGetValue(KnativeHeaders.ProbeHeader, out var value) && value.Count == 1 && value[0] == KnativeHeaders.ProbeValue;

    public static bool IsKubeletProbe(HttpRequest request) =>
        request.Headers.UserAgent.ToString().StartsWith(KnativeHeaders.KubeProbeUserAgentPrefix, StringComparison.Ordinal)
        || !string.IsNullOrEmpty(request.Headers[KnativeHeaders.KubeletProbeHeader]);

    /// <summary>Answers a network probe; call only when <see cref="IsNetworkProbe"/> is true.</summary>
    public static Task AnswerAsync(HttpContext context)
    {
        var hash = context.Request.Headers[KnativeHeaders.HashHeader].ToString();
        if (string.IsNullOrEmpty(hash))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync(KnativeHeaders.MissingHashBody);
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.Headers[KnativeHeaders.HashHeader] = hash;
        return Task.CompletedTask;
    }
}
