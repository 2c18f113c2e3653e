using System.Net;
using Ingress.Local.Samples;

namespace Ingress.Local.Tests;

public sealed class SampleAppTests
{
    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(string image, Dictionary<string, string> env, string pathAndQuery)
    {
        await using var app = SampleApps.TryCreate(image, env, 0) ?? throw new InvalidOperationException(image + " is not a sample");
        await app.StartAsync();
        Assert.NotEqual(0, app.Port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.GetAsync($"http://127.0.0.1:{app.Port}{pathAndQuery}");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("gcr.io/knative-samples/helloworld-go", "helloworld-go")]
    [InlineData("ghcr.io/knative/helloworld-go:latest", "helloworld-go")]
    [InlineData("gcr.io/knative-samples/autoscale-go@sha256:abcd", "autoscale-go")]
    [InlineData("docker.io/someone/rest-api-go:v1", "rest-api-go")]
    [InlineData("nginx:1.25", null)]
    [InlineData("gcr.io/knative-samples/helloworld-python", null)]
    public void Image_names_pick_the_sample(string image, string? expected) =>
        Assert.Equal(expected, SampleApps.SampleName(image));

    [Fact]
    public void Unknown_images_have_no_app() => Assert.Null(SampleApps.TryCreate("nginx", new Dictionary<string, string>(), 0));

    [Fact]
    public async Task Helloworld_greets_TARGET_or_World()
    {
        Assert.Equal((HttpStatusCode.OK, "Hello World!\n"), await GetAsync("gcr.io/knative-samples/helloworld-go", [], "/"));
        Assert.Equal((HttpStatusCode.OK, "Hello Knative!\n"),
            await GetAsync("ghcr.io/knative/helloworld-go", new() { ["TARGET"] = "Knative" }, "/any/path"));
    }

    [Fact]
    public async Task Autoscale_sleeps_finds_primes_and_bloats()
    {
        var (status, body) = await GetAsync("gcr.io/knative-samples/autoscale-go", [], "/?sleep=20&prime=100&bloat=2");
        Assert.Equal(HttpStatusCode.OK, status);
        var lines = body.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^Slept for \d+\.\d\d milliseconds\.$", lines[0]);
        Assert.Equal("The largest prime less than 100 is 97.", lines[1]);
        Assert.Equal("Allocated 2 Mb of memory.", lines[2]);
        Assert.Equal((HttpStatusCode.OK, ""), await GetAsync("autoscale-go", [], "/"));
    }

    [Fact]
    public async Task Simple_app_answers_SIMPLE_MSG()
    {
        Assert.Equal((HttpStatusCode.OK, "Hello sample app!\n"), await GetAsync("docker.io/me/simple-app", [], "/"));
        Assert.Equal((HttpStatusCode.OK, "Hi there\n"), await GetAsync("simple-app:v1", new() { ["SIMPLE_MSG"] = "Hi there" }, "/x"));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 2)]
    [InlineData(10, 7)]
    [InlineData(7919, 7919)]
    [InlineData(7920, 7919)]
    public void Largest_prime(int max, int expected) => Assert.Equal(expected, SampleApps.LargestPrimeAtMost(max));

    [Fact]
    public async Task Rest_api_welcomes_and_explains_its_paths()
    {
        Assert.Equal((HttpStatusCode.OK, "Welcome to the stock app!\n"), await GetAsync("rest-api-go", [], "/"));
        Assert.Equal((HttpStatusCode.OK, "stock ticker not found!, require /stock/{ticker}\n"), await GetAsync("rest-api-go", [], "/stock"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await GetAsync("rest-api-go", [], "/stock/ACME")).Status);
        Assert.Equal((HttpStatusCode.OK, "Welcome to the share app!\n"), await GetAsync("rest-api-go", new() { ["RESOURCE"] = "share" }, "/"));
    }
}
