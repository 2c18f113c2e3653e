using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using YamlDotNet.RepresentationModel;

namespace Ingress.Kube.Client;

/// <summary>
/// How to reach an API server: its URL, how to authenticate and which CA to trust. Built from the
/// in-cluster service account, from a kubeconfig, or from an explicit URL.
/// </summary>
public sealed class KubeConnection
{
    public const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";
    /// <summary>Environment variable that moves the service-account directory (token, ca.crt, namespace) away from
    /// <see cref="ServiceAccountDirectory"/>: for running in-cluster mode outside a pod (tests, debugging).</summary>
    public const string ServiceAccountDirectoryVariable = "INGRESS_SERVICE_ACCOUNT_DIR";

    public required Uri Server { get; init; }
    /// <summary>A static bearer token (kubeconfig "token").</summary>
    public string? BearerToken { get; init; }
    /// <summary>A token file re-read when it rotates (in-cluster, kubeconfig "tokenFile").</summary>
    public string? BearerTokenFile { get; init; }
    /// <summary>Trusted roots for the server certificate; null means the system store.</summary>
    public X509Certificate2Collection? CertificateAuthorities { get; init; }
    public X509Certificate2? ClientCertificate { get; init; }
    public bool InsecureSkipTlsVerify { get; init; }
    /// <summary>The namespace of the context or of the service account, when known.</summary>
    public string? Namespace { get; init; }
    /// <summary>Makes the transport instead of a socket handler: an API server in this process
    /// (<c>ApiServerHost.CreateInProcessHandler</c>, used by <c>ingress render</c>). Null: TCP/TLS to <see cref="Server"/>.</summary>
    public Func<HttpMessageHandler>? Transport { get; init; }

    /// <summary>
    /// The CLI's rule: an explicit server wins, then a kubeconfig file, else in-cluster.
    /// When both are given the kubeconfig supplies credentials and the flag the URL.
    /// </summary>
    public static KubeConnection Resolve(string? kubeconfigPath, string? serverUrl)
    {
        if (kubeconfigPath is not null)
        {
            var fromFile = FromKubeconfig(kubeconfigPath);
            return serverUrl is null ? fromFile : fromFile.WithServer(new Uri(serverUrl));
        }
        return serverUrl is not null ? FromServer(new Uri(serverUrl)) : InCluster();
    }

    public static KubeConnection FromServer(Uri server) => new() { Server = server };

    public KubeConnection WithServer(Uri server) => new()
    {
        Server = server, BearerToken = BearerToken, BearerTokenFile = BearerTokenFile, CertificateAuthorities = CertificateAuthorities,
        ClientCertificate = ClientCertificate, InsecureSkipTlsVerify = InsecureSkipTlsVerify, Namespace = Namespace, Transport = Transport,
    };

    /// <summary>In-cluster: KUBERNETES_SERVICE_HOST/PORT, the service-account token (re-read on rotation) and CA bundle,
    /// from <paramref name="serviceAccountDirectory"/>, else $INGRESS_SERVICE_ACCOUNT_DIR, else the pod's mount.</summary>
    public static KubeConnection InCluster(string? serviceAccountDirectory = null, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        serviceAccountDirectory ??= environment(ServiceAccountDirectoryVariable) is { Length: > 0 } fromEnv ? fromEnv : ServiceAccountDirectory;
        var host = environment("KUBERNETES_SERVICE_HOST");
        var port = environment("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
        {
            throw new InvalidOperationException(
                "Not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set. Pass --kubeconfig or --server.");
        }
        var tokenFile = Path.Combine(serviceAccountDirectory, "token");
        if (!File.Exists(tokenFile))
        {
            throw new InvalidOperationException($"Not running in a cluster: {tokenFile} does not exist.");
        }
        var caFile = Path.Combine(serviceAccountDirectory, "ca.crt");
        var nsFile = Path.Combine(serviceAccountDirectory, "namespace");
        var hostPart = host.Contains(':') ? $"[{host}]" : host; // IPv6 service addresses
        return new KubeConnection
        {
            Server = new Uri($"https://{hostPart}:{port}"),
            BearerTokenFile = tokenFile,
            CertificateAuthorities = File.Exists(caFile) ? LoadPemBundle(File.ReadAllText(caFile)) : null,
            Namespace = File.Exists(nsFile) ? File.ReadAllText(nsFile).Trim() : null,
        };
    }

    /// <summary>Reads a kubeconfig: the named context or current-context; token, tokenFile, client certificate, CA, insecure flag.</summary>
    public static KubeConnection FromKubeconfig(string path, string? context = null)
    {
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new InvalidOperationException($"{path}: not a kubeconfig (empty or not a mapping).");
        }
        context ??= Scalar(root, "current-context") ?? throw new InvalidOperationException($"{path}: no current-context.");
        var ctx = Named(root, "contexts", context, "context") ?? throw new InvalidOperationException($"{path}: context \"{context}\" not found.");
        var clusterName = Scalar(ctx, "cluster") ?? throw new InvalidOperationException($"{path}: context \"{context}\" names no cluster.");
        var cluster = Named(root, "clusters", clusterName, "cluster") ?? throw new InvalidOperationException($"{path}: cluster \"{clusterName}\" not found.");
        var userName = Scalar(ctx, "user");
        var user = userName is null ? null : Named(root, "users", userName, "user");

        var server = Scalar(cluster, "server") ?? throw new InvalidOperationException($"{path}: cluster \"{clusterName}\" has no server.");
        X509Certificate2Collection? ca = null;
        if (Scalar(cluster, "certificate-authority-data") is { } caData)
        {
            ca = LoadPemBundle(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(caData)));
        }
        else if (Scalar(cluster, "certificate-authority") is { } caFile)
        {
            ca = LoadPemBundle(File.ReadAllText(Resolve(baseDir, caFile)));
        }
        X509Certificate2? clientCert = null;
        string? token = null, tokenFile = null;
        if (user is not null)
        {
            var certPem = Scalar(user, "client-certificate-data") is { } cd ? Decode(cd)
                : Scalar(user, "client-certificate") is { } cf ? File.ReadAllText(Resolve(baseDir, cf)) : null;
            var keyPem = Scalar(user, "client-key-data") is { } kd ? Decode(kd)
                : Scalar(user, "client-key") is { } kf ? File.ReadAllText(Resolve(baseDir, kf)) : null;
            if (certPem is not null && keyPem is not null)
            {
                using var pemCert = X509Certificate2.CreateFromPem(certPem, keyPem);
                // Why re-import: on Linux, SslStream needs a certificate whose key is not ephemeral.
                clientCert = X509CertificateLoader.LoadPkcs12(pemCert.Export(X509ContentType.Pkcs12), null);
            }
            token = Scalar(user, "token");
            if (Scalar(user, "tokenFile") is { } tf) tokenFile = Resolve(baseDir, tf);
        }
        return new KubeConnection
        {
            Server = new Uri(server),
            BearerToken = token,
            BearerTokenFile = tokenFile,
            CertificateAuthorities = ca,
            ClientCertificate = clientCert,
            InsecureSkipTlsVerify = Scalar(cluster, "insecure-skip-tls-verify") is "true",
            Namespace = Scalar(ctx, "namespace"),
        };

        static string Decode(string b64) => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(b64));
        static string Resolve(string dir, string file) => Path.IsPathRooted(file) ? file : Path.Combine(dir, file);
    }

    internal static X509Certificate2Collection LoadPemBundle(string pem)
    {
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPem(pem);
        return bundle;
    }

    /// <summary>The transport for this connection: <see cref="Transport"/> when set, else sockets with TLS trust,
    /// client certificate and pooled connections.</summary>
    internal HttpMessageHandler CreateHandler() => Transport?.Invoke() ?? CreateSocketsHandler();

    private SocketsHttpHandler CreateSocketsHandler()
    {
        var handler = new SocketsHttpHandler
        {
            // Why: watches hold connections for minutes; rotate the pool so DNS/endpoint changes are picked up.
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = System.Net.DecompressionMethods.GZip,
            MaxConnectionsPerServer = 64,
        };
        if (ClientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { ClientCertificate };
        }
        var insecure = InsecureSkipTlsVerify;
        var roots = CertificateAuthorities;
        if (insecure || roots is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
            {
                if (insecure) return true;
                if (errors == SslPolicyErrors.None) return true;
                if (cert is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots!);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(cert as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(cert.GetRawCertData()));
            };
        }
        return handler;
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static YamlMappingNode? Named(YamlMappingNode root, string listKey, string name, string innerKey)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode(listKey), out var list) || list is not YamlSequenceNode seq) return null;
        foreach (var item in seq)
        {
            if (item is YamlMappingNode m && Scalar(m, "name") == name)
            {
                return m.Children.TryGetValue(new YamlScalarNode(innerKey), out var inner) && inner is YamlMappingNode im ? im : new YamlMappingNode();
            }
        }
        return null;
    }
}

/// <summary>
/// Supplies the bearer token. A token file is re-read once a minute and immediately after a 401, as
/// client-go does, because kubelet rotates projected service-account tokens in place.
/// </summary>
internal sealed class BearerTokenSource(string? staticToken, string? tokenFile, TimeProvider time)
{
    private static readonly TimeSpan RereadAfter = TimeSpan.FromMinutes(1);
    private readonly Lock _gate = new();
    private string? _cached;
    private long _readAt;

    public string? Current
    {
        get
        {
            if (tokenFile is null) return staticToken;
            lock (_gate)
            {
                if (_cached is null || time.GetElapsedTime(_readAt) >= RereadAfter)
                {
                    ReadLocked();
                }
                return _cached;
            }
        }
    }

    /// <summary>Called after a 401: the token may have rotated since the last read.</summary>
    public bool Refresh()
    {
        if (tokenFile is null) return false;
        lock (_gate)
        {
            var before = _cached;
            ReadLocked();
            return _cached != before;
        }
    }

    private void ReadLocked()
    {
        try
        {
            _cached = File.ReadAllText(tokenFile!).Trim();
            _readAt = time.GetTimestamp();
        }
        catch (IOException) when (_cached is not null)
        {
            // Keep the last good token while kubelet swaps the file.
        }
    }
}
