using System.Net;
using Ingress.Serving.Images;

namespace Ingress.Serving.Tests.Images;

/// <summary>The registry client against a real registry endpoint on loopback HTTP (<see cref="FakeRegistry"/>).</summary>
public sealed class RegistryDigestResolverTests
{
    private const string Manifest = """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:aa"},"layers":[]}""";
    private static readonly IReadOnlySet<string> DefaultSkip = new HashSet<string> { "kind.local", "ko.local", "dev.local" };

    private static HttpClient Http() => new(new SocketsHttpHandler { UseProxy = false });

    [Fact]
    public async Task TagResolvesThroughTheAnonymousBearerTokenFlow()
    {
        await using var registry = await FakeRegistry.StartAsync();
        var digest = registry.Push("team/app", "v1", Manifest);
        using var http = Http();
        var resolved = await new RegistryDigestResolver(http).ResolveAsync($"{registry.Host}/team/app:v1", DefaultSkip, CancellationToken.None);

        Assert.Equal($"{registry.Host}/team/app@{digest}", resolved);
        var requests = registry.Requests.ToList();
        Assert.Equal(3, requests.Count);
        // 1: refused with the challenge; 2: token from the realm with the challenge's service and scope; 3: the manifest again, with the token.
        Assert.Equal(("HEAD", "/v2/team/app/manifests/v1", ""), (requests[0].Method, requests[0].PathAndQuery, requests[0].Authorization));
        Assert.Equal("GET", requests[1].Method);
        Assert.Equal("/token?service=fake-registry&scope=repository%3Ateam%2Fapp%3Apull", requests[1].PathAndQuery);
        Assert.Equal(("HEAD", "Bearer " + FakeRegistry.Token), (requests[2].Method, requests[2].Authorization));
        foreach (var mediaType in RegistryDigestResolver.AcceptedMediaTypes) Assert.Contains(mediaType, requests[2].Accept, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenRegistryAndDefaultTagNeedNoToken()
    {
        await using var registry = await FakeRegistry.StartAsync();
        registry.RequireToken = false;
        var digest = registry.Push("app", "latest", Manifest);
        using var http = Http();
        Assert.Equal($"{registry.Host}/app@{digest}", await new RegistryDigestResolver(http).ResolveAsync($"{registry.Host}/app", DefaultSkip, CancellationToken.None));
        Assert.Single(registry.Requests);
    }

    [Fact]
    public async Task WithoutTheDigestHeaderTheManifestBytesAreHashed()
    {
        await using var registry = await FakeRegistry.StartAsync();
        registry.OmitDigestHeader = true;
        registry.AccessTokenField = true;
        var digest = registry.Push("team/app", "v2", Manifest);
        using var http = Http();
        Assert.Equal($"{registry.Host}/team/app@{digest}", await new RegistryDigestResolver(http).ResolveAsync($"{registry.Host}/team/app:v2", DefaultSkip, CancellationToken.None));
        Assert.Equal("GET", registry.Requests.Last().Method);
        Assert.Equal("Bearer " + FakeRegistry.Token, registry.Requests.Last().Authorization);
    }

    [Fact]
    public async Task MissingTagIsNotFoundWithGoContainerRegistrysHeadMessage()
    {
        await using var registry = await FakeRegistry.StartAsync();
        using var http = Http();
        var e = await Assert.ThrowsAsync<ImageResolutionException>(() => new RegistryDigestResolver(http).ResolveAsync($"{registry.Host}/team/app:nope", DefaultSkip, CancellationToken.None));
        Assert.Equal(ImageResolutionFailure.NotFound, e.Failure);
        Assert.Equal($"HEAD http://{registry.Host}/v2/team/app/manifests/nope: unexpected status code 404 Not Found (HEAD responses have no body, use GET for details)", e.Message);
    }

    [Fact]
    public async Task BasicChallengeIsUnauthorizedForAnonymousPulls()
    {
        await using var registry = await FakeRegistry.StartAsync();
        registry.ChallengeScheme = "Basic";
        registry.Push("team/app", "v1", Manifest);
        using var http = Http();
        var e = await Assert.ThrowsAsync<ImageResolutionException>(() => new RegistryDigestResolver(http).ResolveAsync($"{registry.Host}/team/app:v1", DefaultSkip, CancellationToken.None));
        Assert.Equal(ImageResolutionFailure.Unauthorized, e.Failure);
        Assert.Single(registry.Requests);
    }

    [Fact]
    public async Task ClosedPortIsANetworkFailure()
    {
        // A port the OS gave out and took back: nothing listens there.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var http = Http();
        var e = await Assert.ThrowsAsync<ImageResolutionException>(() => new RegistryDigestResolver(http).ResolveAsync($"127.0.0.1:{port}/team/app:v1", DefaultSkip, CancellationToken.None));
        Assert.Equal(ImageResolutionFailure.Network, e.Failure);
        Assert.StartsWith($"HEAD http://127.0.0.1:{port}/v2/team/app/manifests/v1: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ko.local/app:v1")]
    [InlineData("dev.local/team/app")]
    [InlineData("kind.local/app@notadigest:x")]
    public async Task SkippedRegistriesGiveNoDigestAndAskNobody(string image)
    {
        using var http = Http();
        var resolver = new RegistryDigestResolver(http);
        if (image.Contains('@'))
        {
            var e = await Assert.ThrowsAsync<ImageResolutionException>(() => resolver.ResolveAsync(image, DefaultSkip, CancellationToken.None));
            Assert.Equal(ImageResolutionFailure.InvalidReference, e.Failure);
            return;
        }
        Assert.Equal("", await resolver.ResolveAsync(image, DefaultSkip, CancellationToken.None));
    }

    [Fact]
    public async Task ImageByDigestIsKeptAsIs()
    {
        using var http = Http();
        var image = "gcr.io/knative-samples/helloworld-go@sha256:" + new string('a', 64);
        Assert.Equal(image, await new RegistryDigestResolver(http).ResolveAsync(image, DefaultSkip, CancellationToken.None));
    }

    [Fact]
    public async Task NoResolutionNeverResolves()
    {
        Assert.False(ImageDigestResolvers.None.Resolves);
        Assert.Equal("", await ImageDigestResolvers.None.ResolveAsync("127.0.0.1:1/app:v1", DefaultSkip, CancellationToken.None));
    }

    [Theory]
    [InlineData("ubuntu", "index.docker.io", "library/ubuntu", "latest", "https")]
    [InlineData("docker.io/library/ubuntu:22.04", "index.docker.io", "library/ubuntu", "22.04", "https")]
    [InlineData("knative/helloworld:v1", "index.docker.io", "knative/helloworld", "v1", "https")]
    [InlineData("gcr.io/knative-samples/helloworld-go", "gcr.io", "knative-samples/helloworld-go", "latest", "https")]
    [InlineData("localhost:5000/app:dev", "localhost:5000", "app", "dev", "http")]
    [InlineData("localhost/app", "localhost", "app", "latest", "http")]
    [InlineData("127.0.0.1:5000/a/b/c:t", "127.0.0.1:5000", "a/b/c", "t", "http")]
    [InlineData("10.1.2.3:5000/app", "10.1.2.3:5000", "app", "latest", "http")]
    [InlineData("192.168.0.9/app", "192.168.0.9", "app", "latest", "http")]
    [InlineData("172.32.0.1/app", "172.32.0.1", "app", "latest", "https")]
    [InlineData("ko.local/app", "ko.local", "app", "latest", "https")]
    public void ReferencesParseAsGoContainerRegistry(string image, string registry, string repository, string tag, string scheme)
    {
        var (reference, error) = ImageReference.Parse(image);
        Assert.Null(error);
        Assert.Equal((registry, repository, tag, scheme), (reference!.Registry, reference.Repository, reference.Tag, reference.Scheme));
    }

    [Theory]
    [InlineData("Upper/Case", "repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: Upper/Case")]
    // "app:bad" has a colon, so it is the registry; "tag!" is the repository.
    [InlineData("app:bad/tag!", "repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: tag!")]
    [InlineData("app:t@g", "a digest must contain exactly one '@' followed by a valid digest: app:t@g")]
    public void BadReferences(string image, string error) => Assert.Equal(error, ImageReference.Parse(image).Error);

    [Fact]
    public void ChallengeParametersParse()
    {
        var p = RegistryDigestResolver.ParseChallenge("realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"");
        Assert.Equal("https://auth.example/token", p["realm"]);
        Assert.Equal("registry.example", p["service"]);
        Assert.Equal("repository:a/b:pull,push", p["scope"]);
    }
}
