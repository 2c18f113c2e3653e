using System.CommandLine;
using Ingress.Cli.Commands;

namespace Ingress.Cli;

/// <summary>Entry point of the <c>ingress</c> executable. It only parses arguments and calls into the
/// other projects; every verb lives in its own file under Commands/.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => BuildRoot().Parse(args).InvokeAsync();

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
        root.Subcommands.Add(RenderCommand.Create());
        root.Subcommands.Add(DiagnoseCommand.Create());
        root.Subcommands.Add(UpCommand.Create());
        root.Subcommands.Add(LogsCommand.Create());
        return root;
    }
}
