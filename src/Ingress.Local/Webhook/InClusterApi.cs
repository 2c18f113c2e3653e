using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;

namespace Ingress.Local.Webhook;

/// <summary>An <see cref="HttpClient"/> for the API server as a pod sees it: address from
/// KUBERNETES_SERVICE_HOST/PORT, trust from the service account's ca.crt, and its token re-read on every
/// request (kubelet rotates projected tokens in place). Until the webhook moves onto Ingress.Kube's client,
/// this is the webhook's only way to the API server; it makes only the calls WebhookCertificateManager makes.</summary>
public static class InClusterApi
{
    public const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    public static Uri DefaultServer()
    {
        var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")
            ?? throw new InvalidOperationException("KUBERNETES_SERVICE_HOST is not set: not running in a pod; pass --server");
        var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT") ?? "443";
        return new Uri($"https://{(host.Contains(':') ? $"[{host}]" : host)}:{port}");
    }

    public static HttpClient Create(Uri server, string tokenFile, string? caFile)
    {
        var sockets = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (caFile is not null)
        {
            // ca.crt may hold several certificates (CA rotation): trust all of them.
            var bundle = new X509Certificate2Collection();
            bundle.ImportFromPemFile(caFile);
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(bundle);
            sockets.SslOptions.CertificateChainPolicy = policy;
        }
        return new HttpClient(new TokenFileHandler(tokenFile) { InnerHandler = sockets })
        {
            BaseAddress = server,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    private sealed class TokenFileHandler(string tokenFile) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var token = (await File.ReadAllTextAsync(tokenFile, ct)).Trim();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return await base.SendAsync(request, ct);
        }
    }
}
