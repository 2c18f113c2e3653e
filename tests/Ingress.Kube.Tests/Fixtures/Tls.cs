using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Ingress.Kube.Tests.Fixtures;

/// <summary>Certificates made on the fly, and a Kestrel HTTPS endpoint that asks for client certificates.</summary>
public static class Tls
{
    public static (string CertPem, string KeyPem) SelfSignedPem(string cn)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return (cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    public sealed class Server : IAsyncDisposable
    {
        public required WebApplication App { get; init; }
        public required string Url { get; init; }
        public required string CaPem { get; init; }
        public required string ClientCertPem { get; init; }
        public required string ClientKeyPem { get; init; }
        public async ValueTask DisposeAsync() => await App.DisposeAsync();
    }

    public static async Task<Server> StartServerAsync()
    {
        using var caKey = RSA.Create(2048);
        var caReq = new CertificateRequest("CN=test-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ca = caReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));

        X509Certificate2 Issue(string cn, bool server, out RSA key)
        {
            key = RSA.Create(2048);
            var req = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            if (server)
            {
                var san = new SubjectAlternativeNameBuilder();
                san.AddIpAddress(IPAddress.Loopback);
                req.CertificateExtensions.Add(san.Build());
                req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            }
            else
            {
                req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
            }
            var serial = RandomNumberGenerator.GetBytes(8);
            return req.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), serial);
        }

        var serverCert = Issue("127.0.0.1", true, out var serverKey);
        var serverWithKey = X509CertificateLoader.LoadPkcs12(serverCert.CopyWithPrivateKey(serverKey).Export(X509ContentType.Pkcs12), null);
        var clientCert = Issue("test-client", false, out var clientKey);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = serverWithKey,
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = (cert, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(cert);
            },
        })));
        var app = builder.Build();
        app.Run(async ctx =>
        {
            var cert = ctx.Connection.ClientCertificate;
            if (cert is null)
            {
                await FakeApiServer.StatusAsync(ctx, 401, "Unauthorized", "client certificate required");
                return;
            }
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(new JsonObject
            {
                ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "hello", ["namespace"] = "default" },
                ["data"] = new JsonObject { ["clientSubject"] = cert.Subject },
            }.ToJsonString());
        });
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        return new Server
        {
            App = app,
            Url = $"https://127.0.0.1:{port}",
            CaPem = ca.ExportCertificatePem(),
            ClientCertPem = clientCert.ExportCertificatePem(),
            ClientKeyPem = clientKey.ExportPkcs8PrivateKeyPem(),
        };
    }
}
