using Ingress.Api;
using Ingress.Api.Networking.V1Alpha1;
using Ingress.Networking.Resources;

namespace Ingress.Networking.Tests.Resources;

public class IngressHashTests
{
    [Fact]
    public void UpstreamCheckValue()
    {
        // spec §5.6: {rules:[{hosts:[example.com], http:{paths:[{splits:[{serviceName:blah}]}]}}]}, empty name and namespace.
        var spec = new IngressSpec
        {
            Rules = [new IngressRule { Hosts = ["example.com"], Http = new HTTPIngressRuleValue { Paths = [new HTTPIngressPath { Splits = [new IngressBackendSplit { ServiceName = "blah" }] }] } }],
        };
        Assert.Equal("{\"rules\":[{\"hosts\":[\"example.com\"],\"http\":{\"paths\":[{\"splits\":[{\"serviceNamespace\":\"\",\"serviceName\":\"blah\",\"servicePort\":0}]}]}}]}", IngressHash.SpecJson(spec));
        Assert.Equal("a25000a350642c8abef53078b329bd043e18758f6063c1172d53b04e14fcf5c1", IngressHash.Compute(spec, "", ""));
    }

    [Fact]
    public void EmptySpecIsAnEmptyObject()
    {
        Assert.Equal("{}", IngressHash.SpecJson(null));
        Assert.Equal("{}", IngressHash.SpecJson(new IngressSpec { Tls = [], Rules = [], HttpOption = "" }));
    }

    [Fact]
    public void ProbeInsertionPutsCopiesFirstAndHashesTheSpecWithoutThem()
    {
        var ingress = KubeJson.Deserialize<Ingress.Api.Networking.V1Alpha1.Ingress>("""
            {"metadata":{"name":"ing","namespace":"ns"},"spec":{"rules":[{"hosts":["a.example.com"],"visibility":"ExternalIP","http":{"paths":[
              {"path":"/1","splits":[{"serviceNamespace":"ns","serviceName":"s1","servicePort":80,"percent":100}],"appendHeaders":{"X":"y"}},
              {"path":"/2","headers":{"H":{"exact":"v"}},"splits":[{"serviceNamespace":"ns","serviceName":"s2","servicePort":80,"percent":100}]}]}}]}}
            """);
        var expectedHash = IngressHash.Compute(ingress.Spec, "ns", "ing");
        var hash = IngressSpecs.InsertProbe(ingress);
        Assert.Equal(expectedHash, hash);
        var paths = ingress.Spec!.Rules![0].Http!.Paths!;
        Assert.Equal(["/1", "/2", "/1", "/2"], paths.Select(p => p.Path));
        Assert.Equal("override", paths[0].Headers!["K-Network-Hash"].Exact);
        Assert.Equal(hash, paths[0].AppendHeaders!["K-Network-Hash"]);
        Assert.Equal("y", paths[0].AppendHeaders!["X"]);
        Assert.Equal("v", paths[1].Headers!["H"].Exact);
        Assert.Equal("override", paths[1].Headers!["K-Network-Hash"].Exact);
        Assert.Null(paths[2].Headers);
        Assert.False(paths[3].Headers!.ContainsKey("K-Network-Hash"));
    }

    [Fact]
    public void DefaultingOnlyTouchesVisibilityAndSingleSplitPercent()
    {
        var ingress = KubeJson.Deserialize<Ingress.Api.Networking.V1Alpha1.Ingress>("""
            {"metadata":{"name":"ing"},"spec":{"rules":[{"hosts":["a"],"http":{"paths":[
              {"splits":[{"serviceName":"one"}]},
              {"splits":[{"serviceName":"a","percent":0},{"serviceName":"b","percent":100}]}]}}]}}
            """);
        IngressSpecs.SetDefaults(ingress);
        var rule = ingress.Spec!.Rules![0];
        Assert.Equal("ExternalIP", rule.Visibility);
        Assert.Equal(100, rule.Http!.Paths![0].Splits![0].Percent);
        Assert.Equal(0, rule.Http.Paths[1].Splits![0].Percent);
        Assert.Null(ingress.Spec.HttpOption);
    }
}
