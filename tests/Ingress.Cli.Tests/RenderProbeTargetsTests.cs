using Ingress.Api;

namespace Ingress.Cli.Tests;

/// <summary><c>ingress render --show-probe-targets</c> on a KIngress given on its own (controller <c>ingress</c>).</summary>
public sealed class RenderProbeTargetsTests
{
    private static readonly string State = Path.Combine(AppContext.BaseDirectory, "testdata", "kingress-probe-targets");

    [Fact]
    public async Task One_document_per_kingress_lists_urls_pod_ips_ports_and_host_headers()
    {
        var (code, stdout, stderr) = await RenderCommandTests.RunAsync("render", "-f", State, "--controllers", "ingress", "--show-probe-targets");
        Assert.True(code == 0, stderr);
        var documents = KubeYaml.ParseDocuments(stdout);
        // The KIngress was reconciled like any other input: its VirtualServices are in the output.
        // Only an ExternalIP rule: the -ingress VirtualService (a -mesh one exists only for cluster-local hosts).
        Assert.Equal(["hello-ingress"],
            documents.Where(d => d["kind"]?.ToString() == "VirtualService").Select(d => d["metadata"]!["name"]!.ToString()).ToList());
        var ingress = documents.Single(d => d["kind"]?.ToString() == "Ingress");
        var probe = Assert.Single(documents, d => d["kind"]?.ToString() == "ProbeTargets");
        Assert.Same(probe, documents[^1]); // after every object
        Assert.Equal("default/hello", probe["ingress"]!.ToString());
        Assert.Equal(2, probe["generation"]!.GetValue<long>());
        // The hash the prober would expect is the one the controller put on the VirtualService's probe route.
        var hash = probe["hash"]!.ToString();
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Contains(hash, documents.Single(d => d["metadata"]?["name"]?.ToString() == "hello-ingress").ToJsonString(), StringComparison.Ordinal);
        Assert.NotNull(ingress["status"]);
        Assert.Equal("""
            - url: http://hello.default.example.com:80/healthz
              podIP: "10.1.0.7"
              podPort: 8080
              port: 80
              host: hello.default.example.com:80
            - url: http://hello.default.example.com:80/healthz
              podIP: "10.1.0.8"
              podPort: 8080
              port: 80
              host: hello.default.example.com:80

            """.Replace("\r", ""), KubeYaml.Serialize(probe["targets"]!));
        Assert.Null(probe["error"]);
    }

    [Fact]
    public async Task Without_the_flag_only_objects_are_printed()
    {
        var (code, stdout, stderr) = await RenderCommandTests.RunAsync("render", "-f", State, "--controllers", "ingress");
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain(KubeYaml.ParseDocuments(stdout), d => d["kind"]?.ToString() == "ProbeTargets");
    }
}
