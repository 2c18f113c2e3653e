namespace Ingress.ModelGen.Tests;

public class NamingTests
{
    [Theory]
    [InlineData("apiVersion", "ApiVersion")]
    [InlineData("x-kubernetes-int-or-string", "XKubernetesIntOrString")]
    [InlineData("$ref", "Ref")]
    [InlineData("CACerts", "CACerts")]
    [InlineData("mirror_percent", "MirrorPercent")]
    [InlineData("3d", "_3d")]
    public void Pascal_case_of_json_names(string json, string expected) => Assert.Equal(expected, Naming.Pascal(json));

    [Theory]
    [InlineData("v1", "V1")]
    [InlineData("v1beta1", "V1Beta1")]
    [InlineData("v1alpha3", "V1Alpha3")]
    [InlineData("v2", "V2")]
    public void Version_namespaces(string version, string expected) => Assert.Equal(expected, Naming.Version(version));

    [Theory]
    [InlineData("conditions", "condition")]
    [InlineData("policies", "policy")]
    [InlineData("addresses", "address")]
    [InlineData("ingresses", "ingress")]
    [InlineData("tls", "tls")]
    [InlineData("status", "status")]
    [InlineData("http", "http")]
    [InlineData("matchExpressions", "matchExpression")]
    public void Singular_of_irregular_names(string plural, string expected) => Assert.Equal(expected, Naming.Singular(plural));

    [Fact]
    public void Doc_summary_is_the_first_line_escaped()
    {
        Assert.Equal("a &lt;b&gt; &amp; c", Naming.DocSummary("a <b> & c\nsecond line"));
        Assert.Null(Naming.DocSummary("  "));
    }
}
