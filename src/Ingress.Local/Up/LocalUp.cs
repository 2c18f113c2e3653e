using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Api.Core.V1;
using Ingress.ApiServer;
using Ingress.Autoscaling.Configuration;
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
}

/// <summary>
/// The whole system on one machine: the embedded API server (durable in the data directory) with Knative's
/// CRDs and admission, every controller, the local runner (Deployments as local processes) and the local
/// gateway (VirtualServices served on <see cref="LocalUpOptions.HttpPort"/>). It only composes those parts;
/// each is the same code a cluster or <c>ingress render</c> runs.
/// </summary>
public sealed class LocalUp : IAsyncDisposable
{
    public const string SystemNamespace = "knative-serving";
    public const string GatewayNamespace = "istio-system";

    private readonly LocalUpOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _log;
    private ApiServerHost? _server;
    private ControllerHost? _host;
    private LocalRunner? _runner;
    private LocalGateway? _gateway;

    public LocalUp(LocalUpOptions options, ILoggerFactory? loggerFactory = null)
    {
        _options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _log = _loggerFactory.CreateLogger("ingress-up");
    }

    public Uri ApiServer => _server?.BaseUri ?? throw new InvalidOperationException("not started");
    public string KubeconfigPath => Path.Combine(_options.DataDirectory, "kubeconfig");
    public LocalGateway Gateway => _gateway ?? throw new InvalidOperationException("not started");
    public int GatewayHttpPort => _gateway?.PortOf("knative-serving/knative-ingress-gateway", 80) ?? _options.HttpPort;

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
        await _server.StartAsync(ct).ConfigureAwait(false);
        WriteKubeconfig(_server.BaseUri);

        var client = new KubeClient(KubeConnection.FromServer(_server.BaseUri), new KubeClientOptions(), _loggerFactory);
        await SeedAsync(client, ct).ConfigureAwait(false);

        _host = new ControllerHost(client, new ControllerHostOptions
        {
            LeaderElection = false,
            MetricsPort = _options.MetricsPort == 0 ? 0 : _options.MetricsPort,
            MetricsBindAddress = "127.0.0.1",
        }, _loggerFactory);
        _runner = new LocalRunner(client, _host.Informers, new LocalRunnerOptions
        {
            DataDirectory = _options.DataDirectory,
            Images = ImageMap.Load(Path.Combine(_options.DataDirectory, "images.yaml")),
        }, _loggerFactory);
        var informers = _host.Informers;
        _gateway = new LocalGateway(new LocalGatewayOptions { HttpPort = _options.HttpPort, LocalHttpPort = _options.LocalHttpPort, ListenAddress = System.Net.IPAddress.Loopback },
            informers.For<VirtualService>(), informers.For<IstioGateway>(),
            new KubeDestinationResolver(informers.For<Service>(), informers.For<Endpoints>()), _loggerFactory);

        var controllers = _host.RunAsync(ct);
        await _host.Synced.WaitAsync(ct).ConfigureAwait(false);
        await _gateway.StartAsync(ct).ConfigureAwait(false);
        var runner = _runner.RunAsync(ct);
        started?.Invoke(this);
        await Task.WhenAll(controllers, runner).ConfigureAwait(false);
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
    /// the controllers need, the two Knative gateways and the gateway Services whose Endpoints point at this
    /// process (the KIngress prober probes them like any gateway pod). Objects that exist are left as they are,
    /// so a user's edits survive a restart.</summary>
    private async Task SeedAsync(KubeClient client, CancellationToken ct)
    {
        var localPort = _options.LocalHttpPort;
        var httpPort = _options.HttpPort;
        var seed = $$"""
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
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: config-autoscaler, namespace: knative-serving}
            data: {enable-scale-to-zero: "false"}
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
            ---
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
            """;
        foreach (var obj in KubeYaml.ParseDocuments(seed))
        {
            var descriptor = DescriptorOf(obj);
            try
            {
                await client.Dynamic(descriptor).CreateAsync(obj, ct: ct).ConfigureAwait(false);
            }
            catch (AlreadyExistsException)
            {
            }
        }
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

    public async ValueTask DisposeAsync()
    {
        if (_gateway is not null) await _gateway.DisposeAsync().ConfigureAwait(false);
        if (_runner is not null) await _runner.DisposeAsync().ConfigureAwait(false);
        if (_host is not null) await _host.DisposeAsync().ConfigureAwait(false);
        if (_server is not null) await _server.DisposeAsync().ConfigureAwait(false);
    }
}
