using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Ingress.DataPlane.Proxy;
using Ingress.DataPlane.QueueProxy;

namespace Ingress.DataPlane.Tests;

/// <summary>The proxies' optional spans (<see cref="ProxyTracing"/>) through a real queue-proxy over real sockets.
/// One class, so the listening test and the not-listening test never overlap (an ActivityListener is process-wide).</summary>
public sealed class ProxyTracingTests
{
    private const string CallerTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string CallerSpanId = "00f067aa0ba902b7";
    private static readonly string CallerTraceParent = $"00-{CallerTraceId}-{CallerSpanId}-01";

    private static QueueProxyOptions OptionsFor(int userPort) => new()
    {
        ListenAddress = IPAddress.Loopback,
        ServingPort = 0, H2cPort = 0, AdminPort = 0, MetricsPort = 0, UserMetricsPort = 0,
        UserPort = userPort, PodName = "hello-00001-deployment-abc", Namespace = "default", Revision = "hello-00001",
        Service = "hello", Configuration = "hello",
    };

    private static async Task<string> SendAsync(int port)
    {
        using var client = TestHttp.Http1Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/traced");
        request.Headers.TryAddWithoutValidation("traceparent", CallerTraceParent);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Traced_queue_proxy_continues_the_callers_trace_and_passes_its_own_span_upstream()
    {
        var spans = new ConcurrentQueue<Activity>();
        using (var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == ProxyTracing.QueueProxySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        })
        {
            ActivitySource.AddActivityListener(listener);
            await using var app = await TestBackend.StartAsync();
            await using var qp = new QueueProxyServer(OptionsFor(app.Port));
            await qp.StartAsync();
            await SendAsync(qp.ServingPort);

            await TestHttp.WaitUntilAsync(() => spans.Any(s => s.OperationName == "queue_proxy"), "the queue_proxy span to end");
            var span = spans.Single(s => s.OperationName == "queue_proxy");
            Assert.Equal(ActivityKind.Server, span.Kind);
            Assert.Equal(CallerTraceId, span.TraceId.ToHexString());
            Assert.Equal(CallerSpanId, span.ParentSpanId.ToHexString());
            Assert.Equal(200, span.GetTagItem("http.response.status_code"));
            Assert.Equal("/traced", span.GetTagItem("url.path"));
            // The app sees the same trace, with the queue-proxy's span as its parent.
            Assert.Equal($"00-{CallerTraceId}-{span.SpanId.ToHexString()}-01", app.LastHeaders!["traceparent"].ToString());
        }
    }

    [Fact]
    public async Task Untraced_queue_proxy_passes_the_callers_traceparent_unchanged()
    {
        await using var app = await TestBackend.StartAsync();
        await using var qp = new QueueProxyServer(OptionsFor(app.Port));
        await qp.StartAsync();
        Assert.False(ProxyTracing.QueueProxy.HasListeners());
        await SendAsync(qp.ServingPort);
        Assert.Equal(CallerTraceParent, app.LastHeaders!["traceparent"].ToString());
    }
}
