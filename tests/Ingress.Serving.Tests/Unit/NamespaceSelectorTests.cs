using Ingress.Serving.Config;

namespace Ingress.Serving.Tests.Unit;

/// <summary>config-network <c>namespace-wildcard-cert-selector</c>: parsing (YAML and JSON), its errors, and matching.</summary>
public sealed class NamespaceSelectorTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void AbsentOrEmptyValueIsOff(string? raw)
    {
        Assert.Null(NamespaceSelector.Parse(raw));
        var data = raw is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["namespace-wildcard-cert-selector"] = raw };
        Assert.Null(ConfigNetwork.Parse(data).NamespaceWildcardCertSelectorParsed);
    }

    [Theory]
    [InlineData("{}", "", true)]
    [InlineData("""{"matchLabels":{"a":"b"}}""", "a=b", true)]
    [InlineData("""{"matchLabels":{"a":"b"}}""", "a=c", false)]
    [InlineData("matchLabels:\n  a: b\n  c: d", "a=b", false)]
    [InlineData("matchExpressions:\n- {key: a, operator: In, values: [x, y]}", "a=y", true)]
    [InlineData("matchExpressions:\n- {key: a, operator: In, values: [x, y]}", "", false)]
    [InlineData("matchExpressions:\n- {key: a, operator: NotIn, values: [x]}", "", true)]
    [InlineData("matchExpressions:\n- {key: a, operator: NotIn, values: [x]}", "a=x", false)]
    [InlineData("matchExpressions:\n- {key: a, operator: Exists}", "a=", true)]
    [InlineData("matchExpressions:\n- {key: a, operator: DoesNotExist}", "a=", false)]
    [InlineData("matchLabels: {a: b}\nmatchExpressions:\n- {key: c, operator: DoesNotExist}", "a=b", true)]
    public void Matches(string raw, string labels, bool expected)
    {
        var selector = NamespaceSelector.Parse(raw)!;
        var map = labels.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=')).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(expected, selector.Matches(map));
    }

    [Theory]
    [InlineData("matchExpressions:\n- {key: a, operator: Near}", "failed to parse \"namespace-wildcard-cert-selector\": \"Near\" is not a valid label selector operator")]
    [InlineData("matchExpressions:\n- {key: a, operator: In}", "failed to parse \"namespace-wildcard-cert-selector\": values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty")]
    [InlineData("matchExpressions:\n- {key: a, operator: Exists, values: [x]}", "failed to parse \"namespace-wildcard-cert-selector\": values: Invalid value: [x]: values set must be empty for exists and does not exist")]
    [InlineData("[a, b]", "failed to parse \"namespace-wildcard-cert-selector\": the value is not a label selector object")]
    [InlineData("matchLabels: [a]", "failed to parse \"namespace-wildcard-cert-selector\": matchLabels is not a map")]
    public void BadSelectorRejectsTheConfigMap(string raw, string message)
    {
        var e = Assert.Throws<ConfigMapParseException>(() => ConfigNetwork.Parse(new Dictionary<string, string> { ["namespace-wildcard-cert-selector"] = raw }));
        Assert.Equal(message, e.Message);
    }
}
