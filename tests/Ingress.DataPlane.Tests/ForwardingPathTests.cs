using System.Diagnostics.Metrics;
using System.Net;
using Ingress.Api.Core.V1;
using Ingress.DataPlane.Gateway;
using Ingress.DataPlane.Hosting;
using Ingress.DataPlane.Metrics;
using Ingress.DataPlane.Proxy;
using Ingress.DataPlane.QueueProxy;
using Ingress.DataPlane.Tests.Gateway;
using Ingress.Kube.Typed;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.DataPlane.Tests;

/// <summary>The per-request shortcuts of the forwarding path (cached upstream URIs, header transforms applied while
/// copying, the exporter's last-series shortcut, the gateway's host index and resolver cache) keep the behaviour.</summary>
public sealed class ForwardingPathTests
{
    /// <summary>A proxy in front of the given backends: the request header <c>X-Backend</c> picks one by index.</summary>
    private static async Task<(KestrelHost Proxy, HttpForwarder Forwarder)> StartProxyAsync(ForwardRequest transform, params TestBackend[] backends)
    {
        var forwarder = new HttpForwarder(new ForwarderOptions(), NullLogger.Instance);
        var proxy = new KestrelHost([ListenEndpoint.Loopback(0, HttpProtocols.Http1)], async context =>
        {
            var index = int.Parse(context.Request.Headers["X-Backend"].ToString() is { Length: > 0 } b ? b : "0", System.Globalization.CultureInfo.InvariantCulture);
            using var deadline = new RequestDeadline(RequestTimeouts.Default, context.RequestAborted);
            var result = await forwarder.ForwardAsync(context, $"127.0.0.1:{backends[index].Port}", deadline, transform);
            if (result.Error != ProxyError.None) await ProxyErrors.WriteAsync(context, result.Error);
        });
        await proxy.StartAsync();
        return (proxy, forwarder);
    }

    [Fact]
    public async Task Removed_and_set_headers_reach_the_upstream_once_whether_the_client_or_the_forwarder_added_them()
    {
        await using var app = await TestBackend.StartAsync();
        var (proxy, forwarder) = await StartProxyAsync(new ForwardRequest
        {
            RemoveHeaders = ["x-drop", "Content-Language", "X-Forwarded-Proto"],
            SetHeaders = [new("X-Set", "by-proxy"), new("X-Forwarded-Host", "set-by-proxy"), new("Content-Type", "text/x-set")],
        }, app);
        await using var _ = proxy;
        using var __ = forwarder;
        using var client = TestHttp.Http1Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{proxy.Ports[0]}/p") { Content = new StringContent("body") };
        request.Content.Headers.ContentLanguage.Add("de");
        request.Headers.Add("X-Drop", "gone");
        request.Headers.Add("X-Set", ["from-client-1", "from-client-2"]);
        request.Headers.Add("X-Forwarded-Host", "client-host");
        request.Headers.Add("X-Kept", "yes");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("echo:body", await response.Content.ReadAsStringAsync());
        var seen = app.LastHeaders!;
        Assert.False(seen.ContainsKey("X-Drop"), "removal is case-insensitive");
        Assert.False(seen.ContainsKey("Content-Language"), "content headers are removed too");
        Assert.False(seen.ContainsKey("X-Forwarded-Proto"), "a header the forwarder adds itself is removed too");
        Assert.Equal("by-proxy", Assert.Single(seen["X-Set"].ToArray()));
        Assert.Equal("set-by-proxy", Assert.Single(seen["X-Forwarded-Host"].ToArray()));
        Assert.Equal("yes", seen["X-Kept"].ToString());
        Assert.Equal("text/x-set", Assert.Single(seen["Content-Type"].ToArray()));
        Assert.Equal("127.0.0.1", seen["X-Forwarded-For"].ToString());
    }

    [Fact]
    public async Task Every_request_reaches_its_own_upstream_path_and_query_past_the_uri_cache_bound()
    {
        await using var first = await TestBackend.StartAsync();
        await using var second = await TestBackend.StartAsync();
        var (proxy, forwarder) = await StartProxyAsync(default, first, second);
        await using var _ = proxy;
        using var __ = forwarder;
        using var client = TestHttp.Http1Client();
        // More distinct targets than the cache keeps (1024), each sent twice (a miss, then maybe a hit), to both
        // backends: every answer must come from the right backend with the right path.
        for (var i = 0; i < 1100; i++)
        {
            foreach (var backend in new[] { 0, 1 })
            {
                var target = i % 3 == 0 ? $"/same/path?n={i}" : $"/p{i}/x-y?q={i}&r=%2F&s=a%20b";
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{proxy.Ports[0]}{target}");
                request.Headers.Add("X-Backend", backend.ToString(System.Globalization.CultureInfo.InvariantCulture));
                using var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(target, response.Headers.GetValues("X-Seen-Path").Single());
            }
        }
        Assert.Equal(1100, first.TotalRequests);
        Assert.Equal(1100, second.TotalRequests);
    }

    [Fact]
    public void Interleaved_status_codes_land_in_their_own_series()
    {
        using var metrics = new QueueProxyMetrics(() => 0);
        using var exporter = new PrometheusExporter(metrics.Meter, "revision_", [new("pod_name", "p")]);
        metrics.RequestDone(200, 1);
        metrics.RequestDone(503, 7);
        metrics.RequestDone(200, 1);
        metrics.RequestDone(200, 30);
        metrics.RequestDone(503, 1);
        metrics.AppRequestDone(200, 1);
        var text = exporter.Render();
        Assert.Contains("revision_request_count{pod_name=\"p\",response_code=\"200\",response_code_class=\"2xx\"} 3\n", text);
        Assert.Contains("revision_request_count{pod_name=\"p\",response_code=\"503\",response_code_class=\"5xx\"} 2\n", text);
        Assert.Contains("revision_app_request_count{pod_name=\"p\",response_code=\"200\",response_code_class=\"2xx\"} 1\n", text);
        Assert.Contains("revision_request_latencies_sum{pod_name=\"p\",response_code=\"200\",response_code_class=\"2xx\"} 32\n", text);
        Assert.Contains("revision_request_latencies_sum{pod_name=\"p\",response_code=\"503\",response_code_class=\"5xx\"} 8\n", text);
    }

    [Fact]
    public void Equal_tag_values_in_different_boxes_share_one_series()
    {
        using var meter = new Meter("test.forwarding-path." + Guid.NewGuid());
        var counter = meter.CreateCounter<long>("requests");
        using var exporter = new PrometheusExporter(meter, "", []);
        counter.Add(1, new KeyValuePair<string, object?>("code", 200));
        counter.Add(1, new KeyValuePair<string, object?>("code", 404));
        counter.Add(1, new KeyValuePair<string, object?>("code", 200));
        counter.Add(1, new KeyValuePair<string, object?>("code", StatusCodeTags.Boxed(200)));
        counter.Add(1, new KeyValuePair<string, object?>("code", StatusCodeTags.Boxed(200)));
        var text = exporter.Render();
        Assert.Contains("requests{code=\"200\"} 4\n", text);
        Assert.Contains("requests{code=\"404\"} 1\n", text);
        Assert.Same(StatusCodeTags.Boxed(503), StatusCodeTags.Boxed(503));
    }

    [Fact]
    public void Host_index_keeps_istio_precedence_exact_over_wildcards_longest_wildcard_first_case_insensitive()
    {
        var table = RouteTable.Compile("knative-serving/knative-ingress-gateway", [
            Ingress.Api.KubeJson.FromYaml<Ingress.Api.Istio.Networking.V1Beta1.VirtualService>("""
                metadata: {name: all, namespace: default}
                spec:
                  gateways: [knative-serving/knative-ingress-gateway]
                  hosts: ["*", "*.example.com", "*.b.example.com", "a.b.example.com"]
                  http:
                  - match: [{headers: {x-pick: {exact: header}}}]
                    route: [{destination: {host: header.default.svc.cluster.local}}]
                  - route: [{destination: {host: any.default.svc.cluster.local}}]
                """),
            Ingress.Api.KubeJson.FromYaml<Ingress.Api.Istio.Networking.V1Beta1.VirtualService>("""
                metadata: {name: exact, namespace: default}
                spec:
                  gateways: [knative-serving/knative-ingress-gateway]
                  hosts: ["a.b.example.com"]
                  http:
                  - route: [{destination: {host: exact.default.svc.cluster.local}}]
                """),
        ]);
        string? Pick(string host, IHeaderDictionary? headers = null) =>
            table.Match(new GatewayRequest(host, "/", "GET", headers ?? new HeaderDictionary()))?.Destinations[0].Host;

        // The exact host merges both VirtualServices' routes (older/name order): "all" first.
        Assert.Equal("any.default.svc.cluster.local", Pick("A.B.Example.COM:8080"));
        Assert.Equal("header.default.svc.cluster.local", Pick("a.b.example.com", new HeaderDictionary { ["X-Pick"] = "header" }));
        Assert.Equal("any.default.svc.cluster.local", Pick("c.b.example.com"));
        Assert.Equal("any.default.svc.cluster.local", Pick("other.example.com"));
        Assert.Equal("any.default.svc.cluster.local", Pick("elsewhere.org"));
        var exactOnly = RouteTable.Compile("knative-serving/knative-ingress-gateway", [
            Ingress.Api.KubeJson.FromYaml<Ingress.Api.Istio.Networking.V1Beta1.VirtualService>("""
                metadata: {name: exact, namespace: default}
                spec:
                  gateways: [knative-serving/knative-ingress-gateway]
                  hosts: ["a.b.example.com", "*.c.example.com"]
                  http:
                  - route: [{destination: {host: exact.default.svc.cluster.local}}]
                """),
        ]);
        Assert.NotNull(exactOnly.Match(new GatewayRequest("A.b.example.com", "/", "GET", new HeaderDictionary())));
        Assert.NotNull(exactOnly.Match(new GatewayRequest("x.C.example.com", "/", "GET", new HeaderDictionary())));
        Assert.Null(exactOnly.Match(new GatewayRequest("b.example.com", "/", "GET", new HeaderDictionary())));
        Assert.Null(exactOnly.Match(new GatewayRequest("c.example.com", "/", "GET", new HeaderDictionary())));
    }

    [Fact]
    public async Task Resolver_answers_from_its_cache_until_the_endpoints_change()
    {
        await using var cluster = await GatewayCluster.StartAsync();
        await using var blue = await TestBackend.StartAsync();
        await using var green = await TestBackend.StartAsync();
        await cluster.CreateServiceAsync("default", "moving", blue);
        var resolver = new KubeDestinationResolver(cluster.Informers.For<Service>(), cluster.Informers.For<Endpoints>());
        var blueAddress = $"127.0.0.1:{blue.Port}";
        var greenAddress = $"127.0.0.1:{green.Port}";

        await TestHttp.WaitUntilAsync(() => resolver.Resolve("moving.default.svc.cluster.local", 80).Addresses is [var a] && a == blueAddress, "blue resolved");
        // Cached: once no event is in flight (the informer replays existing objects to a new handler asynchronously,
        // and every event drops the answers), two calls in a row get the very same answer.
        await TestHttp.WaitUntilAsync(() => ReferenceEquals(resolver.Resolve("moving.default.svc.cluster.local", 80), resolver.Resolve("moving.default.svc.cluster.local", 80)),
            "an answer served from the cache");
        Assert.Equal(ResolveError.PortNotFound, resolver.Resolve("moving.default.svc.cluster.local", 81).Error);

        await cluster.SetEndpointsAsync("default", "moving", green);
        await TestHttp.WaitUntilAsync(() => resolver.Resolve("moving.default.svc.cluster.local", 80).Addresses is [var a] && a == greenAddress, "green resolved after the Endpoints changed");
        await cluster.SetEndpointsAsync("default", "moving");
        await TestHttp.WaitUntilAsync(() => resolver.Resolve("moving.default.svc", 80).Error == ResolveError.NoEndpoints, "no endpoints after they were emptied");
    }
}
