using System.Globalization;
using System.Text.Json.Nodes;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Local.Runner;

public sealed record LocalRunnerOptions
{
    /// <summary>Root of the local mode's files; pod logs go to &lt;DataDirectory&gt;/logs/&lt;ns&gt;/&lt;pod&gt;.log.</summary>
    public required string DataDirectory { get; init; }
    /// <summary>The user's images.yaml. Default: none (only the built-in samples and container commands).</summary>
    public ImageMap Images { get; init; } = ImageMap.Empty;
    public RestartBackoff Backoff { get; init; } = new();
    /// <summary>How often each pod's queue-proxy is probed as kubelet would. Default 1 s: Knative gives queue-proxy
    /// periodSeconds 0 (aggressive probing); once a second is enough for a readiness change to reach Endpoints
    /// promptly without spending a shared machine's CPU.</summary>
    public TimeSpan ProbePeriod { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Wait before trying again a replica that failed to start. Default 5 s.</summary>
    public TimeSpan StartRetryDelay { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Registry the replicas' queue-proxies join, so that the gateway and activator of the same process reach
    /// them without a socket. Null: TCP only.</summary>
    public Ingress.DataPlane.Hosting.InProcessEndpoints? InProcess { get; init; }
}

/// <summary>
/// The local kubelet + ReplicaSet controller: realises every Deployment as replicas (<see cref="Replica"/>),
/// following spec.replicas; reports one Pod per replica (podIP = the replica's loopback address, Ready once the
/// queue-proxy's health check answers 200 as kubelet probes it), the Endpoints of every Service whose selector
/// matches those pods, and the Deployment's status.
/// </summary>
public sealed partial class LocalRunner : IReconciler, IAsyncDisposable
{
    public const string ControllerName = "local-runner";
    private static readonly ResourceDescriptor Deployments = new("apps", "v1", "deployments", true, "Deployment");
    private static readonly ResourceDescriptor Services = new("", "v1", "services", true, "Service");
    private static readonly ResourceDescriptor Pods = new("", "v1", "pods", true, "Pod");
    private static readonly ResourceDescriptor EndpointsKind = new("", "v1", "endpoints", true, "Endpoints");

    private readonly LocalRunnerOptions _options;
    private readonly ResourceClient<JsonObject> _deployments, _pods, _endpoints;
    private readonly SharedInformerFactory _informers;
    private readonly SharedInformer<JsonObject> _deploymentInformer, _serviceInformer;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly ILogger _logger;
    /// <summary>Serialises Endpoints writes: they are computed per namespace from every Deployment's pods, so two
    /// Deployments reconciled at once in one namespace must not interleave their read-compute-write.</summary>
    private readonly SemaphoreSlim _endpointsLock = new(1, 1);
    /// <summary>Deployments reconciled at once. Default 4: starting a replica costs 0.3–0.8 s of mostly waiting
    /// (process or in-process host start, readiness), so 100 Services applied together no longer start one
    /// after another; the work queue never hands the same Deployment to two workers.</summary>
    internal const int Workers = 4;
    private readonly Dictionary<string, List<RunningPod>> _running = new(StringComparer.Ordinal);
    private readonly HttpClient _probeClient = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(1) };
    private readonly CancellationTokenSource _disposed = new();
    /// <summary>The subsets last written per Endpoints (ns/name), so unchanged Endpoints cost no request. Forgotten
    /// when the Service goes (its Endpoints go with it).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _lastEndpoints = new(StringComparer.Ordinal);

    public LocalRunner(KubeClient client, SharedInformerFactory informers, LocalRunnerOptions options, ILoggerFactory? loggerFactory = null)
    {
        _options = options;
        _informers = informers;
        _loggerFactory = loggerFactory;
        _logger = (ILogger?)loggerFactory?.CreateLogger<LocalRunner>() ?? NullLogger.Instance;
        _deployments = client.Dynamic(Deployments);
        _pods = client.Dynamic(Pods);
        _endpoints = client.Dynamic(EndpointsKind);
        _deploymentInformer = informers.Dynamic(Deployments);
        _serviceInformer = informers.Dynamic(Services);
        Metrics = new RunnerMetrics(CountPods);
        Controller = new Controller(new ControllerOptions { Name = ControllerName, Workers = Workers }, this, loggerFactory);
        _deploymentInformer.AddEventHandler(Controller.EnqueueHandler<JsonObject>(), TimeSpan.FromMinutes(10));
        // A Service change can change the Endpoints of any Deployment's pods in its namespace.
        _serviceInformer.AddEventHandler(new ResourceEventHandler<JsonObject>
        {
            Add = (_, h, _) => EnqueueNamespace(h.Namespace),
            Update = (_, _, h, _) => EnqueueNamespace(h.Namespace),
            Delete = (_, h) => { _lastEndpoints.TryRemove(h.Namespace + "/" + h.Name, out var forgotten); EnqueueNamespace(h.Namespace); },
        });
        // If this process exits before the runner was disposed (a second Ctrl-C, a host that gives up waiting for
        // a clean stop), the replicas' programs must not outlive it.
        AppDomain.CurrentDomain.ProcessExit += KillAllOnExit;
    }

    private void KillAllOnExit(object? sender, EventArgs e)
    {
        List<RunningPod> all;
        lock (_running) all = _running.Values.SelectMany(v => v).ToList();
        foreach (var pod in all) pod.Replica.KillProcessTree();
    }

    public Controller Controller { get; }
    public RunnerMetrics Metrics { get; }

    private (int Ready, int NotReady) CountPods()
    {
        lock (_running)
        {
            var all = _running.Values.SelectMany(v => v).ToList();
            var ready = all.Count(p => p.Ready);
            return (ready, all.Count - ready);
        }
    }

    /// <summary>Starts the informers and runs the controller until <paramref name="ct"/> ends.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        _informers.Start(ct);
        await _informers.WaitForCacheSyncAsync(ct);
        await DeleteStalePodsAsync(ct);
        await Controller.RunAsync(ct);
    }

    /// <summary>Pods on node "local" that this runner did not start were left by an earlier run: their processes
    /// died with it. Deleting them lets the reconcile start fresh replicas and keeps dead addresses out of Endpoints.</summary>
    private async Task DeleteStalePodsAsync(CancellationToken ct)
    {
        HashSet<string> ours;
        lock (_running) ours = _running.Values.SelectMany(v => v).Select(p => p.Replica.Spec.Namespace + "/" + p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var pod in (await _pods.ListAllAsync(ct: ct)).Items)
        {
            if (pod["spec"]?["nodeName"]?.GetValue<string>() != "local" || ours.Contains(Namespace(pod) + "/" + Name(pod))) continue;
            try { await _pods.DeleteAsync(Namespace(pod), Name(pod), ct: ct); }
            catch (NotFoundException) { }
            LogStalePodDeleted(Namespace(pod), Name(pod));
        }
    }

    /// <summary>The replicas running for a Deployment key (namespace/name), for tests and the CLI's status view.</summary>
    public IReadOnlyList<Replica> ReplicasOf(string key)
    {
        lock (_running) return _running.TryGetValue(key, out var list) ? list.Select(p => p.Replica).ToList() : [];
    }

    private void EnqueueNamespace(string? ns)
    {
        foreach (var d in _deploymentInformer.Lister.List(ns)) Controller.Enqueue(ObjectKey.Of(ns, Name(d)));
        // Deployments already gone still own Endpoints entries until reconciled.
        lock (_running)
        {
            foreach (var key in _running.Keys.Where(k => k.StartsWith(ns + "/", StringComparison.Ordinal))) Controller.Enqueue(key);
        }
    }

    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct)
    {
        var slash = key.IndexOf('/');
        var ns = key[..slash];
        var name = key[(slash + 1)..];
        // One key at a time per Deployment (the work queue's guarantee); the pod lists are shared with readers on
        // other threads, so they change only under the _running lock.
        {
            var deployment = _deploymentInformer.Lister.Get(ns, name);
            List<RunningPod> pods;
            lock (_running)
            {
                if (!_running.TryGetValue(key, out pods!)) _running[key] = pods = [];
            }
            var desired = deployment is null || deployment["metadata"]?["deletionTimestamp"] is not null
                ? 0
                : deployment["spec"]?["replicas"]?.GetValue<int>() ?? 1;
            ReconcileResult result = ReconcileResult.Done;
            while (pods.Count < desired && deployment is not null)
            {
                var started = await StartPodAsync(key, deployment, ct);
                if (started is null)
                {
                    result = ReconcileResult.After(_options.StartRetryDelay);
                    break;
                }
                lock (_running) pods.Add(started);
            }
            while (pods.Count > desired)
            {
                var victim = pods.FirstOrDefault(p => !p.Ready) ?? pods[^1]; // not-ready pods go first, as the ReplicaSet controller does
                lock (_running) pods.Remove(victim);
                await StopPodAsync(victim, ct);
            }
            foreach (var pod in pods.Where(p => p.Ready != p.ReportedReady || p.Replica.Restarts != p.ReportedRestarts).ToList())
            {
                var ready = pod.Ready;
                var restarts = pod.Replica.Restarts;
                await _pods.PatchAsync(ns, pod.Name, PatchType.Merge, PodStatus(pod.Replica, ready, pod.Started).ToJsonString(),
                    new PatchOptions(Subresource: "status"), ct);
                if (ready != pod.ReportedReady) LogPodReadiness(ns, pod.Name, ready);
                pod.ReportedReady = ready;
                pod.ReportedRestarts = restarts;
            }
            await _endpointsLock.WaitAsync(ct);
            try { await SyncEndpointsAsync(ns, ct); }
            finally { _endpointsLock.Release(); }
            if (deployment is not null) await UpdateDeploymentStatusAsync(deployment, pods, ct);
            if (deployment is null && pods.Count == 0)
            {
                lock (_running) _running.Remove(key);
            }
            return result;
        }
    }

    private async Task<RunningPod?> StartPodAsync(string key, JsonObject deployment, CancellationToken ct)
    {
        var ns = Namespace(deployment);
        var template = deployment["spec"]?["template"] as JsonObject ?? [];
        var containers = template["spec"]?["containers"] as JsonArray ?? [];
        var user = containers.OfType<JsonObject>().FirstOrDefault(c => c["name"]?.GetValue<string>() != "queue-proxy");
        var queue = containers.OfType<JsonObject>().FirstOrDefault(c => c["name"]?.GetValue<string>() == "queue-proxy");
        if (user is null)
        {
            LogStartFailed(key, "", "the pod template has no user container");
            return null;
        }
        var podName = $"{Name(deployment)}-{RandomSuffix()}";
        var queueEnv = EnvOf(queue);
        var userPort = user["ports"]?[0]?["containerPort"]?.GetValue<int>()
            ?? (queueEnv.TryGetValue("USER_PORT", out var up) && int.TryParse(up, CultureInfo.InvariantCulture, out var n) ? n : 8080);
        var spec = new ReplicaSpec
        {
            Namespace = ns,
            PodName = podName,
            Image = user["image"]?.GetValue<string>() ?? "",
            Command = Strings(user["command"]),
            Args = Strings(user["args"]),
            Env = EnvOf(user),
            UserPort = userPort,
            QueueProxyEnv = queueEnv,
            LogPath = ReplicaLogs.PathOf(_options.DataDirectory, ns, podName),
        };
        var replica = new Replica(spec, _options.Images, _options.Backoff, _loggerFactory, _options.InProcess);
        try
        {
            await replica.StartAsync(ct);
        }
        catch (ReplicaStartException ex)
        {
            LogStartFailed(key, podName, $"{ex.Failure}: {ex.Message}");
            Metrics.StartFailures.Add(1, new KeyValuePair<string, object?>("reason", ex.Failure.ToString()));
            await replica.DisposeAsync();
            return null;
        }
        var started = DateTimeOffset.UtcNow;
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = podName,
                ["namespace"] = ns,
                ["labels"] = template["metadata"]?["labels"]?.DeepClone() ?? new JsonObject(),
                ["annotations"] = template["metadata"]?["annotations"]?.DeepClone() ?? new JsonObject(),
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "apps/v1",
                    ["kind"] = "Deployment",
                    ["name"] = Name(deployment),
                    ["uid"] = deployment["metadata"]?["uid"]?.GetValue<string>() ?? "",
                    ["controller"] = true,
                    ["blockOwnerDeletion"] = true,
                }),
            },
            ["spec"] = (template["spec"]?.DeepClone() as JsonObject ?? []).Also(s => s["nodeName"] = "local"),
        };
        try
        {
            await _pods.CreateAsync(pod, ct: ct);
            await _pods.PatchAsync(ns, podName, PatchType.Merge, PodStatus(replica, false, started).ToJsonString(), new PatchOptions(Subresource: "status"), ct);
        }
        catch
        {
            await replica.DisposeAsync();
            throw;
        }
        LogPodStarted(ns, podName, replica.Program, replica.Address.ToString());
        Metrics.PodsStarted.Add(1);
        replica.ProcessExited += _ => Metrics.ProcessRestarts.Add(1);
        replica.ProcessRestarted += _ => Controller.Enqueue(key); // report the restart count on the Pod
        var running = new RunningPod(podName, replica, started);
        running.SetTemplate(template);
        running.ProbeLoop = Task.Run(() => ProbeLoopAsync(key, running, running.Stop.Token), CancellationToken.None);
        return running;
    }

    /// <summary>kubelet's readiness probe of the queue-proxy container: its health check, over HTTP.</summary>
    private async Task ProbeLoopAsync(string key, RunningPod pod, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.ProbePeriod);
        do
        {
            var ready = false;
            if (pod.Replica.QueueProxy is { } qp)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{pod.Replica.Address}:{qp.ServingPort}/");
                    request.Headers.TryAddWithoutValidation("User-Agent", "kube-probe/1.32");
                    request.Headers.TryAddWithoutValidation("K-Network-Probe", "queue");
                    using var response = await _probeClient.SendAsync(request, ct);
                    ready = response.IsSuccessStatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested) { }
                catch (OperationCanceledException) { return; }
            }
            if (ready != pod.Ready)
            {
                pod.Ready = ready;
                Controller.Enqueue(key);
            }
        }
        while (await WaitTick(timer, ct));
    }

    private static async Task<bool> WaitTick(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }

    private async Task StopPodAsync(RunningPod pod, CancellationToken ct)
    {
        var ns = pod.Replica.Spec.Namespace;
        await pod.Stop.CancelAsync();
        // Out of the Endpoints first, then drain: requests already routed finish, no new ones arrive.
        await _pods.DeleteAsync(ns, pod.Name, ct: ct);
        await SyncEndpointsAsync(ns, ct);
        await pod.Replica.DisposeAsync();
        if (pod.ProbeLoop is { } loop) await loop;
        LogPodStopped(ns, pod.Name);
        Metrics.PodsStopped.Add(1);
    }

    private static JsonObject PodStatus(Replica replica, bool ready, DateTimeOffset started)
    {
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var status = ready ? "True" : "False";
        JsonObject Condition(string type, string s) => new() { ["type"] = type, ["status"] = s, ["lastTransitionTime"] = now };
        return new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["phase"] = "Running",
                ["hostIP"] = "127.0.0.1",
                ["podIP"] = replica.Address.ToString(),
                ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = replica.Address.ToString() }),
                ["startTime"] = started.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                ["conditions"] = new JsonArray(Condition("PodScheduled", "True"), Condition("Initialized", "True"),
                    Condition("ContainersReady", status), Condition("Ready", status)),
                ["containerStatuses"] = new JsonArray(
                    ContainerStatus("user-container", replica.Spec.Image, ready, replica.Restarts, started),
                    ContainerStatus("queue-proxy", "ingress/queue-proxy", ready, 0, started)),
            },
        };
    }

    private static JsonObject ContainerStatus(string name, string image, bool ready, int restarts, DateTimeOffset started) => new()
    {
        ["name"] = name,
        ["image"] = image,
        ["ready"] = ready,
        ["started"] = true,
        ["restartCount"] = restarts,
        ["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = started.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) } },
    };

    /// <summary>Writes the Endpoints of every Service in the namespace that has a selector, from the pods running
    /// here whose labels match it. Addresses with the same port mapping share a subset, as the endpoints controller groups them.</summary>
    private async Task SyncEndpointsAsync(string ns, CancellationToken ct)
    {
        List<RunningPod> all;
        lock (_running)
        {
            all = _running.Where(kv => kv.Key.StartsWith(ns + "/", StringComparison.Ordinal)).SelectMany(kv => kv.Value).ToList();
        }
        foreach (var service in _serviceInformer.Lister.List(ns))
        {
            if (service["spec"]?["selector"] is not JsonObject { Count: > 0 } selector) continue;
            var servicePorts = service["spec"]?["ports"] as JsonArray ?? [];
            var subsets = new Dictionary<string, (JsonArray Ports, JsonArray Ready, JsonArray NotReady)>(StringComparer.Ordinal);
            foreach (var pod in all.Where(p => Matches(selector, p)).OrderBy(p => p.Replica.Address.ToString(), StringComparer.Ordinal))
            {
                var ports = new JsonArray();
                foreach (var sp in servicePorts.OfType<JsonObject>())
                {
                    var port = new JsonObject { ["port"] = TargetPort(sp, pod), ["protocol"] = sp["protocol"]?.GetValue<string>() ?? "TCP" };
                    if (sp["name"]?.GetValue<string>() is { } portName) port["name"] = portName;
                    if (sp["appProtocol"]?.GetValue<string>() is { } app) port["appProtocol"] = app;
                    ports.Add(port);
                }
                var signature = ports.ToJsonString();
                if (!subsets.TryGetValue(signature, out var subset)) subsets[signature] = subset = (ports, [], []);
                var address = new JsonObject
                {
                    ["ip"] = pod.Replica.Address.ToString(),
                    ["nodeName"] = "local",
                    ["targetRef"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = ns, ["name"] = pod.Name },
                };
                (pod.ReportedReady ? subset.Ready : subset.NotReady).Add(address);
            }
            var subsetsJson = new JsonArray(subsets.Values.Select(s =>
            {
                var o = new JsonObject();
                if (s.Ready.Count > 0) o["addresses"] = s.Ready;
                if (s.NotReady.Count > 0) o["notReadyAddresses"] = s.NotReady;
                o["ports"] = s.Ports;
                return (JsonNode)o;
            }).ToArray());
            var name = Name(service);
            var endpointsKey = ns + "/" + name;
            var written = subsetsJson.ToJsonString();
            // Only Services whose selector matches our pods, or whose Endpoints we wrote before, are ours to keep:
            // reading every Service's Endpoints on every reconcile made starting N revisions cost N² requests.
            if (subsets.Count == 0 && !_lastEndpoints.ContainsKey(endpointsKey)) continue;
            if (_lastEndpoints.TryGetValue(endpointsKey, out var last) && last == written) continue;
            var existing = await _endpoints.TryGetAsync(ns, name, ct);
            if (existing is null)
            {
                var labels = service["metadata"]?["labels"]?.DeepClone() ?? new JsonObject();
                await _endpoints.CreateAsync(new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Endpoints",
                    ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = labels },
                    ["subsets"] = subsetsJson,
                }, ct: ct);
            }
            else if (!JsonNode.DeepEquals(existing["subsets"] ?? new JsonArray(), subsetsJson))
            {
                existing["subsets"] = subsetsJson;
                await _endpoints.UpdateAsync(existing, ct: ct);
            }
            _lastEndpoints[endpointsKey] = written;
        }
    }

    private static bool Matches(JsonObject selector, RunningPod pod) =>
        selector.All(kv => pod.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value?.GetValue<string>());

    /// <summary>A Service port's targetPort on this pod: a number is a pod port, a name is looked up in the
    /// containers' ports; either is then mapped to where this replica serves it.</summary>
    private static int TargetPort(JsonObject servicePort, RunningPod pod)
    {
        var target = servicePort["targetPort"] ?? servicePort["port"];
        int podPort;
        if (target is JsonValue v && v.TryGetValue<int>(out var number)) podPort = number;
        else
        {
            var name = target?.GetValue<string>();
            podPort = pod.NamedPorts.GetValueOrDefault(name ?? "", 0);
            if (podPort == 0 && int.TryParse(name, CultureInfo.InvariantCulture, out var parsed)) podPort = parsed;
        }
        return pod.Replica.MapPodPort(podPort);
    }

    private async Task UpdateDeploymentStatusAsync(JsonObject deployment, List<RunningPod> pods, CancellationToken ct)
    {
        var ready = pods.Count(p => p.ReportedReady);
        var desired = deployment["spec"]?["replicas"]?.GetValue<int>() ?? 1;
        var status = new JsonObject
        {
            ["observedGeneration"] = deployment["metadata"]?["generation"]?.GetValue<long>() ?? 0,
            ["replicas"] = pods.Count,
            ["updatedReplicas"] = pods.Count,
            ["readyReplicas"] = ready,
            ["availableReplicas"] = ready,
            ["unavailableReplicas"] = Math.Max(0, desired - ready),
        };
        var current = deployment["status"] as JsonObject;
        var same = current is not null && status.All(kv => JsonNode.DeepEquals(current[kv.Key] ?? 0, kv.Value));
        if (same) return;
        var available = ready >= desired ? "True" : "False";
        var previousAvailable = (current?["conditions"] as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(c => c["type"]?.GetValue<string>() == "Available");
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        status["conditions"] = new JsonArray(new JsonObject
        {
            ["type"] = "Available",
            ["status"] = available,
            ["reason"] = available == "True" ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
            ["message"] = available == "True" ? "Deployment has minimum availability." : "Deployment does not have minimum availability.",
            ["lastUpdateTime"] = now,
            ["lastTransitionTime"] = previousAvailable?["status"]?.GetValue<string>() == available
                ? previousAvailable["lastTransitionTime"]?.DeepClone() : now,
        });
        await _deployments.PatchAsync(Namespace(deployment), Name(deployment), PatchType.Merge,
            new JsonObject { ["status"] = status }.ToJsonString(), new PatchOptions(Subresource: "status"), ct);
    }

    private static Dictionary<string, string> EnvOf(JsonObject? container)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in (container?["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            // valueFrom (field refs, secrets) has no local source yet; literal values only.
            if (e["name"]?.GetValue<string>() is { } n && e["value"]?.GetValue<string>() is { } v) env[n] = v;
        }
        return env;
    }

    private static List<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(n => n?.GetValue<string>() ?? "").ToList();

    private static string Name(JsonObject o) => o["metadata"]?["name"]?.GetValue<string>() ?? "";
    private static string Namespace(JsonObject o) => o["metadata"]?["namespace"]?.GetValue<string>() ?? "default";

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789"; // Kubernetes' name suffix alphabet (no vowels, no 0/1/3)
        return string.Create(5, 0, (span, _) => { for (var i = 0; i < span.Length; i++) span[i] = alphabet[Random.Shared.Next(alphabet.Length)]; });
    }

    /// <summary>Stops every replica at once, without draining (the runner stops with the whole local mode, when
    /// nothing routes to the pods any more): external processes are killed with their children.</summary>
    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        // Programs first, synchronously: whatever happens to the rest of the shutdown, none outlives us.
        KillAllOnExit(null, EventArgs.Empty);
        List<RunningPod> all;
        lock (_running) { all = _running.Values.SelectMany(v => v).ToList(); _running.Clear(); }
        await Task.WhenAll(all.Select(async pod =>
        {
            await pod.Stop.CancelAsync();
            await pod.Replica.StopAsync(drain: false);
            await pod.Replica.DisposeAsync();
            if (pod.ProbeLoop is { } loop) await loop;
        }));
        AppDomain.CurrentDomain.ProcessExit -= KillAllOnExit;
        _probeClient.Dispose();
        _disposed.Dispose();
        Metrics.Dispose();
    }

    private sealed class RunningPod(string name, Replica replica, DateTimeOffset started)
    {
        public string Name { get; } = name;
        public Replica Replica { get; } = replica;
        public DateTimeOffset Started { get; } = started;
        public volatile bool Ready;
        public bool ReportedReady;
        public int ReportedRestarts;
        public Task? ProbeLoop;
        public CancellationTokenSource Stop { get; } = new();
        public IReadOnlyDictionary<string, string> Labels => _labels ??= [];
        public IReadOnlyDictionary<string, int> NamedPorts => _ports ??= [];
        private Dictionary<string, string>? _labels;
        private Dictionary<string, int>? _ports;
        public void SetTemplate(JsonObject template)
        {
            _labels = (template["metadata"]?["labels"] as JsonObject ?? []).ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? "");
            _ports = [];
            foreach (var c in (template["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>())
                foreach (var p in (c["ports"] as JsonArray ?? []).OfType<JsonObject>())
                    if (p["name"]?.GetValue<string>() is { } n && p["containerPort"]?.GetValue<int>() is { } port) _ports[n] = port;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "pod {Namespace}/{Pod} started: {Program} on {Address}")]
    private partial void LogPodStarted(string @namespace, string pod, string program, string address);
    [LoggerMessage(Level = LogLevel.Information, Message = "pod {Namespace}/{Pod} left by an earlier run deleted")]
    private partial void LogStalePodDeleted(string @namespace, string pod);
    [LoggerMessage(Level = LogLevel.Information, Message = "pod {Namespace}/{Pod} stopped")]
    private partial void LogPodStopped(string @namespace, string pod);
    [LoggerMessage(Level = LogLevel.Information, Message = "pod {Namespace}/{Pod} ready={Ready}")]
    private partial void LogPodReadiness(string @namespace, string pod, bool ready);
    [LoggerMessage(Level = LogLevel.Warning, Message = "knative.dev/key={Key}: pod {Pod} failed to start: {Reason}")]
    private partial void LogStartFailed(string key, string pod, string reason);
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject o, Action<JsonObject> change)
    {
        change(o);
        return o;
    }
}
