using Ingress.Serving.Config;
using Ingress.Serving.Go;

namespace Ingress.Serving.Tests.Unit;

public class ConfigTests
{
    private static Dictionary<string, string> D(params (string K, string V)[] kv) => kv.ToDictionary(x => x.K, x => x.V);

    [Fact]
    public void NetworkDefaults()
    {
        var n = ConfigNetwork.Parse(D());
        Assert.Equal("istio.ingress.networking.knative.dev", n.DefaultIngressClass);
        Assert.Equal("cert-manager.certificate.networking.knative.dev", n.DefaultCertificateClass);
        Assert.Equal("{{.Name}}.{{.Namespace}}.{{.Domain}}", n.DomainTemplate);
        Assert.Equal("{{.Tag}}-{{.Name}}", n.TagTemplate);
        Assert.Equal(HttpProtocol.Enabled, n.HttpProtocol);
        Assert.Equal("http", n.DefaultExternalScheme);
        Assert.False(n.ExternalDomainTls);
        Assert.False(n.AutocreateClusterDomainClaims);
        Assert.Equal(0, n.RolloutDurationSeconds);
    }

    [Fact]
    public void NetworkNewKeysWinOverLegacy()
    {
        var n = ConfigNetwork.Parse(D(("domainTemplate", "{{.Name}}.{{.Domain}}"), ("domain-template", "{{.Name}}-{{.Namespace}}.{{.Domain}}"),
            ("auto-tls", "Enabled"), ("external-domain-tls", "disabled"), ("http-protocol", "REDIRECTED"), ("rolloutDuration", "5"), ("rollout-duration", "7")));
        Assert.Equal("{{.Name}}-{{.Namespace}}.{{.Domain}}", n.DomainTemplate);
        Assert.False(n.ExternalDomainTls);
        Assert.Equal(HttpProtocol.Redirected, n.HttpProtocol);
        Assert.Equal(7, n.RolloutDurationSeconds);
        Assert.True(ConfigNetwork.Parse(D(("auto-tls", "enabled"))).ExternalDomainTls);
    }

    [Theory]
    [InlineData("http-protocol", "sometimes", "httpProtocol sometimes in config-network ConfigMap is not supported")]
    [InlineData("rollout-duration", "-1", "rollout-duration must be a positive integer, but was -1")]
    [InlineData("rollout-duration", "abc", "failed to parse \"rollout-duration\": strconv.Atoi: parsing \"abc\": invalid syntax")]
    [InlineData("autocreate-cluster-domain-claims", "yes", "failed to parse \"autocreate-cluster-domain-claims\": strconv.ParseBool: parsing \"yes\": invalid syntax")]
    [InlineData("domain-template", "{{.Name}}.{{.NAmespace}}.{{.Domain}}", "template: domain-template:1:12: executing \"domain-template\" at <.NAmespace>: can't evaluate field NAmespace in type config.DomainTemplateValues")]
    [InlineData("domain-template", "", "empty hostname")]
    [InlineData("domain-template", "{{.Name}}.{{.Domain}}/path", "domain template has url path: /path")]
    [InlineData("tag-template", "{{.Tag}}-{{.Namespace}}", "template: tag-template:1:11: executing \"tag-template\" at <.Namespace>: can't evaluate field Namespace in type config.TagTemplateValues")]
    [InlineData("system-internal-tls", "maybe", "system-internal-tls with value: \"maybe\" in config-network ConfigMap is not supported")]
    public void NetworkErrors(string key, string value, string expected)
    {
        var e = Assert.Throws<ConfigMapParseException>(() => ConfigNetwork.Parse(D((key, value))));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void DomainTemplateMissingAnnotationStillLoads()
    {
        // index of a missing key renders "", leaving a hostname: accepted at load time (§4.2).
        var n = ConfigNetwork.Parse(D(("domain-template", "{{.Name}}.{{index .Annotations \"sub\"}}.{{.Domain}}")));
        Assert.Contains("index", n.DomainTemplate);
    }

    [Fact]
    public void DomainDefaultIsClusterLocal()
    {
        var d = ConfigDomain.Parse(D());
        Assert.Equal("svc.cluster.local", d.LookupDomainForLabels(new Dictionary<string, string> { ["app"] = "x" }));
    }

    [Fact]
    public void DomainMostSpecificWinsTiesToSmallest()
    {
        var d = ConfigDomain.Parse(D(("example.com", ""), ("b.org", "selector:\n  app: foo\n"), ("a.org", "selector:\n  app: foo\n"),
            ("c.net", "selector:\n  app: foo\n  tier: web\n"), ("_example", "ignored")));
        Assert.Equal("example.com", d.LookupDomainForLabels(null));
        Assert.Equal("a.org", d.LookupDomainForLabels(new Dictionary<string, string> { ["app"] = "foo" }));
        Assert.Equal("c.net", d.LookupDomainForLabels(new Dictionary<string, string> { ["app"] = "foo", ["tier"] = "web" }));
        Assert.Equal("svc.cluster.local", d.LookupDomainForLabels(new Dictionary<string, string> { ["app"] = "foo", ["networking.knative.dev/visibility"] = "cluster-local" }));
        Assert.DoesNotContain(d.Entries, e => e.Domain == "svc.cluster.local");
    }

    [Fact]
    public void DomainRejectsNonMapping()
    {
        var e = Assert.Throws<ConfigMapParseException>(() => ConfigDomain.Parse(D(("example.com", "[a, b]"))));
        Assert.Contains("cannot unmarshal array", e.Message);
    }

    [Fact]
    public void FeaturesFlagsCaseInsensitiveUnknownIgnored()
    {
        var f = ConfigFeatures.Parse(D(("tag-header-based-routing", "enabled"), ("multi-container", "bogus"), ("kubernetes.podspec-affinity", "ALLOWED")));
        Assert.Equal(FeatureFlag.Enabled, f.TagHeaderBasedRouting);
        Assert.Equal(FeatureFlag.Enabled, f["multi-container"]);
        Assert.Equal(FeatureFlag.Allowed, f["kubernetes.podspec-affinity"]);
        Assert.Equal(FeatureFlag.Disabled, ConfigFeatures.Parse(D()).TagHeaderBasedRouting);
    }

    [Fact]
    public void DefaultsParseAndErrors()
    {
        var d = ConfigDefaults.Parse(D());
        Assert.Equal(300, d.RevisionTimeoutSeconds);
        Assert.Equal(600, d.MaxRevisionTimeoutSeconds);
        Assert.Equal(300, d.RevisionResponseStartTimeoutSeconds);
        Assert.Equal(0, d.ContainerConcurrency);
        Assert.Equal(false, d.EnableServiceLinks);
        Assert.Equal("user-container", d.UserContainerName("foo", "ns"));
        Assert.Null(ConfigDefaults.Parse(D(("enable-service-links", "default"))).EnableServiceLinks);
        Assert.Equal("foo-app", ConfigDefaults.Parse(D(("container-name-template", "{{.Name}}-app"))).UserContainerName("foo", "ns"));

        Assert.Equal("revision-timeout-seconds (700) cannot be greater than max-revision-timeout-seconds (600)",
            Assert.Throws<ConfigMapParseException>(() => ConfigDefaults.Parse(D(("revision-timeout-seconds", "700")))).Message);
        Assert.Equal("expected 0 <= 2000 <= 1000: container-concurrency",
            Assert.Throws<ConfigMapParseException>(() => ConfigDefaults.Parse(D(("container-concurrency", "2000")))).Message);
        Assert.Equal("expected 1 <= 0 <= 2147483647: container-concurrency-max-limit",
            Assert.Throws<ConfigMapParseException>(() => ConfigDefaults.Parse(D(("container-concurrency-max-limit", "0")))).Message);
        Assert.Equal("failed to parse \"revision-timeout-seconds\": strconv.ParseInt: parsing \"x\": invalid syntax",
            Assert.Throws<ConfigMapParseException>(() => ConfigDefaults.Parse(D(("revision-timeout-seconds", "x")))).Message);
        Assert.Equal("revision-idle-timeout-seconds (400) cannot be greater than revision-timeout-seconds (300)",
            Assert.Throws<ConfigMapParseException>(() => ConfigDefaults.Parse(D(("revision-idle-timeout-seconds", "400")))).Message);
    }

    [Fact]
    public void DeploymentParseAndErrors()
    {
        Assert.Equal("queue-sidecar-image cannot be empty or unset",
            Assert.Throws<ConfigMapParseException>(() => ConfigDeployment.Parse(D())).Message);
        var d = ConfigDeployment.Parse(D(("queueSidecarImage", "old"), ("queue-sidecar-image", "gcr.io/qp:1")));
        Assert.Equal("gcr.io/qp:1", d.QueueSidecarImage);
        Assert.Equal("25m", d.QueueSidecarCpuRequest);
        Assert.Null(d.QueueSidecarMemoryRequest);
        Assert.Equal("10m0s", d.ProgressDeadline.ToString());
        Assert.Equal("progress-deadline cannot be a non-positive duration, was 0s",
            Assert.Throws<ConfigMapParseException>(() => ConfigDeployment.Parse(D(("queue-sidecar-image", "i"), ("progress-deadline", "0s")))).Message);
        Assert.Equal("progress-deadline must be rounded to a whole second, was: 1.5s",
            Assert.Throws<ConfigMapParseException>(() => ConfigDeployment.Parse(D(("queue-sidecar-image", "i"), ("progress-deadline", "1500ms")))).Message);
        Assert.Equal("failed to parse \"progress-deadline\": time: invalid duration \"ten\"",
            Assert.Throws<ConfigMapParseException>(() => ConfigDeployment.Parse(D(("queue-sidecar-image", "i"), ("progress-deadline", "ten")))).Message);
        Assert.Equal("unsupported default-affinity-type value: \"spread\"",
            Assert.Throws<ConfigMapParseException>(() => ConfigDeployment.Parse(D(("queue-sidecar-image", "i"), ("default-affinity-type", "spread")))).Message);
        Assert.StartsWith("failed to parse \"queue-sidecar-memory-request\": quantities must match",
            Assert.Throws<ConfigMapParseException>(() => ConfigDeployment.Parse(D(("queue-sidecar-image", "i"), ("queue-sidecar-memory-request", "lots")))).Message);
    }

    [Fact]
    public void StoreKeepsLastGoodAndReportsBad()
    {
        var store = new ConfigStore();
        var rejected = new List<(string, string)>();
        var changed = 0;
        store.Rejected += (n, e) => rejected.Add((n, e));
        store.Changed += (_, _) => changed++;

        Assert.Equal(ConfigUpdateOutcome.Applied, store.Apply("config-network", D(("domain-template", "{{.Name}}-{{.Namespace}}.{{.Domain}}"))).Outcome);
        var bad = store.Apply("config-network", D(("http-protocol", "nope")));
        Assert.Equal(ConfigUpdateOutcome.Rejected, bad.Outcome);
        Assert.Equal("httpProtocol nope in config-network ConfigMap is not supported", bad.Error);
        Assert.Equal("{{.Name}}-{{.Namespace}}.{{.Domain}}", store.Current.Network.DomainTemplate);
        Assert.Equal([("config-network", "httpProtocol nope in config-network ConfigMap is not supported")], rejected);
        Assert.Equal(1, changed);
        Assert.Equal(ConfigUpdateOutcome.NotWatched, store.Apply("config-other", D()).Outcome);

        // config-deployment: deletion keeps the last good value (no usable default).
        store.Apply("config-deployment", D(("queue-sidecar-image", "qp")));
        store.Apply("config-deployment", null);
        Assert.Equal("qp", store.Current.Deployment!.QueueSidecarImage);
        // other maps: deletion restores defaults.
        store.Apply("config-network", null);
        Assert.Equal(ConfigNetwork.DefaultDomainTemplate, store.Current.Network.DomainTemplate);
    }

    [Theory]
    [InlineData("1h2m3s", "1h2m3s")]
    [InlineData("90s", "1m30s")]
    [InlineData("1.5s", "1.5s")]
    [InlineData("10ms", "10ms")]
    [InlineData("-2s", "-2s")]
    [InlineData("0", "0s")]
    public void GoDurations(string input, string formatted)
    {
        Assert.True(GoFormat.TryParseDuration(input, out var d, out _));
        Assert.Equal(formatted, d.ToString());
    }
}
