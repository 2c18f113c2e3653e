using System.CommandLine;
using System.Reflection;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress version</c>: prints the build's informational version.</summary>
public static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the version of this build.");
        command.SetAction(parse =>
        {
            var version = typeof(VersionCommand).Assembly
                .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            parse.InvocationConfiguration.Output.WriteLine($"ingress {version}");
            return 0;
        });
        return command;
    }
}
