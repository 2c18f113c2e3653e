using System.Text.Json.Nodes;
using Ingress.Serving.Resources;

namespace Ingress.Serving.Tests.Unit;

/// <summary>§5.1 step 5: once the KIngress has a load balancer, the placeholder Service points at it.</summary>
public class PlaceholderLoadBalancerTests
{
    private static JsonObject Ingress(string status) => new() { ["status"] = JsonNode.Parse(status) };

    [Fact]
    public void NoStatusKeepsTheRoutesOwnHost() => Assert.Null(PlaceholderServices.LoadBalancerDomain(Ingress("{}")));

    [Fact]
    public void ThePrivateLoadBalancersInternalDomainIsPreferred() => Assert.Equal("knative-local-gateway.istio-system.svc.cluster.local",
        PlaceholderServices.LoadBalancerDomain(Ingress("""
            {"publicLoadBalancer":{"ingress":[{"domainInternal":"istio-ingressgateway.istio-system.svc.cluster.local"}]},
             "privateLoadBalancer":{"ingress":[{"domainInternal":"knative-local-gateway.istio-system.svc.cluster.local"}]}}
            """)));

    [Fact]
    public void ThePublicDomainIsUsedWhenThereIsNoPrivateOne() => Assert.Equal("lb.example.com",
        PlaceholderServices.LoadBalancerDomain(Ingress("""{"publicLoadBalancer":{"ingress":[{"domain":"lb.example.com"}]}}""")));
}
