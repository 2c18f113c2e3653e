using System.CommandLine;
using Ingress.Cli.Logging;
using Ingress.Cli.Observability;
using Ingress.Kube.Client;
using Ingress.Local.Hosting;
using Ingress.Serving.Images;
using Serilog.Core;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress controller</c>: every selected controller in one process against a cluster (in-cluster
/// configuration when neither --kubeconfig nor --server is given) until SIGTERM or Ctrl-C. The cluster
/// components that are controllers (<c>ingress net-istio-controller</c>, <c>ingress autoscaler</c>) are the same
/// command with their own controllers, Lease and config-logging component name.</summary>
public static class ControllerCommand
{
    /// <summary>The serving controllers: what the <c>controller</c> Deployment runs.</summary>
    public const string ServingControllers = "service,configuration,revision,route,domainmapping,namespace-wildcard-cert";

    public static Command Create() => Create("controller",
        "Run Knative Serving controllers (default: all of serving, networking and autoscaling in one process).",
        defaultControllers: null, defaultLease: "ingress-controller");

    /// <summary><c>ingress net-istio-controller</c>: the KIngress → Istio controller, as its Deployment runs it.</summary>
    public static Command CreateNetIstioController() => Create("net-istio-controller",
        "Run the networking controller (KIngress to Istio VirtualServices, gateway probing).",
        defaultControllers: ControllerNames.Ingress, defaultLease: "net-istio-controller");

    /// <summary><c>ingress autoscaler</c>: PodAutoscaler (KPA/HPA), Metric and ServerlessService reconcilers.</summary>
    public static Command CreateAutoscaler() => Create("autoscaler",
        "Run the autoscaler (PodAutoscaler, Metric and ServerlessService reconcilers).",
        defaultControllers: ControllerNames.Autoscaler, defaultLease: "autoscaler");

    private static Command Create(string verb, string description, string? defaultControllers, string defaultLease)
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "kubeconfig file; omit (with --server) for in-cluster configuration." };
        var server = new Option<string?>("--server") { Description = "API server URL (overrides the kubeconfig's; alone: unauthenticated)." };
        var controllers = new Option<string?>("--controllers")
        {
            Description = $"Comma-separated controllers to run (default {defaultControllers ?? "all: " + string.Join(",", ControllerNames.All)}).",
            DefaultValueFactory = _ => defaultControllers,
        };
        var metricsPort = new Option<int>("--metrics-port")
        {
            Description = "Port of /metrics, /healthz and /readyz (0 disables; env METRICS_PORT).",
            DefaultValueFactory = _ => int.TryParse(Environment.GetEnvironmentVariable("METRICS_PORT"), out var p) ? p : 9090,
        };
        var noLeaderElect = new Option<bool>("--no-leader-elect") { Description = "Run the controllers without holding the Lease." };
        var leaseName = new Option<string>("--lease-name")
        {
            Description = $"Lease held while the controllers run (default {defaultLease}); each component needs its own.",
            DefaultValueFactory = _ => defaultLease,
        };
        var systemNamespace = new Option<string>("--system-namespace")
        {
            Description = "Namespace of Knative's ConfigMaps and the Lease (env SYSTEM_NAMESPACE).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SYSTEM_NAMESPACE") is { Length: > 0 } ns ? ns : "knative-serving",
        };
        var clusterDomain = new Option<string>("--cluster-domain") { Description = "Cluster DNS suffix.", DefaultValueFactory = _ => "cluster.local" };
        var logFormat = new Option<LogFormat?>("--log-format") { Description = "text or json (default json in-cluster, text otherwise)." };
        // Knative's client flags (knative.dev/pkg environment.ClientConfig). Defaults are KubeClientOptions': 50 QPS and
        // a burst of 100, Knative's 5 QPS and 10 burst per controller; a large install converging from scratch (1,000
        // Services or KIngresses at once) is bounded by them, so operators can raise them as in Knative.
        var kubeApiQps = new Option<double?>("--kube-api-qps") { Description = "Client-side rate limit on API requests per second (default 50)." };
        var kubeApiBurst = new Option<int?>("--kube-api-burst") { Description = "Requests allowed above --kube-api-qps in a burst (default 100)." };
        // Tag-to-digest resolution needs the image registries. A pod reaches them; a process pointed at an API server
        // with --server/--kubeconfig (tests, `ingress apiserver`, a laptop) usually has no registry behind its images,
        // so there the default is none: Revisions then run their images by tag, as under render and up.
        var imageDigests = new Option<string?>("--image-digests")
        {
            Description = "How Revisions resolve image tags to digests: registry (ask the image registry, default in a pod) or none (default with --server/--kubeconfig).",
        };
        imageDigests.AcceptOnlyFromAmong("registry", "none");
        var command = new Command(verb, description);
        foreach (var o in new Option[] { kubeconfig, server, controllers, metricsPort, noLeaderElect, leaseName, systemNamespace, clusterDomain, logFormat, kubeApiQps, kubeApiBurst, imageDigests }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            IReadOnlySet<string> selected;
            KubeConnection connection;
            try
            {
                selected = ControllerNames.Parse(parse.GetValue(controllers));
                if (parse.GetValue(kubeApiQps) is { } q && !(q > 0)) throw new ArgumentException($"--kube-api-qps must be greater than 0, got {q}");
                if (parse.GetValue(kubeApiBurst) is { } b && b < 1) throw new ArgumentException($"--kube-api-burst must be at least 1, got {b}");
                connection = KubeConnection.Resolve(parse.GetValue(kubeconfig), parse.GetValue(server));
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or InvalidOperationException or FormatException or UriFormatException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
            var inCluster = parse.GetValue(kubeconfig) is null && parse.GetValue(server) is null;
            // Info until config-logging is read (Knative's default level).
            var levelSwitch = new LoggingLevelSwitch();
            using var loggerFactory = CliLogging.Create(parse.GetValue(logFormat) ?? (inCluster ? LogFormat.Json : LogFormat.Text), levelSwitch: levelSwitch);
            var defaults = new KubeClientOptions();
            var clientOptions = new KubeClientOptions { Qps = parse.GetValue(kubeApiQps) ?? defaults.Qps, Burst = parse.GetValue(kubeApiBurst) ?? defaults.Burst };
            using var client = new KubeClient(connection, clientOptions, loggerFactory);
            using var registryHttp = new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // config-deployment digest-resolution-timeout bounds each image
            var resolveDigests = (parse.GetValue(imageDigests) ?? (inCluster ? "registry" : "none")) == "registry";
            var options = new ControllerHostOptions
            {
                ImageDigests = resolveDigests ? new RegistryDigestResolver(registryHttp) : ImageDigestResolvers.None,
                Controllers = selected, MetricsPort = parse.GetValue(metricsPort), LeaderElection = !parse.GetValue(noLeaderElect),
                LeaseName = parse.GetValue(leaseName)!, SystemNamespace = parse.GetValue(systemNamespace)!, ClusterDomain = parse.GetValue(clusterDomain)!,
                ObservabilityComponent = verb,
                TrimMemoryWhenIdle = new Ingress.Kube.Diagnostics.IdleMemoryTrimmerOptions(),
                // Knative's holder identity: pod name and a random id (a restarted pod is a new holder).
                LeaderIdentity = Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? $"{pod}_{Guid.NewGuid():N}" : null,
            };
            await using var host = new ControllerHost(client, options, loggerFactory);
            using var tracing = new TracingSetup(verb, loggerFactory);
            host.Observability!.LogLevelChanged += level => levelSwitch.MinimumLevel = CliLogging.ToSerilog(level);
            host.Observability.TracingChanged += tracing.Apply;
            using var memoryReports = MemoryReportOnSignal(host);
            try
            {
                await host.RunAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            return 0;
        });
        return command;
    }

    /// <summary>SIGUSR1 on Linux.</summary>
    private const int SigUsr1 = 10;

    /// <summary>
    /// Opt-in memory diagnostics: with <c>INGRESS_MEMORY_REPORT=&lt;file&gt;</c>, SIGUSR1 writes a
    /// <see cref="Ingress.Kube.Diagnostics.MemoryReport"/> (RSS and GC heap before and after a full compacting
    /// collection, objects per informer cache) to that file. Off by default: the collection pauses the process.
    /// </summary>
    private static IDisposable? MemoryReportOnSignal(ControllerHost host)
    {
        if (Environment.GetEnvironmentVariable("INGRESS_MEMORY_REPORT") is not { Length: > 0 } path || !OperatingSystem.IsLinux()) return null;
        return System.Runtime.InteropServices.PosixSignalRegistration.Create((System.Runtime.InteropServices.PosixSignal)SigUsr1, context =>
        {
            context.Cancel = true;
            _ = Task.Run(() =>
            {
                try
                {
                    var report = Ingress.Kube.Diagnostics.MemoryReport.Collect(host.Informers.Informers);
                    var tmp = path + ".tmp";
                    File.WriteAllText(tmp, report.ToJson());
                    File.Move(tmp, path, overwrite: true); // whole reports only: readers poll for the file
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"memory report: cannot write {path}: {ex.Message}");
                }
            });
        });
    }
}
