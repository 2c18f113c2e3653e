using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Local.Webhook;

/// <summary>Where the webhook listens. Defaults are the manifests' (manifests/600-components/640-webhook.yaml).</summary>
public sealed record AdmissionWebhookOptions
{
    /// <summary>HTTPS port for AdmissionReviews; 8443 because the pod runs as non-root and cannot bind 443
    /// (the Service maps 443 to it). 0 lets the OS choose (tests).</summary>
    public int HttpsPort { get; init; } = 8443;

    /// <summary>Plain HTTP port for kubelet probes (/healthz, /readyz): kubelet probes need no certificate.</summary>
    public int ProbePort { get; init; } = 8080;

    /// <summary>Any address in a pod; tests use loopback.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Any;
}

/// <summary>The admission webhook over HTTPS. The serving certificate is read per TLS handshake from
/// <see cref="SetCertificate"/>, so a rotation takes effect for the next connection without a restart.
/// Ready (GET /readyz 200) once a certificate is set and until <see cref="StopAsync"/> begins.</summary>
public sealed partial class AdmissionWebhookServer(AdmissionReviewHandler handler, AdmissionWebhookOptions options, ILoggerFactory? loggerFactory = null) : IAsyncDisposable
{
    private readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Ingress.Local.Webhook");
    private volatile X509Certificate2? _certificate;
    private volatile bool _stopping;
    private WebApplication? _app;

    public int HttpsPort { get; private set; }
    public int ProbePort { get; private set; }

    public void SetCertificate(X509Certificate2 certificate)
    {
        var old = _certificate;
        _certificate = certificate;
        if (old is not null && !ReferenceEquals(old, certificate)) LogCertificateChanged(_logger, certificate.NotAfter);
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (loggerFactory is not null) builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(options.BindAddress, options.HttpsPort, l => l.UseHttps(https =>
                https.ServerCertificateSelector = (_, _) => _certificate));
            k.Listen(options.BindAddress, options.ProbePort);
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync(ct);
        _app = app;
        var ports = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a.Replace("[::]", "localhost").Replace("0.0.0.0", "localhost"))).ToList();
        HttpsPort = ports.Single(u => u.Scheme == "https").Port;
        ProbePort = ports.Single(u => u.Scheme == "http").Port;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        if (!request.IsHttps)
        {
            var ok = request.Path == "/healthz" || request.Path == "/readyz" && _certificate is not null && !_stopping;
            if (request.Path != "/healthz" && request.Path != "/readyz") { ctx.Response.StatusCode = 404; return; }
            ctx.Response.StatusCode = ok ? 200 : 503;
            await ctx.Response.WriteAsync(ok ? "ok" : "not ready");
            return;
        }
        var path = AdmissionReviewHandler.PathOf(request.Path);
        if (path is null) { ctx.Response.StatusCode = 404; return; }
        if (!HttpMethods.IsPost(request.Method)) { ctx.Response.StatusCode = 405; return; }
        JsonObject review;
        try
        {
            review = (await JsonNode.ParseAsync(request.Body, cancellationToken: ctx.RequestAborted)) as JsonObject
                ?? throw new FormatException("body is not a JSON object");
            var answer = handler.Handle(path.Value, review);
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(answer.ToJsonString(), ctx.RequestAborted);
            LogReviewed(_logger, path.Value, answer["response"]?["allowed"]?.GetValue<bool>() ?? false);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            ctx.Response.StatusCode = 400;
            await ctx.Response.WriteAsync("invalid AdmissionReview: " + e.Message, ctx.RequestAborted);
        }
    }

    /// <summary>Fails readiness first, then stops Kestrel gracefully (in-flight reviews finish).</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        _stopping = true;
        if (_app is not null) await _app.StopAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving certificate replaced (valid until {NotAfter:O})")]
    private static partial void LogCertificateChanged(ILogger logger, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Debug, Message = "AdmissionReview on {Path}: allowed={Allowed}")]
    private static partial void LogReviewed(ILogger logger, WebhookPath path, bool allowed);
}
