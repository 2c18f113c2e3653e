using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Tests.Unit;

public class AdmissionTests
{
    [Fact]
    public void DefaultsThenValidatesWithLiveConfig()
    {
        var store = new ConfigStore();
        var admission = new ServingAdmission(() => store.Current);
        var svc = (JsonObject)JsonNode.Parse("""
            {"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"s","namespace":"d"},
             "spec":{"template":{"spec":{"timeoutSeconds":700,"containers":[{"image":"i"}]}}}}
            """)!;
        var defaulted = admission.Default(svc, null, new UserInfo("alice"));
        Assert.Equal("alice", defaulted["metadata"]!["annotations"]!["serving.knative.dev/creator"]!.GetValue<string>());
        Assert.Null(svc["metadata"]!["annotations"]); // input untouched
        Assert.Equal("expected 0 <= 700 <= 600: spec.template.spec.timeoutSeconds", admission.Validate(defaulted));

        store.Apply("config-defaults", new Dictionary<string, string> { ["max-revision-timeout-seconds"] = "900" });
        Assert.Null(admission.Validate(defaulted));
    }

    [Fact]
    public void SystemConfigMapsAreValidatedOthersIgnored()
    {
        var admission = new ServingAdmission(() => ServingConfig.Default);
        JsonObject Cm(string ns, string name, string key, string value) => new()
        {
            ["apiVersion"] = "v1", ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["data"] = new JsonObject { [key] = value },
        };
        Assert.Equal("queue-sidecar-image cannot be empty or unset", admission.Validate(Cm("knative-serving", "config-deployment", "x", "y")));
        Assert.True(admission.Handles(Cm("knative-serving", "config-network", "a", "b")));
        Assert.False(admission.Handles(Cm("default", "config-network", "http-protocol", "bad")));
        Assert.Null(admission.Validate(Cm("default", "config-network", "http-protocol", "bad")));
    }
}
