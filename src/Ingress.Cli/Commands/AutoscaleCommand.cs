using System.CommandLine;
using Ingress.Autoscaling.Simulation;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress autoscale simulate -f scenario.yaml [--plot chart.svg|chart.png]</c>: replays a
/// what-if scenario through the KPA decider and prints one YAML entry per decision (docs/autoscaling.md).</summary>
public static class AutoscaleCommand
{
    public static Command Create()
    {
        var command = new Command("autoscale", "Autoscaler tools.");
        var file = new Option<FileInfo>("--file", "-f") { Description = "Scenario YAML (see docs/autoscaling.md).", Required = true };
        var plot = new Option<FileInfo?>("--plot") { Description = "Also draw traffic, desired and ready pods over time (.svg or .png)." };
        var simulate = new Command("simulate", "Simulate the KPA decider over a scenario.");
        simulate.Options.Add(file);
        simulate.Options.Add(plot);
        simulate.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var scenarioFile = parse.GetValue(file)!;
            var plotFile = parse.GetValue(plot);
            var format = plotFile?.Extension.ToLowerInvariant();
            if (plotFile is not null && format is not (".svg" or ".png"))
            {
                error.WriteLine($"error: unsupported plot format \"{plotFile.Extension}\": use a .svg or .png file name");
                return 1;
            }
            Scenario scenario;
            try
            {
                scenario = Scenario.Parse(File.ReadAllText(scenarioFile.FullName));
            }
            catch (Exception e) when (e is ScenarioException or IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"error: {scenarioFile.Name}: {e.Message}");
                return 1;
            }
            var steps = Simulator.Run(scenario);
            output.Write(Simulator.ToYaml(steps, includeReadyPods: scenario.Trace is not null));
            if (plotFile is not null)
            {
                if (format == ".svg") File.WriteAllText(plotFile.FullName, Plot.Svg(steps));
                else File.WriteAllBytes(plotFile.FullName, Plot.Png(steps));
            }
            return 0;
        });
        command.Subcommands.Add(simulate);
        return command;
    }
}
