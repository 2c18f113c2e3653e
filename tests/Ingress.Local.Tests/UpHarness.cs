using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Ingress.Local.Up;

namespace Ingress.Local.Tests;

/// <summary>
/// One <c>ingress up</c> (in process, the same <see cref="LocalUp"/> the CLI runs) on a fresh data directory and
/// free ports, driven as a user drives it: the real kubectl with the kubeconfig it wrote, plain HTTP to its gateway.
/// </summary>
internal sealed class UpHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;

    private UpHarness(string dataDir) => DataDir = dataDir;

    public string DataDir { get; }
    public LocalUp Up { get; private set; } = null!;
    public int HttpPort { get; private set; }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static string NewDataDir() => Path.Combine(Path.GetTempPath(), "ingress-up-" + Guid.NewGuid().ToString("N"));

    public static async Task<UpHarness> StartAsync()
    {
        var harness = new UpHarness(NewDataDir());
        harness.HttpPort = FreePort();
        harness.Up = new LocalUp(new LocalUpOptions
        {
            DataDirectory = harness.DataDir, HttpPort = harness.HttpPort, LocalHttpPort = FreePort(), ApiPort = 0, MetricsPort = 0,
        });
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        harness._run = Task.Run(() => harness.Up.RunAsync(_ => started.TrySetResult(), harness._stop.Token));
        await Task.WhenAny(started.Task, harness._run).WaitAsync(TimeSpan.FromSeconds(90));
        if (harness._run.IsFaulted) await harness._run; // surfaces why it could not start
        return harness;
    }

    /// <summary>kubectl with this instance's kubeconfig (and a private HOME and cache, so runs do not share state).</summary>
    public Task<(int Code, string Out, string Err)> KubectlAsync(params string[] args) => RunKubectlAsync(Up.KubeconfigPath, DataDir, args);

    public static async Task<(int Code, string Out, string Err)> RunKubectlAsync(string kubeconfig, string home, params string[] args)
    {
        var psi = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoFiles.Root };
        psi.ArgumentList.Add("--cache-dir");
        psi.ArgumentList.Add(Path.Combine(home, "kubectl-cache"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["KUBECONFIG"] = kubeconfig;
        psi.Environment["HOME"] = home;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(120)).Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>kubectl that must succeed; its stdout.</summary>
    public async Task<string> KubectlOkAsync(params string[] args)
    {
        var (code, output, err) = await KubectlAsync(args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} failed ({code}): {err}");
        return output;
    }

    /// <summary>A GET through the ingress gateway with the given Host: (status, body), or (0, error).</summary>
    public Task<(int Status, string Body)> GetAsync(string host, string pathAndQuery = "/", TimeSpan? timeout = null) =>
        GetAsync(HttpPort, host, pathAndQuery, timeout);

    public static async Task<(int Status, string Body)> GetAsync(int port, string host, string pathAndQuery = "/", TimeSpan? timeout = null)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{pathAndQuery}");
        request.Headers.Host = host;
        try
        {
            using var response = await http.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (0, e.Message);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> and the last
    /// observed state after a deadline generous enough for a 2-core machine running every test assembly.</summary>
    public static async Task EventuallyAsync(Func<Task<(bool Done, string State)>> condition, string what, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(120));
        var last = "";
        while (DateTime.UtcNow < until)
        {
            var (done, state) = await condition();
            if (done) return;
            last = state;
            await Task.Delay(250);
        }
        Assert.Fail($"timed out waiting for {what}; last seen: {last}");
    }

    /// <summary>Shortens config-autoscaler's windows with kubectl, as a user editing the ConfigMap would.</summary>
    public Task ShortenAutoscalerWindowsAsync() => KubectlOkAsync("patch", "configmap", "config-autoscaler", "-n", "knative-serving", "--type", "merge",
        "-p", """{"data":{"stable-window":"6s","scale-to-zero-grace-period":"1s"}}""");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try { await _run.WaitAsync(TimeSpan.FromSeconds(60)); }
            catch (OperationCanceledException) { }
        }
        await Up.DisposeAsync();
        _stop.Dispose();
        try { Directory.Delete(DataDir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
