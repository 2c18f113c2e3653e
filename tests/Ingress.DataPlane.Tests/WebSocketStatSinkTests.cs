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

public sealed class ActivatorHealthTests
{
    [Fact]
    public async Task Kubelet_probe_fails_while_the_autoscaler_is_unreachable()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var sink = new WebSocketStatSink(new Uri($"ws://127.0.0.1:{closedPort}"), NullLogger.Instance);
        await using var activator = new ActivatorServer(new ActivatorOptions { ListenAddress = System.Net.IPAddress.Loopback, HttpPort = 0, H2cPort = 0 },
            new InMemoryRevisionBackends(), sink);
        await activator.StartAsync();
        using var client = TestHttp.Http1Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{activator.HttpPort}/");
        request.Headers.UserAgent.ParseAdd("kube-probe/1.32");
        using var response = await client.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("activator is not connected to the autoscaler", await response.Content.ReadAsStringAsync());
    }
}
