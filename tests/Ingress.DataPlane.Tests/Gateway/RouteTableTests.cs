using Ingress.Api;
using Ingress.Api.Core.V1;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.DataPlane.Gateway;

namespace Ingress.DataPlane.Tests.Gateway;

public sealed class RouteTableTests
{
    private const string Gw = "knative-serving/knative-ingress-gateway";

    private static VirtualService Vs(string yaml) => KubeJson.FromYaml<VirtualService>(yaml);

    [Fact]
    public void WeightedPickFollowsTheBands()
    {
        var table = RouteTable.Compile(Gw, [Vs("""
            metadata: {name: s, namespace: default}
            spec:
              gateways: [knative-serving/knative-ingress-gateway]
              hosts: [s.example.com]
              http:
              - route:
                - destination: {host: a.default.svc.cluster.local}
                  weight: 90
                - destination: {host: b.default.svc.cluster.local}
                  weight: 10
            """)]);
        var route = table.Match(new GatewayRequest("s.example.com", "/", "GET", _ => null))!;
        Assert.Equal(100, route.TotalWeight);
        Assert.Equal("a.default.svc.cluster.local", route.Pick(0).Host);
        Assert.Equal("a.default.svc.cluster.local", route.Pick(89).Host);
        Assert.Equal("b.default.svc.cluster.local", route.Pick(90).Host);
        Assert.Equal("b.default.svc.cluster.local", route.Pick(99).Host);
    }

    [Fact]
    public void VirtualServiceWithoutGatewaysIsMeshOnly()
    {
        var vs = Vs("""
            metadata: {name: m, namespace: default}
            spec:
              hosts: ["*"]
              http:
              - route:
                - destination: {host: a.default.svc.cluster.local}
            """);
        Assert.Equal(0, RouteTable.Compile(Gw, [vs]).RouteCount);
        Assert.Equal(1, RouteTable.Compile("knative-serving/knative-local-gateway", [vs], alsoServeMesh: true).RouteCount);
    }

    [Fact]
    public void BadRegexLeavesOnlyThatVirtualServiceOut()
    {
        var table = RouteTable.Compile(Gw, [
            Vs("""
               metadata: {name: bad, namespace: default}
               spec:
                 gateways: [knative-serving/knative-ingress-gateway]
                 hosts: [bad.example.com]
                 http:
                 - match: [{uri: {regex: "(["}}]
                   route: [{destination: {host: a.default}}]
               """),
            Vs("""
               metadata: {name: good, namespace: default}
               spec:
                 gateways: [knative-serving/knative-ingress-gateway]
                 hosts: [good.example.com]
                 http:
                 - route: [{destination: {host: a.default}}]
               """)]);
        Assert.Single(table.Errors);
        Assert.Contains("default/bad", table.Errors[0]);
        Assert.NotNull(table.Match(new GatewayRequest("good.example.com", "/", "GET", _ => null)));
        Assert.Null(table.Match(new GatewayRequest("bad.example.com", "/", "GET", _ => null)));
    }

    [Fact]
    public void ResolutionFollowsServicePortNameToEndpointsPort()
    {
        var service = KubeJson.FromYaml<Service>("""
            metadata: {name: hello-00001, namespace: default}
            spec:
              ports:
              - {name: http, port: 80, targetPort: user-port}
              - {name: metrics, port: 9090, targetPort: 9090}
            """);
        var endpoints = KubeJson.FromYaml<Endpoints>("""
            metadata: {name: hello-00001, namespace: default}
            subsets:
            - addresses: [{ip: 10.0.0.1}, {ip: 10.0.0.2}]
              notReadyAddresses: [{ip: 10.0.0.3}]
              ports: [{name: http, port: 8012}, {name: metrics, port: 9090}]
            """);
        var resolved = KubeDestinationResolver.ResolveAgainst(service, endpoints, 80);
        Assert.Equal(ResolveError.None, resolved.Error);
        Assert.Equal(["10.0.0.1:8012", "10.0.0.2:8012"], resolved.Addresses);
        Assert.Equal(ResolveError.PortNotFound, KubeDestinationResolver.ResolveAgainst(service, endpoints, 81).Error);
        Assert.Equal(ResolveError.PortNotFound, KubeDestinationResolver.ResolveAgainst(service, endpoints, null).Error);
        Assert.Equal(ResolveError.NoEndpoints, KubeDestinationResolver.ResolveAgainst(service, null, 80).Error);
    }

    [Theory]
    [InlineData("a.b.svc.cluster.local", true, "a", "b")]
    [InlineData("a.b.svc", true, "a", "b")]
    [InlineData("a.b", true, "a", "b")]
    [InlineData("a.b.example.com", false, "", "")]
    [InlineData("a", false, "", "")]
    public void ServiceHostsParse(string host, bool ok, string name, string ns)
    {
        Assert.Equal(ok, KubeDestinationResolver.TryParseServiceHost(host, out var n, out var s));
        Assert.Equal((name, ns), (n, s));
    }
}
