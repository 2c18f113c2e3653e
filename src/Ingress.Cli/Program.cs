using System.CommandLine;
using System.Runtime.CompilerServices;
using Ingress.Cli.Commands;

namespace Ingress.Cli;

/// <summary>Entry point of the <c>ingress</c> executable. It only parses arguments and calls into the
/// other projects; every verb lives in its own file under Commands/.</summary>
public static class Program
{
    public static Task<int> Main(string[] args)
    {
        // queue-proxy starts once per pod and must be ready within ~150 ms of exec; building every verb's options
        // costs 20-40 ms of that, so its only form (no arguments: it reads the environment) skips the parser.
        if (args is ["queue-proxy"]) return QueueProxyCommand.RunAsync(Console.Error, CancellationToken.None);
        if (args is ["render", ..] && ShortRunRelaunch.TryRun(args) is { } exitCode) return Task.FromResult(exitCode);
        return InvokeParsed(args);
    }

    /// <summary>Every other command line. A method of its own so that the queue-proxy path above never touches a
    /// System.CommandLine type (a method the JIT compiles loads every assembly its body names).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Task<int> InvokeParsed(string[] args)
    {
        // SIGTERM cancels the verb's token; the verb then drains. System.CommandLine's default gives it 2 s before exiting
        // with 143; a pod's terminationGracePeriodSeconds (then SIGKILL) is the real bound, so allow up to the activator's 600 s.
        return BuildRoot().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(600) });
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("Knative Serving networking and autoscaling control plane on Istio, in C#.");
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(AutoscaleCommand.Create());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(ApiServerCommand.Create());
        root.Subcommands.Add(QueueProxyCommand.Create());
        root.Subcommands.Add(ActivatorCommand.Create());
        root.Subcommands.Add(WebhookCommand.Create());
        root.Subcommands.Add(ControllerCommand.Create());
        root.Subcommands.Add(ControllerCommand.CreateNetIstioController());
        root.Subcommands.Add(ControllerCommand.CreateAutoscaler());
        root.Subcommands.Add(RenderCommand.Create());
        root.Subcommands.Add(DiagnoseCommand.Create());
        root.Subcommands.Add(UpCommand.Create());
        root.Subcommands.Add(LogsCommand.Create());
        return root;
    }
}
