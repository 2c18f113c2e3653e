using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.ApiServer;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Local.Hosting;
using Ingress.Serving;
using Ingress.Serving.Reconcilers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Benchmarks;

/// <summary>Inputs and end-to-end runs shared by the serving benchmarks and the console mode
/// (<c>dotnet run -c Release -- serving-scale ...</c>), whose single-shot runs take seconds each.</summary>
public static class ServingScale
{
    public const string Namespace = "bench";
    public static readonly string[] Tags = ["blue", "green", "canary"];

    private const string ConfigMaps = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: config-domain, namespace: knative-serving}
        data:
          example.com: ""
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: config-deployment, namespace: knative-serving}
        data:
          queue-sidecar-image: example.dev/queue
        """;

    /// <summary><paramref name="count"/> KServices, each with its main target and three tagged targets.</summary>
    public static string Services(int count)
    {
        var sb = new StringBuilder(ConfigMaps);
        for (var i = 0; i < count; i++)
        {
            sb.Append($"""

                ---
                apiVersion: serving.knative.dev/v1
                kind: Service
                metadata: {"{"}name: svc-{i}, namespace: {Namespace}{"}"}
                spec:
                  template:
                    spec:
                      containers: [{"{"}image: example.dev/hello{"}"}]
                  traffic:
                  - {"{"}latestRevision: true, percent: 100{"}"}
                """);
            foreach (var tag in Tags) sb.Append($"\n  - {{latestRevision: true, tag: {tag}, percent: 0}}");
        }
        return sb.ToString();
    }

    /// <summary><paramref name="count"/> Routes (main + three tags) over a Configuration whose Revision is Ready, as the
    /// cluster holds them once the revisions run: the routing half of the chain.</summary>
    public static List<JsonObject> ReadyRoutes(int count)
    {
        var objects = new List<JsonObject>();
        for (var i = 0; i < count; i++)
        {
            var name = $"route-{i}";
            objects.Add(Parse(Fill("""
                {"apiVersion":"serving.knative.dev/v1","kind":"Configuration","metadata":{"name":"NAME","namespace":"NS","generation":1},
                 "spec":{"template":{"spec":{"containers":[{"image":"example.dev/hello"}]}}},
                 "status":{"observedGeneration":1,"latestReadyRevisionName":"NAME-00001","latestCreatedRevisionName":"NAME-00001",
                           "conditions":[{"type":"Ready","status":"True"}]}}
                """, name)));
            objects.Add(Parse(Fill("""
                {"apiVersion":"serving.knative.dev/v1","kind":"Revision","metadata":{"name":"NAME-00001","namespace":"NS","generation":1,
                  "labels":{"serving.knative.dev/configuration":"NAME"}},
                 "spec":{"containers":[{"image":"example.dev/hello"}]},
                 "status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True"}]}}
                """, name)));
            var traffic = new JsonArray(Parse($$$"""{"configurationName":"{{{name}}}","percent":100,"latestRevision":true}"""));
            foreach (var tag in Tags) traffic.Add(Parse($$$"""{"configurationName":"{{{name}}}","tag":"{{{tag}}}","percent":0,"latestRevision":true}"""));
            objects.Add(new JsonObject
            {
                ["apiVersion"] = "serving.knative.dev/v1", ["kind"] = "Route",
                ["metadata"] = Parse($$$"""{"name":"{{{name}}}","namespace":"{{{Namespace}}}","generation":1}"""),
                ["spec"] = new JsonObject { ["traffic"] = traffic },
            });
        }
        return objects;
    }

    private static string Fill(string template, string name) => template.Replace("NAME", name, StringComparison.Ordinal).Replace("NS", Namespace, StringComparison.Ordinal);

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    public static IReadOnlyList<JsonObject> ConfigMapObjects() => KubeYaml.ParseDocuments(ConfigMaps);

    /// <summary>One <c>ingress render</c> (the very code of the verb, minus file reading) and the number of objects printed.</summary>
    /// <param name="client">The controllers' client settings; null: the verb's own (no rate limit).</param>
    public static async Task<int> RenderAsync(IReadOnlyList<JsonObject> inputs, string? controllers = null, KubeClientOptions? client = null)
    {
        var options = new RenderOptions
        {
            Controllers = ControllerNames.Parse(controllers),
            Timeout = TimeSpan.FromMinutes(10),
            Client = client ?? InProcessClient.Render(),
        };
        var result = await Renderer.RenderAsync(inputs, options, TextWriter.Null).ConfigureAwait(false);
        // Serialising is part of the verb's work.
        var yaml = Stopwatch.StartNew();
        _ = Renderer.ToYaml(result);
        LastYamlSeconds = yaml.Elapsed.TotalSeconds;
        return result.Count;
    }

    /// <summary>The config-domain edit run: <paramref name="count"/> ready Routes loaded into the embedded API server
    /// (over real HTTP on 127.0.0.1:0), the serving controllers run until every KIngress exists, then config-domain
    /// moves to example.org; returns the time from that edit until every KIngress carries its new host, as seen by a
    /// watch of the test's own.</summary>
    public static async Task<(TimeSpan Initial, TimeSpan AfterEdit)> ConfigDomainEditAsync(int count, ILoggerFactory? loggerFactory = null)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        await using var server = new ApiServerHost(new ApiServerOptions { InitialNamespaces = [.. new ApiServerOptions().InitialNamespaces, "knative-serving", Namespace] }, loggerFactory);
        server.PreloadCustomResourceDefinitions(Renderer.EmbeddedCrds());
        await server.StartAsync().ConfigureAwait(false);
        foreach (var o in ConfigMapObjects()) server.LoadAsIs(o);
        foreach (var o in ReadyRoutes(count)) server.LoadAsIs(o);

        using var client = new KubeClient(KubeConnection.FromServer(server.BaseUri), DomainEditClient(), loggerFactory);
        await using var informers = new SharedInformerFactory(client);
        await using var serving = ServingControllers.Register(client, informers, new ServingControllerOptions { Workers = RouteWorkers }, loggerFactory);

        var newHost = 0;
        var withHost = new HashSet<string>(StringComparer.Ordinal);
        var allCreated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var allMoved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var moved = new HashSet<string>(StringComparer.Ordinal);
        void Seen(JsonObject ing)
        {
            var name = ing["metadata"]!["name"]!.GetValue<string>();
            var hosts = (ing["spec"]?["rules"] as JsonArray ?? []).SelectMany(r => r!["hosts"]!.AsArray()).Select(h => h!.GetValue<string>()).ToList();
            lock (moved)
            {
                if (hosts.Contains($"{name}.{Namespace}.example.com") && withHost.Add(name) && withHost.Count == count) allCreated.TrySetResult();
                if (Volatile.Read(ref newHost) == 1 && hosts.Contains($"{name}.{Namespace}.example.org") && moved.Add(name) && moved.Count == count) allMoved.TrySetResult();
            }
        }
        var watch = informers.Dynamic(ServingKinds.Ingresses);
        watch.AddEventHandler(new ResourceEventHandler<JsonObject> { Add = (o, _, _) => Seen(o), Update = (_, o, _, _) => Seen(o) });

        using var stop = new CancellationTokenSource();
        var sw = Stopwatch.StartNew();
        informers.Start(stop.Token);
        await informers.WaitForCacheSyncAsync(stop.Token).ConfigureAwait(false);
        // Only the route controller: the inputs stand for running revisions, which the revision controller (with no
        // autoscaler here) would mark not ready.
        var run = serving.Controller(RouteReconciler.ControllerName).RunAsync(stop.Token);
        try { await allCreated.Task.WaitAsync(TimeSpan.FromSeconds(Math.Max(60, count / 10))).ConfigureAwait(false); }
        catch (TimeoutException)
        {
            var route = await client.Dynamic(ServingKinds.Routes).TryGetAsync(Namespace, "route-0").ConfigureAwait(false);
            throw new TimeoutException($"KIngresses seen with the first host: {withHost.Count}/{count}; route-0: {route?.ToJsonString()}");
        }
        var initial = sw.Elapsed;

        Volatile.Write(ref newHost, 1);
        sw.Restart();
        var cm = await client.Dynamic(ResourceDescriptor.ConfigMaps).GetAsync("knative-serving", "config-domain").ConfigureAwait(false);
        cm["data"] = new JsonObject { ["example.org"] = "" };
        await client.Dynamic(ResourceDescriptor.ConfigMaps).UpdateAsync(cm).ConfigureAwait(false);
        await allMoved.Task.WaitAsync(TimeSpan.FromMinutes(20)).ConfigureAwait(false);
        var afterEdit = sw.Elapsed;
        await stop.CancelAsync().ConfigureAwait(false);
        try { await run.ConfigureAwait(false); } catch (OperationCanceledException) { }
        return (initial, afterEdit);
    }

    /// <summary>Route controller workers in the domain-edit run: SERVING_SCALE_WORKERS, default 4.</summary>
    private static int RouteWorkers => int.TryParse(Environment.GetEnvironmentVariable("SERVING_SCALE_WORKERS"), out var w) && w > 0 ? w : 4;

    /// <summary>The domain-edit controllers' client: SERVING_SCALE_QPS "up" (ingress up's <see cref="InProcessClient.Options"/>),
    /// "1000" (up's limit before 2026-11-22), "unlimited", or unset: 5,000 QPS / burst 10,000, as in the earlier runs.</summary>
    private static KubeClientOptions DomainEditClient() => Environment.GetEnvironmentVariable("SERVING_SCALE_QPS") switch
    {
        "up" => InProcessClient.Options(),
        "1000" => new KubeClientOptions { Qps = 1000, Burst = 2000 },
        "unlimited" => new KubeClientOptions { Qps = KubeClientOptions.Unlimited },
        _ => new KubeClientOptions { Qps = 5000, Burst = 10000 },
    };

    /// <summary>How long the last <see cref="RenderAsync"/> spent printing (the YAML of every object).</summary>
    public static double LastYamlSeconds { get; private set; }

    private static bool StatsWanted => Environment.GetEnvironmentVariable("SERVING_SCALE_STATS") is { Length: > 0 };

    /// <summary>Console mode: <c>serving-scale render N...</c> and <c>serving-scale domain-edit N...</c>.</summary>
    public static async Task<int> MainAsync(string[] args)
    {
        var mode = args.ElementAtOrDefault(1) ?? "all";
        var sizes = args.Skip(2).Select(int.Parse).ToList();
        if (mode is "render" or "render-ab" or "all")
        {
            // render-ab: each size twice in the same sitting, first with the client limit render had before
            // (1,000 QPS / burst 2,000, up's setting then), then with the verb's own settings.
            var variants = mode == "render-ab"
                ? new (string Label, KubeClientOptions? Client)[] { ("qps=1000", new KubeClientOptions { Qps = 1000, Burst = 2000 }), ("qps=unlimited", null) }
                : [("qps=unlimited", null)];
            var only = Environment.GetEnvironmentVariable("SERVING_SCALE_INPUT"); // "services" or "ready-routes"; unset: both
            foreach (var n in sizes.Count > 0 ? sizes : [1, 1000])
            {
                foreach (var (label, client) in variants)
                {
                    if (only is null or "services")
                    {
                        var inputs = KubeYaml.ParseDocuments(Services(n));
                        using var stats = new ServingScaleStats();
                        var sw = Stopwatch.StartNew();
                        var printed = await RenderAsync(inputs, null, client).ConfigureAwait(false);
                        Console.WriteLine($"render services={n} tags=3 controllers=all {label} objects={printed} seconds={sw.Elapsed.TotalSeconds:0.00} yaml-seconds={LastYamlSeconds:0.00}");
                        if (StatsWanted) Console.WriteLine(stats);
                    }
                    if (only is null or "ready-routes")
                    {
                        var routes = ReadyRoutes(n).Concat(ConfigMapObjects()).ToList();
                        using var stats = new ServingScaleStats();
                        var sw = Stopwatch.StartNew();
                        var printed = await RenderAsync(routes, "route,ingress", client).ConfigureAwait(false);
                        Console.WriteLine($"render ready-routes={n} tags=3 controllers=route,ingress {label} objects={printed} seconds={sw.Elapsed.TotalSeconds:0.00}");
                        if (StatsWanted) Console.WriteLine(stats);
                    }
                }
            }
        }
        if (mode == "steps")
        {
            var b = new ServingRouteBenchmarks();
            b.Setup();
            foreach (var (label, action) in b.Steps())
            {
                for (var i = 0; i < 200; i++) action();
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < 2000; i++) action();
                Console.WriteLine($"{label}: {sw.Elapsed.TotalMicroseconds / 2000:0.0} us");
            }
        }
        if (mode is "domain-edit" or "all")
        {
            foreach (var n in sizes.Count > 0 ? sizes : [1, 1000])
            {
                using var lf = Environment.GetEnvironmentVariable("SERVING_SCALE_LOG") is { Length: > 0 } level
                    ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.TimestampFormat = "HH:mm:ss.fff ").SetMinimumLevel(Enum.Parse<LogLevel>(level)))
                    : null;
                using var stats = new ServingScaleStats();
                var (initial, after) = await ConfigDomainEditAsync(n, lf).ConfigureAwait(false);
                Console.WriteLine($"domain-edit routes={n} tags=3 workers={RouteWorkers} qps={DomainEditClient().Qps} initial-seconds={initial.TotalSeconds:0.00} after-edit-seconds={after.TotalSeconds:0.00}");
                if (StatsWanted) Console.WriteLine(stats);
            }
        }
        return 0;
    }
}
