using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Ingress.Cli;

/// <summary>
/// Runs <c>ingress render</c> in a child process whose JIT is set for a short, busy run: tiered PGO off and no
/// call-counting delay (<c>DOTNET_TieredPGO=0</c>, <c>DOTNET_TC_CallCountingDelayMs=0</c>).
/// </summary>
/// <remarks>
/// Why: render runs thousands of code paths once or a few hundred times for a few seconds, then exits. With the
/// runtime's defaults most of that time is spent in unoptimised and instrumented code waiting to be tiered up
/// (each newly compiled method pushes the 100 ms call-counting delay back) and in the JIT itself: rendering 1,000
/// Services took 17.4 s by default and 10.0 s with both settings, measured in one sitting (docs/perf/serving.md).
/// The settings are read once at process start for the whole executable, and the same executable runs the
/// long-lived controllers and proxies, where tiered PGO pays off; so only this verb gets them, by starting itself
/// again. Costs one extra runtime start (~0.1 s). Not done when the user already set either variable, or set
/// <c>INGRESS_SHORT_RUN_JIT=0</c>; the child carries <c>INGRESS_SHORT_RUN_JIT=1</c> so it never relaunches.
/// </remarks>
internal static class ShortRunRelaunch
{
    public const string Variable = "INGRESS_SHORT_RUN_JIT";

    /// <summary>The verbs that relaunch: batch runs of the controllers.</summary>
    private static readonly HashSet<string> Verbs = ["render"];

    /// <summary>The environment the child gets on top of this process's, or null to run here.</summary>
    public static IReadOnlyDictionary<string, string>? ChildEnvironment(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        if (args.Count == 0 || !Verbs.Contains(args[0])) return null;
        if (args.Any(a => a is "-h" or "--help" or "-?")) return null;
        if (environment(Variable) is { Length: > 0 }) return null;
        if (environment("DOTNET_TieredPGO") is not null || environment("DOTNET_TC_CallCountingDelayMs") is not null) return null;
        return new Dictionary<string, string>
        {
            ["DOTNET_TieredPGO"] = "0",
            ["DOTNET_TC_CallCountingDelayMs"] = "0",
            [Variable] = "1",
        };
    }

    /// <summary>Runs the child with the same arguments and standard streams and returns its exit code; null when
    /// this process should run the verb itself (not wanted, or the child could not be started).</summary>
    public static int? TryRun(string[] args)
    {
        var extra = ChildEnvironment(args, Environment.GetEnvironmentVariable);
        if (extra is null) return null;
        var psi = StartInfo(args);
        if (psi is null) return null;
        foreach (var (k, v) in extra) psi.Environment[k] = v;
        Process child;
        try
        {
            child = Process.Start(psi)!;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return null;
        }
        using (child)
        // Ctrl-C reaches the whole process group: the child handles it, this process only waits for it. A SIGTERM
        // sent to this process alone (timeout, a supervisor) ends the child too: render has nothing to drain.
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            try { child.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }))
        {
            child.WaitForExit();
            return child.ExitCode;
        }
    }

    /// <summary>This executable again: the apphost or single-file binary as is, or <c>dotnet ingress.dll</c>.</summary>
    private static ProcessStartInfo? StartInfo(string[] args)
    {
        var host = Environment.ProcessPath;
        if (host is null) return null;
        var psi = new ProcessStartInfo(host) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            var entry = typeof(Program).Assembly.Location;
            if (entry.Length == 0) return null;
            psi.ArgumentList.Add(entry);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }
}
