using System.Net;
using System.Net.WebSockets;
using Ingress.DataPlane.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Ingress.DataPlane.Tests;

/// <summary>
/// A real HTTP server on 127.0.0.1 (port chosen by the OS) standing in for a user container. Behaviour by path:
/// <c>/ws</c> echoes WebSocket messages, <c>/ping.PingService/PingStream</c> is a gRPC-like h2c echo stream
/// with trailers, <c>/gate</c> blocks until <see cref="OpenGate"/>, <c>/stream</c> writes a first chunk then
/// waits for the gate, <c>/sleep?ms=</c> sleeps, <c>/id</c> answers the connection id, <c>/copy</c> streams the body back, <c>/abort</c> aborts
/// after a first chunk, <c>/hold</c> waits for the caller to go away, anything else echoes request facts as headers and body.
/// It records the maximum number of requests it ever served at once.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly KestrelHost _host;
    private readonly WebSocketMiddleware _webSockets;
    private int _current;
    private int _max;
    private int _total;
    private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TestBackend(HttpProtocols protocols, InProcessEndpoints? inProcess)
    {
        _webSockets = new WebSocketMiddleware(HandleAsync, Options.Create(new WebSocketOptions()), NullLoggerFactory.Instance);
        _host = new KestrelHost([ListenEndpoint.Loopback(0, protocols)], _webSockets.Invoke, inProcess: inProcess);
    }

    /// <param name="inProcess">When given, the backend also listens in memory and registers there.</param>
    public static async Task<TestBackend> StartAsync(HttpProtocols protocols = HttpProtocols.Http1, InProcessEndpoints? inProcess = null)
    {
        var backend = new TestBackend(protocols, inProcess);
        await backend._host.StartAsync();
        return backend;
    }

    public int Port => _host.Ports[0];
    public string Authority => $"127.0.0.1:{Port}";
    public int MaxConcurrency => Volatile.Read(ref _max);
    public int TotalRequests => Volatile.Read(ref _total);
    public int CurrentRequests => Volatile.Read(ref _current);
    /// <summary>Requests on <c>/hold</c> that started, and those whose caller's abort reached the backend.</summary>
    public int Holding => Volatile.Read(ref _holding);
    public int HeldAborted => Volatile.Read(ref _heldAborted);
    private int _holding;
    private int _heldAborted;

    /// <summary>Headers of the last non-probe request, as the backend saw them.</summary>
    public IHeaderDictionary? LastHeaders { get; private set; }

    public void OpenGate() => _gate.TrySetResult();

    public void CloseGate() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _total);
        var now = Interlocked.Increment(ref _current);
        int seen;
        while ((seen = Volatile.Read(ref _max)) < now && Interlocked.CompareExchange(ref _max, now, seen) != seen) { }
        try
        {
            LastHeaders = new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value));
            var path = context.Request.Path.Value ?? "/";
            switch (path)
            {
                case "/ws" when context.WebSockets.IsWebSocketRequest:
                    await EchoWebSocketAsync(context);
                    return;
                case "/ping.PingService/PingStream":
                    await GrpcEchoStreamAsync(context);
                    return;
                case "/gate":
                    await _gate.Task.WaitAsync(TimeSpan.FromSeconds(60), context.RequestAborted);
                    await context.Response.WriteAsync("opened");
                    return;
                case "/copy":
                    // Streams the body back while it is still arriving (no Connection header: the connection stays).
                    await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
                    return;
                case "/id":
                    await context.Response.WriteAsync(context.Connection.Id);
                    return;
                case "/abort":
                    await context.Response.WriteAsync("partial;");
                    await context.Response.Body.FlushAsync();
                    context.Abort();
                    return;
                case "/hold":
                    // Until the caller goes away: tells the test when the abort arrived.
                    var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    using (context.RequestAborted.Register(() => aborted.TrySetResult()))
                    {
                        Interlocked.Increment(ref _holding);
                        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(60));
                        Interlocked.Increment(ref _heldAborted);
                    }
                    return;
                case "/stream":
                    await context.Response.WriteAsync("first;");
                    await context.Response.Body.FlushAsync();
                    await _gate.Task.WaitAsync(TimeSpan.FromSeconds(60));
                    await context.Response.WriteAsync("second");
                    return;
                case "/sleep":
                    var ms = int.Parse(context.Request.Query["ms"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
                    await Task.Delay(ms);
                    await context.Response.WriteAsync("slept");
                    return;
                default:
                    using (var reader = new StreamReader(context.Request.Body))
                    {
                        var body = await reader.ReadToEndAsync();
                        context.Response.Headers["X-Seen-Host"] = context.Request.Host.Value;
                        context.Response.Headers["X-Seen-Protocol"] = context.Request.Protocol;
                        context.Response.Headers["X-Seen-Connection"] = context.Connection.Id;
                        context.Response.Headers["X-Seen-Path"] = context.Request.Path.Value + context.Request.QueryString.Value;
                        context.Response.Headers["Connection"] = "X-Custom-Hop";
                        context.Response.Headers["X-Custom-Hop"] = "must-not-pass";
                        await context.Response.WriteAsync("echo:" + body);
                    }
                    return;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _current);
        }
    }

    private static async Task EchoWebSocketAsync(HttpContext context)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[4096];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }
            await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, CancellationToken.None);
        }
    }

    /// <summary>A gRPC-shaped bidirectional stream: every length-prefixed message is echoed back with a suffix
    /// as soon as it arrives; the response ends with <c>grpc-status: 0</c> in trailers. Only HTTP/2 with
    /// content-type application/grpc is accepted, as a real gRPC server does.</summary>
    private static async Task GrpcEchoStreamAsync(HttpContext context)
    {
        if (context.Request.Protocol != "HTTP/2" || context.Request.ContentType != "application/grpc")
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        context.Response.ContentType = "application/grpc";
        await context.Response.StartAsync();
        var body = context.Request.Body;
        while (true)
        {
            var message = await GrpcFrames.ReadAsync(body);
            if (message is null) break;
            await GrpcFrames.WriteAsync(context.Response.Body, message + "!");
            await context.Response.Body.FlushAsync();
        }
        context.Response.AppendTrailer("grpc-status", "0");
        context.Response.AppendTrailer("grpc-message", "done");
    }

    public async ValueTask DisposeAsync()
    {
        OpenGate();
        await _host.DisposeAsync();
    }
}

/// <summary>gRPC's length-prefixed message framing (1 byte compressed flag, 4 bytes big-endian length).</summary>
public static class GrpcFrames
{
    public static async Task WriteAsync(Stream stream, string message)
    {
        var payload = System.Text.Encoding.UTF8.GetBytes(message);
        var frame = new byte[5 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), payload.Length);
        payload.CopyTo(frame, 5);
        await stream.WriteAsync(frame);
    }

    public static async Task<string?> ReadAsync(Stream stream)
    {
        var header = new byte[5];
        if (!await ReadExactlyOrEndAsync(stream, header)) return null;
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        var payload = new byte[length];
        if (!await ReadExactlyOrEndAsync(stream, payload)) throw new EndOfStreamException("truncated gRPC frame");
        return System.Text.Encoding.UTF8.GetString(payload);
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read));
            if (n == 0)
            {
                if (read == 0) return false;
                throw new EndOfStreamException();
            }
            read += n;
        }
        return true;
    }
}

/// <summary>Helpers shared by the tests.</summary>
public static class TestHttp
{
    public static HttpClient Http1Client() => new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    public static HttpClient H2cClient() => new(new SocketsHttpHandler { UseProxy = false })
    {
        Timeout = TimeSpan.FromSeconds(60),
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    /// <summary>Polls <paramref name="condition"/> until true or 30 s pass (CPU here is shared: no tight timing).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(20);
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(20);
        }
    }
}
