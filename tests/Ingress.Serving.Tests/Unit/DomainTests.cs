using Ingress.Serving.Config;
using Ingress.Serving.Domains;
using Ingress.Serving.Go;
using Ingress.Serving.Naming;

namespace Ingress.Serving.Tests.Unit;

public class DomainTests
{
    private static ServingConfig Cfg(string? domainTemplate = null, string? tagTemplate = null)
    {
        var net = new Dictionary<string, string>();
        if (domainTemplate is not null) net["domain-template"] = domainTemplate;
        if (tagTemplate is not null) net["tag-template"] = tagTemplate;
        return new ServingConfig
        {
            Domain = ConfigDomain.Parse(new Dictionary<string, string> { ["example.com"] = "" }),
            Network = ConfigNetwork.Parse(net),
        };
    }

    private static readonly MetaView Route = new("myroute", "default");

    [Theory]
    [InlineData(null, null, "", Visibility.ExternalIP, "myroute.default.example.com")]
    [InlineData(null, null, "", Visibility.ClusterLocal, "myroute.default.svc.cluster.local")]
    [InlineData(null, null, "test", Visibility.ExternalIP, "test-myroute.default.example.com")]
    [InlineData(null, null, "test", Visibility.ClusterLocal, "test-myroute.default.svc.cluster.local")]
    [InlineData(null, "{{.Name}}-{{.Tag}}", "test", Visibility.ExternalIP, "myroute-test.default.example.com")]
    [InlineData(null, "{{.Tag}}-dot-{{.Name}}", "test", Visibility.ExternalIP, "test-dot-myroute.default.example.com")]
    [InlineData("{{.Name}}-{{.Namespace}}.{{.Domain}}", null, "", Visibility.ExternalIP, "myroute-default.example.com")]
    [InlineData("{{.Name}}-{{.Namespace}}.{{.Domain}}", null, "", Visibility.ClusterLocal, "myroute.default.svc.cluster.local")]
    public void Hosts(string? dt, string? tt, string tag, Visibility v, string expected) =>
        Assert.Equal(expected, DomainNames.DomainsForVisibility(Cfg(dt, tt), Route, tag, v).Primary);

    [Fact]
    public void SingleLabelTemplateIsAnError()
    {
        var e = Assert.Throws<DomainNameException>(() => DomainNames.DomainsForVisibility(Cfg("{{.Name}}"), Route, "", Visibility.ExternalIP));
        Assert.Equal("domain name error: invalid domain name \"myroute\": url: Invalid value: \"myroute\": should be a domain with at least two segments separated by dots", e.Message);
    }

    [Fact]
    public void UppercaseTemplateIsAnError()
    {
        var e = Assert.Throws<DomainNameException>(() => DomainNames.DomainsForVisibility(Cfg("{{.Name}}.{{.Namespace}}.{{.Domain}}.Foo"), Route, "", Visibility.ExternalIP));
        Assert.StartsWith("domain name error: invalid domain name \"myroute.default.example.com.Foo\": url: Invalid value: \"myroute.default.example.com.Foo\": a lowercase RFC 1123 subdomain must consist of", e.Message);
    }

    [Fact]
    public void MissingAnnotationIndexFailsAtReconcile()
    {
        var cfg = Cfg("{{.Name}}.{{index .Annotations \"sub\"}}.{{.Domain}}");
        var e = Assert.Throws<DomainNameException>(() => DomainNames.DomainsForVisibility(cfg, Route, "", Visibility.ExternalIP));
        Assert.Contains("invalid domain name \"myroute..example.com\"", e.Message);
        var ok = DomainNames.DomainsForVisibility(cfg, Route with { Annotations = new Dictionary<string, string> { ["sub"] = "x" } }, "", Visibility.ExternalIP);
        Assert.Equal("myroute.x.example.com", ok.Primary);
    }

    [Fact]
    public void ExpandedClusterLocalHosts()
    {
        var d = DomainNames.DomainsForVisibility(Cfg(), Route, "", Visibility.ClusterLocal);
        Assert.Equal(["myroute.default", "myroute.default.svc", "myroute.default.svc.cluster.local"], d.Expanded);
        Assert.Equal(new[] { "a.1.svc", "a.1.svc.cluster.local" }, DomainNames.ExpandedHosts(["a.1.svc.cluster.local"]));
    }

    [Fact]
    public void VisibilityPerName()
    {
        Assert.Equal(Visibility.ClusterLocal, DomainNames.VisibilityFor(false, new Dictionary<string, string> { ["networking.knative.dev/visibility"] = "anything" }));
        Assert.Equal(Visibility.ExternalIP, DomainNames.VisibilityFor(false, new Dictionary<string, string> { ["networking.knative.dev/visibility"] = "" }));
        Assert.Equal(Visibility.ClusterLocal, DomainNames.VisibilityFor(true, null));
        Assert.True(DomainNames.IsRouteClusterLocal(ServingConfig.Default, null));
        Assert.False(DomainNames.IsRouteClusterLocal(Cfg(), null));
    }

    [Fact]
    public void GoTemplateSubset()
    {
        var data = TemplateValues.Domain("n", "ns", "d.com", new Dictionary<string, string> { ["a"] = "x" }, null);
        Assert.Equal("x.n", GoTemplate.Parse("t", "{{.Annotations.a}}.{{ .Name }}").Execute(data));
        Assert.Equal("<no value>", GoTemplate.Parse("t", "{{.Annotations.missing}}").Execute(data));
        Assert.Equal("", GoTemplate.Parse("t", "{{index .Labels \"k\"}}").Execute(data));
        Assert.Equal("a-b", GoTemplate.Parse("t", "a  {{- \"-\" -}}  b").Execute(data));
        Assert.Equal("template: t:1: function \"upper\" not defined", Assert.Throws<GoTemplateException>(() => GoTemplate.Parse("t", "{{upper .Name}}")).Message);
        Assert.Equal("template: t:1: unclosed action", Assert.Throws<GoTemplateException>(() => GoTemplate.Parse("t", "{{.Name")).Message);
    }

    [Theory]
    [InlineData("foo", 1, "foo-00001")]
    [InlineData("foo", 1234, "foo-01234")]
    [InlineData("foo", 123456, "foo-123456")]
    public void RevisionNames(string config, long gen, string expected) => Assert.Equal(expected, Kmeta.RevisionName(config, gen));

    [Fact]
    public void ChildNameHashesLongNames()
    {
        var parent = new string('a', 70);
        var child = Kmeta.ChildName(parent, "-deployment");
        Assert.Equal(63, child.Length);
        Assert.EndsWith("-deployment", child);
        Assert.StartsWith(new string('a', 20), child);
        Assert.Equal("short-deployment", Kmeta.ChildName("short", "-deployment"));
        var longSuffix = Kmeta.ChildName("p", new string('s', 40));
        Assert.True(longSuffix.Length <= 63);
    }
}
