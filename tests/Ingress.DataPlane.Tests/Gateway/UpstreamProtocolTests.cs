using Ingress.Api;
using Ingress.Api.Core.V1;
using Ingress.DataPlane.Gateway;

namespace Ingress.DataPlane.Tests.Gateway;

/// <summary>
/// Which Service ports the local gateway speaks h2c to (Istio's protocol selection). Found by the KIngress
/// conformance scenario basics/http2 on <c>ingress up</c>: an HTTP/1.1 client must reach a backend whose port is
/// named <c>http2</c> or has appProtocol <c>kubernetes.io/h2c</c> over HTTP/2 (the gateway used to follow the client).
/// </summary>
public sealed class UpstreamProtocolTests
{
    [Theory]
    [InlineData("http2", null, true)]
    [InlineData("http2-backend", null, true)]
    [InlineData("grpc", null, true)]
    [InlineData("grpc-web", null, true)]
    [InlineData("http", null, false)]
    [InlineData("http-http2", null, false)] // the protocol is the prefix before the first dash
    [InlineData("h2c", null, false)]        // not an Istio protocol name
    [InlineData(null, null, false)]
    [InlineData("", "kubernetes.io/h2c", true)]
    [InlineData("http", "kubernetes.io/h2c", true)] // appProtocol wins over the name
    [InlineData("http2", "http", false)]
    [InlineData("anything", "grpc", true)]
    [InlineData("anything", "HTTP2", true)]
    public void Http2_is_declared_by_port_name_prefix_or_app_protocol(string? name, string? appProtocol, bool http2) =>
        Assert.Equal(http2, KubeDestinationResolver.DeclaresHttp2(new ServicePort { Name = name, AppProtocol = appProtocol, Port = 80 }));

    [Fact]
    public void Resolution_carries_the_protocol_of_the_selected_port()
    {
        var service = KubeJson.FromYaml<Service>("""
            metadata: {name: backend, namespace: serving-tests}
            spec:
              ports:
              - {name: http, port: 80, targetPort: 8080}
              - {name: h2, port: 81, targetPort: 8081, appProtocol: kubernetes.io/h2c}
            """);
        var endpoints = KubeJson.FromYaml<Endpoints>("""
            metadata: {name: backend, namespace: serving-tests}
            subsets:
            - addresses: [{ip: 10.0.0.1}]
              ports: [{name: http, port: 8080}, {name: h2, port: 8081, appProtocol: kubernetes.io/h2c}]
            """);
        var plain = KubeDestinationResolver.ResolveAgainst(service, endpoints, 80);
        Assert.Equal((ResolveError.None, false), (plain.Error, plain.Http2));
        Assert.Equal(["10.0.0.1:8080"], plain.Addresses);
        var h2c = KubeDestinationResolver.ResolveAgainst(service, endpoints, 81);
        Assert.Equal((ResolveError.None, true), (h2c.Error, h2c.Http2));
        Assert.Equal(["10.0.0.1:8081"], h2c.Addresses);
    }
}
