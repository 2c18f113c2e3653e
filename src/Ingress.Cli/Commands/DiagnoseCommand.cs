using System.CommandLine;
using Ingress.Kube.Client;
using Ingress.Networking;
using Ingress.Networking.Reconciler;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress diagnose kingress ns/name [--server URL] [--kubeconfig F]</c>: why a KIngress is not Ready,
/// including one probe of every gateway pod now. Exit code 0: Ready; 1: not Ready; 2: not found or bad arguments.</summary>
public static class DiagnoseCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("ns/name") { Description = "The KIngress, as namespace/name." };
        var server = new Option<string?>("--server") { Description = "API server URL (unauthenticated unless --kubeconfig is given)." };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "kubeconfig file; --server then overrides only its URL." };
        var systemNamespace = new Option<string>("--system-namespace")
        {
            Description = "Namespace of config-istio and config-network.",
            DefaultValueFactory = _ => NetworkingConstants.DefaultSystemNamespace,
        };
        var kingress = new Command("kingress", "Explain why a KIngress is not Ready and probe its gateway pods once.");
        kingress.Arguments.Add(target);
        foreach (var o in new Option[] { server, kubeconfig, systemNamespace }) kingress.Options.Add(o);
        kingress.SetAction(async (parse, ct) =>
        {
            var parts = parse.GetValue(target)!.Split('/', 2);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                await Console.Error.WriteLineAsync("expected namespace/name");
                return 2;
            }
            using var client = new KubeClient(KubeConnection.Resolve(parse.GetValue(kubeconfig), parse.GetValue(server)));
            var report = await new KIngressDiagnoser(client, parse.GetValue(systemNamespace)!).DiagnoseAsync(parts[0], parts[1], ct);
            if (!report.Found)
            {
                await Console.Error.WriteLineAsync(report.Reasons[0]);
                return 2;
            }
            Console.WriteLine(report.Reasons.Count == 0 ? $"{report.Key} is Ready" : $"{report.Key} is not Ready:");
            foreach (var reason in report.Reasons) Console.WriteLine("- " + reason);
            if (report.Probes.Count > 0)
            {
                Console.WriteLine($"gateway pods probed now (expecting hash {report.Hash}):");
                foreach (var p in report.Probes)
                {
                    var answer = p.Outcome.Verdict + (p.Outcome.StatusCode is { } code ? $" (HTTP {code})" : "") + (p.Outcome.Error is { } e ? $": {e}" : "");
                    Console.WriteLine($"  {p.Url} via {p.PodIP}:{p.PodPort} -> {answer}");
                }
            }
            return report.Reasons.Count == 0 ? 0 : 1;
        });
        var command = new Command("diagnose", "Explain the state of an object.");
        command.Subcommands.Add(kingress);
        return command;
    }
}
