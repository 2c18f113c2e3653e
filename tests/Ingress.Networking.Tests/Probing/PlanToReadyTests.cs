using Ingress.Api;
using Ingress.Api.Core.V1;
using Ingress.Api.Meta.V1;
using Ingress.Networking.Config;
using Ingress.Networking.Probing;
using Ingress.Networking.Resources;
using Ingress.Networking.Tests.Golden;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;
using GatewayModel = Ingress.Api.Istio.Networking.V1Beta1.Gateway;

namespace Ingress.Networking.Tests.Probing;

/// <summary>
/// The pure plan, the lister-style target resolution and the prober together: gateway pods are Kestrel servers whose
/// Endpoints list their loopback address and port; the KIngress turns ready only once they serve the plan's hash.
/// </summary>
public class PlanToReadyTests
{
    [Fact]
    public async Task PlanHashIsWhatThePodsMustServe()
    {
        await using var pod1 = await FakeGatewayPod.StartAsync("127.0.0.1", "stale");
        await using var pod2 = await FakeGatewayPod.StartAsync("127.0.0.2", "stale");
        var ingress = KubeJson.Deserialize<IngressModel>("""
            {"metadata":{"name":"hello","namespace":"default","uid":"u1","generation":4,
              "annotations":{"networking.knative.dev/ingress.class":"istio.ingress.networking.knative.dev"}},
             "spec":{"rules":[{"hosts":["hello.default.example.com"],"visibility":"ExternalIP","http":{"paths":[
               {"splits":[{"serviceNamespace":"default","serviceName":"hello-1","servicePort":80}]}]}}]}}
            """);
        var lookups = Inputs.Parse("") ;
        lookups.Gateways.Add(new GatewayModel
        {
            Metadata = new ObjectMeta { Name = "knative-ingress-gateway", Namespace = "knative-testing" },
            Spec = new() { Selector = new() { ["istio"] = "ingressgateway" }, Servers = [new() { Hosts = ["*"], Port = new() { Name = "http", Number = 80, Protocol = "HTTP" } }] },
        });
        lookups.Services.Add(new Service
        {
            Metadata = new ObjectMeta { Name = "istio-ingressgateway", Namespace = "istio-system", Labels = new() { ["istio"] = "ingressgateway" } },
            Spec = new ServiceSpec { Ports = [new ServicePort { Name = "http2", Port = 80 }] },
        });
        // Both pods listen on their own port; Endpoints subsets carry per-subset ports, one subset per pod.
        lookups.EndpointsObjects.Add(new Endpoints
        {
            Metadata = new ObjectMeta { Name = "istio-ingressgateway", Namespace = "istio-system" },
            Subsets =
            [
                new EndpointsSubset { Addresses = [new EndpointAddress { Ip = pod1.IP }], Ports = [new EndpointPort { Name = "http2", Port = pod1.Port }] },
                new EndpointsSubset { Addresses = [new EndpointAddress { Ip = pod2.IP }], Ports = [new EndpointPort { Name = "http2", Port = pod2.Port }] },
            ],
        });
        var config = new IngressConfig(IstioConfig.Parse(new Dictionary<string, string> { ["local-gateways"] = "[]" }, "knative-testing", "cluster.local").Value!, NetworkConfig.Default);

        var plan = IngressPlan.Build(ingress, config, lookups, "cluster.local", "knative-testing");
        var ready = new ReadyRecorder();
        await using var prober = new IngressProber(new LookupProbeTargetSource(lookups), ready.OnReady, new ProberOptions { Workers = 2 });

        Assert.False(await prober.IsReadyAsync(plan.Probe!));
        var vsHash = plan.VirtualServices.Single().Spec!.Http![0].Headers!.Request!.Set!["K-Network-Hash"];
        Assert.Equal(plan.Hash, vsHash);

        pod1.Hash = plan.Hash;
        pod2.Hash = plan.Hash;
        var subject = await ready.NextAsync();
        Assert.Equal(4, subject.Generation);
        Assert.Equal("hello.default.example.com:80", pod1.Requests.Last().Host);
        Assert.True(await prober.IsReadyAsync(plan.Probe!));

        IngressStatusRules.BeginPass(ingress);
        IngressStatusRules.MarkNetworkConfigured(ingress);
        IngressPassOutcome.Probed(ingress, true, plan);
        IngressStatusRules.EndPass(ingress);
        Assert.True(IngressStatusRules.IsReady(ingress));
        Assert.Equal("istio-ingressgateway.istio-system.svc.cluster.local", ingress.Status!.PublicLoadBalancer!.Ingress![0].DomainInternal);
        Assert.True(ingress.Status.PrivateLoadBalancer!.Ingress![0].MeshOnly);
    }
}
