using System.Net;
using System.Net.WebSockets;
using Ingress.Api.Metrics;
using Ingress.Autoscaling.Scaling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Autoscaling.Metrics;

/// <summary>
/// The autoscaler's stat server (upstream statserver, port 8080): activators connect with a websocket and send
/// binary <c>WireStatMessages</c>; every stat is recorded into its revision's windows (zero timestamps become
/// the arrival second) and pokes the decider, so a request arriving at zero scales up without waiting for a
/// tick. Kubelet probes (<c>User-Agent: kube-probe/…</c> or <c>K-Kubelet-Probe</c>) get 200.
/// </summary>
public sealed class StatServer : IAsyncDisposable
{
    /// <summary>Upstream's stat server port.</summary>
    public const int DefaultPort = 8080;

    /// <summary>Largest message accepted (a batch for thousands of revisions fits easily).</summary>
    public const int MaxMessageBytes = 4 * 1024 * 1024;

    private readonly WebApplication _app;

    private StatServer(WebApplication app) => _app = app;

    /// <summary>Where the server listens, e.g. <c>ws://127.0.0.1:8080/</c>.</summary>
    public Uri Uri { get; private set; } = null!;

    /// <summary>Starts a Kestrel server on <paramref name="endpoint"/> (port 0 picks a free port).</summary>
    public static async Task<StatServer> StartAsync(IPEndPoint endpoint, MetricCollector collector, MultiScaler scaler,
        ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(endpoint));
        var app = builder.Build();
        app.UseWebSockets();
        var log = logger ?? NullLogger.Instance;
        app.Run(context => HandleAsync(context, (key, stat) => Deliver(collector, scaler, key, stat), log));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var http = new Uri(address);
        return new StatServer(app) { Uri = new UriBuilder(http) { Scheme = "ws" }.Uri };
    }

    /// <summary>What happens to one received stat: record into the windows, then poke the decider.</summary>
    public static void Deliver(MetricCollector collector, MultiScaler scaler, RevisionKey key, Stat stat)
    {
        ArgumentNullException.ThrowIfNull(collector);
        ArgumentNullException.ThrowIfNull(scaler);
        collector.Record(key, stat);
        scaler.Poke(key, stat);
    }

    /// <summary>The request handler, for hosting the endpoint in an existing ASP.NET Core app
    /// (<c>app.UseWebSockets()</c> must come first).</summary>
    public static async Task HandleAsync(HttpContext context, Action<RevisionKey, Stat> onStat, ILogger logger)
    {
        var request = context.Request;
        if (request.Headers.UserAgent.ToString().StartsWith("kube-probe/", StringComparison.Ordinal)
            || !string.IsNullOrEmpty(request.Headers["K-Kubelet-Probe"]))
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var buffer = new byte[64 * 1024];
        var ct = context.RequestAborted;
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= MaxMessageBytes)
                        {
                            await socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, "message too big", ct).ConfigureAwait(false);
                            return;
                        }
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                    length += result.Count;
                } while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct).ConfigureAwait(false);
                    return;
                }
                // Upstream ignores anything that is not a binary message.
                if (result.MessageType != WebSocketMessageType.Binary) continue;
                IReadOnlyList<WireStatMessage> messages;
                try
                {
                    messages = StatWire.DecodeMessages(buffer.AsSpan(0, length));
                }
                catch (StatDecodeException e)
                {
                    Log.BadStatMessage(logger, e.Message);
                    continue;
                }
                foreach (var m in messages)
                {
                    if (m.Stat is null) continue;
                    onStat(new RevisionKey(m.Namespace, m.Name), m.Stat);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The activator went away; it redials.
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync().ConfigureAwait(false);
}
