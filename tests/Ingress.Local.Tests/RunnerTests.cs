using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using Ingress.ApiServer;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Local.Runner;

namespace Ingress.Local.Tests;

/// <summary>The local runner against the embedded API server, with real sockets: Deployments become replicas,
/// Pods, Endpoints and Deployment status.</summary>
public sealed class RunnerTests : IAsyncLifetime
{
    private static readonly ResourceDescriptor Deployments = new("apps", "v1", "deployments", true, "Deployment");
    private static readonly ResourceDescriptor Services = new("", "v1", "services", true, "Service");
    private static readonly ResourceDescriptor Pods = new("", "v1", "pods", true, "Pod");
    private static readonly ResourceDescriptor Endpoints = new("", "v1", "endpoints", true, "Endpoints");

    private readonly string _dataDir = Directory.CreateTempSubdirectory("runner-test-").FullName;
    private ApiServerHost _server = null!;
    private KubeClient _client = null!;
    private SharedInformerFactory _informers = null!;
    private LocalRunner _runner = null!;
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _server = new ApiServerHost(new ApiServerOptions());
        await _server.StartAsync();
        _client = new KubeClient(KubeConnection.FromServer(_server.BaseUri));
        _informers = new SharedInformerFactory(_client);
        _runner = new LocalRunner(_client, _informers, new LocalRunnerOptions
        {
            DataDirectory = _dataDir,
            Images = ImageMap.Parse("example.com/me/shell-app: [\"/bin/sh\", \"-c\"]"),
        });
        _running = _runner.RunAsync(_stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _running; } catch (OperationCanceledException) { }
        await _runner.DisposeAsync();
        await _informers.DisposeAsync();
        _client.Dispose();
        await _server.DisposeAsync();
        try { Directory.Delete(_dataDir, true); } catch (IOException) { }
    }

    private static JsonObject Deployment(string name, int replicas, string image, string target, JsonArray? command = null, JsonArray? args = null)
    {
        var user = new JsonObject
        {
            ["name"] = "user-container",
            ["image"] = image,
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "user-port", ["containerPort"] = 8080 }),
            ["env"] = new JsonArray(new JsonObject { ["name"] = "TARGET", ["value"] = target }),
        };
        if (command is not null) user["command"] = command;
        if (args is not null) user["args"] = args;
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["serving.knative.dev/revision"] = name } },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["serving.knative.dev/revision"] = name, ["app"] = name } },
                    ["spec"] = new JsonObject
                    {
                        ["containers"] = new JsonArray(user, new JsonObject
                        {
                            ["name"] = "queue-proxy",
                            ["image"] = "gcr.io/knative-releases/queue",
                            ["ports"] = new JsonArray(
                                new JsonObject { ["name"] = "http1", ["containerPort"] = 8012 },
                                new JsonObject { ["name"] = "http-autometric", ["containerPort"] = 9090 }),
                            ["env"] = new JsonArray(
                                new JsonObject { ["name"] = "USER_PORT", ["value"] = "8080" },
                                new JsonObject { ["name"] = "REVISION_TIMEOUT_SECONDS", ["value"] = "300" },
                                new JsonObject { ["name"] = "SERVING_REVISION", ["value"] = name },
                                new JsonObject { ["name"] = "SERVING_READINESS_PROBE", ["value"] = """{"tcpSocket":{"port":8080,"host":"127.0.0.1"},"successThreshold":1}""" }),
                        }),
                    },
                },
            },
        };
    }

    private static JsonObject Service(string name, string revision) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
        ["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["serving.knative.dev/revision"] = revision },
            ["ports"] = new JsonArray(
                new JsonObject { ["name"] = "http", ["port"] = 80, ["targetPort"] = "http1" },
                new JsonObject { ["name"] = "http-autometric", ["port"] = 9090, ["targetPort"] = 9090 },
                new JsonObject { ["name"] = "user", ["port"] = 8080, ["targetPort"] = 8080 }),
        },
    };

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var value = await probe();
            if (value is not null) return value;
            if (deadline.IsCancellationRequested) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(100);
        }
    }

    private async Task<List<JsonObject>> PodsOf(string revision) =>
        (await _client.Dynamic(Pods).ListAsync("default", new ListOptions { LabelSelector = "serving.knative.dev/revision=" + revision }))
        .Items.ToList();

    private static bool IsReady(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).Any(c => c?["type"]?.GetValue<string>() == "Ready" && c["status"]?.GetValue<string>() == "True");

    private async Task<List<JsonObject>?> ReadyPods(string revision, int count)
    {
        var pods = await PodsOf(revision);
        return pods.Count == count && pods.All(IsReady) ? pods : null;
    }

    private async Task<JsonArray?> ReadyAddresses(string service, int count)
    {
        var ep = await _client.Dynamic(Endpoints).TryGetAsync("default", service);
        var addresses = new JsonArray((ep?["subsets"] as JsonArray ?? []).SelectMany(s => s?["addresses"] as JsonArray ?? []).Select(a => a!.DeepClone()).ToArray());
        var notReady = (ep?["subsets"] as JsonArray ?? []).Sum(s => (s?["notReadyAddresses"] as JsonArray)?.Count ?? 0);
        return ep is not null && addresses.Count == count && notReady == 0 ? addresses : null;
    }

    private Task ScaleAsync(string name, int replicas) =>
        _client.Dynamic(Deployments).PatchAsync("default", name, PatchType.Merge, "{\"spec\":{\"replicas\":" + replicas + "}}");

    /// <summary>Sums the runner's counters (its own Meter instance) as they are recorded.</summary>
    private sealed class CounterTotals : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _totals = new();
        public CounterTotals(System.Diagnostics.Metrics.Meter meter)
        {
            _listener.InstrumentPublished = (i, l) => { if (ReferenceEquals(i.Meter, meter)) l.EnableMeasurementEvents(i); };
            _listener.SetMeasurementEventCallback<long>((i, v, _, _) => _totals.AddOrUpdate(i.Name, v, (_, old) => old + v));
            _listener.Start();
        }
        public long this[string name] => _totals.GetValueOrDefault(name);
        public void Dispose() => _listener.Dispose();
    }

    [Fact]
    public async Task Helloworld_deployment_becomes_ready_pods_endpoints_and_answers_through_queue_proxy_and_follows_scale()
    {
        using var counters = new CounterTotals(_runner.Metrics.Meter);
        await _client.Dynamic(Services).CreateAsync(Service("hello-private", "hello-00001"));
        await _client.Dynamic(Deployments).CreateAsync(Deployment("hello-00001", 1, "gcr.io/knative-samples/helloworld-go", "Local"));

        var pods = await EventuallyAsync(() => ReadyPods("hello-00001", 1), "one ready pod");
        var pod = pods[0];
        var podIp = pod["status"]!["podIP"]!.GetValue<string>();
        Assert.StartsWith("127.", podIp);
        Assert.NotEqual("127.0.0.1", podIp);
        Assert.Equal("hello-00001", pod["metadata"]!["labels"]!["app"]!.GetValue<string>());
        Assert.Equal("Deployment", pod["metadata"]!["ownerReferences"]![0]!["kind"]!.GetValue<string>());

        var addresses = await EventuallyAsync(() => ReadyAddresses("hello-private", 1), "endpoints with one address");
        Assert.Equal(podIp, addresses[0]!["ip"]!.GetValue<string>());
        Assert.Equal(pod["metadata"]!["name"]!.GetValue<string>(), addresses[0]!["targetRef"]!["name"]!.GetValue<string>());
        var ep = await _client.Dynamic(Endpoints).GetAsync("default", "hello-private");
        var ports = ep["subsets"]![0]!["ports"]!.AsArray().ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!["port"]!.GetValue<int>());
        Assert.Equal(8012, ports["http"]);            // named targetPort resolved through the queue-proxy container's ports
        Assert.Equal(9090, ports["http-autometric"]);
        Assert.Equal(8080, ports["user"]);            // the built-in sample listens on the pod's user port

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Assert.Equal("Hello Local!\n", await http.GetStringAsync($"http://{podIp}:{ports["http"]}/"));
        // queue-proxy counted it: its autoscaler metrics port answers on the pod address too.
        using (var metrics = await http.GetAsync($"http://{podIp}:9090/metrics"))
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);

        var deployment = await EventuallyAsync(async () =>
        {
            var d = await _client.Dynamic(Deployments).GetAsync("default", "hello-00001");
            return d["status"]?["readyReplicas"]?.GetValue<int>() == 1 ? d : null;
        }, "deployment status readyReplicas 1");
        Assert.Equal(1, deployment["status"]!["availableReplicas"]!.GetValue<int>());
        Assert.Equal(1, deployment["status"]!["replicas"]!.GetValue<int>());

        var log = Path.Combine(_dataDir, "logs", "default", pod["metadata"]!["name"]!.GetValue<string>() + ".log");
        Assert.Contains("GET /", await File.ReadAllTextAsync(log));

        await ScaleAsync("hello-00001", 2);
        pods = await EventuallyAsync(() => ReadyPods("hello-00001", 2), "two ready pods");
        var ips = pods.Select(p => p["status"]!["podIP"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(2, ips.Count);
        addresses = await EventuallyAsync(() => ReadyAddresses("hello-private", 2), "endpoints with two addresses");
        Assert.Equal(ips, addresses.Select(a => a!["ip"]!.GetValue<string>()).ToHashSet());
        foreach (var ip in ips) Assert.Equal("Hello Local!\n", await http.GetStringAsync($"http://{ip}:8012/"));

        await ScaleAsync("hello-00001", 0);
        await EventuallyAsync(async () => (await PodsOf("hello-00001")).Count == 0 ? "" : null, "no pods");
        await EventuallyAsync(() => ReadyAddresses("hello-private", 0), "empty endpoints");
        await EventuallyAsync(async () =>
        {
            var d = await _client.Dynamic(Deployments).GetAsync("default", "hello-00001");
            return d["status"]?["replicas"]?.GetValue<int>() == 0 && d["status"]?["readyReplicas"]?.GetValue<int>() == 0 ? d : null;
        }, "deployment status replicas 0");
        Assert.Empty(_runner.ReplicasOf("default/hello-00001"));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync($"http://{podIp}:8012/"));
        Assert.Equal(2, counters["local_runner_pods_started"]);
        Assert.Equal(2, counters["local_runner_pods_stopped"]);
    }

    [Fact]
    public async Task Images_yaml_program_runs_as_a_process_and_is_restarted_after_it_exits()
    {
        // The mapped program is /bin/sh -c; args make it a tiny server-less process that exits at once, so the
        // pod never becomes ready (nothing listens on PORT) and the runner restarts it with backoff.
        await _client.Dynamic(Deployments).CreateAsync(Deployment("crashy-00001", 1, "example.com/me/shell-app:v1", "x",
            args: new JsonArray("echo started on port $PORT; exit 3")));
        var pods = await EventuallyAsync(async () => (await PodsOf("crashy-00001")) is { Count: 1 } p ? p : null, "one pod");
        Assert.False(IsReady(pods[0]));
        var replica = await EventuallyAsync(async () =>
        {
            await Task.Yield();
            return _runner.ReplicasOf("default/crashy-00001") is [{ Restarts: >= 1 } r] ? r : null;
        }, "a restart");
        Assert.StartsWith("/bin/sh -c", replica.Program);
        var log = Path.Combine(_dataDir, "logs", "default", pods[0]["metadata"]!["name"]!.GetValue<string>() + ".log");
        var text = await File.ReadAllTextAsync(log);
        Assert.Matches(@"started on port \d+", text);
        Assert.Contains("process exited with code 3", text);
        Assert.False(IsReady((await PodsOf("crashy-00001"))[0]));
        await EventuallyAsync(async () =>
            (await PodsOf("crashy-00001"))[0]["status"]?["containerStatuses"]?[0]?["restartCount"]?.GetValue<int>() >= 1 ? "" : null,
            "the restart count on the pod");
    }

    [Fact]
    public async Task External_program_listening_on_PORT_serves_through_queue_proxy_with_its_user_port_mapped()
    {
        await _client.Dynamic(Services).CreateAsync(Service("py-private", "py-00001"));
        await _client.Dynamic(Deployments).CreateAsync(Deployment("py-00001", 1, "example.com/me/shell-app", "x",
            args: new JsonArray("exec python3 -m http.server --bind 127.0.0.1 $PORT")));
        var pod = (await EventuallyAsync(() => ReadyPods("py-00001", 1), "the python pod ready"))[0];
        var podIp = pod["status"]!["podIP"]!.GetValue<string>();
        await EventuallyAsync(() => ReadyAddresses("py-private", 1), "endpoints with the python pod");
        var ep = await _client.Dynamic(Endpoints).GetAsync("default", "py-private");
        var ports = ep["subsets"]![0]!["ports"]!.AsArray().ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!["port"]!.GetValue<int>());
        Assert.Equal(8012, ports["http"]);
        var replica = Assert.Single(_runner.ReplicasOf("default/py-00001"));
        Assert.Equal(replica.AppEndpoint.Port, ports["user"]); // the pod's 8080 is served on the process's own port
        Assert.NotEqual(8080, ports["user"]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Assert.Contains("Directory listing", await http.GetStringAsync($"http://{podIp}:8012/"));
    }

    [Fact]
    public async Task Pods_left_on_the_local_node_by_an_earlier_run_are_deleted_at_start()
    {
        JsonObject Pod(string name, string node) => new()
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = new JsonObject
            {
                ["nodeName"] = node,
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "helloworld-go" }),
            },
        };
        await _client.Dynamic(Pods).CreateAsync(Pod("ghost-abcde", "local"));
        await _client.Dynamic(Pods).CreateAsync(Pod("elsewhere-abcde", "node-1"));
        await using var informers = new SharedInformerFactory(_client);
        await using var second = new LocalRunner(_client, informers, new LocalRunnerOptions { DataDirectory = _dataDir });
        using var stop = new CancellationTokenSource();
        var run = second.RunAsync(stop.Token);
        await EventuallyAsync(async () => await _client.Dynamic(Pods).TryGetAsync("default", "ghost-abcde") is null ? "" : null, "the stale pod deleted");
        Assert.NotNull(await _client.Dynamic(Pods).TryGetAsync("default", "elsewhere-abcde"));
        await stop.CancelAsync();
        try { await run; } catch (OperationCanceledException) { }
    }

    [Fact]
    public async Task Unmapped_image_without_command_gets_no_pod()
    {
        await _client.Dynamic(Deployments).CreateAsync(Deployment("nginx-00001", 1, "nginx:1.25", "x"));
        await _client.Dynamic(Deployments).CreateAsync(Deployment("hello-00002", 1, "helloworld-go", "x"));
        await EventuallyAsync(() => ReadyPods("hello-00002", 1), "the mapped deployment's pod");
        Assert.Empty(await PodsOf("nginx-00001"));
        Assert.Empty(_runner.ReplicasOf("default/nginx-00001"));
    }
}
