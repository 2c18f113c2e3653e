using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ingress.Api;
using Ingress.Cli;
using Ingress.Kube.Client;
using Ingress.Local.Hosting;

namespace Ingress.Cli.Tests;

/// <summary>The controllers keep going when the API server process (with a data directory) is killed with
/// SIGKILL and started again on the same port.</summary>
public sealed partial class ApiServerRestartTests
{
    [GeneratedRegex(@"http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningUrl();

    private static async Task<(Process Process, int Port)> StartServerAsync(string dataDir, int port)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { typeof(Program).Assembly.Location, "apiserver", "--port", port.ToString(), "--data-dir", dataDir }) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        var found = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.Contains("kubectl --server", StringComparison.Ordinal) && ListeningUrl().Match(line) is { Success: true } m)
                found.TrySetResult(int.Parse(m.Groups[1].Value));
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, await found.Task.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < until)
        {
            try { if (await condition()) return; }
            catch (Exception ex) when (ex is HttpRequestException or KubeApiException or TaskCanceledException) { }
            await Task.Delay(200);
        }
        Assert.Fail($"timed out waiting for {what}");
    }

    private static JsonObject[] PaAndDeployment(string revision) => [.. KubeYaml.ParseDocuments("""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: REV-deployment, namespace: default}
        spec:
          replicas: 1
          selector: {matchLabels: {app: REV}}
          template:
            metadata: {labels: {app: REV}}
            spec: {containers: [{name: user-container, image: example}]}
        ---
        apiVersion: autoscaling.internal.knative.dev/v1alpha1
        kind: PodAutoscaler
        metadata:
          name: REV
          namespace: default
          labels: {serving.knative.dev/revision: REV}
          annotations: {autoscaling.knative.dev/class: kpa.autoscaling.knative.dev}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: REV-deployment}
          protocolType: http1
        """.Replace("REV", revision, StringComparison.Ordinal))];

    private static readonly ResourceDescriptor Deployments = new("apps", "v1", "deployments", true, "Deployment");
    private static readonly ResourceDescriptor PodAutoscalers = new("autoscaling.internal.knative.dev", "v1alpha1", "podautoscalers", true, "PodAutoscaler");
    private static readonly ResourceDescriptor ServerlessServices = new("networking.internal.knative.dev", "v1alpha1", "serverlessservices", true, "ServerlessService");
    private static readonly ResourceDescriptor Crds = new("apiextensions.k8s.io", "v1", "customresourcedefinitions", false, "CustomResourceDefinition");

    private static async Task CreatePaAsync(KubeClient client, string revision)
    {
        var objects = PaAndDeployment(revision);
        await client.Dynamic(Deployments).CreateAsync(objects[0]);
        await client.Dynamic(PodAutoscalers).CreateAsync(objects[1]);
    }

    [Fact]
    public async Task Controllers_survive_a_sigkill_of_the_api_server()
    {
        var dataDir = Directory.CreateTempSubdirectory("ingress-host-kill9-").FullName;
        var (server, port) = await StartServerAsync(dataDir, 0);
        try
        {
            var client = new KubeClient(KubeConnection.FromServer(new Uri($"http://127.0.0.1:{port}/")));
            foreach (var crd in Renderer.EmbeddedCrds()) await client.Dynamic(Crds).CreateAsync(crd);
            await EventuallyAsync(async () => (await client.Dynamic(PodAutoscalers).ListAllAsync()).Items.Count == 0, "PodAutoscalers served");

            await using var host = new ControllerHost(client, new ControllerHostOptions
            {
                Controllers = ControllerNames.Parse("autoscaler"), MetricsPort = 0, LeaderElection = false,
            });
            using var stop = new CancellationTokenSource();
            var run = host.RunAsync(stop.Token);
            await CreatePaAsync(client, "before-00001");
            await EventuallyAsync(async () => await client.Dynamic(ServerlessServices).TryGetAsync("default", "before-00001") is not null, "SKS before the kill");

            server.Kill(entireProcessTree: true); // SIGKILL: no clean shutdown, no final snapshot
            await server.WaitForExitAsync();
            server.Dispose();
            (server, _) = await StartServerAsync(dataDir, port);

            // The state written before the kill is back, and the controllers (whose watches broke) react to new work.
            Assert.NotNull(await client.Dynamic(ServerlessServices).TryGetAsync("default", "before-00001"));
            await EventuallyAsync(async () => { await CreatePaAsync(client, "after-00001"); return true; }, "create after restart");
            await EventuallyAsync(async () => await client.Dynamic(ServerlessServices).TryGetAsync("default", "after-00001") is not null, "SKS after the restart");

            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            server.Dispose();
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }
}
