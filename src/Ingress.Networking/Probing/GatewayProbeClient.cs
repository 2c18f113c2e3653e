using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Ingress.Networking.Probing;

/// <summary>
/// Sends one readiness probe to one gateway pod (spec §10.3): <c>GET &lt;scheme&gt;://&lt;host&gt;:&lt;port&gt;/healthz</c>
/// dialled to <c>podIP:podPort</c> whatever the URL host, Host header <c>host:port</c>, SNI <c>host</c>, certificate
/// verification off, a fresh connection per attempt, and the K-Network-Probe/K-Network-Hash/User-Agent headers.
/// </summary>
public sealed class GatewayProbeClient : IDisposable
{
    private readonly TimeSpan _timeout;

    // One handler per pod endpoint, so that a connection opened for one pod can never carry a probe meant for
    // another (the .NET pool hands new connections to whichever queued request comes first, and the pool key is the
    // URL authority, which is the same for every pod of a gateway).
    private readonly ConcurrentDictionary<(string PodIP, int PodPort), HttpMessageInvoker> _invokers = new();

    public GatewayProbeClient(TimeSpan timeout) => _timeout = timeout;

    public async Task<ProbeOutcome> ProbeAsync(string url, string podIP, int podPort, string expectedHash, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri))
            return new ProbeOutcome(ProbeVerdict.Retry, null, $"invalid probe URL {url}");

        // Go's path.Join(url.Path, "/healthz").
        var basePath = baseUri.AbsolutePath.TrimEnd('/');
        var builder = new UriBuilder(baseUri) { Path = basePath + NetworkingConstants.ProbePath, Query = "" };
        using var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        request.Version = HttpVersion.Version11;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        // Go sends the URL authority as given, port included even when it is the default one.
        request.Headers.Host = baseUri.GetComponents(UriComponents.HostAndPort, UriFormat.UriEscaped);
        request.Headers.ConnectionClose = true;
        request.Headers.TryAddWithoutValidation("User-Agent", NetworkingConstants.ProbeUserAgent);
        request.Headers.TryAddWithoutValidation(NetworkingConstants.ProbeHeaderName, NetworkingConstants.ProbeHeaderValue);
        request.Headers.TryAddWithoutValidation(NetworkingConstants.HashHeaderName, NetworkingConstants.HashOverrideValue);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var invoker = _invokers.GetOrAdd((podIP, podPort), static (key, t) => CreateInvoker(key.PodIP, key.PodPort, t), _timeout);
        try
        {
            using var response = await invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
            // The body is read and ignored, as upstream does.
            await response.Content.CopyToAsync(Stream.Null, timeout.Token).ConfigureAwait(false);
            return Judge(response, expectedHash);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ProbeOutcome(ProbeVerdict.Retry, null, $"probe timed out after {_timeout.TotalMilliseconds:0} ms");
        }
        catch (HttpRequestException e)
        {
            return new ProbeOutcome(ProbeVerdict.Retry, null, e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message);
        }
        catch (IOException e)
        {
            return new ProbeOutcome(ProbeVerdict.Retry, null, e.Message);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            // A pod going away between connect and the first read can surface unwrapped (seen: "Transport endpoint
            // is not connected" from the connection's remote-endpoint lookup); it is a failed probe, not a crash.
            return new ProbeOutcome(ProbeVerdict.Retry, null, e.Message);
        }
    }

    /// <summary>The verdict table of spec §10.3.</summary>
    public static ProbeOutcome Judge(HttpResponseMessage response, string expectedHash)
    {
        var status = (int)response.StatusCode;
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK:
                var hash = response.Headers.TryGetValues(NetworkingConstants.HashHeaderName, out var values) ? values.FirstOrDefault() ?? "" : "";
                if (hash.Length == 0)
                    return new ProbeOutcome(ProbeVerdict.Abandoned, status, $"the response doesn't contain the \"{NetworkingConstants.HashHeaderName}\" header");
                if (hash == expectedHash) return new ProbeOutcome(ProbeVerdict.Ready, status, null);
                return new ProbeOutcome(ProbeVerdict.Retry, status, $"unexpected hash: want \"{expectedHash}\", got \"{hash}\"");
            case HttpStatusCode.NotFound:
            case HttpStatusCode.ServiceUnavailable:
                return new ProbeOutcome(ProbeVerdict.Retry, status, $"unexpected status code: want 200, got {status}");
            default:
                return new ProbeOutcome(ProbeVerdict.Abandoned, status, $"the response status is {status}, expected one of: [200 404 503]");
        }
    }

    private static HttpMessageInvoker CreateInvoker(string podIP, int podPort, TimeSpan timeout)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(podIP), podPort);
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = timeout,
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.Zero,
            SslOptions = new SslClientAuthenticationOptions
            {
                // We only want to know that the gateway is programmed, not that its certificate is valid.
                RemoteCertificateValidationCallback = static (_, _, _, _) => true,
            },
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(endpoint, ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>Drops the cached handler of a pod that is gone.</summary>
    public void ForgetPod(string podIP)
    {
        foreach (var key in _invokers.Keys.Where(k => k.PodIP == podIP).ToArray())
        {
            if (_invokers.TryRemove(key, out var invoker)) invoker.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var invoker in _invokers.Values) invoker.Dispose();
        _invokers.Clear();
    }
}
