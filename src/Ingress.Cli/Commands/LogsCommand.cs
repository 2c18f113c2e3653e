using System.CommandLine;
using Ingress.Local.Runner;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress logs &lt;revision&gt;</c>: the logs the local runner kept for a revision's replicas
/// (docs/local-runner.md), oldest replica first. Reads the data directory only, so it works while
/// <c>ingress up</c> is stopped too.</summary>
public static class LogsCommand
{
    public static Command Create()
    {
        var revision = new Argument<string>("revision") { Description = "The revision (e.g. helloworld-go-00001)." };
        var ns = new Option<string>("--namespace", "-n") { Description = "The revision's namespace.", DefaultValueFactory = _ => "default" };
        var dataDir = new Option<string>("--data-dir") { Description = "The data directory of ingress up.", DefaultValueFactory = _ => ".ingress" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing what the replicas log, new replicas included, until Ctrl-C." };
        var command = new Command("logs", "Print the logs of a revision's replicas run by ingress up.");
        command.Arguments.Add(revision);
        command.Options.Add(ns);
        command.Options.Add(dataDir);
        command.Options.Add(follow);
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var directory = Path.GetFullPath(parse.GetValue(dataDir)!);
            var name = parse.GetValue(revision)!;
            var @namespace = parse.GetValue(ns)!;
            var logs = new ReplicaLogFollower(directory, @namespace, name, output);
            var following = parse.GetValue(follow);
            await logs.PrintNewAsync(includePartialLine: !following, ct).ConfigureAwait(false);
            if (following)
            {
                // Like kubectl logs -f on a revision whose pods may not exist yet: wait for them rather than fail.
                await logs.FollowAsync(ReplicaLogFollower.DefaultInterval, ct).ConfigureAwait(false);
                return 0;
            }
            if (logs.Files == 0)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(
                    $"error: no replica logs for revision {@namespace}/{name} in {Path.Combine(directory, "logs", @namespace)}").ConfigureAwait(false);
                return 1;
            }
            return 0;
        });
        return command;
    }
}
