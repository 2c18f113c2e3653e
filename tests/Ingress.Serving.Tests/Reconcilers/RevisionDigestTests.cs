using System.Text.Json.Nodes;
using Ingress.Serving.Images;
using Ingress.Serving.Reconcilers;
using Ingress.Serving.Tests.Images;
using static Ingress.Serving.Tests.Reconcilers.ServingCluster;

namespace Ingress.Serving.Tests.Reconcilers;

/// <summary>Tag-to-digest resolution in the Revision reconciler: the real controllers on the embedded API server,
/// the registry client against a real registry on loopback HTTP with the token flow.</summary>
public sealed class RevisionDigestTests
{
    private const string Manifest = """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}""";

    private static async Task<ServingCluster> StartAsync(HttpClient http, Dictionary<string, string>? deployment = null)
    {
        var config = new Dictionary<string, Dictionary<string, string>>();
        if (deployment is not null) config["config-deployment"] = deployment;
        return await ServingCluster.StartAsync(config, options: new ServingControllerOptions { ImageDigests = new RegistryDigestResolver(http) });
    }

    private static Task CreateServiceAsync(ServingCluster c, string name, string image) => c.CreateAsync(ServingKinds.Services, new JsonObject
    {
        ["apiVersion"] = "serving.knative.dev/v1", ["kind"] = "Service",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
        ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["image"] = image }) } } },
    }.ToJsonString());

    private static JsonObject UserContainer(JsonObject deployment) =>
        deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray().OfType<JsonObject>().Single(x => Str(x, "name") == "user-container");

    private static string ContainerHealthy(JsonObject revision) =>
        (revision["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(x => Str(x, "type") == "ContainerHealthy") is { } cond
            ? $"{Str(cond, "status")}/{Str(cond, "reason")}/{Str(cond, "message")}" : "";

    [Fact]
    public async Task TagIsResolvedAndTheDeploymentRunsTheDigest()
    {
        await using var registry = await FakeRegistry.StartAsync();
        var digest = registry.Push("team/app", "v1", Manifest);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        await using var c = await StartAsync(http);
        var image = $"{registry.Host}/team/app:v1";
        await CreateServiceAsync(c, "pinned", image);

        var deployment = await c.WaitExistsAsync(ServingKinds.Deployments, "pinned-00001-deployment");
        Assert.Equal($"{registry.Host}/team/app@{digest}", Str(UserContainer(deployment), "image"));
        var revision = await c.WaitAsync(ServingKinds.Revisions, "pinned-00001", r => r["status"]?["containerStatuses"] is JsonArray);
        var status = Assert.Single(revision["status"]!["containerStatuses"]!.AsArray());
        Assert.Equal("user-container", Str(status, "name"));
        Assert.Equal($"{registry.Host}/team/app@{digest}", Str(status, "imageDigest"));
        // The template keeps the tag: only the status and the Deployment carry the digest.
        Assert.Equal(image, Str(revision["spec"]!["containers"]![0], "image"));
        Assert.Contains(registry.Requests, r => r.PathAndQuery.StartsWith("/token?", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownTagFailsTheRevisionWithUpstreamsMessage()
    {
        await using var registry = await FakeRegistry.StartAsync();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        await using var c = await StartAsync(http);
        var image = $"{registry.Host}/team/app:missing";
        await CreateServiceAsync(c, "broken", image);

        var revision = await c.WaitAsync(ServingKinds.Revisions, "broken-00001", r => ContainerHealthy(r).StartsWith("False/", StringComparison.Ordinal));
        Assert.Equal($"False/ContainerMissing/Unable to fetch image \"{image}\": failed to resolve image to digest: " +
                     $"HEAD http://{registry.Host}/v2/team/app/manifests/missing: unexpected status code 404 Not Found (HEAD responses have no body, use GET for details)",
            ContainerHealthy(revision));
        Assert.Equal("False", Condition(revision, "Ready"));
        Assert.Null(await c.GetAsync(ServingKinds.Deployments, "broken-00001-deployment"));
    }

    [Fact]
    public async Task SkippedRegistryKeepsTheTagAndRecordsAStatusWithoutDigest()
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        await using var c = await StartAsync(http);
        await CreateServiceAsync(c, "local", "ko.local/app:v1");

        var deployment = await c.WaitExistsAsync(ServingKinds.Deployments, "local-00001-deployment");
        Assert.Equal("ko.local/app:v1", Str(UserContainer(deployment), "image"));
        var revision = await c.WaitAsync(ServingKinds.Revisions, "local-00001", r => r["status"]?["containerStatuses"] is JsonArray);
        var status = Assert.Single(revision["status"]!["containerStatuses"]!.AsArray())!.AsObject();
        Assert.Equal("user-container", Str(status, "name"));
        Assert.False(status.ContainsKey("imageDigest"));
    }

    [Fact]
    public async Task SlowRegistryHitsTheDigestResolutionTimeout()
    {
        await using var registry = await FakeRegistry.StartAsync();
        registry.RequireToken = false;
        registry.ManifestDelay = TimeSpan.FromMinutes(5);
        registry.Push("team/app", "v1", Manifest);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        await using var c = await StartAsync(http, new() { ["queue-sidecar-image"] = "example.dev/queue:latest", ["digest-resolution-timeout"] = "1s" });
        var image = $"{registry.Host}/team/app:v1";
        await CreateServiceAsync(c, "slow", image);

        var revision = await c.WaitAsync(ServingKinds.Revisions, "slow-00001", r => ContainerHealthy(r).StartsWith("False/", StringComparison.Ordinal));
        Assert.Equal($"False/ContainerMissing/Unable to fetch image \"{image}\": failed to resolve image to digest: context deadline exceeded", ContainerHealthy(revision));
    }
}
