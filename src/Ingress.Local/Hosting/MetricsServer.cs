using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ingress.Local.Hosting;

/// <summary>
/// Serves <c>/metrics</c> (Prometheus text from <see cref="PrometheusExporter"/>), <c>/healthz</c> (the process
/// is alive) and <c>/readyz</c> (informers synced: 200, else 503) on one port.
/// </summary>
public sealed class MetricsServer : IAsyncDisposable
{
    private readonly PrometheusExporter _exporter;
    private readonly Func<bool> _ready;
    private WebApplication? _app;

    public MetricsServer(PrometheusExporter exporter, Func<bool> ready)
    {
        _exporter = exporter;
        _ready = ready;
    }

    /// <summary>http://address:port/ once started.</summary>
    public Uri? BaseUri { get; private set; }

    public async Task StartAsync(string bindAddress, int port, ILoggerFactory loggerFactory, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedHostLifetime>();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Parse(bindAddress), port);
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync(ct).ConfigureAwait(false);
        _app = app;
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var host = bindAddress is "0.0.0.0" or "::" ? "127.0.0.1" : bindAddress;
        BaseUri = new UriBuilder(address.Scheme, host, address.Port).Uri;
    }

    private Task HandleAsync(HttpContext context)
    {
        switch (context.Request.Path.Value)
        {
            case "/metrics":
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                return context.Response.WriteAsync(_exporter.Scrape());
            case "/healthz":
                return context.Response.WriteAsync("ok");
            case "/readyz":
                if (_ready()) return context.Response.WriteAsync("ok");
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return context.Response.WriteAsync("informers not synced");
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _app = null;
    }
}
