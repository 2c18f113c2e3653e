using System.Net;
using System.Net.WebSockets;
using System.Text;
using Ingress.Local.Samples;

namespace Ingress.Local.Tests;

/// <summary>The built-in conformance test images on their own (real sockets, HTTP/1.1 and h2c), as the conformance
/// suite's images behave (shared/reference/conformance.md §3).</summary>
public sealed class ConformanceTestImagesTests
{
    private static async Task<ILocalApp> StartAsync(string image, Dictionary<string, string>? env = null)
    {
        var app = SampleApps.TryCreate("ko://knative.dev/networking/test/test_images/" + image, env ?? [], 0)
                  ?? throw new InvalidOperationException(image + " is not a test image");
        await app.StartAsync();
        return app;
    }

    private static HttpClient Client() => new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };

    [Theory]
    [InlineData("ko://knative.dev/networking/test/test_images/runtime", "runtime")]
    [InlineData("gcr.io/knative-tests/test-images/grpc-ping:latest", "grpc-ping")]
    [InlineData("wsserver", "wsserver")]
    [InlineData("retry@sha256:0123", "retry")]
    public void Test_image_names_are_known(string image, string name) => Assert.Equal(name, SampleApps.SampleName(image));

    [Fact]
    public async Task Runtime_describes_the_request_over_http1_and_h2c()
    {
        await using var app = await StartAsync("runtime");
        using var http = Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{app.Port}/some/path?a=1&b=2");
        request.Headers.Host = "svc.example.com";
        request.Headers.TryAddWithoutValidation("foo-bar-BAZ", ["one", "two"]);
        request.Headers.TryAddWithoutValidation("K-Network-Hash", "dropped before the app");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var info = RuntimeRequest.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(("/some/path?a=1&b=2", "svc.example.com", "GET", 1), (info.Uri, info.Host, info.Method, info.ProtoMajor));
        Assert.Equal(["one", "two"], info.Headers["Foo-Bar-Baz"].SelectMany(v => v.Split(", ")));
        Assert.False(info.Headers.ContainsKey("K-Network-Hash"));

        using var h2 = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{app.Port}/") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        h2.Headers.TryAddWithoutValidation("x-lower-case", "v");
        using var h2Response = await http.SendAsync(h2);
        var h2Info = RuntimeRequest.Parse(await h2Response.Content.ReadAsStringAsync());
        Assert.Equal(2, h2Info.ProtoMajor);
        Assert.Equal("v", h2Info.Header("X-Lower-Case"));
    }

    [Fact]
    public async Task Runtime_healthz_answers_only_kubelet()
    {
        await using var app = await StartAsync("runtime");
        using var http = Client();
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"http://127.0.0.1:{app.Port}/healthz")).StatusCode);
        using var kubelet = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{app.Port}/healthz");
        kubelet.Headers.TryAddWithoutValidation("User-Agent", "kube-probe/1.32");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(kubelet)).StatusCode);
    }

    [Theory]
    [InlineData("foo-bar-baz", "Foo-Bar-Baz")]
    [InlineData("K-NETWORK-HASH", "K-Network-Hash")]
    [InlineData("x", "X")]
    [InlineData("a--b", "A--B")]
    [InlineData("bad key", "bad key")]
    public void Header_names_are_canonicalised_as_Go_does(string name, string canonical) =>
        Assert.Equal(canonical, TestImages.CanonicalHeaderKey(name));

    [Fact]
    public async Task Probe_requests_never_reach_the_app_and_echo_the_hash()
    {
        await using var app = await StartAsync("retry");
        using var http = Client();
        async Task<HttpResponseMessage> Probe(string? hash)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{app.Port}/");
            request.Headers.TryAddWithoutValidation("K-Network-Probe", "probe");
            if (hash is not null) request.Headers.TryAddWithoutValidation("K-Network-Hash", hash);
            return await http.SendAsync(request);
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await Probe(null)).StatusCode);
        var ok = await Probe("abc");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("abc", ok.Headers.GetValues("K-Network-Hash").Single());
        // The flaky app's counter was not touched by the probes: its first real request still fails.
        var first = await http.GetAsync($"http://127.0.0.1:{app.Port}/");
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "Retry 1"), (first.StatusCode, await first.Content.ReadAsStringAsync()));
        var second = await http.GetAsync($"http://127.0.0.1:{app.Port}/");
        Assert.Equal((HttpStatusCode.OK, "Retry 2"), (second.StatusCode, await second.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Timeout_sends_headers_after_initialTimeout_and_the_body_after_timeout()
    {
        await using var app = await StartAsync("timeout");
        using var http = Client();
        using var response = await http.GetAsync($"http://127.0.0.1:{app.Port}/?initialTimeout=50&timeout=100", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Slept for 150 milliseconds", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Wsserver_echoes_with_a_space_and_the_suffix()
    {
        await using var app = await StartAsync("wsserver", new() { ["SUFFIX"] = "- pong" });
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{app.Port}/"), CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("ping -1"), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[1024];
        var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal("ping -1 - pong", Encoding.UTF8.GetString(buffer, 0, result.Count));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task Grpc_ping_answers_unary_calls_over_h2c_only()
    {
        await using var app = await StartAsync("grpc-ping", new() { ["SUFFIX"] = "- pong" });
        using var http = Client();
        HttpRequestMessage Call(Version version) => new(HttpMethod.Post, $"http://127.0.0.1:{app.Port}{GrpcPingProtocol.PingPath}")
        {
            Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(GrpcPingProtocol.Frame(GrpcPingProtocol.EncodeMsg("hello")))
            {
                Headers = { { "Content-Type", "application/grpc" } },
            },
        };
        using var response = await http.SendAsync(Call(HttpVersion.Version20));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new GrpcMessageReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("hello- pong", GrpcPingProtocol.DecodeMsg(await reader.ReadAsync(CancellationToken.None)));
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        using var http1 = await http.SendAsync(Call(HttpVersion.Version11));
        Assert.Equal(HttpStatusCode.HttpVersionNotSupported, http1.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ping -42")]
    [InlineData("a message longer than one hundred and twenty seven bytes, so that its length needs two varint bytes: ..........................")]
    public void Ping_messages_round_trip_through_protobuf(string msg) =>
        Assert.Equal(msg, GrpcPingProtocol.DecodeMsg(GrpcPingProtocol.EncodeMsg(msg)));

    [Fact]
    public void Ping_message_decoding_skips_unknown_fields()
    {
        // field 2 varint 150, then field 1 "hi"
        byte[] message = [0x10, 0x96, 0x01, 0x0A, 0x02, (byte)'h', (byte)'i'];
        Assert.Equal("hi", GrpcPingProtocol.DecodeMsg(message));
        Assert.Throws<InvalidDataException>(() => GrpcPingProtocol.DecodeMsg([0x0A, 0x05, (byte)'h']));
    }
}
