using System.CommandLine;
using Ingress.Serving.Webhook;
using Ingress.Serving.Yaml;
using System.Text.Json.Nodes;

namespace Ingress.Serving.Tests.Unit;

public class ValidateCommandTests
{
    private static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", "..", ".."));

    private static (int Exit, string Output) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = Ingress.Cli.Program.BuildRoot().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output + error.ToString());
    }

    [Fact]
    public void ExamplesAreValid()
    {
        var examples = Path.Combine(RepoRoot(), "examples");
        var args = new List<string> { "validate" };
        foreach (var dir in Directory.GetDirectories(examples)) { args.Add("-f"); args.Add(dir); }
        var (exit, output) = Run([.. args]);
        Assert.True(exit == 0, output);
        Assert.Contains("Service default/helloworld-go: valid", output);
        Assert.Contains("DomainMapping default/hello.example.org: valid", output);
        Assert.Contains("ConfigMap knative-serving/config-autoscaler: valid", output);
        Assert.DoesNotContain("invalid", output);
    }

    [Fact]
    public void InvalidObjectsPrintKnativeErrorsAndExitOne()
    {
        var dir = Directory.CreateTempSubdirectory("ingress-validate-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "bad.yaml"), """
                apiVersion: serving.knative.dev/v1
                kind: Route
                metadata:
                  name: r
                  namespace: default
                spec:
                  traffic:
                  - revisionName: a
                    configurationName: b
                    percent: 90
                ---
                apiVersion: serving.knative.dev/v1
                kind: Service
                metadata:
                  name: good
                  namespace: default
                spec:
                  template:
                    spec:
                      containers:
                      - image: img
                """);
            var (exit, output) = Run("validate", "-f", dir.FullName);
            Assert.Equal(1, exit);
            Assert.Contains("Route default/r: invalid\n" +
                "Traffic targets sum to 90, want 100: spec.traffic\n" +
                "expected exactly one, got both: spec.traffic[0].configurationName, spec.traffic[0].revisionName", output.Replace("\r", ""));
            Assert.Contains("Service default/good: valid", output);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void ConfigMapsConfigureValidationAndAreValidated()
    {
        var dir = Directory.CreateTempSubdirectory("ingress-validate-");
        try
        {
            var file = Path.Combine(dir.FullName, "all.yaml");
            File.WriteAllText(file, """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: config-defaults, namespace: my-system}
                data:
                  max-revision-timeout-seconds: "900"
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: config-autoscaler, namespace: my-system}
                data:
                  max-scale-limit: "10"
                  max-scale: "5"
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: config-network, namespace: my-system}
                data:
                  domain-template: "{{.Name}}/{{.Domain}}"
                ---
                apiVersion: serving.knative.dev/v1
                kind: Configuration
                metadata: {name: slow, namespace: default}
                spec:
                  template:
                    metadata:
                      annotations:
                        autoscaling.knative.dev/max-scale: "20"
                    spec:
                      timeoutSeconds: 800
                      containers:
                      - image: img
                """);
            var (exit, output) = Run("validate", "--system-namespace", "my-system", "-f", file);
            Assert.Equal(1, exit);
            Assert.Contains("ConfigMap my-system/config-network: invalid\ndomain template has url path: /baz.com", output.Replace("\r", ""));
            Assert.Contains("ConfigMap my-system/config-defaults: valid", output);
            Assert.Contains("ConfigMap my-system/config-autoscaler: valid", output);
            // timeoutSeconds 800 is allowed by the configured max (900); max-scale 20 exceeds max-scale-limit 10.
            Assert.DoesNotContain("timeoutSeconds", output);
            Assert.Contains("Configuration default/slow: invalid", output);
            Assert.Contains("spec.template.metadata.annotations.autoscaling.knative.dev/max-scale", output);
        }
        finally { dir.Delete(true); }
    }

    [Fact]
    public void OfflineValidatorSkipsForeignKindsAndExpandsLists()
    {
        var list = (JsonObject)YamlJson.ParseAll("""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: apps/v1
              kind: Deployment
              metadata: {name: d, namespace: default}
            - apiVersion: serving.knative.dev/v1
              kind: Route
              metadata: {name: r, namespace: default}
              spec:
                traffic:
                - configurationName: c
            """)[0];
        var results = new OfflineValidator().Validate([new SourcedObject("x", list)]);
        Assert.Equal(ValidationOutcome.Skipped, results[0].Outcome);
        Assert.Equal(ValidationOutcome.Invalid, results[1].Outcome);
        Assert.Equal("Traffic targets sum to 0, want 100: spec.traffic", results[1].Errors);
    }
}
