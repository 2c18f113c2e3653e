using Ingress.ApiServer.Admission;
using Microsoft.Extensions.Logging;

namespace Ingress.Local.Webhook;

/// <summary>What <c>ingress webhook</c> runs: the HTTPS server plus the certificate loop (ensure the
/// certificate, serve it, check again every <see cref="CheckInterval"/>). Every replica runs the loop; the
/// Secret's optimistic concurrency makes one rotation win and the others adopt it.</summary>
public sealed partial class WebhookHost(
    IReadOnlyList<IAdmissionHook> hooks, AdmissionWebhookOptions serverOptions, WebhookCertificateOptions certificateOptions,
    HttpClient api, ILoggerFactory loggerFactory, TimeProvider? time = null)
{
    /// <summary>One minute: picks up a rotation made by another replica well within the day of overlap
    /// <see cref="WebhookCertificate.RotateBefore"/> leaves, at one GET per minute per replica.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromMinutes(1);

    private readonly ILogger _logger = loggerFactory.CreateLogger("Ingress.Local.Webhook");
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly TaskCompletionSource<(int HttpsPort, int ProbePort)> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the bound ports once the server listens (ports of 0 are chosen by the OS).</summary>
    public Task<(int HttpsPort, int ProbePort)> Started => _started.Task;

    /// <summary>Serves until <paramref name="ct"/> is cancelled (SIGTERM), then fails readiness and drains.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        if (hooks.Count == 0) LogNoHooks(_logger);
        await using var server = new AdmissionWebhookServer(new AdmissionReviewHandler(hooks), serverOptions, loggerFactory);
        await server.StartAsync(ct);
        _started.TrySetResult((server.HttpsPort, server.ProbePort));
        var manager = new WebhookCertificateManager(api, certificateOptions, _logger);
        string? served = null;
        while (!ct.IsCancellationRequested)
        {
            var wait = CheckInterval;
            try
            {
                var certificate = await manager.EnsureAsync(_time.GetUtcNow(), ct);
                if (certificate.CertPem != served)
                {
                    server.SetCertificate(certificate.ToServerCertificate());
                    served = certificate.CertPem;
                }
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException)
            {
                LogCertificateError(_logger, e);
                wait = TimeSpan.FromSeconds(10);
            }
            try { await Task.Delay(wait, _time, ct); } catch (OperationCanceledException) { break; }
        }
        await server.StopAsync(CancellationToken.None);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No admission hooks are registered: every review is allowed unchanged")]
    private static partial void LogNoHooks(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not ensure the webhook certificate; retrying in 10s")]
    private static partial void LogCertificateError(ILogger logger, Exception exception);
}
