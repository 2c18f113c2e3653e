using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Kube.Tests.Fixtures;
using Polly;

namespace Ingress.Kube.Tests;

public sealed class LabelSelectorTests
{
    [Theory]
    [InlineData("", "a=1", true)]
    [InlineData("a=1", "a=1,b=2", true)]
    [InlineData("a==1", "a=1", true)]
    [InlineData("a=1", "a=2", false)]
    [InlineData("a!=1", "a=2", true)]
    [InlineData("a!=1", "", true)]
    [InlineData("a in (1, 2)", "a=2", true)]
    [InlineData("a in (1,2)", "a=3", false)]
    [InlineData("a notin (1,2)", "a=3", true)]
    [InlineData("a notin (1,2)", "", true)]
    [InlineData("a", "a=x", true)]
    [InlineData("a", "b=x", false)]
    [InlineData("!a", "b=x", true)]
    [InlineData("a=1,b in (x,y),!c", "a=1,b=y", true)]
    [InlineData("a=1,b in (x,y),!c", "a=1,b=y,c=z", false)]
    public void Matches(string selector, string labels, bool expected)
    {
        var dict = labels.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(dict));
    }

    [Fact]
    public void Bad_selectors_are_rejected()
    {
        Assert.Throws<FormatException>(() => LabelSelector.Parse("a b"));
        Assert.Throws<FormatException>(() => LabelSelector.Parse("a within (x)"));
    }
}

public sealed class DecodingTests
{
    private static async Task<List<string>> Frames(params string[] chunks)
    {
        var stream = new ChunkedStream(chunks.Select(Encoding.UTF8.GetBytes).ToArray());
        var result = new List<string>();
        await foreach (var f in JsonFrames.ReadAsync(stream, CancellationToken.None)) result.Add(Encoding.UTF8.GetString(f.Span));
        return result;
    }

    [Fact]
    public async Task Watch_frames_split_on_value_boundaries_whatever_the_chunking()
    {
        Assert.Equal(["{\"a\":1}", "{\"b\":\"}{\"}"], await Frames("{\"a\":1}\n{\"b\":\"}{\"}\n"));
        Assert.Equal(["{\"a\":1}", "{\"b\":2}"], await Frames("{\"a\"", ":1}{\"b", "\":2}")); // no separator, split mid-token
        Assert.Equal(["{\"a\":[1,2]}"], await Frames("  {\"a\":[1,", "2]}\n", "{\"trunc")); // a truncated tail is dropped
        var big = "{\"x\":\"" + new string('y', 40_000) + "\"}";
        Assert.Equal([big], await Frames(big[..100], big[100..30_000], big[30_000..]));
    }

    private sealed class ChunkedStream(byte[][] chunks) : Stream
    {
        private int _i;
        private int _offset;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (_i == chunks.Length) return ValueTask.FromResult(0);
            var c = chunks[_i].AsSpan(_offset);
            var n = Math.Min(c.Length, buffer.Length);
            c[..n].CopyTo(buffer.Span);
            _offset += n;
            if (_offset == chunks[_i].Length) { _i++; _offset = 0; }
            return ValueTask.FromResult(n);
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long o, SeekOrigin s) => throw new NotSupportedException();
        public override void SetLength(long v) => throw new NotSupportedException();
        public override void Write(byte[] b, int o, int c) => throw new NotSupportedException();
    }

    [Fact]
    public void Header_reads_identity_labels_owners_finalizers()
    {
        using var doc = JsonDocument.Parse("""
            {"metadata":{"name":"n","namespace":"ns","uid":"u","resourceVersion":"7","generation":3,"deletionTimestamp":"2026-01-01T00:00:00Z",
             "labels":{"a":"b"},"finalizers":["f"],"ownerReferences":[{"apiVersion":"g/v1","kind":"K","name":"o","uid":"ou","controller":true}]}}
            """);
        var h = ObjectHeader.From(doc.RootElement);
        Assert.Equal("ns/n", h.Key);
        Assert.Equal(("ns", "n"), ObjectKey.Split(h.Key));
        Assert.Equal((null, "cluster-thing"), ObjectKey.Split("cluster-thing"));
        Assert.Equal(3, h.Generation);
        Assert.True(h.IsBeingDeleted);
        Assert.Equal("b", h.Labels["a"]);
        Assert.Equal(["f"], h.Finalizers);
        Assert.Equal(new OwnerReference("g/v1", "K", "o", "ou", true), Assert.Single(h.OwnerReferences));
        Assert.Equal("", ObjectHeader.From(JsonNode.Parse("{}")).Name);
    }

    [Theory]
    [InlineData(404, null, KubeErrorReason.NotFound)]
    [InlineData(409, "AlreadyExists", KubeErrorReason.AlreadyExists)]
    [InlineData(409, null, KubeErrorReason.Conflict)]
    [InlineData(410, null, KubeErrorReason.Gone)]
    [InlineData(200, "Expired", KubeErrorReason.Gone)]
    [InlineData(422, null, KubeErrorReason.Invalid)]
    [InlineData(429, null, KubeErrorReason.TooManyRequests)]
    [InlineData(503, null, KubeErrorReason.ServiceUnavailable)]
    [InlineData(502, null, KubeErrorReason.InternalError)]
    [InlineData(504, null, KubeErrorReason.Timeout)]
    [InlineData(415, null, KubeErrorReason.UnsupportedMediaType)]
    [InlineData(418, null, KubeErrorReason.Unknown)]
    public void Classification(int code, string? reason, KubeErrorReason expected) => Assert.Equal(expected, KubeApiException.Classify(code, reason));

    [Theory]
    [InlineData(true, 500, false, true)]
    [InlineData(false, 500, false, false)]
    [InlineData(false, 503, true, true)]
    [InlineData(false, 429, false, true)]
    [InlineData(true, 404, false, false)]
    [InlineData(false, 409, false, false)]
    [InlineData(true, 501, false, false)]
    public void Retry_rule_for_answers(bool isRead, int code, bool retryAfter, bool expected)
    {
        var response = new HttpResponseMessage((HttpStatusCode)code);
        if (retryAfter) response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(1));
        Assert.Equal(expected, KubeClient.IsRetryable(Outcome.FromResult(response), isRead));
    }

    [Fact]
    public void Retry_rule_for_transport_failures()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "refused");
        var reset = new HttpRequestException(HttpRequestError.ResponseEnded, "reset");
        Assert.True(KubeClient.IsRetryable(Outcome.FromException<HttpResponseMessage>(refused), isRead: false)); // never sent
        Assert.False(KubeClient.IsRetryable(Outcome.FromException<HttpResponseMessage>(reset), isRead: false)); // may have been processed
        Assert.True(KubeClient.IsRetryable(Outcome.FromException<HttpResponseMessage>(reset), isRead: true));
        Assert.False(KubeClient.IsRetryable(Outcome.FromException<HttpResponseMessage>(new TimeoutException()), isRead: false));
        Assert.False(KubeClient.IsRetryable(Outcome.FromException<HttpResponseMessage>(new OperationCanceledException()), isRead: true));
    }
}

public sealed class ConditionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ConditionSet Set = new(Conditions.Ready, "A", "B");

    [Fact]
    public void Ready_follows_dependents()
    {
        var status = new JsonObject();
        Set.Initialize(status, T0);
        Assert.Equal(ConditionStatus.Unknown, Conditions.StatusOf(status, Conditions.Ready));
        Set.MarkTrue(status, "A", T0);
        Assert.Equal(ConditionStatus.Unknown, Conditions.StatusOf(status, Conditions.Ready));
        Set.MarkTrue(status, "B", T0);
        Assert.True(Set.IsHappy(status));
        Set.MarkFalse(status, "A", "Broken", "a is broken", T0.AddMinutes(1));
        var ready = Conditions.Get(status, Conditions.Ready)!;
        Assert.Equal("False", (string?)ready["status"]);
        Assert.Equal("Broken", (string?)ready["reason"]);
        Set.MarkUnknown(status, "B", "Waiting", "b waits", T0.AddMinutes(2));
        Assert.Equal(ConditionStatus.False, Conditions.StatusOf(status, Conditions.Ready)); // A still False
        Assert.Equal(["A", "B", "Ready"], status["conditions"]!.AsArray().Select(c => (string)c!["type"]!).ToArray());
    }

    [Fact]
    public void Transition_time_changes_only_with_status()
    {
        var status = new JsonObject();
        Assert.True(Conditions.Set(status, "X", ConditionStatus.True, null, null, T0));
        Assert.False(Conditions.Set(status, "X", ConditionStatus.True, null, null, T0.AddHours(1)));
        Assert.True(Conditions.Set(status, "X", ConditionStatus.True, "R", "m", T0.AddHours(1)));
        Assert.Equal("2026-01-01T00:00:00Z", (string?)Conditions.Get(status, "X")!["lastTransitionTime"]);
        Conditions.Set(status, "X", ConditionStatus.False, "R", "m", T0.AddHours(2));
        Assert.Equal("2026-01-01T02:00:00Z", (string?)Conditions.Get(status, "X")!["lastTransitionTime"]);
    }
}

public sealed class ConnectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubecfg").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    [Fact]
    public void Kubeconfig_current_context_token_namespace_and_ca_file()
    {
        var (caPem, _) = Tls.SelfSignedPem("test-ca");
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), caPem);
        var path = Path.Combine(_dir, "config");
        File.WriteAllText(path, """
            apiVersion: v1
            kind: Config
            current-context: dev
            contexts:
            - name: other
              context: {cluster: c2, user: u2}
            - name: dev
              context: {cluster: c1, user: u1, namespace: team-a}
            clusters:
            - name: c1
              cluster: {server: "https://10.0.0.1:6443", certificate-authority: ca.crt}
            - name: c2
              cluster: {server: "https://10.0.0.2:6443", insecure-skip-tls-verify: true}
            users:
            - name: u1
              user: {token: abc}
            - name: u2
              user: {tokenFile: tok}
            """);
        var c = KubeConnection.FromKubeconfig(path);
        Assert.Equal(new Uri("https://10.0.0.1:6443"), c.Server);
        Assert.Equal("abc", c.BearerToken);
        Assert.Equal("team-a", c.Namespace);
        Assert.Single(c.CertificateAuthorities!);
        Assert.False(c.InsecureSkipTlsVerify);

        var other = KubeConnection.FromKubeconfig(path, "other");
        Assert.True(other.InsecureSkipTlsVerify);
        Assert.Equal(Path.Combine(_dir, "tok"), other.BearerTokenFile);
        Assert.Throws<InvalidOperationException>(() => KubeConnection.FromKubeconfig(path, "nope"));

        var overridden = KubeConnection.Resolve(path, "http://127.0.0.1:9");
        Assert.Equal(new Uri("http://127.0.0.1:9"), overridden.Server);
        Assert.Equal("abc", overridden.BearerToken);
    }

    [Fact]
    public void In_cluster_reads_environment_token_ca_and_namespace()
    {
        var (caPem, _) = Tls.SelfSignedPem("cluster-ca");
        File.WriteAllText(Path.Combine(_dir, "token"), "t1\n");
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), caPem);
        File.WriteAllText(Path.Combine(_dir, "namespace"), "knative-serving");
        var env = new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "10.96.0.1", ["KUBERNETES_SERVICE_PORT"] = "443" };
        var c = KubeConnection.InCluster(_dir, k => env.GetValueOrDefault(k));
        Assert.Equal(new Uri("https://10.96.0.1:443"), c.Server);
        Assert.Equal(Path.Combine(_dir, "token"), c.BearerTokenFile);
        Assert.Equal("knative-serving", c.Namespace);
        Assert.Single(c.CertificateAuthorities!);
        Assert.Throws<InvalidOperationException>(() => KubeConnection.InCluster(_dir, _ => null));
        // Resolve with neither flag means in-cluster; the test host is not in a cluster.
        if (Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") is null)
        {
            var ex = Assert.Throws<InvalidOperationException>(() => KubeConnection.Resolve(null, null));
            Assert.Contains("--kubeconfig", ex.Message);
        }
    }

    [Fact]
    public async Task A_rotated_token_file_is_picked_up_after_a_401()
    {
        await using var server = await FakeApiServer.StartAsync();
        var tokenFile = Path.Combine(_dir, "token");
        File.WriteAllText(tokenFile, "old-token");
        using var client = new KubeClient(new KubeConnection { Server = server.Url, BearerTokenFile = tokenFile });
        await client.Dynamic(ResourceDescriptor.ConfigMaps).TryGetAsync("default", "x");
        Assert.Equal("Bearer old-token", server.AuthorizationHeaders.Last());

        File.WriteAllText(tokenFile, "new-token");
        server.AddFault(new FaultRule { Match = r => r.Headers.Authorization == "Bearer old-token", Status = 401, Reason = "Unauthorized", Times = 1 });
        await client.Dynamic(ResourceDescriptor.ConfigMaps).TryGetAsync("default", "x");
        Assert.Equal("Bearer new-token", server.AuthorizationHeaders.Last());
    }

    [Fact]
    public async Task Kubeconfig_with_ca_and_client_certificate_talks_tls_to_a_server_requiring_client_certs()
    {
        await using var tls = await Tls.StartServerAsync();
        var path = Path.Combine(_dir, "config");
        File.WriteAllText(path, $$"""
            apiVersion: v1
            kind: Config
            current-context: tls
            contexts:
            - name: tls
              context: {"cluster": "c", "user": "u"}
            clusters:
            - name: c
              cluster: {"server": "{{tls.Url}}", "certificate-authority-data": "{{B64(tls.CaPem)}}"}
            users:
            - name: u
              user: {"client-certificate-data": "{{B64(tls.ClientCertPem)}}", "client-key-data": "{{B64(tls.ClientKeyPem)}}"}
            """);
        using var client = new KubeClient(KubeConnection.FromKubeconfig(path), new KubeClientOptions { MaxRetries = 0 });
        var got = await client.Dynamic(ResourceDescriptor.ConfigMaps).GetAsync("default", "hello");
        Assert.Equal("CN=test-client", (string?)got["data"]!["clientSubject"]);

        // Without the CA the server's certificate is not trusted.
        using var untrusting = new KubeClient(KubeConnection.FromServer(new Uri(tls.Url)), new KubeClientOptions { MaxRetries = 0 });
        await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.Dynamic(ResourceDescriptor.ConfigMaps).GetAsync("default", "hello"));

        // insecure-skip-tls-verify trusts anything (the server still wants a client certificate, so it refuses us: 401).
        using var insecure = new KubeClient(new KubeConnection { Server = new Uri(tls.Url), InsecureSkipTlsVerify = true }, new KubeClientOptions { MaxRetries = 0 });
        await Assert.ThrowsAsync<UnauthorizedException>(() => insecure.Dynamic(ResourceDescriptor.ConfigMaps).GetAsync("default", "hello"));
    }
}
