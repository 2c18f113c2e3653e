using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Ingress.DataPlane.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Ingress.Local.Samples;

/// <summary>
/// Knative networking's conformance test images (knative.dev/networking/test/test_images/*) as in-process apps, so
/// the KIngress conformance scenarios run against the local mode with the backends they expect. Every one listens
/// on HTTP/1.1 and h2c on the same port (as <c>network.NewServer</c> does upstream) and answers Knative's network
/// probe before its own handler (<see cref="ProbeWrapper"/>). See docs/local-mode.md.
/// </summary>
public static class TestImages
{
    /// <summary>Image names (last path segment) of the test images recognised.</summary>
    public static IReadOnlyList<string> Known { get; } = ["runtime", "timeout", "retry", "wsserver", "grpc-ping"];

    /// <summary>The app for a test image name, or null.</summary>
    internal static ILocalApp? TryCreate(string name, IReadOnlyDictionary<string, string> env, int port, IPAddress address, TextWriter? log)
    {
        RequestDelegate? handler = name switch
        {
            "runtime" => Runtime(env),
            "timeout" => Timeout,
            "retry" => new Retry().HandleAsync,
            "wsserver" => WebSocketEcho(env),
            "grpc-ping" => GrpcPing(env),
            _ => null,
        };
        return handler is null ? null : new H2cSampleApp(name, ProbeWrapper(handler), address, port, log);
    }

    /// <summary>
    /// knative.dev/pkg/http/probe.NewHandler: a request with <c>K-Network-Probe: probe</c> never reaches the app; it
    /// gets 400 without a <c>K-Network-Hash</c>, else 200 with that hash echoed in the response header. Any other
    /// request loses its <c>K-Network-Hash</c> header and goes to the app. The KIngress prober depends on this echo.
    /// </summary>
    public static RequestDelegate ProbeWrapper(RequestDelegate next) => context =>
    {
        var headers = context.Request.Headers;
        if (headers["K-Network-Probe"].ToString() != "probe")
        {
            headers.Remove("K-Network-Hash");
            return next(context);
        }
        var hash = headers["K-Network-Hash"].ToString();
        if (hash.Length == 0)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return context.Response.WriteAsync("no K-Network-Hash header\n");
        }
        context.Response.Headers["K-Network-Hash"] = hash;
        context.Response.StatusCode = StatusCodes.Status200OK;
        return Task.CompletedTask;
    };

    /// <summary>
    /// The runtime image: <c>/healthz</c> answers 200 to kubelet (User-Agent <c>kube-probe/…</c>) and 400 to others;
    /// every other path answers 200 with JSON describing the request as the backend saw it (<c>request.uri</c> is the
    /// raw target with query, <c>request.host</c> the Host, header names canonicalised as Go does, values in order,
    /// <c>protoMajor</c>/<c>protoMinor</c>) and the host (its environment). The ingress tests read only <c>request.*</c>.
    /// </summary>
    private static RequestDelegate Runtime(IReadOnlyDictionary<string, string> env) => async context =>
    {
        var request = context.Request;
        if (request.Path == "/healthz")
        {
            var kubelet = request.Headers.UserAgent.ToString().StartsWith("kube-probe/", StringComparison.Ordinal);
            context.Response.StatusCode = kubelet ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest;
            return;
        }
        var (major, minor) = ProtocolVersion(request.Protocol);
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var headers = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (name, values) in request.Headers)
        {
            if (name.StartsWith(':') || name.Equals("Host", StringComparison.OrdinalIgnoreCase)) continue; // Go keeps Host out of Header
            var canonical = CanonicalHeaderKey(name);
            if (!headers.TryGetValue(canonical, out var list)) headers[canonical] = list = [];
            foreach (var v in values) if (v is not null) list.Add(v);
        }
        var info = new Dictionary<string, object?>
        {
            ["request"] = new Dictionary<string, object?>
            {
                ["ts"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
                ["uri"] = string.IsNullOrEmpty(rawTarget) ? request.Path.Value + request.QueryString.Value : rawTarget,
                ["host"] = request.Host.Value,
                ["method"] = request.Method,
                ["headers"] = headers,
                ["protoMajor"] = major,
                ["protoMinor"] = minor,
            },
            // Upstream also reports files, cgroups, mounts and the user; an in-process app has only its environment.
            ["host"] = new Dictionary<string, object?> { ["envVars"] = env },
        };
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-cache, no-store, must-revalidate";
        context.Response.Headers.Pragma = "no-cache";
        context.Response.Headers.Expires = "0";
        await context.Response.WriteAsync(JsonSerializer.Serialize(info), context.RequestAborted);
    };

    private static (int Major, int Minor) ProtocolVersion(string protocol) =>
        HttpProtocol.IsHttp2(protocol) ? (2, 0) : HttpProtocol.IsHttp3(protocol) ? (3, 0) : HttpProtocol.IsHttp10(protocol) ? (1, 0) : (1, 1);

    /// <summary>Go's <c>textproto.CanonicalMIMEHeaderKey</c>: the first letter and every letter after a hyphen upper
    /// case, the rest lower case (HTTP/2 delivers names in lower case; the tests look them up canonicalised).</summary>
    public static string CanonicalHeaderKey(string name)
    {
        foreach (var c in name)
            if (c is ' ' or '\t' or ':' || c > 127) return name; // Go leaves invalid keys alone
        return string.Create(name.Length, name, (span, source) =>
        {
            var upper = true;
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = upper ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c);
                upper = c == '-';
            }
        });
    }

    /// <summary>The timeout image: sleeps <c>initialTimeout</c> ms before the response head, sends 200 and flushes,
    /// sleeps <c>timeout</c> ms, then writes <c>Slept for N milliseconds</c>.</summary>
    private static async Task Timeout(HttpContext context)
    {
        var query = context.Request.Query;
        var initial = int.TryParse(query["initialTimeout"], NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : 0;
        var body = int.TryParse(query["timeout"], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : 0;
        if (initial > 0) await Task.Delay(initial, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.Body.FlushAsync(context.RequestAborted);
        if (body > 0) await Task.Delay(body, context.RequestAborted);
        await context.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"Slept for {initial + body} milliseconds"), context.RequestAborted);
    }

    /// <summary>The retry image, a deliberately flaky backend: its first request gets 503, every later one 200
    /// (<c>Retry n</c>). One counter per app (upstream: per process). An ingress that retried would turn the first
    /// answer into 200, so the conformance test asserts 503 then 200.</summary>
    private sealed class Retry
    {
        private int _count;

        public async Task HandleAsync(HttpContext context)
        {
            var n = Interlocked.Increment(ref _count);
            context.Response.StatusCode = n == 1 ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
            await context.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"Retry {n}"), context.RequestAborted);
        }
    }

    /// <summary>The wsserver image: kubelet probes get 200 on any path; every other request is upgraded to a WebSocket
    /// (no Origin check) whose messages are echoed with the same type, followed by <c>" " + SUFFIX</c> when set.</summary>
    private static RequestDelegate WebSocketEcho(IReadOnlyDictionary<string, string> env)
    {
        var suffix = env.TryGetValue("SUFFIX", out var s) ? s : "";
        RequestDelegate echo = async context =>
        {
            if (context.Request.Headers.UserAgent.ToString().StartsWith("kube-probe/", StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status200OK;
                return;
            }
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync("expected a websocket upgrade\n");
                return;
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[64 * 1024];
            while (socket.State == WebSocketState.Open)
            {
                var received = await ReceiveMessageAsync(socket, buffer, context.RequestAborted);
                if (received is null) break;
                var (type, message) = received.Value;
                if (suffix.Length > 0) message = [.. message, .. Encoding.UTF8.GetBytes(" " + suffix)];
                await socket.SendAsync(message, type, endOfMessage: true, context.RequestAborted);
            }
            if (socket.State is WebSocketState.CloseReceived)
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        };
        var middleware = new WebSocketMiddleware(echo, Options.Create(new WebSocketOptions()), NullLoggerFactory.Instance);
        return middleware.Invoke;
    }

    private static async Task<(WebSocketMessageType, byte[])?> ReceiveMessageAsync(WebSocket socket, byte[] buffer, CancellationToken ct)
    {
        using var message = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult result;
            try { result = await socket.ReceiveAsync(buffer, ct); }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException) { return null; }
            if (result.MessageType == WebSocketMessageType.Close) return null;
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return (result.MessageType, message.ToArray());
        }
    }

    /// <summary>
    /// The grpc-ping image without a gRPC library: service <c>ping.PingService</c> with unary <c>Ping</c> and
    /// bidirectional <c>PingStream</c>, both <c>{string msg = 1}</c> → <c>{string msg = 1}</c>, answering
    /// <c>msg + hostname + SUFFIX</c> (no space; the hostname only when env HOSTNAME=true). Only HTTP/2 requests with
    /// <c>Content-Type: application/grpc</c> are served (others 415 / 505, as grpc-go's handler); DELAY (ms) slows the
    /// unary call. Framing (5-byte prefix: compressed flag, big-endian length) and the one-field protobuf are written
    /// by hand; status goes in the <c>grpc-status</c> trailer.
    /// </summary>
    private static RequestDelegate GrpcPing(IReadOnlyDictionary<string, string> env)
    {
        var suffix = env.TryGetValue("SUFFIX", out var s) ? s : "";
        var hostname = env.TryGetValue("HOSTNAME", out var h) && h == "true" ? Environment.MachineName : "";
        var delay = env.TryGetValue("DELAY", out var d) && int.TryParse(d, CultureInfo.InvariantCulture, out var ms) ? ms : 0;
        string Reply(string msg) => msg + hostname + suffix;
        return async context =>
        {
            var request = context.Request;
            if (!HttpProtocol.IsHttp2(request.Protocol))
            {
                context.Response.StatusCode = StatusCodes.Status505HttpVersionNotsupported;
                await context.Response.WriteAsync("gRPC requires HTTP/2\n");
                return;
            }
            if (request.ContentType != "application/grpc")
            {
                context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                return;
            }
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            var path = request.Path.Value;
            if (path is not (GrpcPingProtocol.PingPath or GrpcPingProtocol.PingStreamPath))
            {
                context.Response.AppendTrailer("grpc-status", "12"); // UNIMPLEMENTED
                context.Response.AppendTrailer("grpc-message", "unknown method " + path);
                return;
            }
            await context.Response.StartAsync(context.RequestAborted);
            var reader = new GrpcMessageReader(request.Body);
            try
            {
                while (await reader.ReadAsync(context.RequestAborted) is { } message)
                {
                    var msg = GrpcPingProtocol.DecodeMsg(message);
                    if (path == GrpcPingProtocol.PingPath && delay > 0) await Task.Delay(delay, context.RequestAborted);
                    await context.Response.Body.WriteAsync(GrpcPingProtocol.Frame(GrpcPingProtocol.EncodeMsg(Reply(msg))), context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    if (path == GrpcPingProtocol.PingPath) break;
                }
                context.Response.AppendTrailer("grpc-status", "0");
            }
            catch (InvalidDataException ex)
            {
                context.Response.AppendTrailer("grpc-status", "13"); // INTERNAL
                context.Response.AppendTrailer("grpc-message", ex.Message);
            }
        };
    }
}

/// <summary>The wire format of grpc-ping's messages, shared by the app and clients (tests, the CLI): gRPC's
/// length-prefixed framing around a protobuf message with one string field (number 1).</summary>
public static class GrpcPingProtocol
{
    public const string PingPath = "/ping.PingService/Ping";
    public const string PingStreamPath = "/ping.PingService/PingStream";

    /// <summary>Protobuf of <c>{string msg = 1}</c>: tag 0x0A, varint length, UTF-8 bytes (absent when empty).</summary>
    public static byte[] EncodeMsg(string msg)
    {
        var text = Encoding.UTF8.GetBytes(msg);
        if (text.Length == 0) return [];
        using var output = new MemoryStream();
        output.WriteByte(0x0A);
        for (var n = (uint)text.Length; ; n >>= 7)
        {
            if (n < 0x80) { output.WriteByte((byte)n); break; }
            output.WriteByte((byte)(n | 0x80));
        }
        output.Write(text);
        return output.ToArray();
    }

    /// <summary>Reads field 1 of a message; other fields are skipped as protobuf requires.</summary>
    public static string DecodeMsg(ReadOnlySpan<byte> message)
    {
        var msg = "";
        var i = 0;
        while (i < message.Length)
        {
            var key = ReadVarint(message, ref i);
            var field = key >> 3;
            switch (key & 7)
            {
                case 0: ReadVarint(message, ref i); break;
                case 1: i += 8; break;
                case 5: i += 4; break;
                case 2:
                    var length = (int)ReadVarint(message, ref i);
                    if (length < 0 || i + length > message.Length) throw new InvalidDataException("truncated protobuf field");
                    if (field == 1) msg = Encoding.UTF8.GetString(message.Slice(i, length));
                    i += length;
                    break;
                default: throw new InvalidDataException($"unsupported protobuf wire type {key & 7}");
            }
        }
        if (i > message.Length) throw new InvalidDataException("truncated protobuf message");
        return msg;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (i >= data.Length) throw new InvalidDataException("truncated varint");
            var b = data[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException("varint too long");
    }

    /// <summary>gRPC's message prefix: 0 (not compressed), 4-byte big-endian length, then the message.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message)
    {
        var framed = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)message.Length);
        message.CopyTo(framed.AsSpan(5));
        return framed;
    }
}

/// <summary>Reads gRPC length-prefixed messages from a stream; null at a clean end of stream.</summary>
public sealed class GrpcMessageReader(Stream stream)
{
    private const int MaxMessage = 4 * 1024 * 1024; // grpc-go's default receive limit

    public async Task<byte[]?> ReadAsync(CancellationToken ct)
    {
        var prefix = new byte[5];
        var got = await ReadFullyAsync(prefix, ct);
        if (got == 0) return null;
        if (got < 5) throw new InvalidDataException("truncated gRPC message prefix");
        if (prefix[0] != 0) throw new InvalidDataException("compressed gRPC messages are not supported");
        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix.AsSpan(1));
        if (length > MaxMessage) throw new InvalidDataException($"gRPC message of {length} bytes is over the limit");
        var message = new byte[length];
        if (await ReadFullyAsync(message, ct) < length) throw new InvalidDataException("truncated gRPC message");
        return message;
    }

    private async Task<int> ReadFullyAsync(byte[] buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(total), ct);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}

/// <summary>A test image on the data plane's Kestrel host, which takes HTTP/1.1 and h2c (prior knowledge) on one port.</summary>
internal sealed class H2cSampleApp(string name, RequestDelegate handler, IPAddress address, int requestedPort, TextWriter? log) : ILocalApp
{
    private KestrelHost? _host;
    public string Name => name;
    public int Port { get; private set; } = requestedPort;

    public async Task StartAsync(CancellationToken ct = default)
    {
        var host = new KestrelHost([new ListenEndpoint(address, Port, HttpProtocols.Http1AndHttp2)], async context =>
        {
            await handler(context);
            if (log is not null)
            {
                lock (log) log.WriteLine($"{DateTime.UtcNow:O} {name} {context.Request.Protocol} {context.Request.Method} {context.Request.Path}{context.Request.QueryString} {context.Response.StatusCode}");
            }
        });
        try
        {
            await host.StartAsync(ct);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        _host = host;
        Port = host.Ports[0];
    }

    public async Task StopAsync(CancellationToken ct = default)
    {
        if (_host is { } host)
        {
            _host = null;
            await host.DisposeAsync(); // graceful stop bounded at 5 s, so an open WebSocket or gRPC stream cannot hold it

        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
