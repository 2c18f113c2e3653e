using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.ApiServer;
using Ingress.Cli;
using Ingress.Kube.Client;
using Ingress.Local.Hosting;

namespace Ingress.Cli.Tests;

/// <summary><c>ingress controller --server</c> (in process, through the command tree) against our embedded API server.</summary>
public sealed class ControllerCommandTests
{
    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail($"timed out waiting for {what}");
    }

    private static async Task CreateAsync(KubeClient client, JsonObject obj)
    {
        var apiVersion = obj["apiVersion"]!.ToString();
        var slash = apiVersion.IndexOf('/');
        var kind = obj["kind"]!.ToString();
        var descriptor = new ResourceDescriptor(slash < 0 ? "" : apiVersion[..slash], apiVersion[(slash + 1)..], kind.ToLowerInvariant() + "s", true, kind);
        await client.Dynamic(descriptor).CreateAsync(obj);
    }

    [Fact]
    public async Task Controller_reconciles_a_ksvc_down_to_its_pod_autoscaler()
    {
        await using var server = new ApiServerHost(new ApiServerOptions());
        server.PreloadCustomResourceDefinitions(Renderer.EmbeddedCrds());
        await server.StartAsync();
        var client = new KubeClient(KubeConnection.FromServer(server.BaseUri));

        using var stop = new CancellationTokenSource();
        var parse = Program.BuildRoot().Parse(["controller", "--server", server.BaseUri.ToString(), "--metrics-port", "0", "--kube-api-qps", "200", "--kube-api-burst", "400"]);
        parse.InvocationConfiguration.Output = new StringWriter();
        parse.InvocationConfiguration.Error = new StringWriter();
        var run = parse.InvokeAsync(parse.InvocationConfiguration, stop.Token);

        await CreateAsync(client, KubeYaml.ParseDocuments("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: config-deployment, namespace: knative-serving}
            data: {queue-sidecar-image: example.dev/queue}
            """).Single());
        foreach (var obj in KubeYaml.ParseDocuments(File.ReadAllText(RenderCommandTests.RepoPath("examples", "helloworld-go", "service.yaml"))))
            await CreateAsync(client, obj);

        var pas = client.Dynamic(new ResourceDescriptor("autoscaling.internal.knative.dev", "v1alpha1", "podautoscalers", true, "PodAutoscaler"));
        var skss = client.Dynamic(new ResourceDescriptor("networking.internal.knative.dev", "v1alpha1", "serverlessservices", true, "ServerlessService"));
        var routes = client.Dynamic(new ResourceDescriptor("serving.knative.dev", "v1", "routes", true, "Route"));
        // serving: ksvc → Configuration → Revision → PodAutoscaler; autoscaling: PA status written; the Route
        // (100 % to the latest revision after the reconciler's defaulting) waits for that revision, as Knative does.
        await EventuallyAsync(async () => await pas.TryGetAsync("default", "helloworld-go-00001") is { } pa && pa["status"]?["conditions"] is not null, "PodAutoscaler reconciled");
        await EventuallyAsync(async () => await skss.TryGetAsync("default", "helloworld-go-00001") is not null, "ServerlessService");
        await EventuallyAsync(async () => await routes.TryGetAsync("default", "helloworld-go") is { } r
            && r["status"]?["conditions"]?.AsArray().Any(c => c?["type"]?.ToString() == "AllTrafficAssigned" && c["reason"]?.ToString() == "RevisionMissing") == true,
            "Route waiting for its revision");
        var lease = await client.Dynamic(ResourceDescriptor.Leases).GetAsync("knative-serving", "ingress-controller");
        Assert.NotNull(lease["spec"]?["holderIdentity"]);

        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Bad_arguments_exit_1()
    {
        var (code, _, stderr) = await RenderCommandTests.RunAsync("controller", "--server", "http://127.0.0.1:1", "--controllers", "nope");
        Assert.Equal(1, code);
        Assert.Contains("unknown controller", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--kube-api-qps", "0", "--kube-api-qps must be greater than 0")]
    [InlineData("--kube-api-qps", "-5", "--kube-api-qps must be greater than 0")]
    [InlineData("--kube-api-burst", "0", "--kube-api-burst must be at least 1")]
    public async Task Client_rate_limits_must_be_positive(string option, string value, string message)
    {
        var (code, _, stderr) = await RenderCommandTests.RunAsync("controller", "--server", "http://127.0.0.1:1", option, value);
        Assert.Equal(1, code);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }
}
