using System.CommandLine;
using Ingress.Cli.Logging;
using Ingress.Kube.Client;
using Ingress.Local.Hosting;
using Microsoft.Extensions.Logging;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress controller</c>: every selected controller in one process against a cluster (in-cluster
/// configuration when neither --kubeconfig nor --server is given) until SIGTERM or Ctrl-C.</summary>
public static class ControllerCommand
{
    public static Command Create()
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "kubeconfig file; omit (with --server) for in-cluster configuration." };
        var server = new Option<string?>("--server") { Description = "API server URL (overrides the kubeconfig's; alone: unauthenticated)." };
        var controllers = new Option<string?>("--controllers") { Description = $"Comma-separated controllers to run (default all: {string.Join(",", ControllerNames.All)})." };
        var metricsPort = new Option<int>("--metrics-port") { Description = "Port of /metrics, /healthz and /readyz (0 disables).", DefaultValueFactory = _ => 9090 };
        var noLeaderElect = new Option<bool>("--no-leader-elect") { Description = "Run the controllers without holding the Lease." };
        var systemNamespace = new Option<string>("--system-namespace") { Description = "Namespace of Knative's ConfigMaps and the Lease.", DefaultValueFactory = _ => "knative-serving" };
        var clusterDomain = new Option<string>("--cluster-domain") { Description = "Cluster DNS suffix.", DefaultValueFactory = _ => "cluster.local" };
        var logFormat = new Option<LogFormat>("--log-format") { Description = "text or json.", DefaultValueFactory = _ => LogFormat.Text };
        var command = new Command("controller", "Run every Knative Serving controller (serving, networking, autoscaling) in one process.");
        foreach (var o in new Option[] { kubeconfig, server, controllers, metricsPort, noLeaderElect, systemNamespace, clusterDomain, logFormat }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            IReadOnlySet<string> selected;
            KubeConnection connection;
            try
            {
                selected = ControllerNames.Parse(parse.GetValue(controllers));
                connection = KubeConnection.Resolve(parse.GetValue(kubeconfig), parse.GetValue(server));
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or InvalidOperationException or FormatException or UriFormatException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
            using var loggerFactory = CliLogging.Create(parse.GetValue(logFormat));
            var client = new KubeClient(connection, new KubeClientOptions(), loggerFactory);
            var options = new ControllerHostOptions
            {
                Controllers = selected, MetricsPort = parse.GetValue(metricsPort), LeaderElection = !parse.GetValue(noLeaderElect),
                SystemNamespace = parse.GetValue(systemNamespace)!, ClusterDomain = parse.GetValue(clusterDomain)!,
            };
            await using var host = new ControllerHost(client, options, loggerFactory);
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
}
