using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Api.Core.V1;
using Revision = Ingress.Api.Serving.V1.Revision;
using Ingress.ApiServer;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Reconciler;
using Ingress.DataPlane.Activator;
using Ingress.DataPlane.Gateway;
using Ingress.Kube.Client;
using Ingress.Kube.Typed;
using Ingress.Local.Hosting;
using Ingress.Local.Runner;
using Ingress.Serving;
using Ingress.Serving.Config;
using Ingress.Serving.Webhook;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using IstioGateway = Ingress.Api.Istio.Networking.V1Beta1.Gateway;
using VirtualService = Ingress.Api.Istio.Networking.V1Beta1.VirtualService;

namespace Ingress.Local.Up;

/// <summary>Options of <c>ingress up</c>. Defaults follow the Knative tutorials (gateway on 8080).</summary>
public sealed record LocalUpOptions
{
    /// <summary>Where the API server's write-ahead log, the replicas' logs and the kubeconfig live.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The knative-ingress-gateway listener: 8080, the port the tutorials' curl commands use
    /// (unprivileged, unlike Istio's 80).</summary>
    public int HttpPort { get; init; } = 8080;

    /// <summary>The knative-local-gateway listener (cluster-local traffic).</summary>
    public int LocalHttpPort { get; init; } = 8081;

    /// <summary>The embedded API server's port. 0 lets the OS choose; the kubeconfig written says which.</summary>
    public int ApiPort { get; init; } = 6443;

    /// <summary>Prometheus metrics of the controllers; 0 disables.</summary>
    public int MetricsPort { get; init; } = 9090;

    /// <summary>The activator's HTTP (HTTP/1.1 + h2c) and h2c-only ports on 127.0.0.1. Default 0: the OS chooses,
    /// since nothing outside this process dials the activator directly; the ServerlessService finds it through the
    /// Endpoints of <c>knative-serving/activator-service</c>, rewritten with the bound ports at every start.</summary>
    public int ActivatorPort { get; init; }
    public int ActivatorH2cPort { get; init; }
}

/// <summary>
/// The whole system on one machine: the embedded API server (durable in the data directory) with Knative's
/// CRDs and admission, every controller, the autoscaler, the activator, the local runner (Deployments as local
/// processes) and the local gateway (VirtualServices served on <see cref="LocalUpOptions.HttpPort"/>). It only
/// composes those parts; each is the same code a cluster or <c>ingress render</c> runs.
/// </summary>
public sealed class LocalUp : IAsyncDisposable
{
    public const string SystemNamespace = "knative-serving";
    public const string GatewayNamespace = "istio-system";
    /// <summary>Upstream's activator Service; the ServerlessService reconciler reads its Endpoints.</summary>
    public const string ActivatorService = "activator-service";
    /// <summary>The activator listens on the loopback address; it is also its "pod IP" in the Endpoints, which
    /// is how it finds its own index among the activators of a revision (one here).</summary>
    public const string ActivatorIp = "127.0.0.1";

    /// <summary>config-autoscaler as first seeded. Knative's defaults except the grace period: it bounds how long
    /// the last pod is kept after the revision went inactive so that the activator is in the data path everywhere
    /// (Istio pushing new endpoints to every gateway pod takes seconds in a cluster; upstream's 30 s). Here the
    /// gateway reads Endpoints from its informer at request time, so 10 s still covers several informer round trips
    /// and the autoscaler's 1 s activator probes on a loaded machine, and a developer waits 60 s + 10 s for zero
    /// instead of 60 s + 30 s. The stable window stays Knative's 60 s: it shapes every scaling decision.</summary>
    public static readonly IReadOnlyDictionary<string, string> SeededAutoscalerConfig = new Dictionary<string, string>
    {
        ["enable-scale-to-zero"] = "true",
        ["scale-to-zero-grace-period"] = "10s",
    };

    private readonly LocalUpOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _log;
    private ApiServerHost? _server;
    private ControllerHost? _host;
    private AutoscalingControllers? _autoscaling;
    private ActivatorServer? _activator;
    private LocalRunner? _runner;
    private LocalGateway? _gateway;
    /// <summary>The gateway and the activator reach the queue-proxies (and the gateway the activator) of this process
    /// in memory: the data plane's hops inside one process skip the kernel.</summary>
    private readonly Ingress.DataPlane.Hosting.InProcessEndpoints _inProcess = new();

    public LocalUp(LocalUpOptions options, ILoggerFactory? loggerFactory = null)
    {
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _log = _loggerFactory.CreateLogger("ingress-up");
    }

    public Uri ApiServer => _server?.BaseUri ?? throw new InvalidOperationException("not started");
    public string KubeconfigPath => Path.Combine(_options.DataDirectory, "kubeconfig");
    /// <summary>The registry through which the data plane's hops inside this process go without sockets.</summary>
    public Ingress.DataPlane.Hosting.InProcessEndpoints InProcess => _inProcess;

    public LocalGateway Gateway => _gateway ?? throw new InvalidOperationException("not started");
    public int GatewayHttpPort => _gateway?.PortOf("knative-serving/knative-ingress-gateway", 80) ?? _options.HttpPort;
    public ActivatorServer Activator => _activator ?? throw new InvalidOperationException("not started");
    public LocalRunner Runner => _runner ?? throw new InvalidOperationException("not started");
    public AutoscalingControllers Autoscaling => _autoscaling ?? throw new InvalidOperationException("not started");

    /// <summary>Starts everything, then runs until <paramref name="ct"/> is cancelled.</summary>
    public async Task RunAsync(Action<LocalUp>? started, CancellationToken ct)
    {
        Directory.CreateDirectory(_options.DataDirectory);
        _server = new ApiServerHost(new ApiServerOptions
        {
            Port = _options.ApiPort,
            DataDirectory = Path.Combine(_options.DataDirectory, "apiserver"),
        }, _loggerFactory);
        _server.PreloadCustomResourceDefinitions(Renderer.EmbeddedCrds());
        // Knative's admission, judged with the default config (live config-defaults edits are not followed yet).
        ServingAdmissionHooks.Register(_server, new ServingAdmission(() => ServingConfig.Default,
            annotations => Ingress.Local.AutoscalingAnnotationErrors.ToServing(AutoscalingAnnotations.Validate(annotations, AutoscalerConfig.Default))));
        await Bind(() => _server.StartAsync(ct), _ => (_options.ApiPort, "API server, --api-port")).ConfigureAwait(false);
        WriteKubeconfig(_server.BaseUri);

        var client = new KubeClient(KubeConnection.FromServer(_server.BaseUri), InProcessClient.Options(), _loggerFactory);

        // The autoscaler is registered here rather than by the host so that it gets local-mode options (the
        // activator probe goes to whatever the public service's Endpoints say, as kube-proxy would route it) and
        // so that the activator can hand its stats straight to its runtime.
        _host = new ControllerHost(client, new ControllerHostOptions
        {
            LeaderElection = false,
            Controllers = new HashSet<string>(ControllerNames.All.Where(c => c != ControllerNames.Autoscaler), StringComparer.Ordinal),
            MetricsPort = _options.MetricsPort == 0 ? 0 : _options.MetricsPort,
            MetricsBindAddress = "127.0.0.1",
            TrimMemoryWhenIdle = new Ingress.Kube.Diagnostics.IdleMemoryTrimmerOptions(),
        }, _loggerFactory);
        var informers = _host.Informers;
        var destinations = new KubeDestinationResolver(informers.For<Service>(), informers.For<Endpoints>());
        _autoscaling = AutoscalingControllers.Register(informers, client, new AutoscalingControllerOptions
        {
            SystemNamespace = SystemNamespace,
            ActivatorService = ActivatorService,
            ActivatorProbeUrl = (ns, service, h2c) => ActivatorProbeUrl(destinations, ns, service, h2c),
        }, _loggerFactory);
        _activator = new ActivatorServer(new ActivatorOptions
        {
            ListenAddress = System.Net.IPAddress.Parse(ActivatorIp),
            HttpPort = _options.ActivatorPort,
            H2cPort = _options.ActivatorH2cPort,
            PodName = "activator-local",
            InProcess = _inProcess,
        }, new KubeRevisionBackends(informers.For<Revision>(), informers.For<Endpoints>(), new KubeRevisionBackendsOptions { ActivatorIp = ActivatorIp }),
            new RuntimeStatSink(_autoscaling), _loggerFactory);
        await Bind(() => _activator.StartAsync(ct), port => (port ?? _options.ActivatorPort, "activator")).ConfigureAwait(false);
        await SeedAsync(client, ct).ConfigureAwait(false);

        _runner = new LocalRunner(client, informers, new LocalRunnerOptions
        {
            DataDirectory = _options.DataDirectory,
            Images = ImageMap.Load(Path.Combine(_options.DataDirectory, "images.yaml")),
            InProcess = _inProcess,
        }, _loggerFactory);
        _gateway = new LocalGateway(new LocalGatewayOptions { HttpPort = _options.HttpPort, LocalHttpPort = _options.LocalHttpPort, ListenAddress = System.Net.IPAddress.Loopback, InProcess = _inProcess },
            informers.For<VirtualService>(), informers.For<IstioGateway>(), destinations, _loggerFactory);

        var controllers = _host.RunAsync(ct);
        // The host fails Synced when it cannot start (its metrics listener cannot bind), so this does not wait forever.
        await Bind(() => _host.Synced.WaitAsync(ct), _ => (_options.MetricsPort, "metrics, --metrics-port")).ConfigureAwait(false);
        var autoscaling = _autoscaling.RunAsync(ct);
        await Bind(() => _gateway.StartAsync(ct), port => port == _options.LocalHttpPort
            ? (port.Value, "cluster-local gateway, --local-http-port")
            : (port ?? _options.HttpPort, "ingress gateway, --http-port")).ConfigureAwait(false);
        var runner = _runner.RunAsync(ct);
        started?.Invoke(this);
        await Task.WhenAll(controllers, runner, IgnoreCancellation(autoscaling, ct)).ConfigureAwait(false);
    }

    /// <summary>Runs a listener's start and turns "address already in use" into <see cref="PortInUseException"/>
    /// naming the port (read from the bind error where the component has several) and its flag.</summary>
    private static async Task Bind(Func<Task> start, Func<int?, (int Port, string Purpose)> describe)
    {
        try
        {
            await start().ConfigureAwait(false);
        }
        catch (Exception ex) when (PortInUseException.IsAddressInUse(ex))
        {
            var (port, purpose) = describe(PortInUseException.PortFromMessage(ex));
            throw new PortInUseException(port, purpose, ex);
        }
    }

    private static async Task IgnoreCancellation(Task task, CancellationToken ct)
    {
        try { await task.ConfigureAwait(false); }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>The autoscaler probes the activator "behind the public service": in a cluster through the
    /// Service's ClusterIP, here through the address its Endpoints name (the activator while the ServerlessService
    /// proxies, the pods while it serves, and then queue-proxy refuses the <c>activator</c> probe, as it should).
    /// With no address the URL points at port 0, which refuses at once: a failed probe, not a slow one.</summary>
    private static Uri ActivatorProbeUrl(KubeDestinationResolver destinations, string ns, string service, bool h2c)
    {
        var resolved = destinations.Resolve($"{service}.{ns}", h2c ? 81 : 80);
        return resolved.Addresses.Count > 0 ? new Uri($"http://{resolved.Addresses[0]}/healthz") : new Uri("http://127.0.0.1:0/healthz");
    }

    /// <summary>The activator's stats go to the autoscaler in process (a cluster sends them over a WebSocket to
    /// the autoscaler's stat server, which does exactly this with each one: record, then poke).</summary>
    private sealed class RuntimeStatSink(AutoscalingControllers autoscaling) : IAutoscalerStatSink
    {
        public void Send(IReadOnlyList<Ingress.Api.Metrics.WireStatMessage> stats)
        {
            foreach (var message in stats)
                if (message.Stat is { } stat) autoscaling.Runtime.Deliver(new Ingress.Autoscaling.RevisionKey(message.Namespace, message.Name), stat);
        }
    }

    private void WriteKubeconfig(Uri server)
    {
        File.WriteAllText(KubeconfigPath, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: ingress-local
              cluster: {"{"}server: {server.ToString().TrimEnd('/')}{"}"}
            users:
            - name: ingress-local
              user: {"{"}{"}"}
            contexts:
            - name: ingress-local
              context: {"{"}cluster: ingress-local, user: ingress-local, namespace: default{"}"}
            current-context: ingress-local
            """);
    }

    /// <summary>What a cluster with Istio and Knative installed has before any user object: the config maps
    /// the controllers need and the two Knative gateways (created once; a user's edits survive a restart), and the
    /// Services of the gateways and the activator, whose Endpoints point at this process's listeners (rewritten at
    /// every start, since they describe this process: the KIngress prober probes the gateway through them like any
    /// gateway pod, and the ServerlessService puts the activator in the path through them).</summary>
    private async Task SeedAsync(KubeClient client, CancellationToken ct)
    {
        var autoscaler = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "config-autoscaler", ["namespace"] = SystemNamespace },
            ["data"] = new JsonObject(SeededAutoscalerConfig.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        };
        var once = $$"""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: config-domain, namespace: knative-serving}
            data: {"example.com": ""}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: config-deployment, namespace: knative-serving}
            data: {queue-sidecar-image: "ghcr.io/ingress-knative/queue-proxy:0.1.0"}
            ---
            apiVersion: networking.istio.io/v1beta1
            kind: Gateway
            metadata: {name: knative-ingress-gateway, namespace: knative-serving}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: ["*"]
            ---
            apiVersion: networking.istio.io/v1beta1
            kind: Gateway
            metadata: {name: knative-local-gateway, namespace: knative-serving}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 8081, name: http, protocol: HTTP}
                hosts: ["*"]
            """;
        var localPort = _options.LocalHttpPort;
        var httpPort = _options.HttpPort;
        var activatorPort = _activator!.HttpPort;
        var activatorH2cPort = _activator.H2cPort;
        var ours = $$"""
            apiVersion: v1
            kind: Service
            metadata:
              name: istio-ingressgateway
              namespace: istio-system
              labels: {istio: ingressgateway}
            spec:
              type: ClusterIP
              ports:
              - name: http2
                port: 80
                targetPort: {{httpPort}}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: istio-ingressgateway, namespace: istio-system}
            subsets:
            - addresses: [{ip: 127.0.0.1}]
              ports:
              - name: http2
                port: {{httpPort}}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: knative-local-gateway, namespace: istio-system}
            spec:
              type: ClusterIP
              ports:
              - name: http2
                port: 8081
                targetPort: {{localPort}}
              - name: http
                port: 80
                targetPort: {{localPort}}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata: {name: knative-local-gateway, namespace: istio-system}
            subsets:
            - addresses: [{ip: 127.0.0.1}]
              ports:
              - name: http2
                port: {{localPort}}
              - name: http
                port: {{localPort}}
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: {{ActivatorService}}
              namespace: {{SystemNamespace}}
              labels: {app: activator}
            spec:
              type: ClusterIP
              ports:
              - name: http
                port: 80
                targetPort: {{activatorPort}}
              - name: http2
                port: 81
                targetPort: {{activatorH2cPort}}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata:
              name: {{ActivatorService}}
              namespace: {{SystemNamespace}}
              labels: {app: activator}
            subsets:
            - addresses:
              - ip: {{ActivatorIp}}
                targetRef: {kind: Pod, namespace: {{SystemNamespace}}, name: activator-local}
              ports:
              - name: http
                port: {{activatorPort}}
              - name: http2
                port: {{activatorH2cPort}}
            """;
        foreach (var obj in KubeYaml.ParseDocuments(once).Prepend(autoscaler))
        {
            try
            {
                await client.Dynamic(DescriptorOf(obj)).CreateAsync(obj, ct: ct).ConfigureAwait(false);
            }
            catch (AlreadyExistsException)
            {
            }
        }
        await UpgradeAutoscalerSeedAsync(client, autoscaler, ct).ConfigureAwait(false);
        foreach (var obj in KubeYaml.ParseDocuments(ours))
        {
            var resource = client.Dynamic(DescriptorOf(obj));
            var metadata = obj["metadata"]!;
            var existing = await resource.TryGetAsync(metadata["namespace"]!.GetValue<string>(), metadata["name"]!.GetValue<string>(), ct).ConfigureAwait(false);
            if (existing is null)
            {
                await resource.CreateAsync(obj, ct: ct).ConfigureAwait(false);
                continue;
            }
            metadata["resourceVersion"] = existing["metadata"]?["resourceVersion"]?.DeepClone();
            if (existing["spec"]?["clusterIP"] is { } clusterIp) obj["spec"]!["clusterIP"] = clusterIp.DeepClone();
            await resource.UpdateAsync(obj, ct: ct).ConfigureAwait(false);
        }
    }

    /// <summary>Data directories made before the activator ran here hold the old seed, scale to zero off. That
    /// exact content was ours, not the user's, so it gets the current seed; any other content is left alone.</summary>
    private static async Task UpgradeAutoscalerSeedAsync(KubeClient client, JsonObject seed, CancellationToken ct)
    {
        var resource = client.Dynamic(DescriptorOf(seed));
        var existing = await resource.TryGetAsync(SystemNamespace, "config-autoscaler", ct).ConfigureAwait(false);
        if (existing?["data"] is not JsonObject { Count: 1 } data || data["enable-scale-to-zero"]?.GetValue<string>() != "false") return;
        existing["data"] = seed["data"]!.DeepClone();
        await resource.UpdateAsync(existing, ct: ct).ConfigureAwait(false);
    }

    /// <summary>The seed holds only kinds the models know, so the registry gives plural and scope.</summary>
    private static ResourceDescriptor DescriptorOf(JsonObject obj)
    {
        var apiVersion = obj["apiVersion"]!.GetValue<string>();
        var kind = obj["kind"]!.GetValue<string>();
        if (!KnownKinds.TryGetByApiVersion(apiVersion, kind, out var known))
            throw new InvalidOperationException($"seed object of unknown kind {apiVersion} {kind}");
        return new ResourceDescriptor(known.Group, known.Version, known.Plural, known.Namespaced, known.Kind);
    }

    /// <summary>Stops everything, front to back: no new requests (gateway, activator), then the replicas (their
    /// processes are killed, see <see cref="LocalRunner.DisposeAsync"/>), then the controllers and the API server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_gateway is not null) await _gateway.DisposeAsync().ConfigureAwait(false);
        if (_activator is not null) await _activator.DisposeAsync().ConfigureAwait(false);
        if (_runner is not null) await _runner.DisposeAsync().ConfigureAwait(false);
        _autoscaling?.Dispose();
        if (_host is not null) await _host.DisposeAsync().ConfigureAwait(false);
        if (_server is not null) await _server.DisposeAsync().ConfigureAwait(false);
    }
}
