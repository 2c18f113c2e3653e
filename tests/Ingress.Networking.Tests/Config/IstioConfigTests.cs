using Ingress.Networking.Config;

namespace Ingress.Networking.Tests.Config;

public class IstioConfigTests
{
    private const string Sys = "knative-testing";
    private const string Domain = "cluster.local";

    private static ConfigParseResult<IstioConfig> Parse(params (string Key, string Value)[] data) =>
        IstioConfig.Parse(data.ToDictionary(d => d.Key, d => d.Value), Sys, Domain);

    [Fact]
    public void EmptyConfigMapGivesBothDefaults()
    {
        var result = Parse();
        Assert.True(result.IsSuccess);
        Assert.Equal([new IstioGateway(Sys, "knative-ingress-gateway", "istio-ingressgateway.istio-system.svc.cluster.local")], result.Value!.IngressGateways);
        Assert.Equal([new IstioGateway(Sys, "knative-local-gateway", "knative-local-gateway.istio-system.svc.cluster.local")], result.Value.LocalGateways);
        Assert.True(result.Value.GatewaysEnabled);
    }

    [Fact]
    public void DefaultsFollowClusterDomain()
    {
        var result = IstioConfig.Parse(new Dictionary<string, string>(), "knative-serving", "example.internal");
        Assert.Equal("istio-ingressgateway.istio-system.svc.example.internal", result.Value!.IngressGateways[0].ServiceUrl);
        Assert.Equal("knative-serving", result.Value.LocalGateways[0].Namespace);
    }

    [Fact]
    public void OldFormatWithoutNamespaceUsesSystemNamespaceAndKeepsLocalDefault()
    {
        var result = Parse(("gateway.knative-ingress-freeway", "istio-ingressfreeway.istio-system.svc.cluster.local."));
        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Equal([new IstioGateway(Sys, "knative-ingress-freeway", "istio-ingressfreeway.istio-system.svc.cluster.local.")], result.Value!.IngressGateways);
        Assert.Equal("knative-local-gateway", result.Value.LocalGateways.Single().Name);
    }

    [Fact]
    public void OldFormatSplitsAtFirstDotAndSortsByKey()
    {
        var result = Parse(
            ("gateway.zeta.gw", "z.istio-system.svc.cluster.local"),
            ("gateway.alpha.gw.with.dots", "a.istio-system.svc.cluster.local"),
            ("gateway.", "ignored.istio-system.svc.cluster.local"),
            ("local-gateway.ns1.local", "l.istio-system.svc.cluster.local"));
        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Equal(["alpha/gw.with.dots", "zeta/gw"], result.Value!.IngressGateways.Select(g => g.QualifiedName));
        Assert.Equal(["ns1/local"], result.Value.LocalGateways.Select(g => g.QualifiedName));
    }

    [Fact]
    public void OldFormatInvalidServiceIsRejectedWithExactText()
    {
        var result = Parse(("gateway.custom-namespace.invalid", "_invalid"));
        Assert.False(result.IsSuccess);
        Assert.Equal(ConfigErrorKind.InvalidGateway, result.Error!.Kind);
        Assert.Equal("invalid configuration: invalid gateway custom-namespace/invalid: invalid gateway service format: [a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]", result.Error.Message);
    }

    [Fact]
    public void OldFormatInvalidLocalService()
    {
        var result = Parse(("local-gateway.invalid", "_invalid"));
        Assert.StartsWith($"invalid configuration: invalid local gateway {Sys}/invalid: invalid gateway service format: [", result.Error!.Message);
    }

    [Fact]
    public void BothFormatsAreRejected()
    {
        var result = Parse(("external-gateways", "[]"), ("gateway.a.b", "x.y.svc.cluster.local"));
        Assert.Equal(ConfigErrorKind.BothGatewayFormats, result.Error!.Kind);
        Assert.Equal("invalid configmap: \"local-gateways\" or \"external-gateways\" can not be defined simultaneously with \"gateway.\" or \"local-gateway.\"", result.Error.Message);
    }

    [Fact]
    public void NewFormatParsesListsWithSelectors()
    {
        var result = Parse(
            ("external-gateways", """
                - name: gateway1
                  namespace: ns1
                  service: istio-gateway.istio-system.svc.cluster.local
                - name: special
                  namespace: ns1
                  service: special-gateway.istio-system.svc.cluster.local
                  labelSelector:
                    matchExpressions:
                    - key: tier
                      operator: In
                      values: [gold]
                """),
            ("local-gateways", """
                - Name: "local1"
                  NAMESPACE: "ns2"
                  service: "local-gateway.istio-system.svc.cluster.local"
                  unknownField: ignored
                """));
        Assert.True(result.IsSuccess, result.Error?.Message);
        var config = result.Value!;
        Assert.Equal(["ns1/gateway1", "ns1/special"], config.IngressGateways.Select(g => g.QualifiedName));
        Assert.Null(config.IngressGateways[0].LabelSelector);
        Assert.Equal("In", config.IngressGateways[1].LabelSelector!.MatchExpressions![0].Operator);
        Assert.Equal(["ns2/local1"], config.LocalGateways.Select(g => g.QualifiedName));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n ")]
    public void NewFormatBlankValueMeansDefault(string blank)
    {
        var result = Parse(("external-gateways", blank), ("local-gateways", "[]"));
        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Equal("knative-ingress-gateway", result.Value!.IngressGateways.Single().Name);
        Assert.Empty(result.Value.LocalGateways);
        Assert.True(result.Value.GatewaysEnabled);
    }

    [Fact]
    public void BothListsEmptyMeansMeshOnly()
    {
        var result = Parse(("external-gateways", "[]"), ("local-gateways", "[]"));
        Assert.True(result.IsSuccess);
        Assert.False(result.Value!.GatewaysEnabled);
    }

    [Fact]
    public void NewFormatMissingLocalKeyGetsLocalDefault()
    {
        var result = Parse(("external-gateways", "- {name: g, namespace: n, service: s.ns.svc.cluster.local}"));
        Assert.True(result.IsSuccess, result.Error?.Message);
        Assert.Equal("knative-local-gateway", result.Value!.LocalGateways.Single().Name);
    }

    [Fact]
    public void NewFormatTwoDefaultsAreRejected()
    {
        var result = Parse(("external-gateways", """
            - {name: a, namespace: n, service: a.ns.svc.cluster.local}
            - {name: b, namespace: n, service: b.ns.svc.cluster.local}
            """));
        Assert.Equal(ConfigErrorKind.DefaultGatewayCount, result.Error!.Kind);
        Assert.Equal("failed to parse configmap: exactly one external gateway with no selector can be defined, here: [{n a a.ns.svc.cluster.local <nil>} {n b b.ns.svc.cluster.local <nil>}]", result.Error.Message);
    }

    [Fact]
    public void NewFormatNoDefaultIsRejected()
    {
        var result = Parse(("local-gateways", """
            - name: a
              namespace: n
              service: a.ns.svc.cluster.local
              labelSelector: {matchLabels: {x: y}}
            """));
        Assert.Equal("failed to parse configmap: exactly one local gateway with no selector can be defined, here: []", result.Error!.Message);
    }

    [Fact]
    public void NewFormatMissingFieldsAreRejected()
    {
        Assert.Equal("invalid configuration: invalid gateway ns/gateway1: missing service",
            Parse(("external-gateways", "- {name: gateway1, namespace: ns}")).Error!.Message);
        Assert.Equal("invalid configuration: invalid gateway ns/: missing name",
            Parse(("external-gateways", "- {name: '', namespace: ns, service: a.b.svc}")).Error!.Message);
        Assert.Equal("invalid configuration: invalid local gateway /gw: missing namespace",
            Parse(("local-gateways", "- {name: gw, service: a.b.svc}")).Error!.Message);
    }

    [Fact]
    public void NewFormatBadYamlNamesTheKey()
    {
        var result = Parse(("local-gateways", "- name: [unclosed"));
        Assert.Equal(ConfigErrorKind.InvalidGatewayList, result.Error!.Kind);
        Assert.StartsWith("failed to parse configmap: failed to parse \"local-gateways\" gateways: failed to unmarshal: error converting YAML to JSON: yaml: line ", result.Error.Message);
    }

    [Fact]
    public void NewFormatMappingInsteadOfListIsRejected()
    {
        var result = Parse(("external-gateways", "name: gw"));
        Assert.Equal("failed to parse configmap: failed to parse \"external-gateways\" gateways: failed to unmarshal: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []config.Gateway", result.Error!.Message);
    }

    [Fact]
    public void InvalidSelectorIsRejected()
    {
        var result = Parse(("external-gateways", """
            - {name: a, namespace: n, service: a.ns.svc.cluster.local}
            - name: b
              namespace: n
              service: b.ns.svc.cluster.local
              labelSelector:
                matchExpressions: [{key: tier, operator: In}]
            """));
        Assert.Equal("invalid configuration: invalid gateway n/b: failed to create selector from label selector: values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty", result.Error!.Message);

        var badOperator = Parse(("external-gateways", """
            - {name: a, namespace: n, service: a.ns.svc.cluster.local}
            - {name: b, namespace: n, service: b.ns.svc.cluster.local, labelSelector: {matchExpressions: [{key: tier, operator: Seriously}]}}
            """));
        Assert.EndsWith("\"Seriously\" is not a valid label selector operator", badOperator.Error!.Message);

        var existsWithValues = Parse(("external-gateways", """
            - {name: a, namespace: n, service: a.ns.svc.cluster.local}
            - {name: b, namespace: n, service: b.ns.svc.cluster.local, labelSelector: {matchExpressions: [{key: tier, operator: Exists, values: [x]}]}}
            """));
        Assert.EndsWith("values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist", existsWithValues.Error!.Message);
    }
}

public class NetworkConfigTests
{
    [Fact]
    public void DefaultsWhenEmpty()
    {
        var result = NetworkConfig.Parse(new Dictionary<string, string>());
        Assert.Equal(NetworkConfig.Default, result.Value);
    }

    [Theory]
    [InlineData("enabled", true)]
    [InlineData("Enabled", true)]
    [InlineData("DISABLED", false)]
    [InlineData("", false)]
    public void ClusterLocalDomainTlsIsCaseInsensitive(string value, bool expected)
    {
        var result = NetworkConfig.Parse(new Dictionary<string, string> { ["cluster-local-domain-tls"] = value });
        Assert.Equal(expected, result.Value!.ClusterLocalDomainTls);
    }

    [Fact]
    public void BadClusterLocalDomainTls()
    {
        var result = NetworkConfig.Parse(new Dictionary<string, string> { ["cluster-local-domain-tls"] = "sometimes" });
        Assert.Equal(ConfigErrorKind.UnsupportedClusterLocalDomainTls, result.Error!.Kind);
        Assert.Equal("cluster-local-domain-tls with value: \"sometimes\" in config-network ConfigMap is not supported", result.Error.Message);
    }

    [Fact]
    public void HttpProtocolNewKeyWinsAndErrorQuotesOnlyNewKey()
    {
        Assert.Equal(HttpProtocolMode.Redirected, NetworkConfig.Parse(new Dictionary<string, string> { ["httpProtocol"] = "Disabled", ["http-protocol"] = "Redirected" }).Value!.HttpProtocol);
        Assert.Equal("httpProtocol  in config-network ConfigMap is not supported",
            NetworkConfig.Parse(new Dictionary<string, string> { ["httpProtocol"] = "bogus" }).Error!.Message);
        Assert.Equal("httpProtocol bogus in config-network ConfigMap is not supported",
            NetworkConfig.Parse(new Dictionary<string, string> { ["http-protocol"] = "bogus" }).Error!.Message);
    }

    [Fact]
    public void ExternalDomainTlsFallsBackToAutoTls()
    {
        Assert.True(NetworkConfig.Parse(new Dictionary<string, string> { ["auto-tls"] = "Enabled" }).Value!.ExternalDomainTls);
        Assert.True(NetworkConfig.Parse(new Dictionary<string, string> { ["autoTLS"] = "enabled" }).Value!.ExternalDomainTls);
        Assert.False(NetworkConfig.Parse(new Dictionary<string, string> { ["auto-tls"] = "Enabled", ["external-domain-tls"] = "disabled" }).Value!.ExternalDomainTls);
    }
}

public class GatewaySelectionTests
{
    private static IstioConfig Config() => IstioConfig.Parse(new Dictionary<string, string>
    {
        ["external-gateways"] = """
            - {name: default, namespace: ns, service: istio-ingressgateway.istio-system.svc.cluster.local}
            - {name: gold, namespace: ns, service: gold-gw.gold-system.svc.cluster.local, labelSelector: {matchLabels: {tier: gold}}}
            - {name: any-tier, namespace: ns, service: tier-gw.istio-system.svc.cluster.local, labelSelector: {matchExpressions: [{key: tier, operator: Exists}]}}
            """,
        ["local-gateways"] = """
            - {name: local, namespace: ns, service: knative-local-gateway.istio-system.svc.cluster.local}
            """,
    }, "knative-serving", "cluster.local").Value!;

    [Fact]
    public void MatchingSelectorsReplaceTheDefaultInConfigOrder()
    {
        var selected = GatewaySelection.GatewaysFor(Config(), new Dictionary<string, string> { ["tier"] = "gold" });
        Assert.Equal(["ns/gold", "ns/any-tier"], selected.External.Select(g => g.QualifiedName));
        Assert.Equal(["ns/any-tier", "ns/gold"], selected.ExternalQualifiedNames);
        Assert.Equal(["ns/local"], selected.Local.Select(g => g.QualifiedName));
    }

    [Fact]
    public void NoMatchUsesDefaults()
    {
        var selected = GatewaySelection.GatewaysFor(Config(), null);
        Assert.Equal(["ns/default"], selected.External.Select(g => g.QualifiedName));
        var selectedSilver = GatewaySelection.GatewaysFor(Config(), new Dictionary<string, string> { ["tier"] = "silver" });
        Assert.Equal(["ns/any-tier"], selectedSilver.External.Select(g => g.QualifiedName));
    }

    [Fact]
    public void ExternalServicesAreParsedFromFqdn()
    {
        var selected = GatewaySelection.GatewaysFor(Config(), new Dictionary<string, string> { ["tier"] = "gold" });
        var services = selected.ExternalServices(out var error);
        Assert.Null(error);
        Assert.Equal([("gold-gw", "gold-system"), ("tier-gw", "istio-system")], services);
    }

    [Fact]
    public void ShortServiceUrlIsAnError()
    {
        var selected = new SelectedGateways([new IstioGateway("ns", "gw", "svc.ns")], []);
        Assert.Empty(selected.ExternalServices(out var error));
        Assert.Equal("unexpected service URL form: svc.ns", error);
    }
}

public class IngressConfigStoreTests
{
    [Fact]
    public void BadUpdateKeepsLastGoodAndReportsWhy()
    {
        var store = new IngressConfigStore("knative-serving", "cluster.local");
        var changes = new List<IngressConfig>();
        store.Changed += changes.Add;

        Assert.Null(store.Update("config-istio", new Dictionary<string, string> { ["external-gateways"] = "[]", ["local-gateways"] = "[]" }));
        Assert.False(store.Current.Istio.GatewaysEnabled);
        Assert.Single(changes);

        var error = store.Update("config-istio", new Dictionary<string, string> { ["external-gateways"] = "[]", ["gateway.x"] = "a.b.svc" });
        Assert.Equal(ConfigErrorKind.BothGatewayFormats, error!.Kind);
        Assert.False(store.Current.Istio.GatewaysEnabled);
        Assert.Same(error, store.LastError("config-istio"));
        Assert.Single(changes);

        Assert.NotNull(store.Update("config-network", new Dictionary<string, string> { ["cluster-local-domain-tls"] = "maybe" }));
        Assert.False(store.Current.Network.ClusterLocalDomainTls);
        Assert.Null(store.Update("config-network", new Dictionary<string, string> { ["cluster-local-domain-tls"] = "enabled" }));
        Assert.True(store.Current.Network.ClusterLocalDomainTls);
        Assert.Null(store.LastError("config-network"));
        Assert.Same(error, store.LastError("config-istio"));
        Assert.Equal(2, changes.Count);
    }
}
