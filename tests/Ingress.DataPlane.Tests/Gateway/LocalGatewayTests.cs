using System.Net;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.Kube.Typed;

namespace Ingress.DataPlane.Tests.Gateway;

/// <summary>
/// End to end: the embedded API server, the informer-fed <see cref="Ingress.DataPlane.Gateway.LocalGateway"/>, real
/// Kestrel backends on loopback and real HTTP requests through the gateway.
/// </summary>
public sealed class LocalGatewayTests : IAsyncLifetime
{
    private GatewayCluster _cluster = null!;
    private TestBackend _blue = null!;
    private TestBackend _green = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        _cluster = await GatewayCluster.StartAsync();
        _blue = await TestBackend.StartAsync();
        _green = await TestBackend.StartAsync();
        await _cluster.CreateServiceAsync("default", "blue", _blue);
        await _cluster.CreateServiceAsync("default", "green", _green);
        _port = await _cluster.CreateGatewayAsync(GatewayCluster.IngressGateway);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _blue.DisposeAsync();
        await _green.DisposeAsync();
    }

    private async Task<HttpResponseMessage> UntilRoutedAsync(string host, string path = "/", params (string, string)[] headers)
    {
        HttpResponseMessage? response = null;
        await GatewayCluster.EventuallyAsync(async () =>
        {
            response?.Dispose();
            response = await _cluster.GetAsync(_port, host, path, headers);
            return response.StatusCode != HttpStatusCode.NotFound;
        }, "a route for " + host + path);
        return response!;
    }

    [Fact]
    public async Task RoutesByHostHeaderAndPathAndAnswers404WithoutARoute()
    {
        await _cluster.ApplyVirtualServiceAsync("""
            metadata: {name: routes, namespace: default}
            spec:
              gateways: [knative-serving/knative-ingress-gateway]
              hosts: [app.example.com, other.example.com]
              http:
              - match: [{authority: {prefix: app.example.com}, headers: {x-color: {exact: green}}}]
                route: [{destination: {host: green.default.svc.cluster.local, port: {number: 80}}}]
              - match: [{authority: {prefix: app.example.com}, uri: {prefix: /green}}]
                route: [{destination: {host: green.default.svc.cluster.local, port: {number: 80}}}]
              - match: [{authority: {prefix: app.example.com}}]
                route: [{destination: {host: blue.default.svc.cluster.local, port: {number: 80}}}]
            """);
        using (var r = await UntilRoutedAsync("app.example.com"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("echo:", await r.Content.ReadAsStringAsync());
        }
        Assert.Equal((1, 0), (_blue.TotalRequests, _green.TotalRequests));

        using (var r = await _cluster.GetAsync(_port, "app.example.com:80", "/", ("x-color", "green")))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal((1, 1), (_blue.TotalRequests, _green.TotalRequests));

        using (var r = await _cluster.GetAsync(_port, "app.example.com", "/green/leaf?q=1"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("/green/leaf?q=1", r.Headers.GetValues("X-Seen-Path").Single());
        }
        Assert.Equal((1, 2), (_blue.TotalRequests, _green.TotalRequests));

        // Listed host, no match: 404; unknown host: 404. Nothing reaches a backend.
        using (var r = await _cluster.GetAsync(_port, "other.example.com"))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        using (var r = await _cluster.GetAsync(_port, "nobody.example.com"))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal((1, 2), (_blue.TotalRequests, _green.TotalRequests));
    }

    [Fact]
    public async Task WeightedSplitIsRoughlyRespected()
    {
        await _cluster.ApplyVirtualServiceAsync("""
            metadata: {name: split, namespace: default}
            spec:
              gateways: [knative-serving/knative-ingress-gateway]
              hosts: [split.example.com]
              http:
              - route:
                - destination: {host: blue.default.svc.cluster.local, port: {number: 80}}
                  weight: 90
                - destination: {host: green.default.svc.cluster.local, port: {number: 80}}
                  weight: 10
            """);
        (await UntilRoutedAsync("split.example.com")).Dispose();
        const int n = 400;
        for (var i = 1; i < n; i++)
        {
            using var r = await _cluster.GetAsync(_port, "split.example.com");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        Assert.Equal(n, _blue.TotalRequests + _green.TotalRequests);
        // Expected 40 of 400 on green; binomial sd ≈ 6, so [12, 80] is a very wide band.
        Assert.InRange(_green.TotalRequests, 12, 80);
    }

    [Fact]
    public async Task HeadersAreSetAndAppendedAndAuthorityRewritten()
    {
        await _cluster.ApplyVirtualServiceAsync("""
            metadata: {name: headers, namespace: default}
            spec:
              gateways: [knative-serving/knative-ingress-gateway]
              hosts: [hdr.example.com]
              http:
              - rewrite: {authority: blue.default.svc.cluster.local, uri: /inner/}
                match: [{uri: {prefix: /outer/}}]
                headers:
                  request:
                    set: {Knative-Serving-Namespace: default}
                    add: {X-Trace: gateway}
                    remove: [X-Secret]
                route:
                - destination: {host: blue.default.svc.cluster.local, port: {number: 80}}
                  headers:
                    request:
                      set: {Knative-Serving-Revision: blue-00001}
            """);
        using var r = await UntilRoutedAsync("hdr.example.com", "/outer/x?y=1", ("X-Trace", "client"), ("X-Secret", "s"), ("Knative-Serving-Revision", "spoofed"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("blue.default.svc.cluster.local", r.Headers.GetValues("X-Seen-Host").Single());
        Assert.Equal("/inner/x?y=1", r.Headers.GetValues("X-Seen-Path").Single());
        var seen = _blue.LastHeaders!;
        Assert.Equal("default", seen["Knative-Serving-Namespace"].ToString());
        Assert.Equal("blue-00001", seen["Knative-Serving-Revision"].ToString());
        Assert.Equal(["client", "gateway"], seen["X-Trace"].ToString().Split(',', StringSplitOptions.TrimEntries));
        Assert.False(seen.ContainsKey("X-Secret"));
    }

    [Fact]
    public async Task UpdatedVirtualServiceTakesEffectAndMissingEndpointsAnswer503()
    {
        var vs = await _cluster.ApplyVirtualServiceAsync("""
            metadata: {name: moving, namespace: default}
            spec:
              gateways: [knative-serving/knative-ingress-gateway]
              hosts: [moving.example.com]
              http:
              - route: [{destination: {host: blue.default.svc.cluster.local, port: {number: 80}}}]
            """);
        (await UntilRoutedAsync("moving.example.com")).Dispose();
        Assert.Equal(1, _blue.TotalRequests);

        vs.Spec!.Http![0].Route![0].Destination!.Host = "green.default.svc.cluster.local";
        await _cluster.Client.For<VirtualService>().UpdateAsync(vs);
        await GatewayCluster.EventuallyAsync(async () =>
        {
            using var r = await _cluster.GetAsync(_port, "moving.example.com");
            return r.StatusCode == HttpStatusCode.OK && _green.TotalRequests > 0;
        }, "the update to reach the gateway");

        // The ServerlessService empties the Endpoints (scale to zero without activator): Envoy's 503.
        await _cluster.SetEndpointsAsync("default", "green");
        await GatewayCluster.EventuallyAsync(async () =>
        {
            using var r = await _cluster.GetAsync(_port, "moving.example.com");
            return r.StatusCode == HttpStatusCode.ServiceUnavailable && await r.Content.ReadAsStringAsync() == "no healthy upstream";
        }, "503 without endpoints");
    }

    [Fact]
    public async Task LocalGatewayServesItsOwnRoutesAndTheMeshView()
    {
        var localPort = await _cluster.CreateGatewayAsync(GatewayCluster.LocalGatewayName);
        Assert.NotEqual(_port, localPort);
        await _cluster.ApplyVirtualServiceAsync("""
            metadata: {name: mesh-only, namespace: default}
            spec:
              hosts: [green.default.svc.cluster.local]
              http:
              - route: [{destination: {host: green.default.svc.cluster.local, port: {number: 80}}}]
            """);
        await GatewayCluster.EventuallyAsync(async () =>
        {
            using var r = await _cluster.GetAsync(localPort, "green.default.svc.cluster.local");
            return r.StatusCode == HttpStatusCode.OK;
        }, "mesh route on the local gateway");
        using var external = await _cluster.GetAsync(_port, "green.default.svc.cluster.local");
        Assert.Equal(HttpStatusCode.NotFound, external.StatusCode);
    }
}
