using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Ingress.Networking.Tests.Probing;

/// <summary>A request the fake gateway pod received.</summary>
public sealed record RecordedRequest(string Method, string Path, string Host, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A real Kestrel server on a loopback address standing in for one gateway pod. It answers /healthz the way a
/// programmed gateway plus a Knative backend would: 200 with the K-Network-Hash it currently serves, or whatever
/// status/delay the test sets.
/// </summary>
public sealed class FakeGatewayPod : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile string? _hash;
    private volatile int _status = 200;
    private long _delayMs;

    public string IP { get; }
    public int Port { get; private set; }
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();
    public int RequestCount => Requests.Count;

    /// <summary>Per-host hashes (host without port), as a gateway programmed with one VirtualService per Ingress serves them.</summary>
    public ConcurrentDictionary<string, string> HashesByHost { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The hash the pod serves (null: 200 without the header).</summary>
    public string? Hash { get => _hash; set => _hash = value; }
    public int Status { get => _status; set => _status = value; }
    public TimeSpan Delay { get => TimeSpan.FromMilliseconds(Interlocked.Read(ref _delayMs)); set => Interlocked.Exchange(ref _delayMs, (long)value.TotalMilliseconds); }

    private FakeGatewayPod(string ip, bool tls)
    {
        IP = ip;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(ip), 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            if (tls) listen.UseHttps(SelfSignedCertificate());
        }));
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    public static async Task<FakeGatewayPod> StartAsync(string ip = "127.0.0.1", string? hash = null, bool tls = false)
    {
        var pod = new FakeGatewayPod(ip, tls) { Hash = hash };
        await pod._app.StartAsync();
        pod.Port = new Uri(pod._app.Urls.First()).Port;
        return pod;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.Host.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
        var delay = Delay;
        if (delay > TimeSpan.Zero)
        {
            try { await Task.Delay(delay, context.RequestAborted); } catch (OperationCanceledException) { return; }
        }
        context.Response.StatusCode = Status;
        var hash = HashesByHost.TryGetValue(context.Request.Host.Host, out var perHost) ? perHost : Hash;
        if (Status == 200 && hash is not null) context.Response.Headers["K-Network-Hash"] = hash;
        await context.Response.WriteAsync("probe answer");
    }

    /// <summary>The pod goes away: its listener closes and connections are refused from then on.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=gateway.example.com", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("gateway.example.com");
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }
}
