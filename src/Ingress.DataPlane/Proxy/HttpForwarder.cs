using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Ingress.DataPlane.Proxy;

/// <summary>What happened to one forwarding attempt.</summary>
/// <param name="Error">The failure, or <see cref="ProxyError.None"/>.</param>
/// <param name="RequestSent">Whether any part of the request may have reached the upstream. False only for
/// connect failures before the body was touched: then retrying elsewhere is safe.</param>
/// <param name="StatusCode">The upstream status when a response head arrived, else 0.</param>
public readonly record struct ForwardResult(ProxyError Error, bool RequestSent, int StatusCode)
{
    public bool CanRetryElsewhere => Error == ProxyError.UpstreamConnectFailed && !RequestSent;
}

/// <summary>Per-request choices of the caller: how to rewrite the request before it is sent.</summary>
public readonly struct ForwardRequest
{
    /// <summary>When set, replaces the Host header sent upstream.</summary>
    public string? Host { get; init; }

    /// <summary>Headers removed from the upstream request (after hop-by-hop removal).</summary>
    public IReadOnlyList<string>? RemoveHeaders { get; init; }

    /// <summary>Headers set (replacing) on the upstream request.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? SetHeaders { get; init; }

    /// <summary>Overrides the forwarder's <see cref="ForwarderOptions.Protocol"/> for this request.</summary>
    public UpstreamProtocol? Protocol { get; init; }
}

/// <summary>
/// The proxy core shared by queue-proxy, activator and the local gateway: forwards one request to one
/// upstream over a pooled <see cref="SocketsHttpHandler"/>. Stages, in order: request transform
/// (<see cref="CreateUpstreamRequest"/>), send, response copy (or upgrade tunnel), error classification.
/// It never retries by itself and never writes an error response: it returns a <see cref="ForwardResult"/>
/// so the caller decides (the activator retries connect failures on another pod).
/// </summary>
public sealed partial class HttpForwarder : IDisposable
{
    private const int CopyBufferSize = 16 * 1024;
    private readonly HttpMessageInvoker _invoker;
    private readonly ForwarderOptions _options;
    private readonly ILogger _logger;
    private readonly UpstreamUriCache _targets = new();

    public HttpForwarder(ForwarderOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionIdleTimeout = options.PooledConnectionIdleTimeout,
            MaxConnectionsPerServer = options.MaxConnectionsPerServer,
            EnableMultipleHttp2Connections = true,
            // A proxy passes trace headers through untouched; it must not add its own.
            ActivityHeadersPropagator = null,
            InitialHttp2StreamWindowSize = 1024 * 1024,
        };
        if (options.InProcess is { } inProcess) handler.ConnectCallback = inProcess.ConnectAsync;
        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public void Dispose() => _invoker.Dispose();

    /// <summary>Forwards <paramref name="context"/>'s request to <c>http://{authority}</c> and copies the response
    /// back. <paramref name="deadline"/> supplies cancellation (client abort or timeout) and is told about writes.</summary>
    public async Task<ForwardResult> ForwardAsync(HttpContext context, string authority, RequestDeadline deadline, ForwardRequest transform = default)
    {
        var token = deadline.Token;
        var upgradeFeature = context.Features.Get<IHttpUpgradeFeature>();
        var isUpgrade = upgradeFeature is { IsUpgradableRequest: true };

        HttpRequestMessage upstreamRequest;
        StreamingRequestContent? content;
        try
        {
            (upstreamRequest, content) = CreateUpstreamRequest(context, authority, isUpgrade, transform, deadline);
        }
        catch (UriFormatException)
        {
            return new ForwardResult(ProxyError.UpstreamRequestFailed, false, 0);
        }

        // Stage: send.
        HttpResponseMessage response;
        try
        {
            response = await _invoker.SendAsync(upstreamRequest, token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            upstreamRequest.Dispose();
            var sent = content?.Started ?? false;
            var error = ClassifySendFailure(ex, content, deadline);
            if (error is not ProxyError.ClientCanceled) LogSendFailed(_logger, authority, error, ex.Message);
            return new ForwardResult(error, sent || error != ProxyError.UpstreamConnectFailed, 0);
        }

        using (upstreamRequest)
        using (response)
        {
            var status = (int)response.StatusCode;
            if (isUpgrade && response.StatusCode == HttpStatusCode.SwitchingProtocols)
                return await TunnelUpgradeAsync(context, upgradeFeature!, response, deadline).ConfigureAwait(false);

            // Stage: response copy.
            context.Response.StatusCode = status;
            CopyResponseHeaders(response, context.Response);
            var error = await CopyResponseBodyAsync(context, response, deadline).ConfigureAwait(false);
            if (error == ProxyError.None) CopyTrailers(context, response);
            return new ForwardResult(error, true, status);
        }
    }

    /// <summary>Stage: request transform. Hop-by-hop headers go, X-Forwarded-* are added, the body streams.</summary>
    private (HttpRequestMessage, StreamingRequestContent?) CreateUpstreamRequest(HttpContext context, string authority, bool isUpgrade, ForwardRequest transform, RequestDeadline deadline)
    {
        var request = context.Request;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var pathAndQuery = rawTarget is { Length: > 0 } && rawTarget[0] == '/'
            ? rawTarget
            : request.PathBase.Add(request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
        var message = new HttpRequestMessage(HttpMethod.Parse(request.Method), _targets.Get(authority, pathAndQuery));

        var http2 = !isUpgrade && (transform.Protocol ?? _options.Protocol) switch
        {
            UpstreamProtocol.Http2 => true,
            UpstreamProtocol.Http11 => false,
            _ => HttpProtocol.IsHttp2(request.Protocol),
        };
        message.Version = http2 ? HttpVersion.Version20 : HttpVersion.Version11;
        message.VersionPolicy = HttpVersionPolicy.RequestVersionExact;

        StreamingRequestContent? content = null;
        var bodyDetection = context.Features.Get<IHttpRequestBodyDetectionFeature>();
        if (!isUpgrade && (bodyDetection?.CanHaveBody ?? request.ContentLength > 0))
        {
            content = new StreamingRequestContent(request.Body, deadline);
            message.Content = content;
        }

        var connectionNamed = HopByHopHeaders.NamedByConnection(request.Headers.Connection);
        foreach (var header in request.Headers)
        {
            var name = header.Key;
            if (name.Length > 0 && name[0] == ':') continue;
            if (HopByHopHeaders.IsHopByHop(name))
            {
                // gRPC needs "TE: trailers" end to end; it is the only TE value HTTP/2 allows.
                if (name.Equals("TE", StringComparison.OrdinalIgnoreCase) && HasToken(header.Value, "trailers"))
                    message.Headers.TryAddWithoutValidation("TE", "trailers");
                continue;
            }
            if (connectionNamed is not null && connectionNamed.Contains(name)) continue;
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase)) continue;
            // Removed and replaced headers are never added (cheaper than HttpHeaders.Remove after the fact).
            if (Names(transform.RemoveHeaders, name) || SetNames(transform.SetHeaders, name)) continue;
            var added = header.Value.Count == 1
                ? message.Headers.TryAddWithoutValidation(name, header.Value.ToString())
                : message.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)header.Value!);
            if (!added && content is not null)
            {
                if (header.Value.Count == 1) content.Headers.TryAddWithoutValidation(name, header.Value.ToString());
                else content.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)header.Value!);
            }
        }
        if (isUpgrade)
        {
            message.Headers.TryAddWithoutValidation("Connection", "Upgrade");
            message.Headers.TryAddWithoutValidation("Upgrade", (IEnumerable<string>)request.Headers.Upgrade!);
        }
        // Without validation: the Host setter would parse the value on every request.
        message.Headers.TryAddWithoutValidation("Host", transform.Host ?? (request.Host.HasValue ? request.Host.Value : authority));

        if (_options.AddForwardedHeaders)
        {
            var remote = context.Connection.RemoteIpAddress;
            if (remote is not null && !Names(transform.RemoveHeaders, "X-Forwarded-For"))
            {
                var existing = request.Headers["X-Forwarded-For"];
                message.Headers.Remove("X-Forwarded-For");
                message.Headers.TryAddWithoutValidation("X-Forwarded-For",
                    StringValues.IsNullOrEmpty(existing) ? remote.ToString() : existing + ", " + remote);
            }
            if (!request.Headers.ContainsKey("X-Forwarded-Proto") && !Names(transform.RemoveHeaders, "X-Forwarded-Proto"))
                message.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
            if (!request.Headers.ContainsKey("X-Forwarded-Host") && request.Host.HasValue && !Names(transform.RemoveHeaders, "X-Forwarded-Host"))
                message.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
        }

        // Client headers named here were skipped by the copy above; only headers the forwarder adds itself
        // (Host, TE, Connection/Upgrade, X-Forwarded-*) can still be present and need removing.
        if (transform.RemoveHeaders is { } remove)
            foreach (var name in remove)
                if (IsAddedByForwarder(name)) message.Headers.Remove(name);
        if (transform.SetHeaders is { } set)
            foreach (var (name, value) in set)
            {
                if (IsAddedByForwarder(name)) message.Headers.Remove(name);
                // A content header (Content-Type ...) belongs to the body's headers.
                if (!message.Headers.TryAddWithoutValidation(name, value)) content?.Headers.TryAddWithoutValidation(name, value);
            }
        return (message, content);
    }

    private static bool Names(IReadOnlyList<string>? names, string name)
    {
        if (names is null) return false;
        for (var i = 0; i < names.Count; i++)
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static bool SetNames(IReadOnlyList<KeyValuePair<string, string>>? headers, string name)
    {
        if (headers is null) return false;
        for (var i = 0; i < headers.Count; i++)
            if (string.Equals(headers[i].Key, name, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>Headers <see cref="CreateUpstreamRequest"/> adds on its own rather than copying from the client.</summary>
    private static bool IsAddedByForwarder(string name) =>
        name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("TE", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase);

    private static bool HasToken(StringValues values, string token)
    {
        foreach (var value in values)
            if (value is not null && value.Split(',', StringSplitOptions.TrimEntries).Contains(token, StringComparer.OrdinalIgnoreCase))
                return true;
        return false;
    }

    /// <summary>Stage: error. Maps a failed send to the closed set.</summary>
    private static ProxyError ClassifySendFailure(Exception ex, StreamingRequestContent? content, RequestDeadline deadline)
    {
        if (deadline.Token.IsCancellationRequested) return deadline.CancellationReason();
        if (content?.ClientReadError is not null) return ProxyError.RequestBodyFailed;
        if (ex is HttpRequestException hre)
        {
            if (hre.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
                return ProxyError.UpstreamConnectFailed;
            if (hre.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable })
                return ProxyError.UpstreamConnectFailed;
        }
        // SocketsHttpHandler reports its own ConnectTimeout as a cancellation that is not ours.
        if (ex is TaskCanceledException { InnerException: TimeoutException }) return ProxyError.UpstreamConnectFailed;
        return ProxyError.UpstreamRequestFailed;
    }

    /// <summary>Copies headers as raw strings (<c>NonValidated</c>): parsing them into typed values would cost
    /// time on every response for nothing, since a proxy passes them on unchanged.</summary>
    private static void CopyResponseHeaders(HttpResponseMessage response, HttpResponse downstream)
    {
        HashSet<string>? connectionNamed = null;
        if (response.Headers.NonValidated.TryGetValues("Connection", out var connection))
            foreach (var value in connection)
                if (HopByHopHeaders.NamedByConnection(value) is { } named) (connectionNamed ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase)).UnionWith(named);
        var headers = downstream.Headers;
        foreach (var header in response.Headers.NonValidated)
        {
            if (HopByHopHeaders.IsHopByHop(header.Key)) continue;
            if (connectionNamed is not null && connectionNamed.Contains(header.Key)) continue;
            headers[header.Key] = ToStringValues(header.Value);
        }
        foreach (var header in response.Content.Headers.NonValidated)
            headers[header.Key] = ToStringValues(header.Value);
    }

    private static StringValues ToStringValues(HeaderStringValues values)
    {
        if (values.Count == 1) return new StringValues(values.ToString());
        var array = new string[values.Count];
        var i = 0;
        foreach (var value in values) array[i++] = value;
        return new StringValues(array);
    }

    private static void CopyTrailers(HttpContext context, HttpResponseMessage response)
    {
        if (response.TrailingHeaders.NonValidated.Count == 0) return;
        var trailers = context.Features.Get<IHttpResponseTrailersFeature>();
        if (trailers?.Trailers is null || trailers.Trailers.IsReadOnly) return;
        foreach (var header in response.TrailingHeaders.NonValidated)
            trailers.Trailers[header.Key] = ToStringValues(header.Value);
    }

    /// <summary>Streams the upstream body to the client, flushing every chunk (Knative's flush interval 0). The
    /// head is sent together with the first chunk when that chunk is already buffered (one write for small
    /// responses), and on its own when the upstream is still thinking (so streaming clients see headers at once).</summary>
    private async Task<ProxyError> CopyResponseBodyAsync(HttpContext context, HttpResponseMessage response, RequestDeadline deadline)
    {
        var token = deadline.Token;
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        Stream? upstream = null;
        try
        {
            upstream = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
            var body = context.Response.Body;
            var first = true;
            while (true)
            {
                int read;
                try
                {
                    var pending = upstream.ReadAsync(buffer.AsMemory(0, CopyBufferSize), token);
                    if (first && !pending.IsCompleted)
                    {
                        await context.Response.StartAsync(token).ConfigureAwait(false);
                        deadline.OnResponseStarted();
                        deadline.OnWrite();
                    }
                    read = await pending.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    if (token.IsCancellationRequested) return deadline.CancellationReason();
                    LogResponseFailed(_logger, ex.Message);
                    return ProxyError.UpstreamResponseFailed;
                }
                if (first)
                {
                    first = false;
                    deadline.OnResponseStarted();
                }
                if (read == 0) break;
                await body.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                deadline.OnWrite();
            }
            return ProxyError.None;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return deadline.CancellationReason();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Writing to the client failed: the client went away.
            return context.RequestAborted.IsCancellationRequested ? ProxyError.ClientCanceled : ProxyError.UpstreamResponseFailed;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (upstream is not null) await upstream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>WebSocket and other HTTP/1.1 upgrades: after the upstream's 101, upgrade the client connection
    /// with the same headers and copy bytes both ways until either side closes.</summary>
    private async Task<ForwardResult> TunnelUpgradeAsync(HttpContext context, IHttpUpgradeFeature upgrade, HttpResponseMessage response, RequestDeadline deadline)
    {
        var upstream = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
        foreach (var header in response.Headers.NonValidated)
        {
            if (header.Key.Equals("Connection", StringComparison.OrdinalIgnoreCase) || header.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) continue;
            context.Response.Headers[header.Key] = ToStringValues(header.Value);
        }
        Stream client;
        try
        {
            client = await upgrade.UpgradeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogUpgradeFailed(_logger, ex.Message);
            await upstream.DisposeAsync().ConfigureAwait(false);
            return new ForwardResult(ProxyError.UpgradeFailed, true, 101);
        }
        deadline.OnResponseStarted();
        // An upgraded connection lives as long as both ends want it; the request timeout still bounds it as in Knative.
        using var tunnelEnd = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        var toUpstream = PumpAsync(client, upstream, deadline, tunnelEnd);
        var toClient = PumpAsync(upstream, client, deadline, tunnelEnd);
        await Task.WhenAny(toUpstream, toClient).ConfigureAwait(false);
        // One direction ended: give the other a moment to deliver a close frame, then tear both down.
        await Task.WhenAny(Task.WhenAll(toUpstream, toClient), Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        await tunnelEnd.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(toUpstream, toClient).ConfigureAwait(false);
        await upstream.DisposeAsync().ConfigureAwait(false);
        await client.DisposeAsync().ConfigureAwait(false);
        return new ForwardResult(ProxyError.None, true, 101);
    }

    private static async Task PumpAsync(Stream from, Stream to, RequestDeadline deadline, CancellationTokenSource end)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer.AsMemory(0, CopyBufferSize), end.Token).ConfigureAwait(false);
                if (read == 0) break;
                await to.WriteAsync(buffer.AsMemory(0, read), end.Token).ConfigureAwait(false);
                await to.FlushAsync(end.Token).ConfigureAwait(false);
                deadline.OnWrite();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // A closed side ends the tunnel; nothing to report.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Proxy send to {Upstream} failed as {Error}: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, string upstream, ProxyError error, string reason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Proxy response copy failed: {Reason}")]
    private static partial void LogResponseFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Proxy upgrade failed: {Reason}")]
    private static partial void LogUpgradeFailed(ILogger logger, string reason);
}
