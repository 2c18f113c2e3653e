using Ingress.DataPlane.Probes;

namespace Ingress.DataPlane.Activator;

/// <summary>The activator's probe of a queue-proxy before sending it traffic: <c>GET /healthz</c> with
/// <c>K-Network-Probe: queue</c> and <c>User-Agent: Knative-Activator-Probe</c>; healthy iff 200 with body
/// <c>queue</c> within 300 ms (Knative's values).</summary>
public sealed class PodProber : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(300);

    private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,
    };

    /// <param name="http2">Probe with h2c prior knowledge (h2c revisions are reached on an HTTP/2-only port).</param>
    public async Task<bool> ProbeAsync(string address, bool http2, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{address}/healthz")
            {
                Version = http2 ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            request.Headers.TryAddWithoutValidation(KnativeHeaders.ProbeHeader, KnativeHeaders.QueueProbeValue);
            request.Headers.TryAddWithoutValidation("User-Agent", KnativeHeaders.ActivatorUserAgent);
            using var response = await _client.SendAsync(request, cts.Token).ConfigureAwait(false);
            if ((int)response.StatusCode != 200) return false;
            return await response.Content.ReadAsStringAsync(cts.Token).ConfigureAwait(false) == KnativeHeaders.QueueProbeValue;
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
        {
            return false;
        }
    }

    public void Dispose() => _client.Dispose();
}
