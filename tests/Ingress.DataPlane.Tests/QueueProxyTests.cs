using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using Ingress.Api.Metrics;
using Ingress.DataPlane.Proxy;
using Ingress.DataPlane.QueueProxy;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ingress.DataPlane.Tests;

public sealed class QueueProxyTests
{
    private static QueueProxyOptions OptionsFor(int userPort, int cc = 0) => new()
    {
        ListenAddress = IPAddress.Loopback,
        ServingPort = 0, H2cPort = 0, AdminPort = 0, MetricsPort = 0, UserMetricsPort = 0,
        UserPort = userPort,
        ContainerConcurrency = cc,
        PodName = "hello-00001-deployment-abc",
        Namespace = "default",
        Revision = "hello-00001",
        Service = "hello",
        Configuration = "hello",
        DrainQuietPeriod = TimeSpan.FromMilliseconds(500),
    };

    private static async Task<QueueProxyServer> StartQueueProxyAsync(QueueProxyOptions options)
    {
        var server = new QueueProxyServer(options);
        await server.StartAsync();
        return server;
    }

    [Fact]
    public async Task Network_probe_gets_its_hash_back_without_reaching_the_app()
    {
        await using var app = await TestBackend.StartAsync();
        await using var qp = await StartQueueProxyAsync(OptionsFor(app.Port));
        using var client = TestHttp.Http1Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{qp.ServingPort}/healthz");
        request.Headers.Add("K-Network-Probe", "probe");
        request.Headers.Add("K-Network-Hash", "5d6a2b7f");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("5d6a2b7f", response.Headers.GetValues("K-Network-Hash").Single());
        Assert.Equal(0, app.TotalRequests);
    }

    [Fact]
    public async Task Network_probe_without_hash_is_400_with_knatives_message()
    {
        await using var app = await TestBackend.StartAsync();
        await using var qp = await StartQueueProxyAsync(OptionsFor(app.Port));
        using var client = TestHttp.Http1Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{qp.ServingPort}/");
        request.Headers.Add("K-Network-Probe", "probe");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("a probe request must contain a non-empty \"K-Network-Hash\" header", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Forwards_request_and_response_with_header_rules()
    {
        await using var app = await TestBackend.StartAsync();
        await using var qp = await StartQueueProxyAsync(OptionsFor(app.Port));
        using var client = TestHttp.Http1Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{qp.ServingPort}/some/path?q=1%202")
        {
            Content = new StringContent("hello body"),
        };
        request.Headers.Host = "hello.default.example.com";
        request.Headers.Add("Knative-Serving-Revision", "hello-00001");
        request.Headers.Add("Knative-Serving-Namespace", "default");
        request.Headers.Add("X-Custom", "kept");
        request.Headers.Add("Keep-Alive", "timeout=5");
        request.Headers.Add("K-Network-Hash", "not-a-probe");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo:hello body", await response.Content.ReadAsStringAsync());
        Assert.Equal("hello.default.example.com", response.Headers.GetValues("X-Seen-Host").Single());
        Assert.Equal("/some/path?q=1%202", response.Headers.GetValues("X-Seen-Path").Single());
        Assert.False(response.Headers.Contains("X-Custom-Hop"), "a header named by Connection is hop-by-hop");
        var seen = app.LastHeaders!;
        Assert.Equal("kept", seen["X-Custom"].ToString());
        Assert.False(seen.ContainsKey("Knative-Serving-Revision"));
        Assert.False(seen.ContainsKey("Knative-Serving-Namespace"));
        Assert.False(seen.ContainsKey("Keep-Alive"));
        Assert.Equal("127.0.0.1", seen["X-Forwarded-For"].ToString());
        Assert.Equal("http", seen["X-Forwarded-Proto"].ToString());
    }

    [Fact]
    public async Task Activator_requests_get_their_original_host_back_and_a_forwarded_header()
    {
        await using var app = await TestBackend.StartAsync();
        await using var qp = await StartQueueProxyAsync(OptionsFor(app.Port));
        using var client = TestHttp.Http1Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{qp.ServingPort}/");
        request.Headers.Host = "10.0.0.7:8012";
        request.Headers.Add("K-Original-Host", "hello.default.svc.cluster.local");
        request.Headers.Add("K-Proxy-Request", "activator");
        request.Headers.Add("X-Forwarded-For", "10.1.2.3");
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello.default.svc.cluster.local", response.Headers.GetValues("X-Seen-Host").Single());
        var seen = app.LastHeaders!;
        Assert.False(seen.ContainsKey("K-Original-Host"));
        Assert.Equal("for=10.1.2.3;proto=https", seen["Forwarded"].ToString());
        Assert.Equal("10.1.2.3, 127.0.0.1", seen["X-Forwarded-For"].ToString());
    }

    [Theory]
    [InlineData("10.1.2.3", "", "https", "for=10.1.2.3;proto=https")]
    [InlineData("10.1.2.3, 10.0.0.1", "example.com", "http", "for=10.1.2.3;host=example.com;proto=http, for=10.0.0.1")]
    [InlineData("2001:db8::1,10.0.0.1", "", "", "for=\"[2001:db8::1]\", for=10.0.0.1")]
    [InlineData(" , 10.0.0.1 ,", "", "", "for=10.0.0.1")]
    [InlineData("", "example.com", "https", "host=example.com;proto=https")]
    [InlineData("", "", "https", "proto=https")]
    public void Forwarded_is_built_from_the_x_forwarded_headers(string xff, string xhost, string proto, string expected) =>
        Assert.Equal(expected, QueueProxyServer.BuildForwarded(xff, xhost, proto));

    [Fact]
    public async Task With_cc_1_two_requests_never_reach_the_app_at_once()
    {
        await using var app = await TestBackend.StartAsync();
        await using var qp = await StartQueueProxyAsync(OptionsFor(app.Port, cc: 1));
        using var client = TestHttp.Http1Client();
        var requests = Enumerable.Range(0, 6).Select(_ => client.GetAsync($"http://127.0.0.1:{qp.ServingPort}/sleep?ms=100")).ToArray();
        var responses = await Task.WhenAll(requests);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(6, app.TotalRequests);
        Assert.Equal(1, app.MaxConcurrency);
    }

    [Fact]
    public async Task Full_queue_answers_503_at_once_and_queued_requests_complete()
    {
        await using var app = await TestBackend.StartAsync();
        await using var qp = await StartQueueProxyAsync(OptionsFor(app.Port, cc: 1));
        using var client = TestHttp.Http1Client();
        // cc = 1: one executing plus a queue of 10.
        var admitted = Enumerable.Range(0, 11).Select(_ => client.GetAsync($"http://127.0.0.1:{qp.ServingPort}/gate")).ToArray();
        await TestHttp.WaitUntilAsync(() => qp.Breaker!.InFlight == 11 && app.CurrentRequests == 1, "11 admitted requests");

        using var refused = await client.GetAsync($"http://127.0.0.1:{qp.ServingPort}/gate");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("pending request queue full\n", await refused.Content.ReadAsStringAsync());
        Assert.False(admitted.Any(t => t.IsCompleted), "admitted requests must still be waiting");

        app.OpenGate();
        var responses = await Task.WhenAll(admitted);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, app.MaxConcurrency);
    }

    [Fact]
    public async Task Drain_lets_in_flight_requests_finish_and_fails_health_checks()
    {
        await using var app = await TestBackend.StartAsync();
        var qp = await StartQueueProxyAsync(OptionsFor(app.Port));
        using var client = TestHttp.Http1Client();
        var inFlight = client.GetAsync($"http://127.0.0.1:{qp.ServingPort}/gate");
        await TestHttp.WaitUntilAsync(() => app.CurrentRequests == 1, "request at the app");

        var stop = qp.StopAsync();
        await TestHttp.WaitUntilAsync(() => qp.IsDraining, "drain start");
        using (var health = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{qp.ServingPort}/"))
        {
            health.Headers.UserAgent.ParseAdd("kube-probe/1.32");
            health.Headers.Add("K-Network-Probe", "queue");
            using var healthResponse = await client.SendAsync(health);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, healthResponse.StatusCode);
            Assert.Equal("shutting down\n", await healthResponse.Content.ReadAsStringAsync());
        }
        Assert.False(inFlight.IsCompleted);
        app.OpenGate();
        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("opened", await response.Content.ReadAsStringAsync());
        await stop.WaitAsync(TimeSpan.FromSeconds(30));
        await qp.DisposeAsync();
    }

    [Fact]
    public async Task Wait_for_drain_on_admin_port_resets_when_no_termination_follows()
    {
        await using var app = await TestBackend.StartAsync();
        await using var qp = await StartQueueProxyAsync(OptionsFor(app.Port) with { DrainQuietPeriod = TimeSpan.FromSeconds(20) });
        using var client = TestHttp.Http1Client();
        var wait = client.GetAsync($"http://127.0.0.1:{qp.AdminPort}/wait-for-drain");
        await TestHttp.WaitUntilAsync(() => qp.IsDraining, "drain start");
        using var response = await wait;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(qp.IsDraining);
    }

    [Fact]
    public async Task Readiness_follows_the_user_container_probe()
    {
        // Reserve a free port, then leave it closed so the TCP probe fails.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var userPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var options = OptionsFor(userPort) with
        {
            ReadinessProbes = [new ReadinessProbeSpec { Port = userPort, PeriodSeconds = 1, TimeoutSeconds = 1 }],
        };
        await using var qp = await StartQueueProxyAsync(options);
        using var client = TestHttp.Http1Client();

        async Task<(HttpStatusCode, string)> HealthAsync(string? probeHeader)
        {
            using var health = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{qp.ServingPort}/");
            health.Headers.UserAgent.ParseAdd("kube-probe/1.32");
            if (probeHeader is not null) health.Headers.Add("K-Network-Probe", probeHeader);
            using var r = await client.SendAsync(health);
            return (r.StatusCode, await r.Content.ReadAsStringAsync());
        }

        Assert.Equal((HttpStatusCode.ServiceUnavailable, ""), await HealthAsync("queue"));
        Assert.Equal((HttpStatusCode.BadRequest, "unexpected probe header value: activator"), await HealthAsync("activator"));

        listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, userPort);
        listener.Start();
        try
        {
            Assert.Equal((HttpStatusCode.OK, "queue"), await HealthAsync("queue"));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task Http_readiness_probe_runs_aggressively_until_the_app_answers()
    {
        await using var app = await TestBackend.StartAsync();
        var options = OptionsFor(app.Port) with
        {
            ReadinessProbes = ReadinessProbeSpec.ParseJson($$"""{"httpGet":{"path":"/ready","port":{{app.Port}},"host":"127.0.0.1","httpHeaders":[{"name":"X-Probe","value":"yes"}]},"successThreshold":1}""", app.Port),
        };
        await using var qp = await StartQueueProxyAsync(options);
        await qp.WaitUntilReadyAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        Assert.Equal("yes", app.LastHeaders!["X-Probe"].ToString());
        Assert.StartsWith("kube-probe/", app.LastHeaders!["User-Agent"].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revision_timeout_gives_504_request_timeout()
    {
        await using var app = await TestBackend.StartAsync();
        var options = OptionsFor(app.Port) with { Timeouts = new RequestTimeouts(TimeSpan.FromMilliseconds(300), TimeSpan.Zero, TimeSpan.Zero) };
        await using var qp = await StartQueueProxyAsync(options);
        using var client = TestHttp.Http1Client();
        using var response = await client.GetAsync($"http://127.0.0.1:{qp.ServingPort}/gate");
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("request timeout\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Response_start_timeout_does_not_cut_a_response_that_has_started()
    {
        await using var app = await TestBackend.StartAsync();
        var options = OptionsFor(app.Port) with { Timeouts = new RequestTimeouts(TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(300), TimeSpan.Zero) };
        await using var qp = await StartQueueProxyAsync(options);
        using var client = TestHttp.Http1Client();
        using (var notStarted = await client.GetAsync($"http://127.0.0.1:{qp.ServingPort}/gate"))
        {
            Assert.Equal(HttpStatusCode.GatewayTimeout, notStarted.StatusCode);
            Assert.Equal("response start timeout\n", await notStarted.Content.ReadAsStringAsync());
        }
        app.CloseGate();
        // /stream answers its head and a first chunk at once, then waits: the response-start timeout no longer applies.
        using var streaming = await client.GetAsync($"http://127.0.0.1:{qp.ServingPort}/stream", HttpCompletionOption.ResponseHeadersRead);
        var body = await streaming.Content.ReadAsStreamAsync();
        var buffer = new byte[6];
        await body.ReadExactlyAsync(buffer);
        Assert.Equal("first;", Encoding.ASCII.GetString(buffer));
        await Task.Delay(600);
        app.OpenGate();
        Assert.Equal("second", await new StreamReader(body).ReadToEndAsync());
    }

    [Fact]
    public async Task Idle_timeout_gives_504_when_the_app_never_writes()
    {
        await using var app = await TestBackend.StartAsync();
        var options = OptionsFor(app.Port) with { Timeouts = new RequestTimeouts(TimeSpan.FromSeconds(60), TimeSpan.Zero, TimeSpan.FromMilliseconds(300)) };
        await using var qp = await StartQueueProxyAsync(options);
        using var client = TestHttp.Http1Client();
        using var response = await client.GetAsync($"http://127.0.0.1:{qp.ServingPort}/gate");
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("idle timeout\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unreachable_user_container_is_502_upstream_connect_failed()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var qp = await StartQueueProxyAsync(OptionsFor(closedPort));
        using var client = TestHttp.Http1Client();
        using var response = await client.GetAsync($"http://127.0.0.1:{qp.ServingPort}/");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream connect failed\n", await response.Content.ReadAsStringAsync());
        Assert.Equal("UpstreamConnectFailed", response.Headers.GetValues("X-Ingress-Proxy-Error").Single());
    }

    [Fact]
    public async Task Streaming_response_reaches_the_client_before_the_app_finishes()
    {
        await using var app = await TestBackend.StartAsync();
        await using var qp = await StartQueueProxyAsync(OptionsFor(app.Port));
        using var client = TestHttp.Http1Client();
        using var response = await client.GetAsync($"http://127.0.0.1:{qp.ServingPort}/stream", HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[6];
        await body.ReadExactlyAsync(buffer);
        Assert.Equal("first;", Encoding.ASCII.GetString(buffer));
        Assert.Equal(1, app.CurrentRequests);
        app.OpenGate();
        Assert.Equal("second", await new StreamReader(body).ReadToEndAsync());
    }

    [Fact]
    public async Task Client_cancellation_reaches_the_app()
    {
        await using var app = await TestBackend.StartAsync();
        await using var qp = await StartQueueProxyAsync(OptionsFor(app.Port));
        using var client = TestHttp.Http1Client();
        using var cts = new CancellationTokenSource();
        var request = client.GetAsync($"http://127.0.0.1:{qp.ServingPort}/gate", cts.Token);
        await TestHttp.WaitUntilAsync(() => app.CurrentRequests == 1, "request at the app");
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        // The app's request ends because the proxy aborted its upstream request (the gate is never opened).
        await TestHttp.WaitUntilAsync(() => app.CurrentRequests == 0, "app request aborted");
        await TestHttp.WaitUntilAsync(() => qp.Stats.Concurrency == 0, "queue-proxy concurrency back to 0");
    }

    [Fact]
    public async Task Autoscaler_metrics_port_serves_the_protobuf_stat()
    {
        await using var app = await TestBackend.StartAsync();
        await using var qp = await StartQueueProxyAsync(OptionsFor(app.Port) with { ReportingPeriod = TimeSpan.FromMilliseconds(200) });
        using var client = TestHttp.Http1Client();
        Stat? stat = null;
        await TestHttp.WaitUntilAsync(async () =>
        {
            using var r = await client.GetAsync($"http://127.0.0.1:{qp.ServingPort}/");
            using var metrics = await client.GetAsync($"http://127.0.0.1:{qp.MetricsPort}/metrics");
            Assert.Equal("application/protobuf", metrics.Content.Headers.ContentType!.MediaType);
            stat = StatWire.Decode(await metrics.Content.ReadAsByteArrayAsync());
            return stat.RequestCount > 0;
        }, "a stat with requests");
        Assert.Equal("hello-00001-deployment-abc", stat!.PodName);
        Assert.True(stat.ProcessUptime > 0);
        Assert.Equal(0, stat.Timestamp);
    }

    [Fact]
    public async Task User_metrics_port_serves_knative_names_in_prometheus_text()
    {
        await using var app = await TestBackend.StartAsync();
        await using var qp = await StartQueueProxyAsync(OptionsFor(app.Port, cc: 2));
        using var client = TestHttp.Http1Client();
        (await client.GetAsync($"http://127.0.0.1:{qp.ServingPort}/")).Dispose();
        var text = await client.GetStringAsync($"http://127.0.0.1:{qp.UserMetricsPort}/metrics");
        Assert.Contains("# TYPE revision_request_count counter", text, StringComparison.Ordinal);
        Assert.Contains("revision_request_count{namespace_name=\"default\",service_name=\"hello\",configuration_name=\"hello\",revision_name=\"hello-00001\",pod_name=\"hello-00001-deployment-abc\",container_name=\"queue-proxy\",response_code=\"200\",response_code_class=\"2xx\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("revision_app_request_count{", text, StringComparison.Ordinal);
        Assert.Contains("revision_request_latencies_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("revision_app_request_latencies_count{", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE revision_queue_depth gauge", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebSocket_upgrade_passes_through()
    {
        await using var app = await TestBackend.StartAsync();
        await using var qp = await StartQueueProxyAsync(OptionsFor(app.Port));
        await AssertWebSocketEchoAsync(new Uri($"ws://127.0.0.1:{qp.ServingPort}/ws"));
    }

    [Fact]
    public async Task Grpc_like_h2c_stream_with_trailers_passes_through_both_serving_ports()
    {
        await using var app = await TestBackend.StartAsync(HttpProtocols.Http2);
        await using var qp = await StartQueueProxyAsync(OptionsFor(app.Port));
        await AssertGrpcEchoStreamAsync($"http://127.0.0.1:{qp.H2cPort}");
        await AssertGrpcEchoStreamAsync($"http://127.0.0.1:{qp.ServingPort}");
    }

    internal static async Task AssertWebSocketEchoAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(uri, cts.Token);
        foreach (var message in new[] { "hello", "world" })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, cts.Token);
            var buffer = new byte[1024];
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            Assert.Equal(message, Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    /// <summary>A duplex exchange: each message's echo is read before the next message is sent, which only works
    /// when both directions stream through the proxy; then trailers must arrive.</summary>
    internal static async Task AssertGrpcEchoStreamAsync(string baseAddress, Action<HttpRequestMessage>? configure = null)
    {
        using var client = TestHttp.H2cClient();
        var requestBody = new DuplexContent();
        using var request = new HttpRequestMessage(HttpMethod.Post, baseAddress + "/ping.PingService/PingStream")
        {
            Content = requestBody,
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        configure?.Invoke(request);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var sending = client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        var upload = await requestBody.Stream.WaitAsync(cts.Token);
        await GrpcFrames.WriteAsync(upload, "ping1");
        await upload.FlushAsync(cts.Token);
        using var response = await sending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Version(2, 0), response.Version);
        var download = await response.Content.ReadAsStreamAsync(cts.Token);
        Assert.Equal("ping1!", await GrpcFrames.ReadAsync(download).WaitAsync(cts.Token));
        await GrpcFrames.WriteAsync(upload, "ping2");
        await upload.FlushAsync(cts.Token);
        Assert.Equal("ping2!", await GrpcFrames.ReadAsync(download).WaitAsync(cts.Token));
        requestBody.Complete();
        Assert.Null(await GrpcFrames.ReadAsync(download).WaitAsync(cts.Token));
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        Assert.Equal("done", response.TrailingHeaders.GetValues("grpc-message").Single());
    }

    /// <summary>Request content the test writes to while the response is being read.</summary>
    private sealed class DuplexContent : HttpContent
    {
        private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public DuplexContent() => Headers.ContentType = new MediaTypeHeaderValue("application/grpc");

        public Task<Stream> Stream => _stream.Task;

        public void Complete() => _done.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            _stream.TrySetResult(stream);
            await _done.Task;
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
