using System.Diagnostics;

namespace Ingress.Cli.Tests;

/// <summary><c>ingress render</c> starts itself again with short-run JIT settings; the child's output, errors, stdin
/// and exit code are the verb's.</summary>
public sealed class ShortRunRelaunchTests
{
    public static TheoryData<string[], string?, bool> Cases() => new()
    {
        { ["render", "-f", "x.yaml"], null, true },
        { ["render", "-f", "-"], null, true },
        { ["render", "--help"], null, false },
        { ["render", "-f", "x.yaml"], "INGRESS_SHORT_RUN_JIT=1", false },          // already the child
        { ["render", "-f", "x.yaml"], "INGRESS_SHORT_RUN_JIT=0", false },          // the user's opt-out
        { ["render", "-f", "x.yaml"], "DOTNET_TieredPGO=1", false },               // the user's own JIT settings win
        { ["render", "-f", "x.yaml"], "DOTNET_TC_CallCountingDelayMs=100", false },
        { ["up"], null, false },
        { ["controller"], null, false },
        { ["validate", "-f", "x.yaml"], null, false },
        { [], null, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Only_render_relaunches_and_only_when_the_user_set_nothing(string[] args, string? variable, bool relaunch)
    {
        var env = new Dictionary<string, string>();
        if (variable?.Split('=') is [var k, var v]) env[k] = v;
        var child = ShortRunRelaunch.ChildEnvironment(args, n => env.GetValueOrDefault(n));
        Assert.Equal(relaunch, child is not null);
        if (child is null) return;
        Assert.Equal("0", child["DOTNET_TieredPGO"]);
        Assert.Equal("0", child["DOTNET_TC_CallCountingDelayMs"]);
        Assert.Equal("1", child[ShortRunRelaunch.Variable]);
        // The child's own environment stops a second relaunch.
        Assert.Null(ShortRunRelaunch.ChildEnvironment(args, n => child.GetValueOrDefault(n) ?? env.GetValueOrDefault(n)));
    }

    private static async Task<(int Code, string Out, string Err)> RunIngressAsync(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ingress.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var name in new[] { ShortRunRelaunch.Variable, "DOTNET_TieredPGO", "DOTNET_TC_CallCountingDelayMs" }) psi.Environment.Remove(name);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task The_relaunched_render_reads_stdin_and_prints_the_rendered_objects()
    {
        var input = File.ReadAllText(RenderCommandTests.RepoPath("examples", "helloworld-go", "service.yaml"));
        var (code, stdout, stderr) = await RunIngressAsync(input, "render", "-f", "-", "--controllers", "service,configuration");
        Assert.True(code == 0, stderr);
        Assert.Contains("kind: Configuration", stdout);
        Assert.Contains("kind: Route", stdout);
        Assert.Contains("name: helloworld-go", stdout);
    }

    [Fact]
    public async Task The_relaunched_render_passes_its_errors_and_exit_code_through()
    {
        var (code, stdout, stderr) = await RunIngressAsync(null, "render", "-f", "/nonexistent/input.yaml");
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains("error: /nonexistent/input.yaml: no such file or directory", stderr);
    }
}
