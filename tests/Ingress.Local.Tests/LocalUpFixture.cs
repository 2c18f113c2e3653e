using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Ingress.Kube.Client;
using Ingress.Local.Up;

namespace Ingress.Local.Tests;

/// <summary>
/// One <c>ingress up</c> shared by the tutorial and conformance classes (xunit collection "ingress up"): starting
/// the whole system costs seconds of CPU on a 2-core CI machine, so the classes share it and each test keeps to its
/// own objects (its own namespace for the conformance scenarios; the tutorials' own Service names in default,
/// since their manifests name that namespace). Everything is reached as a user would: the real kubectl with the
/// written kubeconfig, and plain HTTP to the gateway listeners.
/// </summary>
public sealed class LocalUpFixture : IAsyncLifetime
{
    /// <summary>How long any condition may take to hold: generous, because CI runs every assembly at once on 2 cores.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly CancellationTokenSource _stop = new();
    private Task? _run;
    private LocalUp? _up;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "ingress-up-e2e-" + Guid.NewGuid().ToString("N"));
    public LocalUp Up => _up ?? throw new InvalidOperationException("not started");
    public KubeClient Client { get; private set; } = null!;
    /// <summary>The knative-ingress-gateway listener (public, ExternalIP rules).</summary>
    public int GatewayPort { get; private set; }
    /// <summary>The knative-local-gateway listener (cluster-local rules and the mesh view).</summary>
    public int LocalGatewayPort { get; private set; }

    /// <summary>Keep-alive client for requests through the gateways; the Host header picks the route.</summary>
    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDirectory);
        _up = new LocalUp(new LocalUpOptions
        {
            DataDirectory = DataDirectory, HttpPort = FreePort(), LocalHttpPort = FreePort(), ApiPort = 0, MetricsPort = 0,
        });
        var started = new TaskCompletionSource();
        _run = Task.Run(() => _up.RunAsync(_ => started.TrySetResult(), _stop.Token));
        // Starting is the API server, every controller and their first lists: twice the usual deadline, because
        // CI starts every test assembly at once.
        await Task.WhenAny(started.Task, _run).WaitAsync(2 * Deadline);
        if (_run.IsCompleted) await _run; // surfaces a start failure
        Client = new KubeClient(KubeConnection.FromServer(_up.ApiServer), new KubeClientOptions());
        GatewayPort = _up.GatewayHttpPort;
        LocalGatewayPort = _up.Gateway.PortOf("knative-serving/knative-local-gateway", 8081) ?? throw new InvalidOperationException("no local gateway listener");
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try { await _run.WaitAsync(Deadline); }
            catch (OperationCanceledException) { }
        }
        if (_up is not null) await _up.DisposeAsync();
        Http.Dispose();
        _stop.Dispose();
        try { Directory.Delete(DataDirectory, recursive: true); }
        catch (IOException) { }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Runs the real kubectl against this instance (working directory: the repository root, so example
    /// paths are written as in the tutorials). <paramref name="stdin"/> is piped for <c>-f -</c>.</summary>
    public async Task<(int Code, string Out, string Err)> KubectlAsync(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null,
            UseShellExecute = false, WorkingDirectory = RepoFiles.Root,
        };
        psi.ArgumentList.Add("--cache-dir");
        psi.ArgumentList.Add(Path.Combine(DataDirectory, "kubectl-cache"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["KUBECONFIG"] = Up.KubeconfigPath;
        psi.Environment["HOME"] = DataDirectory;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>kubectl that must succeed; returns its stdout.</summary>
    public async Task<string> KubectlOkAsync(params string[] args)
    {
        var (code, stdout, stderr) = await KubectlAsync(null, args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    /// <summary><c>kubectl apply -f -</c> of objects (JSON is YAML), which must succeed.</summary>
    public async Task ApplyAsync(params JsonObject[] objects)
    {
        var list = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = new JsonArray(objects.Select(o => (JsonNode)o.DeepClone()).ToArray()) };
        var (code, _, stderr) = await KubectlAsync(list.ToJsonString(), "apply", "-f", "-");
        Assert.True(code == 0, $"kubectl apply exited {code}: {stderr}");
    }

    /// <summary>One request through a gateway listener (<paramref name="port"/>) with the given Host.</summary>
    public async Task<Answer> GetAsync(int port, string host, string pathAndQuery = "/", IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}{pathAndQuery}");
        request.Headers.Host = host;
        foreach (var (name, value) in headers ?? []) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return new Answer((int)response.StatusCode, body, response.Headers.TryGetValues("K-Network-Hash", out var hash) ? hash.First() : null);
    }

    /// <summary>Repeats <see cref="GetAsync"/> until <paramref name="done"/> holds (transport errors count as not yet)
    /// or <see cref="Deadline"/> passes; returns the last answer either way, so the caller's assert shows it.</summary>
    public async Task<Answer> GetUntilAsync(int port, string host, Func<Answer, bool> done, string pathAndQuery = "/",
        IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        var deadline = DateTime.UtcNow + Deadline;
        var last = new Answer(0, "no answer yet", null);
        while (true)
        {
            try
            {
                last = await GetAsync(port, host, pathAndQuery, headers);
                if (done(last)) return last;
            }
            catch (HttpRequestException e) { last = new Answer(0, e.Message, null); }
            catch (TaskCanceledException e) { last = new Answer(0, e.Message, null); }
            if (DateTime.UtcNow > deadline) return last;
            await Task.Delay(200);
        }
    }

    /// <summary>Polls <paramref name="check"/> until it returns non-null or <see cref="Deadline"/> passes (then fails
    /// with <paramref name="what"/> and the last state <paramref name="describe"/> gives).</summary>
    public static async Task<T> EventuallyAsync<T>(string what, Func<Task<T?>> check, Func<string>? describe = null) where T : class
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            if (await check() is { } value) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {Deadline.TotalSeconds:0} s waiting for {what}. {describe?.Invoke()}");
            await Task.Delay(200);
        }
    }
}

/// <summary>What a gateway answered: status, body, and the response's K-Network-Hash header.</summary>
public sealed record Answer(int Status, string Body, string? Hash)
{
    public override string ToString() => $"{Status} {Body}";
}

[CollectionDefinition(Name)]
public sealed class LocalUpCollection : ICollectionFixture<LocalUpFixture>
{
    public const string Name = "ingress up";
}
