using Ingress.DataPlane.QueueProxy;

namespace Ingress.DataPlane.Tests;

public sealed class QueueProxyOptionsTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars)
    {
        var map = vars.ToDictionary(v => v.Key, v => v.Value);
        return name => map.GetValueOrDefault(name);
    }

    [Fact]
    public void Knative_defaults_apply_when_only_the_timeout_is_given()
    {
        var options = QueueProxyOptions.FromEnvironment(Env(("REVISION_TIMEOUT_SECONDS", "300")));
        Assert.Equal((8012, 8013, 8022, 9090, 9091, 8080), (options.ServingPort, options.H2cPort, options.AdminPort, options.MetricsPort, options.UserMetricsPort, options.UserPort));
        Assert.Equal(0, options.ContainerConcurrency);
        Assert.Equal(TimeSpan.FromSeconds(300), options.Timeouts.Total);
        Assert.Equal(TimeSpan.FromSeconds(30), options.DrainQuietPeriod);
        var probe = Assert.Single(options.EffectiveReadinessProbes);
        Assert.Equal((false, 8080, 0), (probe.IsHttp, probe.Port, probe.PeriodSeconds));
    }

    [Fact]
    public void Every_port_and_setting_comes_from_the_environment()
    {
        var options = QueueProxyOptions.FromEnvironment(Env(
            ("REVISION_TIMEOUT_SECONDS", "60"), ("REVISION_RESPONSE_START_TIMEOUT_SECONDS", "10"), ("REVISION_IDLE_TIMEOUT_SECONDS", "5"),
            ("QUEUE_SERVING_PORT", "18012"), ("QUEUE_SERVING_H2C_PORT", "18013"), ("QUEUE_ADMIN_PORT", "18022"),
            ("QUEUE_METRICS_PORT", "19090"), ("QUEUE_USER_METRICS_PORT", "19091"), ("USER_PORT", "3000"),
            ("CONTAINER_CONCURRENCY", "4"), ("SERVING_POD", "p"), ("SERVING_NAMESPACE", "ns"), ("SERVING_REVISION", "r"),
            ("SERVING_READINESS_PROBE", """{"httpGet":{"path":"healthz","port":0,"httpHeaders":[{"name":"K-Kubelet-Probe","value":"queue"}]},"periodSeconds":2,"successThreshold":1}""")));
        Assert.Equal((18012, 18013, 18022, 19090, 19091, 3000), (options.ServingPort, options.H2cPort, options.AdminPort, options.MetricsPort, options.UserMetricsPort, options.UserPort));
        Assert.Equal(4, options.ContainerConcurrency);
        Assert.Equal((60, 10, 5), ((int)options.Timeouts.Total.TotalSeconds, (int)options.Timeouts.ResponseStart.TotalSeconds, (int)options.Timeouts.Idle.TotalSeconds));
        var probe = Assert.Single(options.ReadinessProbes);
        Assert.Equal(("/healthz", 3000, 2), (probe.HttpPath, probe.Port, probe.PeriodSeconds));
        Assert.Equal(("K-Kubelet-Probe", "queue"), (probe.HttpHeaders[0].Key, probe.HttpHeaders[0].Value));
        Assert.Equal(("p", "ns", "r"), (options.PodName, options.Namespace, options.Revision));
    }

    [Theory]
    [InlineData(null, null, "REVISION_TIMEOUT_SECONDS is required")]
    [InlineData("QUEUE_SERVING_PORT", "http", "QUEUE_SERVING_PORT: \"http\" is not a port number")]
    [InlineData("CONTAINER_CONCURRENCY", "-1", "CONTAINER_CONCURRENCY: \"-1\" is not a non-negative integer")]
    [InlineData("SERVING_READINESS_PROBE", "{\"exec\":{\"command\":[\"true\"]}}", "SERVING_READINESS_PROBE: only httpGet and tcpSocket readiness probes can be run by queue-proxy")]
    public void Bad_settings_name_the_variable(string? name, string? value, string message)
    {
        var vars = new List<(string, string)>();
        if (name is not null) vars.Add(("REVISION_TIMEOUT_SECONDS", "300"));
        if (name is not null) vars.Add((name, value!));
        var ex = Assert.Throws<QueueProxyConfigException>(() => QueueProxyOptions.FromEnvironment(Env([.. vars])));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void Multi_container_probes_parse_as_an_array()
    {
        var probes = ReadinessProbeSpec.ParseJson("""[{"tcpSocket":{"port":8080}},{"httpGet":{"port":9000,"path":"/ready"}}]""", 8080);
        Assert.Equal(2, probes.Count);
        Assert.False(probes[0].IsHttp);
        Assert.Equal((true, 9000), (probes[1].IsHttp, probes[1].Port));
    }
}
