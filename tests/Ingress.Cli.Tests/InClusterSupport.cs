using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Ingress.ApiServer;
using Ingress.Local.Hosting;

namespace Ingress.Cli.Tests;

/// <summary>
/// A cluster as a pod sees it: the embedded API server over HTTPS (certificate from a test CA) that accepts the
/// service account's bearer token (which the test can rotate) and an administrator token for kubectl; a
/// service-account directory (token, ca.crt, namespace) for <c>INGRESS_SERVICE_ACCOUNT_DIR</c>; the built
/// <c>ingress</c> executable started as a separate process with <c>KUBERNETES_SERVICE_HOST/PORT</c>, exactly as
/// kubelet starts the container; its stdout lines collected.
/// </summary>
internal sealed class InClusterEnvironment : IAsyncDisposable
{
    public const string AdminToken = "admin-token-for-kubectl";
    private volatile string _serviceAccountToken = "sa-token-1";
    private readonly ConcurrentDictionary<string, int> _requestsByToken = new();
    private readonly X509Certificate2 _ca;
    private Process? _process;
    private readonly List<string> _lines = [];
    private int _cacheCounter;

    private InClusterEnvironment(string dir, X509Certificate2 ca)
    {
        Dir = dir;
        _ca = ca;
    }

    public string Dir { get; }
    public string ServiceAccountDirectory => Path.Combine(Dir, "serviceaccount");
    public ApiServerHost Server { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;

    /// <summary>Requests the server accepted, per bearer token.</summary>
    public int RequestsWith(string token) => _requestsByToken.GetValueOrDefault(token);
    public string ServiceAccountToken => _serviceAccountToken;

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return _lines.ToList(); }
    }

    public static async Task<InClusterEnvironment> StartAsync()
    {
        var dir = Directory.CreateTempSubdirectory("in-cluster-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "serviceaccount"));
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=in-cluster-test-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=kube-apiserver", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var serverCert = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
        File.WriteAllText(Path.Combine(dir, "apiserver.crt"), serverCert.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "apiserver.key"), serverKey.ExportPkcs8PrivateKeyPem());

        var env = new InClusterEnvironment(dir, ca);
        File.WriteAllText(Path.Combine(env.ServiceAccountDirectory, "ca.crt"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(env.ServiceAccountDirectory, "namespace"), "knative-serving");
        File.WriteAllText(Path.Combine(env.ServiceAccountDirectory, "token"), env._serviceAccountToken);
        env.Server = new ApiServerHost(new ApiServerOptions
        {
            TlsCertificatePath = Path.Combine(dir, "apiserver.crt"),
            TlsKeyPathOrPassword = Path.Combine(dir, "apiserver.key"),
            Authenticate = env.Authenticate,
        });
        env.Server.PreloadCustomResourceDefinitions(Renderer.EmbeddedCrds());
        await env.Server.StartAsync();
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                if (cert is null) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(cert);
            },
        };
        env.Admin = new HttpClient(handler) { BaseAddress = env.Server.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        env.Admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
        return env;
    }

    private bool Authenticate(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : "";
        if (token != AdminToken && token != _serviceAccountToken) return false;
        _requestsByToken.AddOrUpdate(token, 1, (_, n) => n + 1);
        return true;
    }

    /// <summary>kubelet's rotation: the new token file is swapped in atomically (a rename), then the API server
    /// stops accepting the old token.</summary>
    public void RotateServiceAccountToken(string newToken)
    {
        var temp = Path.Combine(ServiceAccountDirectory, "..token.tmp");
        File.WriteAllText(temp, newToken);
        File.Move(temp, Path.Combine(ServiceAccountDirectory, "token"), overwrite: true);
        _serviceAccountToken = newToken;
    }

    /// <summary>Starts <c>dotnet ingress.dll &lt;args&gt;</c> (the executable built next to this test) as a pod would run it;
    /// INGRESS_TEST_EXECUTABLE names another build to run instead (e.g. the trimmed self-contained publish of the images).</summary>
    public void StartIngress(params string[] args)
    {
        var other = Environment.GetEnvironmentVariable("INGRESS_TEST_EXECUTABLE");
        var psi = new ProcessStartInfo(other is { Length: > 0 } ? other : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Dir,
        };
        if (other is not { Length: > 0 }) psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ingress.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["KUBERNETES_SERVICE_HOST"] = "127.0.0.1";
        psi.Environment["KUBERNETES_SERVICE_PORT"] = Server.BaseUri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["INGRESS_SERVICE_ACCOUNT_DIR"] = ServiceAccountDirectory;
        psi.Environment["SYSTEM_NAMESPACE"] = "knative-serving";
        psi.Environment["POD_NAME"] = "controller-test-pod";
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (_lines) _lines.Add(line); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (_lines) _lines.Add("stderr: " + line); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>SIGTERM, as kubelet stops a container; the exit code once the process has stopped.</summary>
    public async Task<int> StopIngressAsync()
    {
        var process = _process ?? throw new InvalidOperationException("not started");
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    /// <summary>kubectl with a kubeconfig holding the server, its CA file and the administrator's token.</summary>
    public async Task<string> KubectlAsync(params string[] args)
    {
        var kubeconfig = Path.Combine(Dir, "kubeconfig");
        if (!File.Exists(kubeconfig))
        {
            File.WriteAllText(kubeconfig, $"""
                apiVersion: v1
                kind: Config
                clusters:
                - name: test
                  cluster:
                    server: {Server.BaseUri.ToString().TrimEnd('/')}
                    certificate-authority: {Path.Combine(ServiceAccountDirectory, "ca.crt")}
                users:
                - name: admin
                  user:
                    token: {AdminToken}
                contexts:
                - name: test
                  context: {"{"}cluster: test, user: admin, namespace: default{"}"}
                current-context: test
                """);
        }
        var psi = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RenderCommandTests.RepoPath() };
        psi.ArgumentList.Add("--cache-dir");
        psi.ArgumentList.Add(Path.Combine(Dir, "kubectl-cache-" + Interlocked.Increment(ref _cacheCounter)));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["KUBECONFIG"] = kubeconfig;
        psi.Environment["HOME"] = Dir;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(cts.Token);
        Assert.True(process.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {await stderr}");
        return await stdout;
    }

    /// <summary>An object by REST path, or null on 404.</summary>
    public async Task<JsonObject?> GetAsync(string path)
    {
        using var response = await Admin.GetAsync(path);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 90)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            if (await condition()) return;
            if (_process is { HasExited: true }) Assert.Fail($"ingress exited ({_process.ExitCode}) while waiting for {what}:\n{string.Join('\n', Lines.TakeLast(60))}");
            await Task.Delay(200);
        }
        Assert.Fail($"timed out waiting for {what}; last output:\n{string.Join('\n', Lines.TakeLast(60))}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        Admin.Dispose();
        await Server.DisposeAsync();
        _ca.Dispose();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
