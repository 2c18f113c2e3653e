using System.Text.Json.Nodes;
using Ingress.ApiServer.Admission;
using Ingress.Cli.Commands;

namespace Ingress.Cli.Tests;

/// <summary>The cluster webhook serves Knative's defaulting and validation, not an empty hook list.</summary>
public class WebhookHooksTests
{
    private static JsonObject Ksvc(string annotationsJson, int containerConcurrency) => JsonNode.Parse(
        "{\"apiVersion\":\"serving.knative.dev/v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"hello\",\"namespace\":\"default\"},"
        + "\"spec\":{\"template\":{\"metadata\":{\"annotations\":" + annotationsJson + "},"
        + "\"spec\":{\"containerConcurrency\":" + containerConcurrency + ",\"containers\":[{\"image\":\"example/hello\"}]}}}}")!.AsObject();

    private static AdmissionRequest Create(JsonObject obj) =>
        new("serving.knative.dev", "v1", "Service", "services", null, "default", "hello", AdmissionOperation.Create, obj, null, false, "kubectl");

    [Fact]
    public void AValidServiceIsDefaultedAndAllowed()
    {
        var hook = Assert.Single(WebhookCommand.Hooks, h => h.Handles("serving.knative.dev", "Service"));
        var request = Create(Ksvc("{}", 0));
        Assert.True(hook.Mutate(request).Allowed);
        Assert.True(hook.Validate(request).Allowed);
        // Defaulting filled the container name and the timeout, as Knative's webhook does.
        var spec = request.Object["spec"]!["template"]!["spec"]!;
        Assert.Equal("user-container", spec["containers"]![0]!["name"]!.GetValue<string>());
        Assert.NotNull(spec["timeoutSeconds"]);
    }

    [Fact]
    public void AnInvalidServiceIsDeniedWithKnativesMessages()
    {
        var hook = Assert.Single(WebhookCommand.Hooks, h => h.Handles("serving.knative.dev", "Service"));
        var result = hook.Validate(Create(Ksvc("""{"autoscaling.knative.dev/min-scale":"-1"}""", -1)));
        Assert.False(result.Allowed);
        Assert.Contains("spec.template.spec.containerConcurrency", result.Message);
        Assert.Contains("autoscaling.knative.dev/min-scale", result.Message);
    }
}
