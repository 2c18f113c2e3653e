using System.Net;
using System.Net.WebSockets;
using Ingress.Api.Metrics;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Metrics;
using Ingress.Autoscaling.Scaling;

namespace Ingress.Autoscaling.Tests.Scraping;

public class StatServerTests
{
    private sealed class ZeroPods : IReadyPodCounter
    {
        public int ReadyCount(RevisionKey key) => 0;
    }

    [Fact]
    public async Task Activator_stats_over_a_websocket_scale_a_revision_from_zero()
    {
        var key = new RevisionKey("default", "hello-00001");
        var settings = RevisionAutoscaling.Resolve(null, 0, AutoscalerConfig.Default);
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var collector = new MetricCollector(time);
        var collection = collector.CreateOrUpdate(key, MetricSpec.From(settings), null);
        var scaler = new MultiScaler(collector, new ZeroPods(), time);
        scaler.CreateOrUpdate(key, settings.ToDeciderSpec(Reachability.Reachable));
        // Bring the revision to exactly 0: an idle window.
        collector.Record(key, new Stat());
        Assert.Equal(0, scaler.Evaluate(key).DesiredPodCount);
        time.Advance(TimeSpan.FromSeconds(1));
        var changed = new TaskCompletionSource<RevisionKey>(TaskCreationOptions.RunContinuationsAsynchronously);
        scaler.Changed += k => changed.TrySetResult(k);

        await using var server = await StatServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), collector, scaler);
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.Uri, CancellationToken.None);
        var batch = StatWire.EncodeMessages([
            new WireStatMessage("default", "hello-00001", new Stat { PodName = "activator-0", AverageConcurrentRequests = 1, RequestCount = 1 }),
            new WireStatMessage("default", "unknown", new Stat { AverageConcurrentRequests = 5 }),
        ]);
        await client.SendAsync(batch, WebSocketMessageType.Binary, true, CancellationToken.None);
        // A text message and a malformed binary one are ignored; the connection stays usable.
        await client.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        await client.SendAsync(new byte[] { 0x0A, 0x7F }, WebSocketMessageType.Binary, true, CancellationToken.None);

        var poked = await changed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(key, poked);
        Assert.Equal(1, scaler.Get(key)!.Value.DesiredScale);
        Assert.True(collection.StableAndPanicConcurrency(time.GetUtcNow()).Panic > 0);
        Assert.Equal(WebSocketState.Open, client.State);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task Answers_kubelet_probes_and_refuses_plain_requests()
    {
        var collector = new MetricCollector();
        await using var server = await StatServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), collector, new MultiScaler(collector, new ZeroPods()));
        using var http = new HttpClient();
        var url = new UriBuilder(server.Uri) { Scheme = "http" }.Uri;
        using var probe = new HttpRequestMessage(HttpMethod.Get, url);
        probe.Headers.UserAgent.ParseAdd("kube-probe/1.32");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(probe)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync(url)).StatusCode);
    }
}
