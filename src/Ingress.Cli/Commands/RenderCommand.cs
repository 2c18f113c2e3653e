using System.CommandLine;
using Ingress.Cli.Logging;
using Ingress.Local.Hosting;
using Serilog.Events;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress render</c>: loads objects as a cluster's current state, runs the chosen controllers until
/// nothing changes and prints every object of the store. Exit 1 only when an input cannot be read.</summary>
public static class RenderCommand
{
    public static Command Create()
    {
        var files = new Option<string[]>("--filename", "-f") { Description = "File, directory or - (stdin); repeatable.", Required = true, AllowMultipleArgumentsPerToken = true };
        var controllers = new Option<string?>("--controllers") { Description = $"Comma-separated controllers to run (default all: {string.Join(",", ControllerNames.All)})." };
        var probe = new Option<string>("--probe") { Description = "ready: every KIngress probe succeeds; unready: every probe fails.", DefaultValueFactory = _ => "ready" };
        probe.AcceptOnlyFromAmong("ready", "unready");
        var systemNamespace = new Option<string>("--system-namespace") { Description = "Namespace of Knative's ConfigMaps.", DefaultValueFactory = _ => "knative-serving" };
        var clusterDomain = new Option<string>("--cluster-domain") { Description = "Cluster DNS suffix.", DefaultValueFactory = _ => "cluster.local" };
        var showProbeTargets = new Option<bool>("--show-probe-targets") { Description = "After the objects, one ProbeTargets document per KIngress: the URLs, pod IPs, ports and Host headers it would probe." };
        var output = new Option<string>("--output", "-o") { Description = "yaml or json.", DefaultValueFactory = _ => "yaml" };
        output.AcceptOnlyFromAmong("yaml", "json");
        var command = new Command("render", "Run the controllers over objects offline and print the resulting objects.");
        foreach (var o in new Option[] { files, controllers, probe, showProbeTargets, systemNamespace, clusterDomain, output }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            try
            {
                var options = new RenderOptions
                {
                    Controllers = ControllerNames.Parse(parse.GetValue(controllers)),
                    Probe = parse.GetValue(probe) == "unready" ? ProbeMode.Unready : ProbeMode.Ready,
                    SystemNamespace = parse.GetValue(systemNamespace)!, ClusterDomain = parse.GetValue(clusterDomain)!,
                    ShowProbeTargets = parse.GetValue(showProbeTargets),
                };
                var inputs = Renderer.ReadInputs(parse.GetValue(files) ?? [], Console.In);
                // Only warnings and worse, on stderr: stdout is the rendered objects.
                using var loggerFactory = CliLogging.Create(LogFormat.Text, LogEventLevel.Warning, toStderr: true, quietReconcileErrors: true);
                var objects = await Renderer.RenderAsync(inputs, options, stderr, loggerFactory, ct);
                await stdout.WriteAsync(parse.GetValue(output) == "json" ? Renderer.ToJson(objects) : Renderer.ToYaml(objects));
                await stdout.FlushAsync(ct);
                return 0;
            }
            catch (Exception ex) when (ex is RenderInputException or ArgumentException)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
