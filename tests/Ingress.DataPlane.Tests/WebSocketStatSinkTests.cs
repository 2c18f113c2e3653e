using System.Net.WebSockets;
using Ingress.Api.Metrics;
using Ingress.DataPlane.Activator;
using Ingress.DataPlane.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Ingress.DataPlane.Tests;

public sealed class WebSocketStatSinkTests
{
    [Fact]
    public async Task Stats_arrive_at_a_websocket_server_as_wire_stat_messages()
    {
        var received = new List<WireStatMessage>();
        var middleware = new WebSocketMiddleware(async context =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close) return;
                Assert.Equal(WebSocketMessageType.Binary, result.MessageType);
                lock (received) received.AddRange(StatWire.DecodeMessages(buffer.AsSpan(0, result.Count)));
            }
        }, Options.Create(new WebSocketOptions()), NullLoggerFactory.Instance);
        await using var autoscaler = new KestrelHost([ListenEndpoint.Loopback(0, HttpProtocols.Http1)], middleware.Invoke);
        await autoscaler.StartAsync();

        await using var sink = new WebSocketStatSink(new Uri($"ws://127.0.0.1:{autoscaler.Ports[0]}"), NullLogger.Instance);
        var activator = new ActivatorServer(new ActivatorOptions { ListenAddress = System.Net.IPAddress.Loopback, HttpPort = 0, H2cPort = 0, PodName = "activator-x" },
            new InMemoryRevisionBackends(), sink);
        await using (activator)
        {
            activator.Reporter.RequestIn(new RevisionKey("ns", "rev"));
            await TestHttp.WaitUntilAsync(() => { lock (received) return received.Count > 0; }, "the poke at the autoscaler");
        }
        WireStatMessage message;
        lock (received) message = received[0];
        Assert.Equal(("ns", "rev", "activator-x", 1.0), (message.Namespace, message.Name, message.Stat!.PodName, message.Stat.AverageConcurrentRequests));
        Assert.True(sink.IsConnected);
    }
}
