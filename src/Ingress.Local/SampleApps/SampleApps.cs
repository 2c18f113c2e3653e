using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ingress.Local.Samples;

/// <summary>A user container realised in process: started on an address and port, stopped when its replica goes.</summary>
public interface ILocalApp : IAsyncDisposable
{
    /// <summary>The sample's name (e.g. helloworld-go), for logs.</summary>
    string Name { get; }
    /// <summary>The port listened on; the bound one after start when 0 was asked.</summary>
    int Port { get; }
    Task StartAsync(CancellationToken ct = default);
    Task StopAsync(CancellationToken ct = default);
}

/// <summary>
/// Knative's sample images as in-process Kestrel apps, because images cannot be pulled in local mode.
/// The image's last path segment (tag and digest dropped) picks the sample, so gcr.io/knative-samples/helloworld-go,
/// ghcr.io/knative/helloworld-go:latest and helloworld-go@sha256:... are all helloworld-go.
/// </summary>
public static class SampleApps
{
    /// <summary>The sample names recognised: Knative's samples, then networking's conformance test images
    /// (<see cref="TestImages"/>).</summary>
    public static IReadOnlyList<string> Known { get; } = ["helloworld-go", "autoscale-go", "rest-api-go", "simple-app", .. TestImages.Known];

    /// <summary>The sample name an image refers to, or null when it is not a known sample.</summary>
    public static string? SampleName(string image)
    {
        var name = image;
        var at = name.IndexOf('@');
        if (at >= 0) name = name[..at];
        var slash = name.LastIndexOf('/');
        if (slash >= 0) name = name[(slash + 1)..];
        var colon = name.IndexOf(':');
        if (colon >= 0) name = name[..colon];
        return Known.Contains(name) ? name : null;
    }

    /// <summary>An app for a known sample image listening on <paramref name="address"/>:<paramref name="port"/>
    /// (port 0: the OS chooses), with the container's environment; null for other images.
    /// <paramref name="log"/> receives one line per request (the replica's log file).</summary>
    public static ILocalApp? TryCreate(string image, IReadOnlyDictionary<string, string> env, int port,
        IPAddress? address = null, TextWriter? log = null)
    {
        var name = SampleName(image);
        if (name is null) return null;
        if (TestImages.TryCreate(name, env, port, address ?? IPAddress.Loopback, log) is { } testImage) return testImage;
        RequestDelegate handler = name switch
        {
            "helloworld-go" => HelloWorld(env),
            "autoscale-go" => Autoscale,
            "simple-app" => SimpleApp(env),
            _ => RestApi(env),
        };
        return new KestrelSampleApp(name, handler, address ?? IPAddress.Loopback, port, log);
    }

    /// <summary>helloworld-go: every path answers "Hello {TARGET}!\n", TARGET defaulting to "World" (the Go sample's code).</summary>
    private static RequestDelegate HelloWorld(IReadOnlyDictionary<string, string> env)
    {
        var target = env.TryGetValue("TARGET", out var t) && t.Length > 0 ? t : "World";
        var body = Encoding.UTF8.GetBytes($"Hello {target}!\n");
        return async context =>
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        };
    }

    /// <summary>simple-app (the app-from-source sample, configured by SIMPLE_MSG): every path answers the message as
    /// plain text. The original's exact page layout is not reproduced; the message and its default are what tests use.</summary>
    private static RequestDelegate SimpleApp(IReadOnlyDictionary<string, string> env)
    {
        var message = env.TryGetValue("SIMPLE_MSG", out var m) && m.Length > 0 ? m : "Hello sample app!";
        var body = Encoding.UTF8.GetBytes(message + "\n");
        return async context =>
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        };
    }

    /// <summary>autoscale-go: ?sleep=ms sleeps, ?prime=n finds the largest prime ≤ n, ?bloat=mb allocates and touches
    /// that many MiB; each parameter adds one line to the answer, as the Go sample does.</summary>
    private static async Task Autoscale(HttpContext context)
    {
        var query = context.Request.Query;
        var answer = new StringBuilder();
        if (TryInt(query["sleep"], out var sleep) && sleep > 0)
        {
            var start = DateTime.UtcNow;
            await Task.Delay(TimeSpan.FromMilliseconds(sleep), context.RequestAborted);
            answer.Append(CultureInfo.InvariantCulture, $"Slept for {(DateTime.UtcNow - start).TotalMilliseconds:F2} milliseconds.\n");
        }
        if (TryInt(query["prime"], out var max) && max > 0)
        {
            var prime = LargestPrimeAtMost(max);
            answer.Append(prime > 0
                ? string.Create(CultureInfo.InvariantCulture, $"The largest prime less than {max} is {prime}.\n")
                : string.Create(CultureInfo.InvariantCulture, $"There are no primes smaller than {max}.\n"));
        }
        if (TryInt(query["bloat"], out var mb) && mb > 0)
        {
            var bytes = new byte[mb * 1024L * 1024L];
            for (var i = 0; i < bytes.Length; i += 4096) bytes[i] = 1; // touch every page, as the sample does
            answer.Append(CultureInfo.InvariantCulture, $"Allocated {mb} Mb of memory.\n");
            GC.KeepAlive(bytes);
        }
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(answer.ToString(), context.RequestAborted);
    }

    /// <summary>The largest prime ≤ max by a sieve (the Go sample's allPrimes), 0 when there is none.</summary>
    public static int LargestPrimeAtMost(int max)
    {
        if (max < 2) return 0;
        var composite = new bool[max + 1];
        var largest = 0;
        for (var i = 2; i <= max; i++)
        {
            if (composite[i]) continue;
            largest = i;
            for (var j = (long)i * i; j <= max; j += i) composite[j] = true;
        }
        return largest;
    }

    /// <summary>rest-api-go: "/" welcomes, "/{RESOURCE}" explains the path, "/{RESOURCE}/{id}" would ask an external
    /// stock API, which is not reachable on a loopback-only machine, so it answers 503 saying so.</summary>
    private static RequestDelegate RestApi(IReadOnlyDictionary<string, string> env)
    {
        var resource = env.TryGetValue("RESOURCE", out var r) && r.Length > 0 ? r : "stock";
        return async context =>
        {
            var segments = (context.Request.Path.Value ?? "/").Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
            context.Response.ContentType = "text/plain; charset=utf-8";
            if (segments.Length == 0)
            {
                await context.Response.WriteAsync($"Welcome to the {resource} app!\n", context.RequestAborted);
            }
            else if (segments.Length == 1 && segments[0] == resource)
            {
                await context.Response.WriteAsync($"{resource} ticker not found!, require /{resource}/{{ticker}}\n", context.RequestAborted);
            }
            else if (segments.Length == 2 && segments[0] == resource)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsync($"{resource} price for ticker {segments[1]} unavailable: no external network in local mode\n", context.RequestAborted);
            }
            else
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                await context.Response.WriteAsync("404 page not found\n", context.RequestAborted);
            }
        };
    }

    private static bool TryInt(Microsoft.Extensions.Primitives.StringValues value, out int n) =>
        int.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out n);
}

/// <summary>One sample hosted on its own Kestrel server.</summary>
internal sealed class KestrelSampleApp(string name, RequestDelegate handler, IPAddress address, int requestedPort, TextWriter? log) : ILocalApp
{
    private WebApplication? _app;
    public string Name => name;

    /// <summary>The port bound (useful when 0 was asked).</summary>
    public int Port { get; private set; } = requestedPort;

    public async Task StartAsync(CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, Ingress.Local.Hosting.EmbeddedHostLifetime>();
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, Port));
        var app = builder.Build();
        app.Run(async context =>
        {
            await handler(context);
            if (log is not null)
            {
                lock (log) log.WriteLine($"{DateTime.UtcNow:O} {name} {context.Request.Method} {context.Request.Path}{context.Request.QueryString} {context.Response.StatusCode}");
            }
        });
        await app.StartAsync(ct);
        _app = app;
        var bound = app.Urls.FirstOrDefault();
        if (bound is not null && Uri.TryCreate(bound, UriKind.Absolute, out var uri)) Port = uri.Port;
    }

    public async Task StopAsync(CancellationToken ct = default)
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync(ct);
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
