using Ingress.Networking.Probing;

namespace Ingress.Networking.Tests.Probing;

public class ProbeTargetPlannerTests
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Gateways = new Dictionary<string, IReadOnlyList<string>>
    {
        ["ExternalIP"] = ["knative-serving/knative-ingress-gateway"],
        ["ClusterLocal"] = ["knative-serving/knative-local-gateway"],
    };

    [Fact]
    public void HostsGoToTheGatewaysOfTheirVisibilityExpanded()
    {
        var result = ProbeTargetPlanner.HostsPerGateway(
            [(["foo.example.com"], "ExternalIP"), (["foo.bar.svc.cluster.local"], "ClusterLocal")], Gateways, "cluster.local");
        Assert.Equal(2, result.Count);
        Assert.Equal("knative-serving/knative-ingress-gateway", result[0].GatewayQualifiedName);
        Assert.Equal(["foo.example.com"], result[0].Hosts);
        Assert.Equal("knative-serving/knative-local-gateway", result[1].GatewayQualifiedName);
        Assert.Equal(["foo.bar", "foo.bar.svc", "foo.bar.svc.cluster.local"], result[1].Hosts);
    }

    [Fact]
    public void VisibilityWithoutGatewaysGivesNothing()
    {
        var result = ProbeTargetPlanner.HostsPerGateway([(["a.b.svc.cluster.local"], "ClusterLocal")],
            new Dictionary<string, IReadOnlyList<string>> { ["ClusterLocal"] = [] }, "cluster.local");
        Assert.Empty(result);
    }

    [Fact]
    public void GatewayNameMustBeQualified()
    {
        Assert.Equal(("ns", "gw"), ProbeTargetPlanner.SplitGatewayName("ns/gw"));
        var e = Assert.Throws<ProbeTargetException>(() => ProbeTargetPlanner.SplitGatewayName("gw"));
        Assert.Equal("unexpected unqualified Gateway name \"gw\"", e.Message);
    }

    private static readonly ServicePortInfo[] ServicePorts = [new("http2", 80), new("https", 443), new("tcp", 31400)];

    [Fact]
    public void ServersMapThroughServicePortNameToEndpointsPort()
    {
        GatewayServerInfo[] servers =
        [
            new("http", 80, "HTTP", false, null),
            new("https", 443, "HTTPS", false, "SIMPLE"),
        ];
        EndpointSubsetInfo[] subsets =
        [
            new(["10.0.0.1", "10.0.0.2"], [new("http2", 8080), new("https", 8443)]),
            new(["10.0.1.1"], [new("http2", 9080)]),
        ];
        var targets = ProbeTargetPlanner.TargetsForGateway("foo.bar", servers, ServicePorts, subsets);
        Assert.Equal(3, targets.Count);
        Assert.Equal(["10.0.0.1", "10.0.0.2"], targets[0].PodIPs);
        Assert.Equal((8080, 80, "http://foo.bar:80"), (targets[0].PodPort, targets[0].Port, targets[0].Url));
        Assert.Equal(["10.0.1.1"], targets[1].PodIPs);
        Assert.Equal((9080, 80, "http://foo.bar:80"), (targets[1].PodPort, targets[1].Port, targets[1].Url));
        Assert.Equal((8443, 443, "https://foo.bar:443"), (targets[2].PodPort, targets[2].Port, targets[2].Url));
    }

    [Fact]
    public void IneligibleServersAreSkipped()
    {
        GatewayServerInfo[] servers =
        [
            new("redirect", 80, "HTTP", true, null),
            new("mtls", 443, "HTTPS", false, "MUTUAL"),
            new("tcp", 31400, "TCP", false, null),
            new("grpc", 80, "GRPC", false, null),
            new("unknown-port", 8081, "HTTP", false, null),
        ];
        EndpointSubsetInfo[] subsets = [new(["10.0.0.1"], [new("http2", 8080), new("https", 8443), new("tcp", 31400)])];
        Assert.Empty(ProbeTargetPlanner.TargetsForGateway("h", servers, ServicePorts, subsets));
    }

    [Fact]
    public void DuplicateProtocolAndPortIsProbedOnce()
    {
        GatewayServerInfo[] servers = [new("a", 80, "HTTP", false, null), new("b", 80, "HTTP", false, null), new("c", 80, "HTTP2", false, null)];
        EndpointSubsetInfo[] subsets = [new(["10.0.0.1"], [new("http2", 8080)])];
        var targets = ProbeTargetPlanner.TargetsForGateway("h", servers, ServicePorts, subsets);
        Assert.Equal(2, targets.Count); // HTTP/80 and HTTP2/80
    }

    [Fact]
    public void SubsetWithoutThePortNameIsSkipped()
    {
        GatewayServerInfo[] servers = [new("http", 80, "HTTP", false, null)];
        EndpointSubsetInfo[] subsets = [new(["10.0.0.1"], [new("other", 8080)])];
        Assert.Empty(ProbeTargetPlanner.TargetsForGateway("h", servers, ServicePorts, subsets));
    }
}
