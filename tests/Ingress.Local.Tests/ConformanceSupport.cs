using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Kube.Client;

namespace Ingress.Local.Tests;

/// <summary>A backend of a conformance scenario: a Service (named as its Deployment) and the Service port to route to.</summary>
public sealed record Backend(string Name, int Port);

/// <summary>
/// The conformance suite's machinery (knative/networking test/conformance/ingress/util.go, summarised in
/// shared/reference/conformance.md §2) on <c>ingress up</c>. Differences, all because the local runner realises
/// Deployments rather than bare Pods: a backend is a one-replica Deployment (label <c>test-pod: name</c>) plus a
/// ClusterIP Service, with the suite's random Service port (50-99) and container port (8000-8099, without the
/// queue-proxy ports every local replica also serves), so a KIngress
/// backend is always a Service port that must be resolved through Endpoints. Each scenario has its own namespace.
/// </summary>
public sealed class ConformanceScenario(LocalUpFixture up, string scenario)
{
    public const string IngressClass = "istio.ingress.networking.knative.dev";
    public const string Domain = "example.com";
    public const string ClusterSuffix = "cluster.local";

    public static readonly ResourceDescriptor Ingresses = new("networking.internal.knative.dev", "v1alpha1", "ingresses", true, "Ingress");
    private static readonly ResourceDescriptor EndpointsKind = new("", "v1", "endpoints", true, "Endpoints");

    /// <summary>The scenario's namespace: its name plus a random suffix, so reruns on one instance never meet.</summary>
    public string Namespace { get; } = $"{scenario}-{Suffix()}";

    public LocalUpFixture Up => up;

    /// <summary><c>ObjectNameForTest</c>: the scenario name, a dash and 8 random letters.</summary>
    public string Name(string prefix) => $"{prefix}-{Suffix()}";

    private static string Suffix() => string.Create(8, 0, (span, _) => { for (var i = 0; i < span.Length; i++) span[i] = (char)('a' + Random.Shared.Next(26)); });

    public async Task CreateNamespaceAsync() =>
        await up.ApplyAsync(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = Namespace } });

    public static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>The Deployment and Service of one backend running <paramref name="image"/> (a built-in test image).</summary>
    public (JsonObject Deployment, JsonObject Service, Backend Backend) BackendObjects(string name, string image,
        string portName = "http", string? appProtocol = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var servicePort = Random.Shared.Next(50, 100);
        // Every local replica also runs an in-process queue-proxy on the pod address (8012, 8013, 8022; Knative
        // reserves them for user containers too), so those three are left out of the suite's 8000-8099.
        int containerPort;
        do containerPort = Random.Shared.Next(8000, 8100);
        while (containerPort is 8012 or 8013 or 8022);
        var envArray = new JsonArray((env ?? new Dictionary<string, string>()).Select(kv => (JsonNode)new JsonObject { ["name"] = kv.Key, ["value"] = kv.Value }).ToArray());
        var deployment = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Namespace },
            ["spec"] = new JsonObject
            {
                ["replicas"] = 1,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["test-pod"] = name } },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["test-pod"] = name } },
                    ["spec"] = new JsonObject
                    {
                        ["containers"] = new JsonArray(new JsonObject
                        {
                            ["name"] = "foo",
                            ["image"] = "ko://knative.dev/networking/test/test_images/" + image,
                            ["ports"] = new JsonArray(new JsonObject { ["name"] = portName, ["containerPort"] = containerPort }),
                            ["env"] = envArray,
                        }),
                    },
                },
            },
        };
        var port = new JsonObject { ["name"] = portName, ["port"] = servicePort, ["targetPort"] = containerPort };
        if (appProtocol is not null) port["appProtocol"] = appProtocol;
        var service = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Namespace },
            ["spec"] = new JsonObject
            {
                ["type"] = "ClusterIP",
                ["selector"] = new JsonObject { ["test-pod"] = name },
                ["ports"] = new JsonArray(port),
            },
        };
        return (deployment, service, new Backend(name, servicePort));
    }

    /// <summary>Creates backends with kubectl and waits until each Service's Endpoints list a ready address
    /// (the suite's <c>WaitForServiceEndpoints</c>).</summary>
    public async Task<Backend[]> CreateBackendsAsync(params (string Name, string Image, string PortName, string? AppProtocol, IReadOnlyDictionary<string, string>? Env)[] specs)
    {
        var objects = specs.Select(s => BackendObjects(s.Name, s.Image, s.PortName, s.AppProtocol, s.Env)).ToList();
        await up.ApplyAsync([.. objects.SelectMany(o => new[] { o.Deployment, o.Service })]);
        foreach (var (_, _, backend) in objects) await WaitForEndpointsAsync(backend.Name);
        return [.. objects.Select(o => o.Backend)];
    }

    public async Task<Backend> CreateRuntimeAsync(string name, string portName = "http", string? appProtocol = null) =>
        (await CreateBackendsAsync((name, "runtime", portName, appProtocol, null)))[0];

    public async Task WaitForEndpointsAsync(string service)
    {
        var endpoints = up.Client.Dynamic(EndpointsKind);
        JsonObject? last = null;
        await LocalUpFixture.EventuallyAsync($"Endpoints {Namespace}/{service} with a ready address", async () =>
        {
            last = await endpoints.TryGetAsync(Namespace, service);
            var ready = (last?["subsets"] as JsonArray ?? []).Any(s => (s?["addresses"] as JsonArray)?.Count > 0);
            return ready ? last : null;
        }, () => $"Endpoints: {last?.ToJsonString() ?? "absent"}; pod logs: " + string.Join(" | ", PodLogs()));
    }

    /// <summary>The local runner's log files of this namespace's pods (<c>&lt;data dir&gt;/logs/&lt;ns&gt;</c>), for failure messages.</summary>
    public IEnumerable<string> PodLogs()
    {
        var dir = System.IO.Path.Combine(up.DataDirectory, "logs", Namespace);
        if (!Directory.Exists(dir)) return ["no pod logs"];
        return Directory.GetFiles(dir).Select(f => System.IO.Path.GetFileName(f) + ": " + File.ReadAllText(f));
    }

    /// <summary>A split to <paramref name="backend"/> (percent omitted when null, as the suite writes 0 % splits).</summary>
    public JsonObject Split(Backend backend, int? percent = 100, IReadOnlyDictionary<string, string>? appendHeaders = null)
    {
        var split = new JsonObject
        {
            ["serviceName"] = backend.Name,
            ["serviceNamespace"] = Namespace,
            ["servicePort"] = backend.Port,
        };
        if (percent is { } p) split["percent"] = p;
        if (appendHeaders is not null) split["appendHeaders"] = Headers(appendHeaders);
        return split;
    }

    public static JsonObject Headers(IReadOnlyDictionary<string, string> headers) =>
        new(headers.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));

    public static JsonObject Path(JsonObject[] splits, string? path = null, IReadOnlyDictionary<string, string>? appendHeaders = null,
        IReadOnlyDictionary<string, string>? exactHeaders = null, string? rewriteHost = null)
    {
        var p = new JsonObject { ["splits"] = new JsonArray(splits.Select(s => (JsonNode)s.DeepClone()).ToArray()) };
        if (path is not null) p["path"] = path;
        if (appendHeaders is not null) p["appendHeaders"] = Headers(appendHeaders);
        if (exactHeaders is not null)
            p["headers"] = new JsonObject(exactHeaders.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonObject { ["exact"] = kv.Value })));
        if (rewriteHost is not null) p["rewriteHost"] = rewriteHost;
        return p;
    }

    public static JsonObject Rule(string[] hosts, JsonObject[] paths, string visibility = "ExternalIP") => new()
    {
        ["hosts"] = new JsonArray(hosts.Select(h => (JsonNode)JsonValue.Create(h)).ToArray()),
        ["visibility"] = visibility,
        ["http"] = new JsonObject { ["paths"] = new JsonArray(paths.Select(p => (JsonNode)p.DeepClone()).ToArray()) },
    };

    /// <summary>The KIngress as the suite sends it: class annotation, defaults applied (<c>httpOption: Enabled</c>).</summary>
    public JsonObject Ingress(string name, params JsonObject[] rules) => new()
    {
        ["apiVersion"] = "networking.internal.knative.dev/v1alpha1",
        ["kind"] = "Ingress",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = Namespace,
            ["annotations"] = new JsonObject { ["networking.knative.dev/ingress.class"] = IngressClass },
        },
        ["spec"] = new JsonObject
        {
            ["rules"] = new JsonArray(rules.Select(r => (JsonNode)r.DeepClone()).ToArray()),
            ["httpOption"] = "Enabled",
        },
    };

    /// <summary><c>CreateIngressReady</c>: applies the KIngress with kubectl and waits until it is Ready for its
    /// generation with a public load balancer; returns it as read back.</summary>
    public async Task<JsonObject> CreateIngressReadyAsync(JsonObject ingress)
    {
        await up.ApplyAsync(ingress);
        return await WaitReadyAsync(ingress["metadata"]!["name"]!.GetValue<string>());
    }

    /// <summary><c>IsReady</c>: observedGeneration == generation and Ready True, and publicLoadBalancer.ingress[0] set.</summary>
    public async Task<JsonObject> WaitReadyAsync(string name, long? atLeastGeneration = null)
    {
        var client = up.Client.Dynamic(Ingresses);
        JsonObject? last = null;
        return await LocalUpFixture.EventuallyAsync($"KIngress {Namespace}/{name} Ready", async () =>
        {
            last = await client.TryGetAsync(Namespace, name);
            if (last is null) return null;
            var generation = last["metadata"]?["generation"]?.GetValue<long>() ?? 0;
            var observed = last["status"]?["observedGeneration"]?.GetValue<long>() ?? -1;
            var ready = (last["status"]?["conditions"] as JsonArray ?? []).Any(c => c?["type"]?.GetValue<string>() == "Ready" && c["status"]?.GetValue<string>() == "True");
            var lb = last["status"]?["publicLoadBalancer"]?["ingress"]?[0];
            return generation == observed && ready && lb is not null && generation >= (atLeastGeneration ?? 0) ? last : null;
        }, () => last?.ToJsonString() ?? "absent");
    }

    /// <summary>GET through the public gateway that must answer 200 with runtime JSON; returns the parsed request.</summary>
    public async Task<RuntimeRequest> RuntimeRequestAsync(string host, string path = "/", IEnumerable<KeyValuePair<string, string>>? headers = null, int? port = null)
    {
        var answer = await up.GetAsync(port ?? up.GatewayPort, host, path, headers);
        Assert.True(answer.Status == 200, $"GET http://{host}{path}: {answer}");
        return RuntimeRequest.Parse(answer.Body);
    }
}

/// <summary>The <c>request</c> half of the runtime image's JSON.</summary>
public sealed record RuntimeRequest(string Uri, string Host, string Method, IReadOnlyDictionary<string, string[]> Headers, int ProtoMajor)
{
    /// <summary>Go's <c>Header.Get</c>: the first value of a canonical name, "" when absent.</summary>
    public string Header(string canonicalName) => Headers.TryGetValue(canonicalName, out var v) && v.Length > 0 ? v[0] : "";

    public static RuntimeRequest Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var r = doc.RootElement.GetProperty("request");
        var headers = r.GetProperty("headers").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetString() ?? "").ToArray());
        return new RuntimeRequest(r.GetProperty("uri").GetString()!, r.GetProperty("host").GetString()!, r.GetProperty("method").GetString()!,
            headers, r.GetProperty("protoMajor").GetInt32());
    }
}
