using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Ingress.ApiServer;
using YamlDotNet.RepresentationModel;

namespace Ingress.Local.Tests;

/// <summary>Finds the repository's files (manifests/, crds/, docs/, docker/) from the test's output directory.</summary>
internal static class RepoFiles
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ingress.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Ingress.sln not found above " + AppContext.BaseDirectory);
    }

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Every *.yaml under a folder, relative to the root with '/' separators, in ordinal order.</summary>
    public static IReadOnlyList<string> Yaml(string folder) =>
        Directory.EnumerateFiles(PathOf(folder), "*.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
}

/// <summary>One object of a manifest file, as JSON, with the file it came from.</summary>
internal sealed record ManifestObject(string File, JsonObject Body)
{
    public string ApiVersion => Body["apiVersion"]!.GetValue<string>();
    public string Kind => Body["kind"]!.GetValue<string>();
    public string Name => Body["metadata"]!["name"]!.GetValue<string>();
    public string? Namespace => Body["metadata"]?["namespace"]?.GetValue<string>();
    public JsonObject Labels => Body["metadata"]?["labels"] as JsonObject ?? [];
    public override string ToString() => $"{Kind} {Namespace}/{Name} ({File})";
}

internal static class Manifests
{
    /// <summary>Every YAML document of every file under manifests/.</summary>
    public static IReadOnlyList<ManifestObject> All { get; } = Load("manifests");

    public static IReadOnlyList<ManifestObject> Load(string folder)
    {
        var result = new List<ManifestObject>();
        foreach (var file in RepoFiles.Yaml(folder))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(RepoFiles.PathOf(file))));
            foreach (var doc in stream.Documents)
            {
                if (doc.RootNode is YamlMappingNode) result.Add(new ManifestObject(file, (JsonObject)ToJson(doc.RootNode)!));
            }
        }
        return result;
    }

    public static IEnumerable<ManifestObject> OfKind(string kind) => All.Where(o => o.Kind == kind);

    /// <summary>YAML to JSON as Kubernetes reads it: plain true/false and integers are typed, quoted scalars stay strings.</summary>
    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(ToJson).ToArray()),
        YamlScalarNode sc when sc.Style == YamlDotNet.Core.ScalarStyle.Plain && sc.Value is "true" or "false" => JsonValue.Create(sc.Value == "true"),
        YamlScalarNode sc when sc.Style == YamlDotNet.Core.ScalarStyle.Plain && long.TryParse(sc.Value, out var n) => JsonValue.Create(n),
        YamlScalarNode sc when sc.Style == YamlDotNet.Core.ScalarStyle.Plain && sc.Value is "" or "~" or "null" => null,
        YamlScalarNode sc => JsonValue.Create(sc.Value),
        _ => null,
    };

    /// <summary>The kubectl command lines between the install markers of docs/install.md: what users are told to run.</summary>
    public static IReadOnlyList<string> InstallCommands()
    {
        var text = File.ReadAllText(RepoFiles.PathOf("docs/install.md"));
        var begin = text.IndexOf("<!-- install:begin", StringComparison.Ordinal);
        var end = text.IndexOf("<!-- install:end -->", StringComparison.Ordinal);
        if (begin < 0 || end < begin) throw new InvalidOperationException("docs/install.md has no install:begin/install:end block");
        return text[begin..end].Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("kubectl ", StringComparison.Ordinal)).ToList();
    }
}

/// <summary>The embedded API server in process, standing in for a cluster on which Istio is already
/// installed (its CRDs are preloaded, istio-system exists) and knative-serving does NOT exist yet, so
/// the manifests must create it themselves. It speaks HTTPS with a certificate from a test CA, and kubectl
/// authenticates with a bearer token, as a pod's service account does (kubectl sends no token over plain
/// HTTP). <see cref="ServiceAccountDirectory"/> holds token, ca.crt and namespace as a pod sees them.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string Token = "sa-token-for-tests";
    public ApiServerHost Host { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public string TempDir { get; } = Directory.CreateTempSubdirectory("manifests-test-").FullName;
    private int _cacheCounter;

    public string ServiceAccountDirectory => Path.Combine(TempDir, "serviceaccount");
    public string CaPath => Path.Combine(ServiceAccountDirectory, "ca.crt");
    private X509Certificate2 _ca = null!;

    public async Task InitializeAsync()
    {
        var (certPath, keyPath) = WriteCertificates();
        Host = new ApiServerHost(new ApiServerOptions
        {
            BearerToken = Token,
            TlsCertificatePath = certPath,
            TlsKeyPathOrPassword = keyPath,
            InitialNamespaces = ["default", "kube-system", "kube-public", "istio-system"],
        });
        Host.PreloadCustomResourceDefinitions(Manifests.Load("crds/istio").Select(o => o.Body));
        await Host.StartAsync();
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                if (cert is null) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(_ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(cert);
            },
        };
        Http = new HttpClient(handler) { BaseAddress = Host.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Authorization = new("Bearer", Token);
    }

    /// <summary>A CA and a server certificate for 127.0.0.1 signed by it (PEM files), plus the service
    /// account files a pod would mount.</summary>
    private (string Cert, string Key) WriteCertificates()
    {
        Directory.CreateDirectory(ServiceAccountDirectory);
        // One clock reading for both certificates: two UtcNow calls can straddle a tick, and a leaf that
        // outlives its issuer by a microsecond is rejected by CertificateRequest.Create.
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=test-cluster-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        _ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=kube-apiserver", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = serverRequest.Create(_ca, now.AddMinutes(-5), now.AddHours(23), RandomNumberGenerator.GetBytes(8));

        var certPath = Path.Combine(TempDir, "apiserver.crt");
        var keyPath = Path.Combine(TempDir, "apiserver.key");
        File.WriteAllText(certPath, server.ExportCertificatePem());
        File.WriteAllText(keyPath, serverKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(CaPath, _ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(ServiceAccountDirectory, "token"), Token);
        File.WriteAllText(Path.Combine(ServiceAccountDirectory, "namespace"), "knative-serving");
        return (certPath, keyPath);
    }

    public async Task DisposeAsync()
    {
        // Null-tolerant: a failed InitializeAsync must not hide its cause behind a cleanup error.
        Http?.Dispose();
        if (Host is not null) await Host.DisposeAsync();
        _ca?.Dispose();
        try { Directory.Delete(TempDir, true); } catch (IOException) { }
    }

    /// <summary>GET of an object's REST path; null when the server answers 404.</summary>
    public async Task<JsonObject?> GetObjectAsync(string apiVersion, string kind, string? ns, string name)
    {
        var type = Host.Registry.FindByKind(apiVersion, kind) ?? throw new InvalidOperationException($"{apiVersion} {kind} is not served");
        var prefix = apiVersion.Contains('/') ? "/apis/" + apiVersion : "/api/" + apiVersion;
        var path = type.Namespaced ? $"{prefix}/namespaces/{ns}/{type.Plural}/{name}" : $"{prefix}/{type.Plural}/{name}";
        using var response = await Http.GetAsync(path);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Runs a command line as docs/install.md writes it ("kubectl ..."), from the repository root, with
    /// a kubeconfig that carries only a server address and a token.</summary>
    public async Task<(int Code, string Out, string Err)> RunKubectlLineAsync(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("kubectl", words[0]);
        var kubeconfig = Path.Combine(TempDir, "kubeconfig");
        if (!File.Exists(kubeconfig))
        {
            File.WriteAllText(kubeconfig, $"""
                apiVersion: v1
                kind: Config
                clusters:
                - name: test
                  cluster:
                    server: {Host.BaseUri.ToString().TrimEnd('/')}
                    certificate-authority: {CaPath}
                users:
                - name: sa
                  user:
                    token: {Token}
                contexts:
                - name: test
                  context:
                    cluster: test
                    user: sa
                    namespace: default
                current-context: test
                """);
        }
        var psi = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = RepoFiles.Root,
        };
        psi.ArgumentList.Add("--cache-dir");
        psi.ArgumentList.Add(Path.Combine(TempDir, "cache-" + Interlocked.Increment(ref _cacheCounter)));
        foreach (var word in words.Skip(1)) psi.ArgumentList.Add(word);
        psi.Environment["KUBECONFIG"] = kubeconfig;
        psi.Environment["HOME"] = TempDir;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(true);
            throw new TimeoutException($"{line} did not finish: {await stdout} {await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    private readonly SemaphoreSlim _installLock = new(1, 1);
    private string? _installOutput;

    /// <summary>Runs the install commands once per fixture; every line must succeed. Returns their combined output.</summary>
    public async Task<string> InstallAsync()
    {
        await _installLock.WaitAsync();
        try
        {
            if (_installOutput is not null) return _installOutput;
            var output = new StringBuilder();
            foreach (var line in Manifests.InstallCommands())
            {
                var (code, stdout, stderr) = await RunKubectlLineAsync(line);
                Assert.True(code == 0, $"`{line}` failed ({code}):\n{stderr}\n{stdout}");
                output.Append(stdout);
            }
            return _installOutput = output.ToString();
        }
        finally { _installLock.Release(); }
    }
}
