using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ingress.Api;

namespace Ingress.Cli.Tests;

/// <summary>
/// The Dockerfiles under docker/, checked on their text (no container engine runs here, so they cannot be built):
/// multi-stage with a runtime-only final stage, a numeric non-root USER, every COPY source present in the
/// repository (including what the projects read from outside src/), and an ENTRYPOINT that — with the args
/// the manifests add — parses as a command of this very CLI.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string[] Components = ["controller", "net-istio-controller", "autoscaler", "activator", "webhook", "queue-proxy"];

    private sealed record Instruction(string Keyword, string Arguments, int Stage);

    /// <summary>Instructions with line continuations joined and comments dropped; Stage counts FROM lines (1-based).</summary>
    private static List<Instruction> Parse(string path)
    {
        var result = new List<Instruction>();
        var stage = 0;
        var pending = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.TrimEnd();
            if (pending.Length == 0 && (line.TrimStart().StartsWith('#') || line.Trim().Length == 0)) continue;
            if (line.EndsWith('\\')) { pending += line[..^1] + " "; continue; }
            var full = (pending + line).Trim();
            pending = "";
            var space = full.IndexOf(' ');
            var keyword = full[..space].ToUpperInvariant();
            if (keyword == "FROM") stage++;
            result.Add(new Instruction(keyword, full[(space + 1)..].Trim(), stage));
        }
        return result;
    }

    private static string DockerfileOf(string component) => RenderCommandTests.RepoPath("docker", component + ".Dockerfile");

    /// <summary>The args the manifests give the component's container (the Deployment, or nothing for queue-proxy,
    /// which the controller injects into Revision pods).</summary>
    private static IReadOnlyList<string> ManifestArgs(string component)
    {
        foreach (var file in Directory.GetFiles(RenderCommandTests.RepoPath("manifests", "600-components"), "*.yaml"))
        foreach (var doc in KubeYaml.ParseDocuments(File.ReadAllText(file)))
        {
            if (doc["kind"]?.ToString() != "Deployment" || doc["metadata"]?["name"]?.ToString() != component) continue;
            var container = doc["spec"]!["template"]!["spec"]!["containers"]![0]!;
            return (container["args"] as JsonArray ?? []).Select(a => a!.ToString()).ToList();
        }
        Assert.Equal("queue-proxy", component);
        return [];
    }

    public static TheoryData<string> All => new(Components);

    [Theory]
    [MemberData(nameof(All))]
    public void Dockerfile_is_multi_stage_and_runs_as_a_numeric_non_root_user(string component)
    {
        var instructions = Parse(DockerfileOf(component));
        var froms = instructions.Where(i => i.Keyword == "FROM").ToList();
        Assert.True(froms.Count >= 2, "multi-stage: a build stage and a runtime stage");
        Assert.Contains("/dotnet/sdk:", froms[0].Arguments, StringComparison.Ordinal);
        var final = froms[^1];
        Assert.DoesNotContain("/sdk:", final.Arguments, StringComparison.Ordinal);
        Assert.Matches("^mcr.microsoft.com/dotnet/(aspnet|runtime-deps|runtime):", final.Arguments);
        var finalStage = instructions.Where(i => i.Stage == froms.Count).ToList();
        // The runtime stage gets the published output from the build stage only.
        Assert.All(finalStage.Where(i => i.Keyword is "COPY" or "ADD"), i => Assert.StartsWith("--from=build ", i.Arguments, StringComparison.Ordinal));
        Assert.DoesNotContain(finalStage, i => i.Keyword == "RUN"); // chiseled: no shell to run anything with
        var user = finalStage.Last(i => i.Keyword == "USER").Arguments;
        Assert.Matches("^[0-9]+(:[0-9]+)?$", user);
        Assert.All(user.Split(':'), id => Assert.NotEqual(0, int.Parse(id, System.Globalization.CultureInfo.InvariantCulture)));
        // runtime-deps has no .NET: the publish must be self-contained; and `publish --no-restore` only finds the
        // runtime, crossgen and ILLink packs when the restore was told about them.
        var publish = instructions.Single(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal)).Arguments;
        var restore = instructions.Single(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal)).Arguments;
        if (final.Arguments.Contains("/runtime-deps:", StringComparison.Ordinal))
        {
            Assert.Contains("--self-contained true", publish, StringComparison.Ordinal);
            Assert.Contains("-p:SelfContained=true", restore, StringComparison.Ordinal);
        }
        foreach (var property in new[] { "PublishReadyToRun=true", "PublishTrimmed=true" })
            if (publish.Contains(property, StringComparison.Ordinal)) Assert.Contains(property, restore, StringComparison.Ordinal);
        if (publish.Contains("--no-restore", StringComparison.Ordinal)) Assert.Contains("-r linux-x64", restore, StringComparison.Ordinal);
        // Read-only root filesystem: nothing is written outside /tmp (the diagnostics socket is off).
        Assert.Contains(finalStage, i => i.Keyword == "ENV" && i.Arguments.Contains("DOTNET_EnableDiagnostics=0", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Every_copy_source_exists_and_covers_what_the_projects_read_outside_src(string component)
    {
        var instructions = Parse(DockerfileOf(component));
        var copied = new List<string>();
        foreach (var copy in instructions.Where(i => i.Keyword == "COPY" && !i.Arguments.StartsWith("--from=", StringComparison.Ordinal)))
        {
            var words = copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (var source in words[..^1])
            {
                var path = RenderCommandTests.RepoPath(source.TrimEnd('/').Split('/'));
                Assert.True(File.Exists(path) || Directory.Exists(path), $"{component}: COPY source {source} does not exist");
                copied.Add(source.TrimEnd('/'));
            }
        }
        // Every project under src/ is restored from its own project file before the sources come in.
        foreach (var project in Directory.GetFiles(RenderCommandTests.RepoPath("src"), "*.csproj", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(RenderCommandTests.RepoPath(), project).Replace('\\', '/');
            Assert.True(copied.Contains(relative) || copied.Contains("src"), $"{component}: {relative} is not copied");
            // Items the projects include from outside src/ (e.g. crds/*.yaml embedded by Ingress.Local) must be in the context too.
            foreach (Match m in OutsideSrcInclude().Matches(File.ReadAllText(project)))
            {
                var top = m.Groups[1].Value;
                Assert.True(copied.Any(c => c == top || c.StartsWith(top + "/", StringComparison.Ordinal)), $"{component}: {relative} includes {m.Value} but {top}/ is not copied");
            }
        }
        // The publish output is the `ingress` executable the ENTRYPOINT names.
        Assert.Contains("<AssemblyName>ingress</AssemblyName>", File.ReadAllText(RenderCommandTests.RepoPath("src", "Ingress.Cli", "Ingress.Cli.csproj")), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Entrypoint_with_the_manifest_args_is_a_command_of_this_cli(string component)
    {
        var entrypoint = Parse(DockerfileOf(component)).Last(i => i.Keyword == "ENTRYPOINT").Arguments;
        var words = JsonSerializer.Deserialize<string[]>(entrypoint)!; // exec form: no shell in the image
        Assert.Equal("/app/ingress", words[0]);
        var args = words.Skip(1).Concat(ManifestArgs(component)).ToArray();
        Assert.Equal(component, args[0]);
        var parse = Program.BuildRoot().Parse(args);
        Assert.True(parse.Errors.Count == 0, $"{component}: `ingress {string.Join(' ', args)}`: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        Assert.Equal(component, parse.CommandResult.Command.Name);
    }

    [Fact]
    public void The_controller_deployment_runs_only_the_serving_controllers_under_its_own_lease()
    {
        var parse = Program.BuildRoot().Parse(["controller", .. ManifestArgs("controller")]);
        Assert.Equal(Commands.ControllerCommand.ServingControllers, parse.GetValue<string?>("--controllers"));
        var leases = new[] { "controller", "net-istio-controller", "autoscaler" }
            .Select(c => Program.BuildRoot().Parse([c, .. ManifestArgs(c)]).GetValue<string>("--lease-name")).ToList();
        Assert.Equal(leases.Count, leases.Distinct().Count());
    }

    [GeneratedRegex(@"Include=""\.\./\.\./([^/""]+)/[^""]*""")]
    private static partial Regex OutsideSrcInclude();
}
