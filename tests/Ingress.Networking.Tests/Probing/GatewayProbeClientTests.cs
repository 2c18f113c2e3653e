using Ingress.Networking.Probing;

namespace Ingress.Networking.Tests.Probing;

public class GatewayProbeClientTests
{
    private const string Hash = "a25000a350642c8abef53078b329bd043e18758f6063c1172d53b04e14fcf5c1";

    [Fact]
    public async Task SendsUpstreamRequestToThePodWhateverTheUrlHost()
    {
        await using var pod = await FakeGatewayPod.StartAsync(hash: Hash);
        using var client = new GatewayProbeClient(TimeSpan.FromSeconds(5));
        var outcome = await client.ProbeAsync("http://foo.bar:80", pod.IP, pod.Port, Hash, CancellationToken.None);

        Assert.Equal(ProbeVerdict.Ready, outcome.Verdict);
        var request = Assert.Single(pod.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/healthz", request.Path);
        Assert.Equal("foo.bar:80", request.Host);
        Assert.Equal("probe", request.Headers["K-Network-Probe"]);
        Assert.Equal("override", request.Headers["K-Network-Hash"]);
        Assert.Equal("Knative-Ingress-Probe", request.Headers["User-Agent"]);
        Assert.Equal("close", request.Headers["Connection"]);
    }

    [Fact]
    public async Task UrlPathIsJoinedWithHealthz()
    {
        await using var pod = await FakeGatewayPod.StartAsync(hash: Hash);
        using var client = new GatewayProbeClient(TimeSpan.FromSeconds(5));
        await client.ProbeAsync("http://foo.bar:8080/prefix/", pod.IP, pod.Port, Hash, CancellationToken.None);
        var request = Assert.Single(pod.Requests);
        Assert.Equal("/prefix/healthz", request.Path);
        Assert.Equal("foo.bar:8080", request.Host);
    }

    [Theory]
    [InlineData(200, Hash, ProbeVerdict.Ready, null)]
    [InlineData(200, null, ProbeVerdict.Abandoned, "the response doesn't contain the \"K-Network-Hash\" header")]
    [InlineData(200, "oldhash", ProbeVerdict.Retry, "unexpected hash: want \"" + Hash + "\", got \"oldhash\"")]
    [InlineData(404, null, ProbeVerdict.Retry, "unexpected status code: want 200, got 404")]
    [InlineData(503, null, ProbeVerdict.Retry, "unexpected status code: want 200, got 503")]
    [InlineData(301, null, ProbeVerdict.Abandoned, "the response status is 301, expected one of: [200 404 503]")]
    [InlineData(302, null, ProbeVerdict.Abandoned, "the response status is 302, expected one of: [200 404 503]")]
    [InlineData(403, null, ProbeVerdict.Abandoned, "the response status is 403, expected one of: [200 404 503]")]
    [InlineData(500, null, ProbeVerdict.Abandoned, "the response status is 500, expected one of: [200 404 503]")]
    public async Task VerdictTable(int status, string? servedHash, ProbeVerdict verdict, string? error)
    {
        await using var pod = await FakeGatewayPod.StartAsync(hash: servedHash);
        pod.Status = status;
        using var client = new GatewayProbeClient(TimeSpan.FromSeconds(5));
        var outcome = await client.ProbeAsync("http://foo.bar:80", pod.IP, pod.Port, Hash, CancellationToken.None);
        Assert.Equal(verdict, outcome.Verdict);
        Assert.Equal(status, outcome.StatusCode);
        Assert.Equal(error, outcome.Error);
    }

    [Fact]
    public async Task SlowPodTimesOutAndIsRetried()
    {
        await using var pod = await FakeGatewayPod.StartAsync(hash: Hash);
        pod.Delay = TimeSpan.FromSeconds(20);
        using var client = new GatewayProbeClient(TimeSpan.FromMilliseconds(300));
        var outcome = await client.ProbeAsync("http://foo.bar:80", pod.IP, pod.Port, Hash, CancellationToken.None);
        Assert.Equal(ProbeVerdict.Retry, outcome.Verdict);
        Assert.Equal("probe timed out after 300 ms", outcome.Error);
    }

    [Fact]
    public async Task RefusedConnectionIsRetried()
    {
        var pod = await FakeGatewayPod.StartAsync(hash: Hash);
        var (ip, port) = (pod.IP, pod.Port);
        await pod.DisposeAsync();
        using var client = new GatewayProbeClient(TimeSpan.FromSeconds(5));
        var outcome = await client.ProbeAsync("http://foo.bar:80", ip, port, Hash, CancellationToken.None);
        Assert.Equal(ProbeVerdict.Retry, outcome.Verdict);
        Assert.NotNull(outcome.Error);
        Assert.Null(outcome.StatusCode);
    }

    [Fact]
    public async Task HttpsWithoutCertificateVerification()
    {
        await using var pod = await FakeGatewayPod.StartAsync(hash: Hash, tls: true);
        using var client = new GatewayProbeClient(TimeSpan.FromSeconds(5));
        var outcome = await client.ProbeAsync("https://host-tls.example.com:443", pod.IP, pod.Port, Hash, CancellationToken.None);
        Assert.Equal(ProbeVerdict.Ready, outcome.Verdict);
        Assert.Equal("host-tls.example.com:443", Assert.Single(pod.Requests).Host);
    }
}
