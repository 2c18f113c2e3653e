using System.Net;
using Ingress.Api.Metrics;
using Ingress.DataPlane.Activator;
using Ingress.DataPlane.Proxy;
using Ingress.DataPlane.QueueProxy;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ingress.DataPlane.Tests;

/// <summary>Collects what the activator sends to the autoscaler.</summary>
public sealed class RecordingStatSink : IAutoscalerStatSink
{
    private readonly List<WireStatMessage> _messages = [];

    public void Send(IReadOnlyList<WireStatMessage> stats)
    {
        lock (_messages) _messages.AddRange(stats);
    }

    public IReadOnlyList<WireStatMessage> Messages
    {
        get { lock (_messages) return _messages.ToList(); }
    }
}

/// <summary>A revision pod as the activator sees it: a user app behind a real queue-proxy.</summary>
public sealed class TestPod : IAsyncDisposable
{
    private TestPod(TestBackend app, QueueProxyServer queueProxy)
    {
        App = app;
        QueueProxy = queueProxy;
    }

    public TestBackend App { get; }
    public QueueProxyServer QueueProxy { get; }
    public string Address => $"127.0.0.1:{QueueProxy.ServingPort}";
    public string H2cAddress => $"127.0.0.1:{QueueProxy.H2cPort}";

    public static async Task<TestPod> StartAsync(int cc, HttpProtocols appProtocols = HttpProtocols.Http1)
    {
        var app = await TestBackend.StartAsync(appProtocols);
        var qp = new QueueProxyServer(new QueueProxyOptions
        {
            ListenAddress = IPAddress.Loopback,
            ServingPort = 0, H2cPort = 0, AdminPort = 0, MetricsPort = 0, UserMetricsPort = 0,
            UserPort = app.Port,
            ContainerConcurrency = cc,
            DrainQuietPeriod = TimeSpan.FromMilliseconds(100),
        });
        await qp.StartAsync();
        return new TestPod(app, qp);
    }

    public async ValueTask DisposeAsync()
    {
        await QueueProxy.DisposeAsync();
        await App.DisposeAsync();
    }
}

public sealed class ActivatorTests
{
    private static readonly RevisionKey Hello = new("default", "hello-00001");
    private const string HelloHost = "hello-00001.default.svc.cluster.local";

    private static async Task<ActivatorServer> StartActivatorAsync(IRevisionBackends backends, IAutoscalerStatSink sink)
    {
        var activator = new ActivatorServer(new ActivatorOptions
        {
            ListenAddress = IPAddress.Loopback,
            HttpPort = 0,
            H2cPort = 0,
            PodName = "activator-0",
        }, backends, sink);
        await activator.StartAsync();
        return activator;
    }

    private static HttpRequestMessage RevisionRequest(ActivatorServer activator, string path = "/")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{activator.HttpPort}{path}");
        request.Headers.Host = HelloHost;
        return request;
    }

    [Fact]
    public async Task Request_for_revision_at_zero_waits_pokes_the_autoscaler_and_is_served_when_a_pod_appears()
    {
        var backends = new InMemoryRevisionBackends();
        backends.Set(new RevisionBackend { Key = Hello, ContainerConcurrency = 1 });
        var sink = new RecordingStatSink();
        await using var activator = await StartActivatorAsync(backends, sink);
        using var client = TestHttp.Http1Client();

        var pending = client.SendAsync(RevisionRequest(activator, "/hello"));
        await TestHttp.WaitUntilAsync(() => sink.Messages.Any(m => m.Name == Hello.Name && m.Stat!.AverageConcurrentRequests == 1 && m.Stat.RequestCount == 1), "the scale-from-zero poke");
        var poke = sink.Messages.First();
        Assert.Equal(("default", "hello-00001", "activator-0"), (poke.Namespace, poke.Name, poke.Stat!.PodName));
        await Task.Delay(300);
        Assert.False(pending.IsCompleted, "the request must be held while the revision has no pods");

        await using var pod = await TestPod.StartAsync(cc: 1);
        backends.Set(new RevisionBackend { Key = Hello, ContainerConcurrency = 1, PodAddresses = [pod.Address] });
        using var response = await pending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo:", await response.Content.ReadAsStringAsync());
        // queue-proxy restored the Host the client used; the app sees it and the activator's mark.
        Assert.Equal(HelloHost, response.Headers.GetValues("X-Seen-Host").Single());
        Assert.Equal("activator", pod.App.LastHeaders!["K-Proxy-Request"].ToString());
    }

    [Fact]
    public async Task Pods_are_probed_before_they_get_traffic()
    {
        var backends = new InMemoryRevisionBackends();
        // A server that answers 200 but is not a queue-proxy: its probe answer lacks the "queue" body.
        await using var impostor = await TestBackend.StartAsync();
        backends.Set(new RevisionBackend { Key = Hello, ContainerConcurrency = 0, PodAddresses = [impostor.Authority] });
        await using var activator = await StartActivatorAsync(backends, new RecordingStatSink());
        using var client = TestHttp.Http1Client();

        var pending = client.SendAsync(RevisionRequest(activator));
        await TestHttp.WaitUntilAsync(() => impostor.TotalRequests >= 2, "probes retried against the impostor");
        Assert.Equal("Knative-Activator-Probe", impostor.LastHeaders!["User-Agent"].ToString());
        Assert.Equal("queue", impostor.LastHeaders!["K-Network-Probe"].ToString());
        Assert.False(pending.IsCompleted);

        await using var pod = await TestPod.StartAsync(cc: 0);
        backends.Set(new RevisionBackend { Key = Hello, ContainerConcurrency = 0, PodAddresses = [impostor.Authority, pod.Address] });
        using var response = await pending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, pod.App.TotalRequests);
        Assert.Null(impostor.LastHeaders!["K-Proxy-Request"].FirstOrDefault());
    }

    [Fact]
    public async Task Capacity_is_cc_times_ready_pods_and_each_pod_gets_at_most_cc()
    {
        var backends = new InMemoryRevisionBackends();
        await using var pod1 = await TestPod.StartAsync(cc: 1);
        await using var pod2 = await TestPod.StartAsync(cc: 1);
        backends.Set(new RevisionBackend { Key = Hello, ContainerConcurrency = 1, PodAddresses = [pod1.Address, pod2.Address] });
        await using var activator = await StartActivatorAsync(backends, new RecordingStatSink());
        using var client = TestHttp.Http1Client();

        var requests = Enumerable.Range(0, 6).Select(_ => client.SendAsync(RevisionRequest(activator, "/gate"))).ToArray();
        await TestHttp.WaitUntilAsync(() => activator.FindRevision(Hello)?.Throttler.Breaker.InFlight == 6, "six requests in the activator");
        await TestHttp.WaitUntilAsync(() => pod1.App.CurrentRequests == 1 && pod2.App.CurrentRequests == 1, "one request per pod");
        Assert.Equal(2, activator.FindRevision(Hello)!.Throttler.Capacity);
        // Held in the activator, not queued in the queue-proxies.
        Assert.Equal(1, pod1.QueueProxy.Breaker!.InFlight);
        Assert.Equal(1, pod2.QueueProxy.Breaker!.InFlight);

        pod1.App.OpenGate();
        pod2.App.OpenGate();
        var responses = await Task.WhenAll(requests);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, pod1.App.MaxConcurrency);
        Assert.Equal(1, pod2.App.MaxConcurrency);
        Assert.Equal(6, pod1.App.TotalRequests + pod2.App.TotalRequests);
    }

    [Theory]
    [InlineData(1, new[] { 4, 0 })]  // first available pod in address order
    [InlineData(10, new[] { 2, 2 })] // round robin
    public async Task Load_balancing_policy_follows_container_concurrency(int cc, int[] expected)
    {
        var backends = new InMemoryRevisionBackends();
        await using var podA = await TestPod.StartAsync(cc);
        await using var podB = await TestPod.StartAsync(cc);
        var ordered = new[] { podA, podB }.OrderBy(p => p.Address, StringComparer.Ordinal).ToArray();
        backends.Set(new RevisionBackend { Key = Hello, ContainerConcurrency = cc, PodAddresses = [podA.Address, podB.Address] });
        await using var activator = await StartActivatorAsync(backends, new RecordingStatSink());
        using var client = TestHttp.Http1Client();
        using (var warm = await client.SendAsync(RevisionRequest(activator))) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        await TestHttp.WaitUntilAsync(() => activator.FindRevision(Hello)!.HealthyPods.Count == 2, "both pods probed");
        var before = ordered.Select(p => p.App.TotalRequests).ToArray();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.SendAsync(RevisionRequest(activator));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(expected, ordered.Select((p, i) => p.App.TotalRequests - before[i]).ToArray());
    }

    [Fact]
    public async Task Connection_refused_before_sending_is_retried_on_another_pod()
    {
        var backends = new InMemoryRevisionBackends();
        await using var podA = await TestPod.StartAsync(cc: 1);
        await using var podB = await TestPod.StartAsync(cc: 1);
        var (first, second) = string.CompareOrdinal(podA.Address, podB.Address) < 0 ? (podA, podB) : (podB, podA);
        backends.Set(new RevisionBackend { Key = Hello, ContainerConcurrency = 1, PodAddresses = [podA.Address, podB.Address] });
        await using var activator = await StartActivatorAsync(backends, new RecordingStatSink());
        using var client = TestHttp.Http1Client();
        using (var warm = await client.SendAsync(RevisionRequest(activator))) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        await TestHttp.WaitUntilAsync(() => activator.FindRevision(Hello)!.HealthyPods.Count == 2, "both pods probed");

        // The pod the first-available policy prefers dies without the endpoints changing.
        var deadAddress = first.Address;
        await first.DisposeAsync();
        using var post = RevisionRequest(activator, "/echo");
        post.Method = HttpMethod.Post;
        post.Content = new StringContent("payload");
        using var response = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo:payload", await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain(deadAddress, activator.FindRevision(Hello)!.HealthyPods);
        Assert.Contains(second.Address, activator.FindRevision(Hello)!.HealthyPods);
    }

    [Fact]
    public async Task Held_request_times_out_with_the_revisions_timeout()
    {
        var backends = new InMemoryRevisionBackends();
        backends.Set(new RevisionBackend { Key = Hello, Timeouts = new RequestTimeouts(TimeSpan.FromMilliseconds(400), TimeSpan.Zero, TimeSpan.Zero) });
        await using var activator = await StartActivatorAsync(backends, new RecordingStatSink());
        using var client = TestHttp.Http1Client();
        using var response = await client.SendAsync(RevisionRequest(activator));
        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("activator request timeout\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_revision_is_404_and_probes_are_answered_by_the_activator()
    {
        var backends = new InMemoryRevisionBackends();
        await using var activator = await StartActivatorAsync(backends, new RecordingStatSink());
        using var client = TestHttp.Http1Client();

        using (var unknown = await client.SendAsync(RevisionRequest(activator)))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.StartsWith("Error getting active endpoint", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var probe = RevisionRequest(activator))
        {
            probe.Headers.Add("K-Network-Probe", "probe");
            probe.Headers.Add("K-Network-Hash", "abc123");
            using var r = await client.SendAsync(probe);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("abc123", r.Headers.GetValues("K-Network-Hash").Single());
        }
        using (var component = RevisionRequest(activator))
        {
            component.Headers.Add("K-Network-Probe", "activator");
            using var r = await client.SendAsync(component);
            Assert.Equal((HttpStatusCode.OK, "activator"), (r.StatusCode, await r.Content.ReadAsStringAsync()));
        }
        using (var other = RevisionRequest(activator))
        {
            other.Headers.Add("K-Network-Probe", "queue");
            using var r = await client.SendAsync(other);
            Assert.Equal((HttpStatusCode.BadRequest, "unexpected probe header value: \"queue\""), (r.StatusCode, await r.Content.ReadAsStringAsync()));
        }
        using (var kubelet = RevisionRequest(activator))
        {
            kubelet.Headers.UserAgent.ParseAdd("kube-probe/1.32");
            using var r = await client.SendAsync(kubelet);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
    }

    [Fact]
    public async Task Revision_headers_select_the_revision_and_are_not_forwarded()
    {
        var backends = new InMemoryRevisionBackends();
        await using var pod = await TestPod.StartAsync(cc: 0);
        backends.Set(new RevisionBackend { Key = Hello, PodAddresses = [pod.Address] });
        await using var activator = await StartActivatorAsync(backends, new RecordingStatSink());
        using var client = TestHttp.Http1Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{activator.HttpPort}/x");
        request.Headers.Host = "hello.example.com";
        request.Headers.Add("Knative-Serving-Revision", "hello-00001");
        request.Headers.Add("Knative-Serving-Namespace", "default");
        request.Headers.Add("K-Network-Hash", "leftover");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello.example.com", response.Headers.GetValues("X-Seen-Host").Single());
        var seen = pod.App.LastHeaders!;
        Assert.False(seen.ContainsKey("Knative-Serving-Revision"));
        Assert.False(seen.ContainsKey("K-Network-Hash"));
    }

    [Fact]
    public async Task WebSocket_passes_through_activator_and_queue_proxy()
    {
        var backends = new InMemoryRevisionBackends();
        await using var pod = await TestPod.StartAsync(cc: 0);
        backends.Set(new RevisionBackend { Key = Hello, PodAddresses = [pod.Address] });
        await using var activator = await StartActivatorAsync(backends, new RecordingStatSink());
        await QueueProxyTests.AssertWebSocketEchoAsync(new Uri($"ws://127.0.0.1:{activator.HttpPort}/ws"), o => o.SetRequestHeader("Host", HelloHost));
    }

    [Fact]
    public async Task Grpc_like_h2c_stream_passes_through_activator_and_queue_proxy()
    {
        var backends = new InMemoryRevisionBackends();
        await using var pod = await TestPod.StartAsync(cc: 0, HttpProtocols.Http2);
        backends.Set(new RevisionBackend { Key = Hello, PodAddresses = [pod.H2cAddress], Protocol = UpstreamProtocol.Http2 });
        await using var activator = await StartActivatorAsync(backends, new RecordingStatSink());
        await QueueProxyTests.AssertGrpcEchoStreamAsync($"http://127.0.0.1:{activator.H2cPort}", r => r.Headers.Host = HelloHost);
        await QueueProxyTests.AssertGrpcEchoStreamAsync($"http://127.0.0.1:{activator.HttpPort}", r => r.Headers.Host = HelloHost);
    }
}
