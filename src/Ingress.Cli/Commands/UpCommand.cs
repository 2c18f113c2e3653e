using System.CommandLine;
using System.Runtime.InteropServices;
using Ingress.Cli.Logging;
using Ingress.Local.Up;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress up</c>: the whole system on this machine, no cluster (see docs/local-mode.md).</summary>
public static class UpCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Where state, logs and the kubeconfig live.", DefaultValueFactory = _ => ".ingress" };
        var httpPort = new Option<int>("--http-port") { Description = "Port of the ingress gateway (the tutorials' curl target).", DefaultValueFactory = _ => 8080 };
        var localPort = new Option<int>("--local-http-port") { Description = "Port of the cluster-local gateway.", DefaultValueFactory = _ => 8081 };
        var apiPort = new Option<int>("--api-port") { Description = "Port of the embedded Kubernetes API server.", DefaultValueFactory = _ => 6443 };
        var metricsPort = new Option<int>("--metrics-port") { Description = "Prometheus metrics of the controllers; 0 disables.", DefaultValueFactory = _ => 9090 };
        var command = new Command("up", "Run the embedded API server, every controller, the autoscaler, the activator, the local runner and the local gateway.");
        foreach (var o in new Option[] { dataDir, httpPort, localPort, apiPort, metricsPort }) command.Options.Add(o);
        command.SetAction(async (parse, signalled) =>
        {
            // SIGTERM and Ctrl-C (SIGINT) stop everything. The handlers are ours, registered here: .NET runs a
            // signal's handlers newest first and stops at the first that cancels it, and System.CommandLine's own
            // handling did not reach this action in practice (SIGTERM took the default action and left replica
            // processes behind). Cancelling on the thread pool keeps every shutdown step off the signal thread;
            // LocalRunner also kills the replicas' programs on process exit, should anything end us early.
            using var stopping = new CancellationTokenSource();
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                ThreadPool.QueueUserWorkItem(_ => CancelQuietly(stopping));
            }
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var relay = signalled.Register(() => ThreadPool.QueueUserWorkItem(_ => CancelQuietly(stopping)));
            var ct = stopping.Token;
            using var loggerFactory = CliLogging.Create(LogFormat.Text);
            var output = parse.InvocationConfiguration.Output;
            await using var up = new LocalUp(new LocalUpOptions
            {
                DataDirectory = Path.GetFullPath(parse.GetValue(dataDir)!),
                HttpPort = parse.GetValue(httpPort),
                LocalHttpPort = parse.GetValue(localPort),
                ApiPort = parse.GetValue(apiPort),
                MetricsPort = parse.GetValue(metricsPort),
            }, loggerFactory);
            try
            {
                await up.RunAsync(u =>
                {
                    output.WriteLine($"API server:  {u.ApiServer}");
                    output.WriteLine($"Gateway:     http://127.0.0.1:{u.GatewayHttpPort}");
                    output.WriteLine($"Use kubectl: export KUBECONFIG={u.KubeconfigPath}");
                    output.WriteLine($"Replica logs: ingress logs <revision> [-n <namespace>] --data-dir {Path.GetDirectoryName(u.KubeconfigPath)}");
                }, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (PortInUseException e)
            {
                // One clear line, exit 1; `await using` above stops whatever had started (API server, activator,
                // controllers) before the process exits.
                parse.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            return 0;
        });
        return command;
    }

    /// <summary>A signal can arrive while the action is returning: the queued cancel may then run after the source
    /// is disposed, which is harmless and must not crash the process with an unhandled ObjectDisposedException.</summary>
    private static void CancelQuietly(CancellationTokenSource source)
    {
        try { source.Cancel(); }
        catch (ObjectDisposedException) { }
    }
}
