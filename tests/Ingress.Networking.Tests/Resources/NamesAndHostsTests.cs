using Ingress.Networking.Resources;

namespace Ingress.Networking.Tests.Resources;

public class NamesTests
{
    [Theory]
    [InlineData("foo", "-ingress", "foo-ingress")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "-ingress", "aaaaaaaaaaaaaaaaaaaaaaacc7ed669cf88f201c3297c6a91e1d18d-ingress")]
    [InlineData("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "-ccccccccccccccccccccccccccccccccccc", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb162baddccc58a8720776e4317a3ff4c")]
    public void ChildNameFollowsKmeta(string parent, string suffix, string expected)
    {
        var name = Names.ChildName(parent, suffix);
        Assert.Equal(expected, name);
        Assert.True(name.Length <= 63);
    }

    [Fact]
    public void ChildNameAtExactly63IsUnchanged()
    {
        var parent = new string('p', 55);
        Assert.Equal(parent + "-ingress", Names.ChildName(parent, "-ingress"));
    }

    [Fact]
    public void Adler32MatchesZlib()
    {
        Assert.Equal(0x11E60398u, Names.Adler32("Wikipedia"));
        Assert.Equal(3797421420u, Names.Adler32("istio-system/istio-ingressgateway"));
    }

    [Fact]
    public void GatewayNames()
    {
        Assert.Equal("reconciling-ingress-3797421420", Names.GatewayName("reconciling-ingress", "ExternalIP", "istio-system", "istio-ingressgateway"));
        Assert.Equal("reconciling-ingress-975966116", Names.GatewayName("reconciling-ingress", "ClusterLocal", "istio-system", "istio-ingressgateway"));
        // Not a DNS label: the prefix is the decimal adler32 of the name.
        Assert.Equal("1852639568-3797421420", Names.GatewayName("Ingress_With_Underscore", "ExternalIP", "istio-system", "istio-ingressgateway"));
        // Upper case passes net-istio's own label check.
        Assert.Equal("MyIngress-3797421420", Names.GatewayName("MyIngress", "ExternalIP", "istio-system", "istio-ingressgateway"));
        var longName = new string('l', 63);
        var truncated = Names.GatewayName(longName, "ExternalIP", "istio-system", "istio-ingressgateway");
        Assert.Equal(new string('l', 52) + "-3797421420", truncated);
    }

    [Fact]
    public void WildcardAndSecretNames()
    {
        Assert.Equal("wildcard-46d5101d", Names.WildcardGatewayName("secret", "istio-system", "istio-ingressgateway"));
        Assert.Equal("ing-uid-1", Names.SecretCopyName("ing", "uid-1"));
        Assert.Equal("knative-serving--wildcard-cert-wildcard", Names.WildcardSecretCopyName("knative-serving", "wildcard-cert"));
        Assert.Equal("short", Names.OriginSecretNameLabelValue("short"));
        Assert.Equal("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-2371494097", Names.OriginSecretNameLabelValue(new string('x', 70)));
    }

    [Fact]
    public void PortNamesAndServerOwnership()
    {
        Assert.Equal("ns/ing:3", Names.TlsServerPortName("ns", "ing", 3));
        Assert.Equal("ns/1852639568:0", Names.TlsServerPortName("ns", "Ingress_With_Underscore", 0));
        Assert.True(Names.ServerBelongsToIngress("ns/ing:0", "ns", "ing"));
        Assert.True(Names.ServerBelongsToIngress("ns/ing:anything", "ns", "ing"));
        Assert.False(Names.ServerBelongsToIngress("ns/ing", "ns", "ing"));
        Assert.False(Names.ServerBelongsToIngress("ns/ing:0:1", "ns", "ing"));
        Assert.False(Names.ServerBelongsToIngress("other/ing:0", "ns", "ing"));
        Assert.False(Names.ServerBelongsToIngress("http", "ns", "ing"));
    }
}

public class HostsTests
{
    private const string Domain = "cluster.local";

    [Fact]
    public void ClusterLocalHostExpandsToThreeForms()
    {
        Assert.Equal(["a.b", "a.b.svc", "a.b.svc.cluster.local"], Hosts.Expand(["a.b.svc.cluster.local"], Domain));
    }

    [Fact]
    public void NumericLastLabelIsDropped()
    {
        Assert.Equal(["s.1234.svc", "s.1234.svc.cluster.local"], Hosts.Expand(["s.1234.svc.cluster.local"], Domain));
        Assert.Empty(Hosts.Expand(["10.0.0.1"], Domain));
    }

    [Fact]
    public void ExternalHostStaysAsIs()
    {
        Assert.Equal(["foo.example.com"], Hosts.Expand(["foo.example.com"], Domain));
    }

    [Fact]
    public void OverlongLastLabelIsDropped()
    {
        var label = new string('a', 64);
        Assert.Empty(Hosts.Expand(["x." + label], Domain));
    }

    [Fact]
    public void OtherClusterDomain()
    {
        Assert.Equal(["a.b", "a.b.svc", "a.b.svc.corp.internal"], Hosts.Expand(["a.b.svc.corp.internal", "a.b.svc.corp.internal"], "corp.internal"));
    }

    [Fact]
    public void DistinctPrefixesUsePlainStartsWith()
    {
        Assert.Equal(["a"], Hosts.DistinctHostPrefixes(["ab.example.com", "a"], Domain));
        Assert.Equal(["host-tls.test-ns"], Hosts.DistinctHostPrefixes(["host-tls.test-ns.svc.cluster.local"], Domain));
        // The walk is over the original hosts sorted: "a.b.svc.cluster.local" < "a.b.svc.x" → "a.b" is kept first.
        Assert.Equal(["a.b"], Hosts.DistinctHostPrefixes(["a.b.svc.x", "a.b.svc.cluster.local"], Domain));
        Assert.Equal(["bar.example.com", "foo.example.com"], Hosts.DistinctHostPrefixes(["foo.example.com", "bar.example.com"], Domain));
    }

    [Fact]
    public void LocalHostnames()
    {
        Assert.Equal(["a.ns.svc.cluster.local"], Hosts.KeepLocalHostnames(["x.example.com", "a.ns.svc.cluster.local", "a.ns.svc"], Domain));
    }
}

public class GoJsonTests
{
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("<a&b>", "\"\\u003ca\\u0026b\\u003e\"")]
    [InlineData("q\"b\\", "\"q\\\"b\\\\\"")]
    [InlineData("\n\r\t\b\f\u0001", "\"\\n\\r\\t\\b\\f\\u0001\"")]
    [InlineData("\u2028\u2029é", "\"\\u2028\\u2029é\"")]
    public void StringsAreEscapedLikeGo(string value, string expected)
    {
        var sb = new System.Text.StringBuilder();
        GoJsonWriter.WriteString(sb, value);
        Assert.Equal(expected, sb.ToString());
    }

    [Fact]
    public void WriterIsCompactWithCommas()
    {
        var w = new GoJsonWriter();
        w.BeginObject().Name("a").BeginArray().String("x").Number(1).Null().EndArray().Name("b").BeginObject().EndObject().Name("c").Bool(true).EndObject();
        Assert.Equal("{\"a\":[\"x\",1,null],\"b\":{},\"c\":true}", w.ToString());
    }
}
