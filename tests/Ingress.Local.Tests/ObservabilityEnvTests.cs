using Ingress.Local.Hosting;

namespace Ingress.Local.Tests;

/// <summary>The data plane's tracing settings: Knative's <c>OBSERVABILITY_CONFIG</c> JSON.</summary>
public sealed class ObservabilityEnvTests
{
    [Fact]
    public void Observability_env_json_turns_tracing_on_or_off()
    {
        var (on, error) = TracingConfig.FromEnvironmentJson(
            """{"tracing":{"protocol":"http/protobuf","endpoint":"http://otel:4318/v1/traces","sampling-rate":0.5}}""");
        Assert.Null(error);
        Assert.Equal((TracingProtocol.HttpProtobuf, "http://otel:4318/v1/traces", 0.5), (on.Protocol, on.Endpoint!.ToString(), on.SamplingRate));
        Assert.Equal(TracingProtocol.None, TracingConfig.FromEnvironmentJson("{}").Config.Protocol);
        Assert.Equal(TracingProtocol.None, TracingConfig.FromEnvironmentJson(null).Config.Protocol);
        Assert.Contains("tracing-protocol", TracingConfig.FromEnvironmentJson("""{"tracing":{"protocol":"zipkin"}}""").Error, StringComparison.Ordinal);
        Assert.Contains("not JSON", TracingConfig.FromEnvironmentJson("{").Error, StringComparison.Ordinal);
    }
}
