using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Local.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ingress.Cli.Tests;

/// <summary>
/// The real <c>ingress</c> process in in-cluster mode: KUBERNETES_SERVICE_HOST/PORT, the service-account token
/// and CA from files (INGRESS_SERVICE_ACCOUNT_DIR), the embedded API server over HTTPS, objects applied with the
/// real kubectl. Also config-logging applied live and OTLP tracing from config-observability.
/// </summary>
public sealed class InClusterTests
{
    private const string Ksvc = "/apis/serving.knative.dev/v1/namespaces/default/services/helloworld-go";
    private const string Configuration = "/apis/serving.knative.dev/v1/namespaces/default/configurations/helloworld-go";
    private const string Route = "/apis/serving.knative.dev/v1/namespaces/default/routes/helloworld-go";
    private static string Revision(int n) => $"/apis/serving.knative.dev/v1/namespaces/default/revisions/helloworld-go-{n:00000}";

    /// <summary>The config maps as installed (manifests/400-config), with kubectl.</summary>
    private static Task InstallConfigAsync(InClusterEnvironment env) => env.KubectlAsync("apply", "-f", "manifests/400-config/");

    private static string ServiceWithTarget(InClusterEnvironment env, string target)
    {
        var path = Path.Combine(env.Dir, $"service-{target.Replace(' ', '-')}.yaml");
        File.WriteAllText(path, File.ReadAllText(RenderCommandTests.RepoPath("examples", "helloworld-go", "service.yaml")).Replace("Go Sample v1", target, StringComparison.Ordinal));
        return path;
    }

    [Fact]
    public async Task Controller_in_cluster_reconciles_a_ksvc_applied_with_kubectl_and_survives_token_rotation()
    {
        await using var env = await InClusterEnvironment.StartAsync();
        await InstallConfigAsync(env);
        env.StartIngress("controller", "--metrics-port", "0");

        await env.KubectlAsync("apply", "-f", "examples/helloworld-go/service.yaml");
        // Configuration, Route and Revision created; the ksvc's status written for its generation.
        await env.EventuallyAsync(async () => await env.GetAsync(Configuration) is not null && await env.GetAsync(Route) is not null
                                              && await env.GetAsync(Revision(1)) is not null, "Configuration, Route and Revision");
        await env.EventuallyAsync(async () => await env.GetAsync(Ksvc) is { } k && k.Str("status", "observedGeneration") == "1"
                                              && k["status"]?["conditions"] is JsonArray { Count: > 0 }, "the ksvc's status");
        var firstToken = env.ServiceAccountToken;
        Assert.True(env.RequestsWith(firstToken) > 0, "the controller authenticated with the service-account token file");
        var holder = (await env.GetAsync("/apis/coordination.k8s.io/v1/namespaces/knative-serving/leases/ingress-controller")).Str("spec", "holderIdentity");
        Assert.StartsWith("controller-test-pod", holder, StringComparison.Ordinal);

        // kubelet rotates the token; the API server no longer accepts the old one. The controller keeps working.
        env.RotateServiceAccountToken("sa-token-2");
        await env.KubectlAsync("apply", "-f", ServiceWithTarget(env, "Go Sample v2"));
        await env.EventuallyAsync(async () => await env.GetAsync(Revision(2)) is not null
                                              && (await env.GetAsync(Configuration)).Str("status", "latestCreatedRevisionName") == "helloworld-go-00002",
            "the second Revision after the token rotation");
        Assert.True(env.RequestsWith("sa-token-2") > 0, "the controller re-read the rotated token");

        // Logs: JSON lines with Knative's keys (in-cluster default).
        var reconcileLines = env.Lines.Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(o => o.Str("knative.dev/key") == "default/helloworld-go").ToList();
        Assert.NotEmpty(reconcileLines);
        Assert.All(reconcileLines, o =>
        {
            Assert.False(string.IsNullOrEmpty(o.Str("severity")));
            Assert.True(DateTimeOffset.TryParse(o.Str("timestamp"), out _));
            Assert.False(string.IsNullOrEmpty(o.Str("logger")));
            Assert.False(string.IsNullOrEmpty(o.Str("message")));
            Assert.False(string.IsNullOrEmpty(o.Str("knative.dev/controller")));
            Assert.Equal(32, o.Str("knative.dev/traceid")!.Length);
        });

        Assert.Equal(0, await env.StopIngressAsync());
    }

    [Fact]
    public async Task Config_logging_changes_the_level_without_a_restart()
    {
        await using var env = await InClusterEnvironment.StartAsync();
        await InstallConfigAsync(env);
        env.StartIngress("net-istio-controller", "--metrics-port", "0");
        const string component = "net-istio-controller";
        bool Marker(string line, string level) => line.Contains($"Log level of {component} is now {level}", StringComparison.Ordinal);
        static bool IsDebug(string line) => line.StartsWith('{') && JsonNode.Parse(line)!.Str("severity") == "DEBUG";
        await env.EventuallyAsync(() => Task.FromResult(env.Lines.Any(l => Marker(l, "Information"))), "the level read from config-logging");
        Assert.DoesNotContain(env.Lines, IsDebug);

        async Task SetLevelAsync(string level) =>
            await env.KubectlAsync("-n", "knative-serving", "patch", "configmap", "config-logging", "--type", "merge", "-p", $$$"""{"data":{"loglevel.{{{component}}}":"{{{level}}}"}}""");

        await SetLevelAsync("debug");
        await env.EventuallyAsync(() => Task.FromResult(env.Lines.Any(l => Marker(l, "Debug"))), "debug from config-logging");
        // Going back to info: the config-logging event is still handled at debug, so its own debug line shows.
        await SetLevelAsync("info");
        await env.EventuallyAsync(() => Task.FromResult(env.Lines.SkipWhile(l => !Marker(l, "Debug")).Any(l => Marker(l, "Information"))), "back to info");
        var lines = env.Lines;
        var debugPeriod = lines.SkipWhile(l => !Marker(l, "Debug")).TakeWhile(l => !Marker(l, "Information")).ToList();
        Assert.Contains(debugPeriod, l => IsDebug(l) && l.Contains("Observed ConfigMap", StringComparison.Ordinal));

        // At info, a config map event logs nothing at debug; then debug again. The informer delivers the two events
        // in order, so every line between the two markers was written at info.
        await env.KubectlAsync("-n", "knative-serving", "patch", "configmap", "config-gc", "--type", "merge", "-p", """{"data":{"retain-since-create-time":"47h"}}""");
        await SetLevelAsync("debug");
        await env.EventuallyAsync(() => Task.FromResult(env.Lines.Count(l => Marker(l, "Debug")) == 2), "debug again");
        lines = env.Lines;
        var infoPeriod = lines.SkipWhile(l => !Marker(l, "Information")).Skip(1).TakeWhile(l => !Marker(l, "Debug")).ToList();
        Assert.DoesNotContain(infoPeriod, IsDebug);
        // zap-logger-config's level applies when no loglevel.<component> is set.
        await env.KubectlAsync("-n", "knative-serving", "patch", "configmap", "config-logging", "--type", "json", "-p",
            $$"""[{"op":"remove","path":"/data/loglevel.{{component}}"},{"op":"add","path":"/data/zap-logger-config","value":"{\"level\":\"info\"}"}]""");
        await env.EventuallyAsync(() => Task.FromResult(env.Lines.Count(l => Marker(l, "Information")) == 3), "info from zap-logger-config");
        Assert.Equal(0, await env.StopIngressAsync());
    }

    [Fact]
    public async Task Tracing_sends_reconcile_spans_to_an_otlp_http_receiver()
    {
        // A real OTLP/HTTP receiver: Kestrel on 127.0.0.1:0, POST /v1/traces with protobuf bodies.
        var bodies = new List<byte[]>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var receiver = builder.Build();
        receiver.MapPost("/v1/traces", async (HttpContext ctx) =>
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms);
            lock (bodies) bodies.Add(ms.ToArray());
            ctx.Response.ContentType = "application/x-protobuf";
            return Results.Bytes([], "application/x-protobuf");
        });
        await receiver.StartAsync();
        var receiverUrl = receiver.Services.GetService(typeof(IServer)) is IServer server ? server.Features.Get<IServerAddressesFeature>()!.Addresses.First() : throw new InvalidOperationException();

        await using var env = await InClusterEnvironment.StartAsync();
        await InstallConfigAsync(env);
        await env.KubectlAsync("-n", "knative-serving", "patch", "configmap", "config-observability", "--type", "merge", "-p",
            $$$"""{"data":{"tracing-protocol":"http/protobuf","tracing-endpoint":"{{{receiverUrl}}}","tracing-sampling-rate":"1"}}""");
        env.StartIngress("controller", "--metrics-port", "0", "--controllers", "service,configuration,revision,route");
        await env.KubectlAsync("apply", "-f", "examples/helloworld-go/service.yaml");
        bool Received(string text)
        {
            var needle = System.Text.Encoding.UTF8.GetBytes(text);
            lock (bodies) return bodies.Any(b => b.AsSpan().IndexOf(needle) >= 0);
        }
        // The OTLP request names the service and carries "Reconcile <controller>" spans with Knative's keys.
        await env.EventuallyAsync(() => Task.FromResult(Received("Reconcile service") && Received("default/helloworld-go") && Received("knative.dev/key")
                                                        && Received("service.name")), "reconcile spans at the receiver");
        Assert.Equal(0, await env.StopIngressAsync());
    }

    [Theory]
    [InlineData("{\"loglevel.controller\":\"debug\"}", "controller", LogLevel.Debug, false)]
    [InlineData("{\"loglevel.controller\":\"debug\"}", "autoscaler", LogLevel.Information, false)]
    [InlineData("{\"zap-logger-config\":\"{\\\"level\\\":\\\"warn\\\"}\"}", "webhook", LogLevel.Warning, false)]
    [InlineData("{\"zap-logger-config\":\"{\\\"level\\\":\\\"error\\\"}\",\"loglevel.webhook\":\"debug\"}", "webhook", LogLevel.Debug, false)]
    [InlineData("{\"loglevel.controller\":\"fatal\"}", "controller", LogLevel.Critical, false)]
    [InlineData("{\"loglevel.controller\":\"loud\"}", "controller", LogLevel.Information, true)]
    [InlineData("{\"zap-logger-config\":\"{not json\"}", "controller", LogLevel.Information, true)]
    [InlineData("{}", "controller", LogLevel.Information, false)]
    public void Config_logging_levels(string data, string component, LogLevel expected, bool error)
    {
        var (level, message) = LoggingConfig.Parse(JsonSerializer.Deserialize<Dictionary<string, string>>(data), component);
        Assert.Equal(expected, level);
        Assert.Equal(error, message is not null);
    }

    [Theory]
    [InlineData("{}", TracingProtocol.None, null, 0.1, false)]
    [InlineData("{\"tracing-protocol\":\"grpc\",\"tracing-endpoint\":\"http://otel:4317\",\"tracing-sampling-rate\":\"0.5\"}", TracingProtocol.Grpc, "http://otel:4317/", 0.5, false)]
    [InlineData("{\"tracing-protocol\":\"http/protobuf\",\"tracing-endpoint\":\"http://otel:4318/v1/traces\"}", TracingProtocol.HttpProtobuf, "http://otel:4318/v1/traces", 0.1, false)]
    [InlineData("{\"tracing-protocol\":\"zipkin\"}", TracingProtocol.None, null, 0.1, true)]
    [InlineData("{\"tracing-protocol\":\"grpc\"}", TracingProtocol.None, null, 0.1, true)]
    [InlineData("{\"tracing-protocol\":\"grpc\",\"tracing-endpoint\":\"http://otel:4317\",\"tracing-sampling-rate\":\"2\"}", TracingProtocol.None, null, 0.1, true)]
    public void Config_observability_tracing(string data, TracingProtocol protocol, string? endpoint, double rate, bool error)
    {
        var (config, message) = TracingConfig.Parse(JsonSerializer.Deserialize<Dictionary<string, string>>(data));
        Assert.Equal(protocol, config.Protocol);
        Assert.Equal(endpoint, config.Endpoint?.ToString());
        Assert.Equal(rate, config.SamplingRate);
        Assert.Equal(error, message is not null);
    }

    [Theory]
    [InlineData("http://otel:4318", "http://otel:4318/v1/traces")]
    [InlineData("http://otel:4318/custom/traces", "http://otel:4318/custom/traces")]
    public void Otlp_http_endpoint_gets_the_standard_path_only_when_it_has_none(string configured, string expected) =>
        Assert.Equal(expected, Observability.TracingSetup.ExporterEndpoint(new TracingConfig(TracingProtocol.HttpProtobuf, new Uri(configured), 1)).ToString());
}

internal static class JsonPathExtensions
{
    public static string? Str(this JsonNode? node, params string[] path)
    {
        foreach (var p in path) node = node?[p];
        return node?.ToString();
    }
}
