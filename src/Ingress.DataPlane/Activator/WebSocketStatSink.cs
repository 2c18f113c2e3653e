using System.Net.WebSockets;
using System.Threading.Channels;
using Ingress.Api.Metrics;
using Microsoft.Extensions.Logging;

namespace Ingress.DataPlane.Activator;

/// <summary>
/// Sends the activator's stats to the autoscaler as Knative does: binary WebSocket messages holding a protobuf
/// <c>WireStatMessages</c>, over one long-lived connection (default <c>ws://autoscaler.knative-serving.svc.cluster.local:8080</c>)
/// that is re-dialled with backoff. <see cref="Send"/> never blocks a request: messages go to a bounded queue
/// and the oldest are dropped when the autoscaler is unreachable (stats are only useful while fresh).
/// </summary>
public sealed partial class WebSocketStatSink : IAutoscalerStatSink, IAsyncDisposable
{
    /// <summary>Queue bound: at one batch per second plus pokes, 1024 batches is minutes of backlog.</summary>
    private const int QueueCapacity = 1024;

    private readonly Uri _uri;
    private readonly ILogger _logger;
    private readonly Channel<IReadOnlyList<WireStatMessage>> _queue = Channel.CreateBounded<IReadOnlyList<WireStatMessage>>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile bool _connected;

    public WebSocketStatSink(Uri uri, ILogger logger)
    {
        _uri = uri;
        _logger = logger;
        _loop = RunAsync(_stop.Token);
    }

    /// <summary>Whether the connection to the autoscaler is up (the activator's health depends on it in Knative).</summary>
    public bool IsConnected => _connected;

    public void Send(IReadOnlyList<WireStatMessage> stats) => _queue.Writer.TryWrite(stats);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        // Re-dial quickly at first (an autoscaler restart takes seconds), doubling up to 5 s so a long outage does
        // not spin; the batch that failed to send is sent first on the new connection.
        var backoff = TimeSpan.FromMilliseconds(100);
        IReadOnlyList<WireStatMessage>? unsent = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            using var socket = new ClientWebSocket();
            try
            {
                await socket.ConnectAsync(_uri, cancellationToken).ConfigureAwait(false);
                _connected = true;
                backoff = TimeSpan.FromMilliseconds(100);
                LogConnected(_logger, _uri.ToString());
                while (true)
                {
                    var batch = unsent ?? await _queue.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    unsent = batch;
                    await socket.SendAsync(StatWire.EncodeMessages(batch), WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
                    unsent = null;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or HttpRequestException or InvalidOperationException)
            {
                _connected = false;
                LogDisconnected(_logger, _uri.ToString(), ex.Message);
                try { await Task.Delay(backoff, cancellationToken).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
        _connected = false;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 220, Level = LogLevel.Information, Message = "Connected to the autoscaler at {Uri}")]
    private static partial void LogConnected(ILogger logger, string uri);

    [LoggerMessage(EventId = 221, Level = LogLevel.Warning, Message = "Autoscaler connection {Uri} failed: {Reason}; retrying")]
    private static partial void LogDisconnected(ILogger logger, string uri, string reason);
}
