using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Ingress.Local.Tests;

/// <summary>
/// <c>ingress up</c> as a real process (dotnet of the built ingress.dll, with its metrics endpoint on): a revision
/// whose image maps (images.yaml) to an external program runs as a child process; a signal stops everything and
/// leaves no replica process behind; <c>ingress logs</c> then prints what the replica wrote, from the data
/// directory alone.
/// </summary>
public sealed partial class UpShutdownTests
{
    [GeneratedRegex(@"\(pid (\d+)\)")]
    private static partial Regex StartedPid();

    private static string IngressDll => typeof(Ingress.Cli.Program).Assembly.Location;

    private static Process StartIngress(StringBuilder output, params string[] args)
    {
        // A process started from a non-interactive shell's background job inherits SIGINT ignored (POSIX), and .NET
        // keeps an ignored SIGINT ignored, so a test runner started that way (as CI may be) could never deliver
        // Ctrl-C. Reset SIGINT to its default and exec dotnet in place (same pid), as an interactive terminal would.
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])");
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add(IngressDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (output) output.AppendLine(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (output) output.AppendLine(line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string Text(StringBuilder output) { lock (output) return output.ToString(); }

    /// <summary>Whether a process with this id runs the program carrying <paramref name="marker"/> (a pid reused by
    /// another program does not count; a zombie has an empty command line).</summary>
    private static bool Runs(int pid, string marker)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains(marker, StringComparison.Ordinal); }
        catch (IOException) { return false; }
    }

    private static async Task SignalAsync(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>A port <c>ingress up</c> binds itself is held by someone else: it exits 1 at once with one line naming
    /// the port and its flag (it used to log the bind error and then hang, neither serving nor exiting).</summary>
    [Theory]
    [InlineData("--metrics-port", "metrics")]
    [InlineData("--http-port", "ingress gateway")]
    [InlineData("--local-http-port", "cluster-local gateway")]
    [InlineData("--api-port", "API server")]
    public async Task A_taken_port_makes_up_exit_with_an_error_naming_it(string flag, string purpose)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "ingress-up-port-" + Guid.NewGuid().ToString("N"));
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string Port(string f) => f == flag ? taken : f == "--api-port" ? "0" : UpHarness.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var output = new StringBuilder();
        using var up = StartIngress(output, "up", "--data-dir", dataDir, "--http-port", Port("--http-port"), "--local-http-port", Port("--local-http-port"),
            "--api-port", Port("--api-port"), "--metrics-port", Port("--metrics-port"));
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await up.WaitForExitAsync(deadline.Token);
            up.WaitForExit(); // drains the redirected output
            Assert.Equal(1, up.ExitCode);
            Assert.Contains($"error: port {taken} ({purpose}, {flag}) is already in use", Text(output), StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", Text(output), StringComparison.Ordinal);
        }
        finally
        {
            if (!up.HasExited) up.Kill(entireProcessTree: true);
            try { Directory.Delete(dataDir, true); } catch (IOException) { }
        }
    }

    /// <summary><c>ingress logs -f</c> as a real process: waits for a revision's first replica, prints its lines as
    /// they are appended, and stops on SIGINT.</summary>
    [Fact]
    public async Task Logs_follow_prints_appended_lines_of_replicas_started_later()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "ingress-logs-f-" + Guid.NewGuid().ToString("N"));
        var output = new StringBuilder();
        using var logs = StartIngress(output, "logs", "hello-00001", "-f", "--data-dir", dataDir);
        try
        {
            var file = Ingress.Local.Runner.ReplicaLogs.PathOf(dataDir, "default", "hello-00001-deployment-abcde");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.AppendAllTextAsync(file, "first request\n");
            await UpHarness.EventuallyAsync(() => Task.FromResult((Text(output).Contains("first request", StringComparison.Ordinal), Text(output))), "the first line");
            await File.AppendAllTextAsync(file, "second request\n");
            await UpHarness.EventuallyAsync(() => Task.FromResult((Text(output).Contains("second request", StringComparison.Ordinal), Text(output))), "the appended line");
            Assert.False(logs.HasExited);
            await SignalAsync(logs.Id, "INT");
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await logs.WaitForExitAsync(deadline.Token);
            Assert.Single(Regex.Matches(Text(output), "first request"));
        }
        finally
        {
            if (!logs.HasExited) logs.Kill(entireProcessTree: true);
            try { Directory.Delete(dataDir, true); } catch (IOException) { }
        }
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task ASignalStopsUpAndEveryReplicaProcess(string signal)
    {
        var dataDir = UpHarness.NewDataDir();
        Directory.CreateDirectory(dataDir);
        var marker = "ingress-up-replica-" + Guid.NewGuid().ToString("N");
        // The user program: Python's http.server on $PORT; the marker argument identifies its process.
        await File.WriteAllTextAsync(Path.Combine(dataDir, "images.yaml"),
            $"example.com/test/py-server: [\"python3\", \"-c\", \"import http.server,os; http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), http.server.SimpleHTTPRequestHandler).serve_forever()\", \"{marker}\"]\n");
        await File.WriteAllTextAsync(Path.Combine(dataDir, "py.yaml"), """
            apiVersion: serving.knative.dev/v1
            kind: Service
            metadata: {name: py, namespace: default}
            spec:
              template:
                spec:
                  containers:
                  - image: example.com/test/py-server
            """);
        // A port found free can be taken by another test before `up` binds it: start again on fresh ports then.
        int httpPort;
        StringBuilder output;
        Process up;
        for (var attempt = 1; ; attempt++)
        {
            httpPort = UpHarness.FreePort();
            output = new StringBuilder();
            up = StartIngress(output, "up", "--data-dir", dataDir, "--http-port", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--local-http-port", UpHarness.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--api-port", "0",
                "--metrics-port", UpHarness.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
            var o = output;
            var p = up;
            await UpHarness.EventuallyAsync(() => Task.FromResult((Text(o).Contains("export KUBECONFIG=", StringComparison.Ordinal) || p.HasExited
                || Text(o).Contains("address already in use", StringComparison.Ordinal), Text(o))), "ingress up to print the kubectl line");
            if (attempt < 3 && Text(output).Contains("address already in use", StringComparison.Ordinal))
            {
                if (!up.HasExited) up.Kill(entireProcessTree: true);
                await up.WaitForExitAsync();
                up.Dispose();
                continue;
            }
            break;
        }
        using var upProcess = up;
        try
        {
            Assert.False(up.HasExited, Text(output));
            var kubeconfig = Path.Combine(dataDir, "kubeconfig");
            var (code, _, err) = await UpHarness.RunKubectlAsync(kubeconfig, dataDir, "apply", "-f", Path.Combine(dataDir, "py.yaml"));
            Assert.True(code == 0, err);
            (code, _, err) = await UpHarness.RunKubectlAsync(kubeconfig, dataDir, "wait", "--for=condition=Ready", "ksvc/py", "--timeout=120s");
            Assert.True(code == 0, err + Text(output));
            var (status, body) = await UpHarness.GetAsync(httpPort, "py.default.example.com", "/");
            Assert.True(status == 200, $"{status} {body}");

            // The replica's program is a child process, found through the pid its log recorded.
            var logs = Directory.GetFiles(Path.Combine(dataDir, "logs", "default"), "py-00001-deployment-*.log");
            var log = await File.ReadAllTextAsync(Assert.Single(logs));
            var pid = int.Parse(StartedPid().Match(log).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Runs(pid, marker), log);

            await SignalAsync(up.Id, signal);
            using (var exited = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
            {
                try { await up.WaitForExitAsync(exited.Token); }
                catch (OperationCanceledException) { Assert.Fail($"ingress up did not exit within 90 s of SIG{signal}:\n{Text(output)}"); }
            }
            await UpHarness.EventuallyAsync(() => Task.FromResult((!Runs(pid, marker), $"pid {pid} still runs the replica program")),
                "the replica process to be gone", TimeSpan.FromSeconds(60));
            if (signal != "TERM") return;

            // ingress logs reads the data directory: it works with up stopped, and shows the program's own output.
            var logsOutput = new StringBuilder();
            using (var logsCommand = StartIngress(logsOutput, "logs", "py-00001", "-n", "default", "--data-dir", dataDir))
            {
                await logsCommand.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
                Assert.True(logsCommand.ExitCode == 0, Text(logsOutput));
            }
            Assert.Contains($"(pid {pid})", Text(logsOutput), StringComparison.Ordinal);
            Assert.Contains("\"GET / HTTP/1.1\" 200", Text(logsOutput), StringComparison.Ordinal);
            var missing = new StringBuilder();
            using (var logsCommand = StartIngress(missing, "logs", "nothing-00001", "--data-dir", dataDir))
            {
                await logsCommand.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
                Assert.Equal(1, logsCommand.ExitCode);
            }
            Assert.Contains("no replica logs for revision default/nothing-00001", Text(missing), StringComparison.Ordinal);
        }
        finally
        {
            if (!up.HasExited) up.Kill(entireProcessTree: true);
            try { Directory.Delete(dataDir, recursive: true); }
            catch (IOException) { }
        }
    }
}
