using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.ApiServer;
using Ingress.Kube.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Local.Hosting;

/// <summary>An input of <c>ingress render</c> that cannot be read (exit 1).</summary>
public sealed class RenderInputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Options of <see cref="Renderer.RenderAsync"/>.</summary>
public sealed class RenderOptions
{
    public IReadOnlySet<string> Controllers { get; init; } = ControllerNames.Parse(null);
    /// <summary>Default <see cref="ProbeMode.Ready"/>: render assumes the gateway applied everything.</summary>
    public ProbeMode Probe { get; init; } = ProbeMode.Ready;
    public string SystemNamespace { get; init; } = "knative-serving";
    public string ClusterDomain { get; init; } = "cluster.local";
    /// <summary>How long the store and every work queue must stay still to count as "nothing changes". Default
    /// 1 s: longer than a watch event takes to reach a queue on a loaded machine, short enough for a CLI.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Append one <c>kind: ProbeTargets</c> document per Istio-class KIngress after the objects: what the prober
    /// would dial (URL, pod IP, pod port, Host header). Default false: the output is then only Kubernetes objects.</summary>
    public bool ShowProbeTargets { get; init; }
    /// <summary>Settings of the controllers' client. Default <see cref="InProcessClient.Render"/>: no rate limit, as the
    /// API server is in memory and ours alone. A benchmark sets a limit to measure what it costs.</summary>
    public KubeClientOptions Client { get; init; } = InProcessClient.Render();
    /// <summary>Default true: the controllers' client calls the in-memory API server's handler directly
    /// (<c>InProcessApiHandler</c>) instead of over loopback HTTP. False measures what the socket costs.</summary>
    public bool InProcessTransport { get; init; } = true;
    /// <summary>Upper bound on the whole run (a controller that never settles). Default 60 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// <c>ingress render</c>: the embedded API server in memory (no admission) with every CRD preloaded, the inputs
/// loaded as the cluster's current state, the same <see cref="ControllerHost"/> run until nothing changes, and
/// the store printed.
/// </summary>
public static class Renderer
{
    /// <summary>Kinds never printed: preloaded CRDs, and what the run itself leaves behind (Events, Leases).</summary>
    private static readonly HashSet<string> HiddenKinds = ["CustomResourceDefinition", "Event", "Lease"];

    /// <summary>The CRDs embedded in this assembly (crds/*.yaml and crds/istio/*.yaml).</summary>
    public static IReadOnlyList<JsonObject> EmbeddedCrds()
    {
        var asm = typeof(Renderer).Assembly;
        var result = new List<JsonObject>();
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith("crds/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = asm.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            result.AddRange(KubeYaml.ParseDocuments(reader.ReadToEnd()).Where(d => d["kind"]?.ToString() == "CustomResourceDefinition"));
        }
        return result;
    }

    /// <summary>Reads every object of the given files, directories (their *.yaml, *.yml, *.json files, not
    /// recursive, as kubectl -f) and "-" (stdin). Lists are expanded.</summary>
    /// <exception cref="RenderInputException">A path is missing or a document cannot be parsed.</exception>
    public static IReadOnlyList<JsonObject> ReadInputs(IEnumerable<string> paths, TextReader stdin)
    {
        var objects = new List<JsonObject>();
        foreach (var path in paths)
        {
            if (path == "-")
            {
                Parse("stdin", stdin.ReadToEnd(), objects);
                continue;
            }
            IEnumerable<string> files;
            if (Directory.Exists(path))
                files = Directory.EnumerateFiles(path).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
            else if (File.Exists(path))
                files = [path];
            else
                throw new RenderInputException($"{path}: no such file or directory");
            foreach (var file in files)
            {
                string text;
                try { text = File.ReadAllText(file); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { throw new RenderInputException($"{file}: {ex.Message}", ex); }
                Parse(file, text, objects);
            }
        }
        return objects;
    }

    private static void Parse(string source, string text, List<JsonObject> into)
    {
        IReadOnlyList<JsonObject> docs;
        try { docs = KubeYaml.ParseDocuments(text); }
        catch (Exception ex) when (ex is not OutOfMemoryException) { throw new RenderInputException($"{source}: {ex.Message}", ex); }
        foreach (var doc in docs)
        {
            if (doc["kind"]?.ToString() is { } kind && kind.EndsWith("List", StringComparison.Ordinal) && doc["items"] is JsonArray items)
            {
                foreach (var item in items) if (item is JsonObject o) into.Add((JsonObject)o.DeepClone());
                continue;
            }
            if (doc["apiVersion"] is null || doc["kind"] is null || doc["metadata"]?["name"] is null)
                throw new RenderInputException($"{source}: every object needs apiVersion, kind and metadata.name");
            into.Add(doc);
        }
    }

    /// <summary>Loads <paramref name="inputs"/>, runs the controllers until nothing changes and returns every
    /// object of the store sorted by apiVersion, kind, namespace and name. Keys whose last reconcile
    /// failed go to <paramref name="errors"/> as one line each.</summary>
    /// <exception cref="RenderInputException">An object cannot be loaded (e.g. its kind is not served).</exception>
    public static async Task<IReadOnlyList<JsonObject>> RenderAsync(IReadOnlyList<JsonObject> inputs, RenderOptions options,
        TextWriter errors, ILoggerFactory? loggerFactory = null, CancellationToken ct = default)
    {
        var outer = loggerFactory ?? NullLoggerFactory.Instance;
        var collector = new ReconcileErrorCollector();
        using var logging = new LoggerFactory([collector, new ForwardingProvider(outer)]);
        await using var server = new ApiServerHost(new ApiServerOptions { InitialNamespaces = [.. new ApiServerOptions().InitialNamespaces.Append(options.SystemNamespace).Distinct()] }, outer);
        server.PreloadCustomResourceDefinitions(EmbeddedCrds());
        await server.StartAsync(ct).ConfigureAwait(false);

        // The controllers reach the store without a socket (InProcessApiHandler): same requests, same handler.
        var connection = options.InProcessTransport
            ? new KubeConnection { Server = server.BaseUri, Transport = server.CreateInProcessHandler }
            : KubeConnection.FromServer(server.BaseUri);
        using var client = new KubeClient(connection, options.Client, logging);
        var namespaces = client.Dynamic(ResourceDescriptor.Namespaces);
        var inputNamespaces = new HashSet<string>(StringComparer.Ordinal);
        var knownNamespaces = new HashSet<string>(StringComparer.Ordinal);
        // CRDs first so custom resources in the same input resolve; namespaces next so their objects have a home.
        foreach (var obj in inputs.OrderBy(o => o["kind"]?.ToString() switch { "CustomResourceDefinition" => 0, "Namespace" => 1, _ => 2 }))
        {
            if (obj["kind"]?.ToString() == "Namespace") inputNamespaces.Add(obj["metadata"]!["name"]!.ToString());
            try { server.LoadAsIs(obj); }
            catch (ArgumentException ex) { throw new RenderInputException($"{obj["kind"]} {obj["metadata"]?["name"]}: {ex.Message}", ex); }
            // Asked once per namespace (nothing deletes one while loading): a GET per object was 1,000 requests for
            // 1,000 Services.
            if (obj["metadata"]?["namespace"]?.ToString() is { Length: > 0 } ns && !knownNamespaces.Contains(ns))
            {
                if (await namespaces.TryGetAsync(null, ns, ct).ConfigureAwait(false) is null)
                    server.LoadAsIs(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } });
                knownNamespaces.Add(ns);
            }
        }

        var hostOptions = new ControllerHostOptions
        {
            Controllers = options.Controllers, Probe = options.Probe, SystemNamespace = options.SystemNamespace,
            ClusterDomain = options.ClusterDomain, LeaderElection = false, MetricsPort = 0,
        };
        await using (var host = new ControllerHost(client, hostOptions, logging))
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var run = host.RunAsync(stop.Token);
            await WaitForQuiescenceAsync(host, server, options, errors, ct).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await run.ConfigureAwait(false);
        }
        foreach (var line in collector.Lines) errors.WriteLine(line);
        var objects = await ListStoreAsync(client, server, inputNamespaces, ct).ConfigureAwait(false);
        if (!options.ShowProbeTargets) return objects;
        var probeTargets = await new Ingress.Networking.Reconciler.KIngressDiagnoser(client, options.SystemNamespace, options.ClusterDomain)
            .ProbeTargetDocumentsAsync(ct).ConfigureAwait(false);
        return [.. objects, .. probeTargets];
    }

    private static async Task WaitForQuiescenceAsync(ControllerHost host, ApiServerHost server, RenderOptions options, TextWriter errors, CancellationToken ct)
    {
        var time = TimeProvider.System;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Timeout);
        try
        {
            await host.Synced.WaitAsync(timeout.Token).ConfigureAwait(false);
            var lastRv = -1L;
            var stillSince = time.GetTimestamp();
            while (true)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), timeout.Token).ConfigureAwait(false);
                var rv = server.ResourceVersion;
                if (rv != lastRv || host.ReadyKeys > 0)
                {
                    lastRv = rv;
                    stillSince = time.GetTimestamp();
                    continue;
                }
                if (time.GetElapsedTime(stillSince) >= options.Settle) return;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            lock (errors) errors.WriteLine($"render: controllers still changing objects after {options.Timeout.TotalSeconds:0} s; printing the store as it is");
        }
    }

    private static async Task<IReadOnlyList<JsonObject>> ListStoreAsync(KubeClient client, ApiServerHost server, HashSet<string> inputNamespaces, CancellationToken ct)
    {
        var result = new List<JsonObject>();
        foreach (var type in server.Registry.All.Where(t => t.Storage).DistinctBy(t => t.StorageKey))
        {
            if (HiddenKinds.Contains(type.Kind)) continue;
            var list = await client.Dynamic(new ResourceDescriptor(type.Group, type.Version, type.Plural, type.Namespaced, type.Kind)).ListAllAsync(null, null, ct).ConfigureAwait(false);
            foreach (var item in list.Items)
            {
                if (type.Kind == "Namespace" && !inputNamespaces.Contains(item["metadata"]!["name"]!.ToString())) continue;
                (item["metadata"] as JsonObject)?.Remove("managedFields");
                result.Add(item);
            }
        }
        return Sort(result);
    }

    /// <summary>Sorted by apiVersion, kind, namespace and name (ordinal).</summary>
    public static IReadOnlyList<JsonObject> Sort(IEnumerable<JsonObject> objects) =>
        objects.OrderBy(o => o["apiVersion"]?.ToString() ?? "", StringComparer.Ordinal)
            .ThenBy(o => o["kind"]?.ToString() ?? "", StringComparer.Ordinal)
            .ThenBy(o => o["metadata"]?["namespace"]?.ToString() ?? "", StringComparer.Ordinal)
            .ThenBy(o => o["metadata"]?["name"]?.ToString() ?? "", StringComparer.Ordinal)
            .ToList();

    /// <summary>Multi-document YAML.</summary>
    public static string ToYaml(IEnumerable<JsonObject> objects) => KubeYaml.SerializeDocuments(objects);

    /// <summary>A v1 List, as <c>kubectl get -o json</c> prints several objects.</summary>
    public static string ToJson(IEnumerable<JsonObject> objects) =>
        new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = new JsonArray([.. objects.Select(o => (JsonNode)o.DeepClone())]) }
            .ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    private sealed class ForwardingProvider(ILoggerFactory target) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => target.CreateLogger(categoryName);
        public void Dispose() { }
    }
}
