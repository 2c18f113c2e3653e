using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Cli;

namespace Ingress.Cli.Tests;

/// <summary><c>ingress render</c> through the command tree, on the repository's examples.</summary>
public sealed class RenderCommandTests
{
    internal static string RepoPath(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Ingress.sln"))) dir = dir.Parent;
        return Path.Combine([dir!.FullName, .. parts]);
    }

    internal static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var result = Program.BuildRoot().Parse(args);
        result.InvocationConfiguration.Output = output;
        result.InvocationConfiguration.Error = error;
        var code = await result.InvokeAsync();
        return (code, output.ToString(), error.ToString());
    }

    private static string ConfigDeployment()
    {
        var path = Path.Combine(Path.GetTempPath(), $"config-deployment-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: config-deployment
              namespace: knative-serving
            data:
              queue-sidecar-image: gcr.io/knative-releases/knative.dev/serving/cmd/queue:latest
            """);
        return path;
    }

    private static bool IsReady(JsonObject o) =>
        o["status"]?["conditions"]?.AsArray().Any(c => c?["type"]?.ToString() == "Ready" && c["status"]?.ToString() == "True") == true;

    [Fact]
    public async Task Helloworld_renders_the_whole_chain_sorted()
    {
        var configDeployment = ConfigDeployment();
        var (code, stdout, stderr) = await RunAsync("render", "-f", RepoPath("examples", "helloworld-go"), "-f", configDeployment);
        Assert.True(code == 0, stderr);
        var objects = KubeYaml.ParseDocuments(stdout);
        var ids = objects.Select(o => (o["apiVersion"]!.ToString(), o["kind"]!.ToString(), o["metadata"]?["namespace"]?.ToString() ?? "", o["metadata"]!["name"]!.ToString())).ToList();
        Assert.Contains(("serving.knative.dev/v1", "Service", "default", "helloworld-go"), ids);
        Assert.Contains(("serving.knative.dev/v1", "Configuration", "default", "helloworld-go"), ids);
        Assert.Contains(("serving.knative.dev/v1", "Route", "default", "helloworld-go"), ids);
        Assert.Contains(("serving.knative.dev/v1", "Revision", "default", "helloworld-go-00001"), ids);
        Assert.Contains(("autoscaling.internal.knative.dev/v1alpha1", "PodAutoscaler", "default", "helloworld-go-00001"), ids);
        Assert.Contains(("apps/v1", "Deployment", "default", "helloworld-go-00001-deployment"), ids);
        Assert.Contains(("v1", "ConfigMap", "knative-serving", "config-deployment"), ids);
        var sorted = ids.OrderBy(i => i.Item1, StringComparer.Ordinal).ThenBy(i => i.Item2, StringComparer.Ordinal)
            .ThenBy(i => i.Item3, StringComparer.Ordinal).ThenBy(i => i.Item4, StringComparer.Ordinal).ToList();
        Assert.Equal(sorted, ids);
        // No pods are simulated, so the revision is not Ready: the Route waits for it with Knative's message and no
        // KIngress is made yet (A_ready_revision_loaded_as_is_gets_virtual_services covers the KIngress side).
        Assert.DoesNotContain(ids, i => i.Item2 == "Ingress");
        var routeStatus = objects.Single(o => o["kind"]!.ToString() == "Route")["status"]!["conditions"]!.AsArray();
        Assert.Contains(routeStatus, c => c!["type"]!.ToString() == "Ready" && c["reason"]!.ToString() == "RevisionMissing"
            && c["message"]!.ToString() == "Configuration \"helloworld-go\" is waiting for a Revision to become ready.");
        // The Service was loaded without defaults, yet the reconciler re-runs defaulting (spec §1.1): the Route
        // sends 100 % to the latest revision.
        var traffic = Assert.Single(objects.Single(o => o["kind"]!.ToString() == "Route")["spec"]!["traffic"]!.AsArray());
        Assert.Equal(100, traffic!["percent"]!.GetValue<int>());
        Assert.True(traffic["latestRevision"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Reconcile_errors_are_one_line_each_and_render_still_succeeds()
    {
        // Without config-deployment the Revision cannot be reconciled.
        var (code, stdout, stderr) = await RunAsync("render", "-f", RepoPath("examples", "helloworld-go"), "-o", "json");
        Assert.Equal(0, code);
        Assert.Contains("reconcile error revision default/helloworld-go-00001: ", stderr, StringComparison.Ordinal);
        var list = JsonNode.Parse(stdout)!;
        Assert.Equal("List", list["kind"]!.ToString());
        Assert.Contains(list["items"]!.AsArray(), o => o?["kind"]?.ToString() == "Revision");
    }

    [Theory]
    [InlineData("ready", true)]
    [InlineData("unready", false)]
    public async Task A_ready_revision_loaded_as_is_gets_virtual_services(string probe, bool ready)
    {
        var state = Path.Combine(AppContext.BaseDirectory, "testdata", "helloworld-ready");
        var (code, stdout, stderr) = await RunAsync("render", "-f", state, "--controllers", "service,configuration,route,ingress", "--probe", probe);
        Assert.True(code == 0, stderr);
        var objects = KubeYaml.ParseDocuments(stdout);
        var vs = objects.Where(o => o["kind"]!.ToString() == "VirtualService").Select(o => o["metadata"]!["name"]!.ToString()).ToList();
        Assert.Equal(["helloworld-go-ingress", "helloworld-go-mesh"], vs);
        // The loaded Revision keeps its status: no revision controller runs to reset it.
        Assert.True(IsReady(objects.Single(o => o["kind"]!.ToString() == "Revision")));
        Assert.Equal("helloworld-go-00001", objects.Single(o => o["kind"]!.ToString() == "Configuration")["status"]?["latestReadyRevisionName"]?.ToString());
        var ingress = objects.Single(o => o["kind"]!.ToString() == "Ingress");
        Assert.NotEmpty(ingress["spec"]!["rules"]!.AsArray());
        Assert.Equal(ready, IsReady(ingress));
        Assert.Equal(ready, IsReady(objects.Single(o => o["kind"]!.ToString() == "Route" )));
    }

    [Fact]
    public async Task Unreadable_input_exits_1_with_the_error_on_stderr()
    {
        var (code, stdout, stderr) = await RunAsync("render", "-f", "/nonexistent/input.yaml");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("error: /nonexistent/input.yaml: no such file or directory", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_controller_exits_1()
    {
        var (code, _, stderr) = await RunAsync("render", "-f", RepoPath("examples", "helloworld-go"), "--controllers", "route,bogus");
        Assert.Equal(1, code);
        Assert.Contains("unknown controller \"bogus\"", stderr, StringComparison.Ordinal);
    }
}
