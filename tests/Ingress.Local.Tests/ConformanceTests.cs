using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Ingress.Api;
using Ingress.Local.Samples;
using Ingress.Networking.Resources;
using KIngress = Ingress.Api.Networking.V1Alpha1.Ingress;

namespace Ingress.Local.Tests;

/// <summary>
/// Knative's KIngress conformance scenarios that need no TLS (shared/reference/conformance.md §5), run against
/// <c>ingress up</c>: each KIngress is applied directly with kubectl (class istio.ingress.networking.knative.dev), the
/// Istio controller turns it into VirtualServices, the real prober probes the local gateway until Ready, and the
/// requests go through the local gateway to built-in test images (runtime, timeout, retry, wsserver, grpc-ping). Test
/// names are the suite's keys. Where the suite reaches a cluster-local host through an in-cluster proxy pod, these
/// tests call the cluster-local gateway listener directly (the hop a proxy pod would make).
/// </summary>
[Collection(LocalUpCollection.Name)]
public sealed class ConformanceTests(LocalUpFixture up)
{
    private async Task<ConformanceScenario> ScenarioAsync(string name)
    {
        var s = new ConformanceScenario(up, name);
        await s.CreateNamespaceAsync();
        return s;
    }

    private static Dictionary<string, string> H(string name, string value) => new() { [name] = value };

    [Fact]
    public async Task Basics()
    {
        var s = await ScenarioAsync("basics");
        var backend = await s.CreateRuntimeAsync(s.Name("basics"));
        var host = backend.Name + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(backend.Name, ConformanceScenario.Rule([host], [ConformanceScenario.Path([s.Split(backend)])])));
        var request = await s.RuntimeRequestAsync(host);
        Assert.Equal(host, request.Host);
        Assert.Equal("GET", request.Method);
        Assert.Equal(1, request.ProtoMajor);
    }

    [Fact]
    public async Task Basics_http2_backend_is_spoken_to_in_h2c()
    {
        var s = await ScenarioAsync("basics-http2");
        var backend = await s.CreateRuntimeAsync(s.Name("basics-http2"), "http2", "kubernetes.io/h2c");
        var host = backend.Name + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(backend.Name, ConformanceScenario.Rule([host], [ConformanceScenario.Path([s.Split(backend)])])));
        Assert.Equal(2, (await s.RuntimeRequestAsync(host)).ProtoMajor);
    }

    [Fact]
    public async Task Headers_pre_split_are_set_not_appended()
    {
        var s = await ScenarioAsync("pre-split");
        var backend = await s.CreateRuntimeAsync(s.Name("pre-split"));
        var host = backend.Name + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(backend.Name, ConformanceScenario.Rule([host],
            [ConformanceScenario.Path([s.Split(backend)], appendHeaders: H("Foo-Bar-Baz", backend.Name))])));
        Assert.Equal(backend.Name, (await s.RuntimeRequestAsync(host)).Header("Foo-Bar-Baz"));
        Assert.Equal(backend.Name, (await s.RuntimeRequestAsync(host, headers: H("Foo-Bar-Baz", "bogus"))).Header("Foo-Bar-Baz"));
    }

    [Fact]
    public async Task Headers_post_split_are_set_per_backend()
    {
        var s = await ScenarioAsync("post-split");
        var names = Enumerable.Range(0, 4).Select(_ => s.Name("post-split")).ToArray();
        var backends = await s.CreateBackendsAsync([.. names.Select(n => (n, "runtime", "http", (string?)null, (IReadOnlyDictionary<string, string>?)null))]);
        var host = s.Name("post-split") + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(s.Name("post-split"), ConformanceScenario.Rule([host],
            [ConformanceScenario.Path([.. backends.Select(b => s.Split(b, 25, H("Foo-Bar-Baz", b.Name)))])])));
        foreach (var sent in new Dictionary<string, string>[] { [], H("Foo-Bar-Baz", "bogus") })
        {
            var seen = new HashSet<string>();
            for (var i = 0; i < 100 && seen.Count < names.Length; i++)
                seen.Add((await s.RuntimeRequestAsync(host, headers: sent)).Header("Foo-Bar-Baz"));
            Assert.Equal(names.Order(), seen.Order());
        }
    }

    [Fact]
    public async Task Headers_probe_hash_is_injected_on_override_and_passed_through_otherwise()
    {
        var s = await ScenarioAsync("probe");
        var backend = await s.CreateRuntimeAsync(s.Name("probe"));
        var host = backend.Name + "." + ConformanceScenario.Domain;
        var ready = await s.CreateIngressReadyAsync(s.Ingress(backend.Name, ConformanceScenario.Rule([host], [ConformanceScenario.Path([s.Split(backend)])])));
        var typed = KubeJson.FromNode<KIngress>(ready);
        var hash = IngressHash.Compute(typed.Spec, typed.Metadata.Namespace, typed.Metadata.Name);

        var generated = await up.GetAsync(up.GatewayPort, host, headers: [new("K-Network-Probe", "probe"), new("K-Network-Hash", "override")]);
        Assert.Equal(200, generated.Status);
        Assert.Equal(hash, generated.Hash);
        const string own = "2701a1b241db6af811992c57a5e11171847148ac3d2e1a8cc992a62f9e4fa111";
        var passed = await up.GetAsync(up.GatewayPort, host, headers: [new("K-Network-Probe", "probe"), new("K-Network-Hash", own)]);
        Assert.Equal(200, passed.Status);
        Assert.Equal(own, passed.Hash);
    }

    [Fact]
    public async Task Hosts_multiple_all_route()
    {
        var s = await ScenarioAsync("hosts");
        var backend = await s.CreateRuntimeAsync(s.Name("hosts"));
        string[] hosts =
        [
            backend.Name + ".foo.com", backend.Name + ".www.foo.com",
            backend.Name + ".a-b-1.something-really-really-long.knative.dev", backend.Name + ".add.your.interesting.domain.here.io",
        ];
        await s.CreateIngressReadyAsync(s.Ingress(backend.Name, ConformanceScenario.Rule(hosts, [ConformanceScenario.Path([s.Split(backend)])])));
        foreach (var host in hosts) Assert.Equal(host, (await s.RuntimeRequestAsync(host)).Host);
    }

    /// <summary>foo, bar, baz and a catch-all main, each with its Which-Backend header, as dispatch/path lays them out.</summary>
    private static async Task<(string[] Names, JsonObject[] Paths)> PathLayoutAsync(ConformanceScenario s)
    {
        var names = new[] { s.Name("foo"), s.Name("bar"), s.Name("baz"), s.Name("main") };
        var backends = await s.CreateBackendsAsync([.. names.Select(n => (n, "runtime", "http", (string?)null, (IReadOnlyDictionary<string, string>?)null))]);
        var paths = new[]
        {
            ConformanceScenario.Path([s.Split(backends[0], 100, H("Which-Backend", names[0]))], "/foo"),
            ConformanceScenario.Path([s.Split(backends[1], 100, H("Which-Backend", names[1]))], "/bar"),
            ConformanceScenario.Path([s.Split(backends[2], 100, H("Which-Backend", names[2]))], "/baz"),
            ConformanceScenario.Path([s.Split(backends[3], 100, H("Which-Backend", names[3]))]),
        };
        return (names, paths);
    }

    private static readonly (string Path, int Backend)[] PathExpectations = [("/foo", 0), ("/bar", 1), ("/baz", 2), ("/", 3), ("/asdf", 3)];

    [Fact]
    public async Task Dispatch_path_first_matching_prefix_wins()
    {
        var s = await ScenarioAsync("path");
        var (names, paths) = await PathLayoutAsync(s);
        var host = names[3] + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(names[3], ConformanceScenario.Rule([host], paths)));
        foreach (var (path, backend) in PathExpectations)
            Assert.Equal(names[backend], (await s.RuntimeRequestAsync(host, path)).Header("Which-Backend"));
    }

    /// <summary>1,000 GETs, 8 at a time; counts the values of <paramref name="header"/> the backends saw.</summary>
    private static async Task<ConcurrentDictionary<string, int>> CountAsync(ConformanceScenario s, string host, string path, string header, int port)
    {
        var counts = new ConcurrentDictionary<string, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 1000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
        {
            var request = await s.RuntimeRequestAsync(host, path, port: port);
            counts.AddOrUpdate(request.Header(header), 1, (_, n) => n + 1);
        });
        return counts;
    }

    private static readonly int[] Weights = [1, 2, 4, 8, 16, 32, 37, 0, 0, 0];

    /// <summary>The 10 weighted splits of dispatch/percentage (and visibility/split): 0 % splits written without percent.</summary>
    private static async Task<(string[] Names, JsonObject Path)> PercentageLayoutAsync(ConformanceScenario s)
    {
        var names = Weights.Select(_ => s.Name("percentage")).ToArray();
        var backends = await s.CreateBackendsAsync([.. names.Select(n => (n, "runtime", "http", (string?)null, (IReadOnlyDictionary<string, string>?)null))]);
        var splits = backends.Select((b, i) => s.Split(b, Weights[i] == 0 ? null : Weights[i], H("Foo-Bar-Baz", b.Name))).ToArray();
        return (names, ConformanceScenario.Path(splits));
    }

    private static void AssertDistribution(string[] names, ConcurrentDictionary<string, int> counts)
    {
        var summary = string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}"));
        for (var i = 0; i < names.Length; i++)
        {
            var got = counts.GetValueOrDefault(names[i]) / 10.0;
            if (Weights[i] == 0) Assert.True(got == 0, $"0 % backend {names[i]} got {got} %: {summary}");
            else Assert.True(Math.Abs(got - Weights[i]) <= 10, $"backend {names[i]} wants {Weights[i]} %, got {got} %: {summary}");
        }
    }

    [Fact]
    public async Task Dispatch_percentage_follows_the_weights()
    {
        var s = await ScenarioAsync("percentage");
        var (names, path) = await PercentageLayoutAsync(s);
        var host = s.Name("percentage") + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(s.Name("percentage"), ConformanceScenario.Rule([host], [path])));
        AssertDistribution(names, await CountAsync(s, host, "/", "Foo-Bar-Baz", up.GatewayPort));
    }

    [Fact]
    public async Task Dispatch_path_and_percentage_split_only_the_matched_path()
    {
        var s = await ScenarioAsync("path-percentage");
        var names = new[] { s.Name("foo"), s.Name("bar"), s.Name("main") };
        var b = await s.CreateBackendsAsync([.. names.Select(n => (n, "runtime", "http", (string?)null, (IReadOnlyDictionary<string, string>?)null))]);
        var host = names[2] + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(names[2], ConformanceScenario.Rule([host],
        [
            ConformanceScenario.Path([s.Split(b[0], 50, H("Which-Backend", names[0])), s.Split(b[1], 50, H("Which-Backend", names[1]))], "/foo"),
            ConformanceScenario.Path([s.Split(b[2], 100, H("Which-Backend", names[2]))]),
        ])));
        var counts = await CountAsync(s, host, "/foo", "Which-Backend", up.GatewayPort);
        var summary = string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}"));
        Assert.True(counts.Keys.All(k => k == names[0] || k == names[1]), summary);
        foreach (var name in names[..2]) Assert.InRange(counts.GetValueOrDefault(name), 350, 650);
    }

    [Fact]
    public async Task Dispatch_rule_routes_by_host()
    {
        var s = await ScenarioAsync("rule");
        var names = new[] { s.Name("foo"), s.Name("bar") };
        var b = await s.CreateBackendsAsync([.. names.Select(n => (n, "runtime", "http", (string?)null, (IReadOnlyDictionary<string, string>?)null))]);
        var hosts = names.Select(n => n + "." + ConformanceScenario.Domain).ToArray();
        await s.CreateIngressReadyAsync(s.Ingress(names[0],
            ConformanceScenario.Rule([hosts[0]], [ConformanceScenario.Path([s.Split(b[0])], appendHeaders: H("Foo-Bar-Baz", names[0]))]),
            ConformanceScenario.Rule([hosts[1]], [ConformanceScenario.Path([s.Split(b[1])], appendHeaders: H("Foo-Bar-Baz", names[1]))])));
        Assert.Equal(names[0], (await s.RuntimeRequestAsync(hosts[0])).Header("Foo-Bar-Baz"));
        Assert.Equal(names[1], (await s.RuntimeRequestAsync(hosts[1])).Header("Foo-Bar-Baz"));
    }

    [Fact]
    public async Task Headers_tags_route_on_an_exact_Knative_Serving_Tag()
    {
        var s = await ScenarioAsync("tags");
        var backend = await s.CreateRuntimeAsync(s.Name("tags"));
        var host = backend.Name + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(backend.Name, ConformanceScenario.Rule([host],
        [
            ConformanceScenario.Path([s.Split(backend)], appendHeaders: H("Which-Backend", "tag"), exactHeaders: H("Knative-Serving-Tag", "the-tag")),
            ConformanceScenario.Path([s.Split(backend)], appendHeaders: H("Which-Backend", "no-tag")),
        ])));
        Assert.Equal("tag", (await s.RuntimeRequestAsync(host, headers: H("Knative-Serving-Tag", "the-tag"))).Header("Which-Backend"));
        Assert.Equal("no-tag", (await s.RuntimeRequestAsync(host)).Header("Which-Backend"));
        Assert.Equal("no-tag", (await s.RuntimeRequestAsync(host, headers: H("Knative-Serving-Tag", ""))).Header("Which-Backend"));
        Assert.Equal("no-tag", (await s.RuntimeRequestAsync(host, headers: H("Knative-Serving-Tag", "not-the-tag"))).Header("Which-Backend"));
    }

    [Fact]
    public async Task Retry_is_not_done_by_the_ingress()
    {
        var s = await ScenarioAsync("retry");
        var backend = (await s.CreateBackendsAsync((s.Name("retry"), "retry", "http2", null, null)))[0];
        var host = backend.Name + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(backend.Name, ConformanceScenario.Rule([host], [ConformanceScenario.Path([s.Split(backend)])])));
        Assert.Equal(503, (await up.GetAsync(up.GatewayPort, host)).Status);
        Assert.Equal(200, (await up.GetAsync(up.GatewayPort, host)).Status);
    }

    [Fact]
    public async Task Timeout_is_not_imposed_by_the_ingress()
    {
        var s = await ScenarioAsync("timeout");
        var backend = (await s.CreateBackendsAsync((s.Name("timeout"), "timeout", "http", null, null)))[0];
        var host = backend.Name + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(backend.Name, ConformanceScenario.Rule([host], [ConformanceScenario.Path([s.Split(backend)])])));
        var answers = await Task.WhenAll(
            up.GetAsync(up.GatewayPort, host, "/?initialTimeout=0&timeout=0"),
            up.GetAsync(up.GatewayPort, host, "/?initialTimeout=10000&timeout=0"),
            up.GetAsync(up.GatewayPort, host, "/?initialTimeout=0&timeout=10000"));
        Assert.All(answers, a => Assert.Equal(200, a.Status));
        Assert.Equal("Slept for 10000 milliseconds", answers[2].Body);
    }

    [Fact]
    public async Task Visibility_cluster_local_hosts_are_served_on_the_local_gateway_only()
    {
        var s = await ScenarioAsync("visibility");
        var backend = await s.CreateRuntimeAsync(s.Name("visibility"));
        string[] hosts =
        [
            $"{s.Name("a")}.{s.Namespace}.svc.{ConformanceScenario.ClusterSuffix}",
            $"{s.Name("b")}.{s.Namespace}.svc",
            $"{s.Name("c")}.{s.Namespace}",
        ];
        var ready = await s.CreateIngressReadyAsync(s.Ingress(backend.Name, ConformanceScenario.Rule(hosts, [ConformanceScenario.Path([s.Split(backend)])], "ClusterLocal")));
        Assert.Equal($"knative-local-gateway.istio-system.svc.{ConformanceScenario.ClusterSuffix}",
            ready["status"]?["privateLoadBalancer"]?["ingress"]?[0]?["domainInternal"]?.GetValue<string>());
        foreach (var host in hosts)
        {
            Assert.Equal(404, (await up.GetAsync(up.GatewayPort, host)).Status);
            Assert.Equal(host, (await s.RuntimeRequestAsync(host, port: up.LocalGatewayPort)).Host);
        }
    }

    [Fact]
    public async Task Visibility_path_routes_cluster_local_paths_on_the_local_gateway()
    {
        var s = await ScenarioAsync("visibility-path");
        var (names, paths) = await PathLayoutAsync(s);
        var host = $"{s.Name("x")}.{s.Namespace}.svc.{ConformanceScenario.ClusterSuffix}";
        await s.CreateIngressReadyAsync(s.Ingress(names[3], ConformanceScenario.Rule([host], paths, "ClusterLocal")));
        foreach (var path in new[] { "/", "/foo", "/bar", "/baz" }) Assert.Equal(404, (await up.GetAsync(up.GatewayPort, host, path)).Status);
        foreach (var (path, backend) in PathExpectations)
            Assert.Equal(names[backend], (await s.RuntimeRequestAsync(host, path, port: up.LocalGatewayPort)).Header("Which-Backend"));
    }

    [Fact]
    public async Task Visibility_split_follows_the_weights_on_the_local_gateway()
    {
        var s = await ScenarioAsync("visibility-split");
        var (names, path) = await PercentageLayoutAsync(s);
        var host = $"{s.Name("x")}.{s.Namespace}.svc.{ConformanceScenario.ClusterSuffix}";
        await s.CreateIngressReadyAsync(s.Ingress(s.Name("visibility-split"), ConformanceScenario.Rule([host], [path], "ClusterLocal")));
        Assert.Equal(404, (await up.GetAsync(up.GatewayPort, host)).Status);
        AssertDistribution(names, await CountAsync(s, host, "/", "Foo-Bar-Baz", up.LocalGatewayPort));
    }

    [Fact]
    public async Task Host_rewrite_reaches_a_cluster_local_route_through_an_ExternalName_service()
    {
        var s = await ScenarioAsync("rewrite");
        var backend = await s.CreateRuntimeAsync(s.Name("rewrite"));
        var privateName = s.Name("private");
        var privateHost = $"{privateName}.{s.Namespace}.svc.{ConformanceScenario.ClusterSuffix}";
        var a = await s.CreateIngressReadyAsync(s.Ingress(privateName, ConformanceScenario.Rule([privateHost], [ConformanceScenario.Path([s.Split(backend)])], "ClusterLocal")));
        var domainInternal = a["status"]!["privateLoadBalancer"]!["ingress"]![0]!["domainInternal"]!.GetValue<string>();
        await up.ApplyAsync(ConformanceScenario.Obj($$$"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{privateName}}}","namespace":"{{{s.Namespace}}}"},
             "spec":{"type":"ExternalName","externalName":"{{{domainInternal}}}","sessionAffinity":"None",
                     "ports":[{"name":"http2","port":80,"targetPort":80}]}}
            """));
        string[] vanity = [backend.Name + ".vanity.ismy.name", backend.Name + ".vanity.isalsomy.number"];
        await s.CreateIngressReadyAsync(s.Ingress(backend.Name, ConformanceScenario.Rule(vanity,
            [ConformanceScenario.Path([s.Split(new Backend(privateName, 80))], rewriteHost: privateHost)])));
        foreach (var host in vanity) Assert.Equal(privateHost, (await s.RuntimeRequestAsync(host)).Host);
    }

    [Fact]
    public async Task Ingressclass_other_or_missing_classes_are_left_alone()
    {
        var s = await ScenarioAsync("ingressclass");
        var backend = await s.CreateRuntimeAsync(s.Name("ingressclass"));
        var rule = ConformanceScenario.Rule([backend.Name + "." + ConformanceScenario.Domain], [ConformanceScenario.Path([s.Split(backend)])]);
        var cases = new Dictionary<string, JsonObject?>
        {
            ["nil"] = null,
            ["omitted"] = new JsonObject(),
            ["incorrect"] = new JsonObject { ["networking.knative.dev/ingress.class"] = "incorrect" },
            ["empty"] = new JsonObject { ["networking.knative.dev/ingress.class"] = "" },
        };
        var client = up.Client.Dynamic(ConformanceScenario.Ingresses);
        var created = new Dictionary<string, JsonObject>();
        foreach (var (label, annotations) in cases)
        {
            var ingress = s.Ingress(s.Name(label), rule);
            var metadata = ingress["metadata"]!.AsObject();
            metadata.Remove("annotations");
            if (annotations is not null) metadata["annotations"] = annotations;
            created[label] = await client.CreateAsync(ingress);
        }
        // The suite waits 2 s. Here the signal that the controller has looked: an ingress of our class created after
        // them (same informer, same event order) has been reconciled to Ready, probing included.
        await s.CreateIngressReadyAsync(s.Ingress(s.Name("ours"), rule));
        foreach (var (label, before) in created)
        {
            var after = await client.GetAsync(s.Namespace, before["metadata"]!["name"]!.GetValue<string>());
            Assert.True(JsonNode.DeepEquals(before, after), $"{label}: the KIngress was touched: {before.ToJsonString()} -> {after.ToJsonString()}");
        }
    }

    /// <summary>A WebSocket to the public gateway with the given Host.</summary>
    private async Task<ClientWebSocket> DialWebSocketAsync(string host)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Host", host);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{up.GatewayPort}/"), timeout.Token);
        return socket;
    }

    private static async Task<string> RoundTripAsync(ClientWebSocket socket, string message)
    {
        using var timeout = new CancellationTokenSource(LocalUpFixture.Deadline);
        await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[4096];
        using var received = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            received.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return Encoding.UTF8.GetString(received.ToArray());
        }
    }

    private static async Task CloseAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token); }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { }
        socket.Dispose();
    }

    [Fact]
    public async Task Websocket_echoes_through_the_gateway()
    {
        var s = await ScenarioAsync("websocket");
        var backend = (await s.CreateBackendsAsync((s.Name("websocket"), "wsserver", "http", null, H("SUFFIX", "- pong"))))[0];
        var host = backend.Name + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(backend.Name, ConformanceScenario.Rule([host], [ConformanceScenario.Path([s.Split(backend)])])));
        var socket = await DialWebSocketAsync(host);
        for (var i = 0; i < 100; i++) Assert.Equal($"ping -{i} - pong", await RoundTripAsync(socket, $"ping -{i}"));
        await CloseAsync(socket);
    }

    [Fact]
    public async Task Websocket_split_is_per_connection()
    {
        var s = await ScenarioAsync("websocket-split");
        var b = await s.CreateBackendsAsync(
            (s.Name("blue"), "wsserver", "http", null, H("SUFFIX", "- blue")),
            (s.Name("green"), "wsserver", "http", null, H("SUFFIX", "- green")));
        var host = s.Name("websocket-split") + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(s.Name("websocket-split"), ConformanceScenario.Rule([host], [ConformanceScenario.Path([s.Split(b[0], 50), s.Split(b[1], 50)])])));
        var seen = new HashSet<string>();
        for (var connection = 0; connection < 100 && seen.Count < 2; connection++)
        {
            var socket = await DialWebSocketAsync(host);
            var first = await RoundTripAsync(socket, "ping -0");
            Assert.StartsWith("ping -0 ", first);
            var suffix = first["ping -0 ".Length..];
            Assert.Contains(suffix, new[] { "- blue", "- green" });
            for (var i = 1; i <= 10; i++) Assert.Equal($"ping -{i} {suffix}", await RoundTripAsync(socket, $"ping -{i}"));
            seen.Add(suffix);
            await CloseAsync(socket);
        }
        Assert.Equal(["- blue", "- green"], seen.Order());
    }

    /// <summary>An h2c (prior knowledge) gRPC client for grpc-ping, dialling the public gateway with
    /// <c>:authority</c> <c>host:80</c> as grpc-go's passthrough resolver sends it.</summary>
    private sealed class GrpcPingClient(int gatewayPort, string host) : IDisposable
    {
        private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };

        private HttpRequestMessage Request(string path, HttpContent content)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{gatewayPort}{path}")
            {
                Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact, Content = content,
            };
            request.Headers.Host = host + ":80";
            request.Headers.TryAddWithoutValidation("TE", "trailers");
            content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
            return request;
        }

        public async Task<string> PingAsync(string msg)
        {
            using var request = Request(GrpcPingProtocol.PingPath, new ByteArrayContent(GrpcPingProtocol.Frame(GrpcPingProtocol.EncodeMsg(msg))));
            using var timeout = new CancellationTokenSource(LocalUpFixture.Deadline);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var reader = new GrpcMessageReader(await response.Content.ReadAsStreamAsync(timeout.Token));
            var reply = await reader.ReadAsync(timeout.Token) ?? throw new InvalidOperationException("no reply message");
            Assert.Null(await reader.ReadAsync(timeout.Token));
            Assert.Equal("0", response.TrailingHeaders.TryGetValues("grpc-status", out var status) ? status.First() : null);
            return GrpcPingProtocol.DecodeMsg(reply);
        }

        /// <summary>Opens a PingStream; the returned function sends one message and reads its reply.</summary>
        public async Task<(Func<string, Task<string>> RoundTrip, Func<Task> Close)> OpenStreamAsync()
        {
            var outgoing = Channel.CreateUnbounded<byte[]>();
            var content = new DuplexContent(outgoing.Reader);
            var request = Request(GrpcPingProtocol.PingStreamPath, content);
            var timeout = new CancellationTokenSource(LocalUpFixture.Deadline);
            var responseTask = _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            GrpcMessageReader? reader = null;
            HttpResponseMessage? response = null;
            async Task<string> RoundTrip(string msg)
            {
                await outgoing.Writer.WriteAsync(GrpcPingProtocol.Frame(GrpcPingProtocol.EncodeMsg(msg)), timeout.Token);
                if (reader is null)
                {
                    response = await responseTask;
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    reader = new GrpcMessageReader(await response.Content.ReadAsStreamAsync(timeout.Token));
                }
                var reply = await reader.ReadAsync(timeout.Token) ?? throw new InvalidOperationException("stream ended");
                return GrpcPingProtocol.DecodeMsg(reply);
            }
            async Task Close()
            {
                outgoing.Writer.Complete();
                if (reader is not null) Assert.Null(await reader.ReadAsync(timeout.Token));
                response?.Dispose();
                request.Dispose();
                timeout.Dispose();
            }
            await Task.Yield();
            return (RoundTrip, Close);
        }

        public void Dispose() => _http.Dispose();

        /// <summary>A request body written message by message while the response is read (gRPC bidi streaming).</summary>
        private sealed class DuplexContent(ChannelReader<byte[]> messages) : HttpContent
        {
            protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
            {
                await foreach (var message in messages.ReadAllAsync())
                {
                    await stream.WriteAsync(message);
                    await stream.FlushAsync();
                }
            }

            protected override bool TryComputeLength(out long length)
            {
                length = -1;
                return false;
            }
        }
    }

    [Fact]
    public async Task Grpc_ping_unary_and_stream_through_the_gateway()
    {
        var s = await ScenarioAsync("grpc");
        var backend = (await s.CreateBackendsAsync((s.Name("grpc"), "grpc-ping", "http2", "kubernetes.io/h2c", H("SUFFIX", "- pong"))))[0];
        var host = backend.Name + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(backend.Name, ConformanceScenario.Rule([host], [ConformanceScenario.Path([s.Split(backend)])])));
        using var client = new GrpcPingClient(up.GatewayPort, host);
        Assert.Equal("hello- pong", await client.PingAsync("hello"));
        var (roundTrip, close) = await client.OpenStreamAsync();
        for (var i = 0; i < 100; i++)
        {
            var n = Random.Shared.Next(1000);
            Assert.Equal($"ping -{n}- pong", await roundTrip($"ping -{n}"));
        }
        await close();
    }

    [Fact]
    public async Task Grpc_split_is_per_stream()
    {
        var s = await ScenarioAsync("grpc-split");
        var b = await s.CreateBackendsAsync(
            (s.Name("blue"), "grpc-ping", "http2", "kubernetes.io/h2c", H("SUFFIX", "- blue")),
            (s.Name("green"), "grpc-ping", "http2", "kubernetes.io/h2c", H("SUFFIX", "- green")));
        var host = s.Name("grpc-split") + "." + ConformanceScenario.Domain;
        await s.CreateIngressReadyAsync(s.Ingress(s.Name("grpc-split"), ConformanceScenario.Rule([host], [ConformanceScenario.Path([s.Split(b[0], 50), s.Split(b[1], 50)])])));
        using var client = new GrpcPingClient(up.GatewayPort, host);
        var seen = new HashSet<string>();
        for (var stream = 0; stream < 100 && seen.Count < 2; stream++)
        {
            var (roundTrip, close) = await client.OpenStreamAsync();
            var first = await roundTrip("ping");
            Assert.StartsWith("ping", first);
            var suffix = first["ping".Length..];
            for (var i = 0; i < 10; i++) Assert.Equal($"ping -{i}{suffix}", await roundTrip($"ping -{i}"));
            seen.Add(suffix.Trim());
            await close();
        }
        Assert.Equal(["- blue", "- green"], seen.Order());
    }

    [Fact]
    public async Task Update_changes_config_and_backends_without_a_failed_request()
    {
        var s = await ScenarioAsync("update");
        var first = await s.CreateRuntimeAsync(s.Name("first"));
        var name = s.Name("update");
        var host = name + "." + ConformanceScenario.Domain;
        JsonObject IngressTo(Backend backend, string sentinel) =>
            s.Ingress(name, ConformanceScenario.Rule([host], [ConformanceScenario.Path([s.Split(backend, 100, H("Who-Are-You", sentinel))])]));
        await s.CreateIngressReadyAsync(IngressTo(first, first.Name));

        // The suite's background prober: every response until the end must be 200 with runtime JSON.
        using var stopProber = new CancellationTokenSource();
        var failures = new ConcurrentQueue<string>();
        var proberRequests = 0;
        var prober = Task.Run(async () =>
        {
            while (!stopProber.IsCancellationRequested)
            {
                try
                {
                    var answer = await up.GetAsync(up.GatewayPort, host, $"/?time={DateTime.UtcNow.Ticks}");
                    if (answer.Status != 200) failures.Enqueue(answer.ToString());
                    else RuntimeRequest.Parse(answer.Body);
                }
                catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException or TaskCanceledException)
                {
                    failures.Enqueue(ex.Message);
                }
                Interlocked.Increment(ref proberRequests);
            }
        });

        var client = up.Client.Dynamic(ConformanceScenario.Ingresses);
        async Task UpdateAndCheckAsync(Backend backend, string sentinel)
        {
            var current = await client.GetAsync(s.Namespace, name);
            current["spec"] = IngressTo(backend, sentinel)["spec"]!.DeepClone();
            var updated = await client.UpdateAsync(current);
            await s.WaitReadyAsync(name, updated["metadata"]!["generation"]!.GetValue<long>());
            // Ready means the data plane already serves the new configuration.
            Assert.Equal(sentinel, (await s.RuntimeRequestAsync(host)).Header("Who-Are-You"));
        }

        // Phase 1: the same backend under a new sentinel header, repeatedly.
        for (var i = 0; i < 10; i++) await UpdateAndCheckAsync(first, s.Name("sentinel"));
        // Phase 2: a fresh backend each time; the previous one is deleted once nothing routes to it.
        var previous = first;
        for (var i = 0; i < 5; i++)
        {
            var next = await s.CreateRuntimeAsync(s.Name("next"));
            await UpdateAndCheckAsync(next, s.Name("sentinel"));
            await up.KubectlOkAsync("delete", "deployment,service", previous.Name, "-n", s.Namespace, "--wait=false");
            previous = next;
        }
        // Let the prober run past the last deletion before it stops.
        var seen = Volatile.Read(ref proberRequests);
        await LocalUpFixture.EventuallyAsync("more prober requests after the last change", () =>
            Task.FromResult(Volatile.Read(ref proberRequests) >= seen + 20 ? "" : null));
        await stopProber.CancelAsync();
        await prober;
        Assert.True(failures.IsEmpty, $"{failures.Count} failed requests of {proberRequests}: {string.Join(" | ", failures.Take(5))}");
    }
}
