using System.Text.Json.Nodes;
using Ingress.ApiServer;
using Ingress.Kube.Client;
using Ingress.Local.Hosting;

namespace Ingress.Local.Tests;

/// <summary>An embedded API server (memory, port 0) with every CRD preloaded, and a client on it.</summary>
internal sealed class EmbeddedCluster : IAsyncDisposable
{
    private EmbeddedCluster(ApiServerHost server, KubeClient client)
    {
        Server = server;
        Client = client;
    }

    public ApiServerHost Server { get; }
    public KubeClient Client { get; }

    public static async Task<EmbeddedCluster> StartAsync(string? dataDirectory = null, int port = 0)
    {
        var server = new ApiServerHost(new ApiServerOptions { DataDirectory = dataDirectory, Port = port });
        server.PreloadCustomResourceDefinitions(Renderer.EmbeddedCrds());
        await server.StartAsync();
        return new EmbeddedCluster(server, new KubeClient(KubeConnection.FromServer(server.BaseUri)));
    }

    public static ResourceDescriptor Descriptor(string group, string plural, string kind, string version = "v1alpha1") => new(group, version, plural, true, kind);

    public static readonly ResourceDescriptor ServerlessServices = Descriptor("networking.internal.knative.dev", "serverlessservices", "ServerlessService");
    public static readonly ResourceDescriptor PodAutoscalers = Descriptor("autoscaling.internal.knative.dev", "podautoscalers", "PodAutoscaler");
    public static readonly ResourceDescriptor Deployments = new("apps", "v1", "deployments", true, "Deployment");

    public static string TestData(string name) => Path.Combine(AppContext.BaseDirectory, "testdata", name);

    /// <summary>Creates every object of a testdata file through the API (as kubectl create would).</summary>
    public async Task CreateAsync(string testdata)
    {
        foreach (var obj in Renderer.ReadInputs([TestData(testdata)], TextReader.Null))
        {
            var (group, version) = obj["apiVersion"]!.ToString() is var av && av.Contains('/') ? (av[..av.IndexOf('/')], av[(av.IndexOf('/') + 1)..]) : ("", obj["apiVersion"]!.ToString());
            var kind = obj["kind"]!.ToString();
            var plural = kind.ToLowerInvariant() + "s";
            await Client.Dynamic(new ResourceDescriptor(group, version, plural, true, kind)).CreateAsync(obj);
        }
    }

    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        Assert.Fail($"timed out waiting for {what}");
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

internal static class JsonExtensions
{
    public static string? Str(this JsonNode? node, params string[] path)
    {
        foreach (var p in path) node = node?[p];
        return node?.ToString();
    }
}
