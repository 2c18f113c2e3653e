using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ingress.Kube.Tests.Fixtures;

/// <summary>
/// A loopback HTTP proxy in front of the real embedded API server, for fault injection: answers chosen
/// requests itself (409, 429 + Retry-After, 500, 410), delays others, cuts open watch streams, refuses
/// service while the upstream is down, and lets the upstream move (restart on another port) under a
/// client that keeps one URL.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly List<FaultRule> _faults = [];
    private readonly ConcurrentDictionary<HttpContext, byte> _streams = new();
    private volatile Uri _target;

    private FaultProxy(WebApplication app, Uri target)
    {
        _app = app;
        _target = target;
    }

    public Uri Url { get; private set; } = null!;
    public int WatchRequests;

    public static async Task<FaultProxy> StartAsync(Uri target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var proxy = new FaultProxy(app, target);
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        proxy.Url = new Uri(app.Urls.First());
        return proxy;
    }

    public Uri Target { get => _target; set => _target = value; }

    public FaultRule AddFault(FaultRule rule)
    {
        lock (_faults) _faults.Add(rule);
        return rule;
    }

    public void ClearFaults()
    {
        lock (_faults) _faults.Clear();
    }

    /// <summary>Cuts every open watch stream mid-flight.</summary>
    public void DropWatches()
    {
        foreach (var ctx in _streams.Keys)
        {
            try
            {
                ctx.Abort();
            }
            catch (ObjectDisposedException)
            {
                // The request finished between the snapshot and the abort.
            }
        }
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var req = ctx.Request;
        var isWatch = req.Query["watch"] == "true";
        if (isWatch)
        {
            Interlocked.Increment(ref WatchRequests);
            _streams[ctx] = 0; // cuttable from the first byte, even before the upstream answers
        }
        try
        {
            await ForwardAsync(ctx, isWatch);
        }
        finally
        {
            _streams.TryRemove(ctx, out _);
        }
    }

    private async Task ForwardAsync(HttpContext ctx, bool isWatch)
    {
        var req = ctx.Request;
        FaultRule? fault;
        lock (_faults)
        {
            fault = _faults.FirstOrDefault(f => f.Times > 0 && f.Match(req));
            if (fault is not null)
            {
                fault.Times--;
                Interlocked.Increment(ref fault.Hits);
            }
        }
        if (fault is not null)
        {
            if (fault.Delay > TimeSpan.Zero)
            {
                try { await Task.Delay(fault.Delay, ctx.RequestAborted); } catch (OperationCanceledException) { return; }
            }
            if (fault.Status != 0)
            {
                if (fault.RetryAfter is { } ra) ctx.Response.Headers.RetryAfter = ((int)Math.Ceiling(ra.TotalSeconds)).ToString();
                await FakeApiServer.StatusAsync(ctx, fault.Status, fault.Reason, $"injected by proxy: {fault.Status}", fault.Details);
                return;
            }
        }

        using var forward = new HttpRequestMessage(new HttpMethod(req.Method), new Uri(_target, req.Path + req.QueryString));
        if (req.ContentLength > 0 || req.Headers.TransferEncoding.Count > 0)
        {
            var body = new MemoryStream();
            await req.Body.CopyToAsync(body);
            body.Position = 0;
            forward.Content = new StreamContent(body);
            if (req.ContentType is { } ct) forward.Content.Headers.TryAddWithoutValidation("Content-Type", ct);
        }
        foreach (var h in req.Headers)
        {
            if (h.Key is "Host" or "Content-Type" or "Content-Length" or "Transfer-Encoding") continue;
            forward.Headers.TryAddWithoutValidation(h.Key, h.Value.ToArray());
        }
        HttpResponseMessage response;
        try
        {
            response = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, ctx.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            ctx.Abort(); // upstream down: the client sees a broken connection, as it would without the proxy
            return;
        }
        using (response)
        {
            ctx.Response.StatusCode = (int)response.StatusCode;
            foreach (var h in response.Headers.Concat(response.Content.Headers))
            {
                if (h.Key is "Transfer-Encoding" or "Content-Length") continue;
                ctx.Response.Headers[h.Key] = h.Value.ToArray();
            }
            try
            {
                await using var upstream = await response.Content.ReadAsStreamAsync(ctx.RequestAborted);
                var buffer = new byte[16 * 1024];
                int n;
                while ((n = await upstream.ReadAsync(buffer, ctx.RequestAborted)) > 0)
                {
                    await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or HttpRequestException)
            {
                ctx.Abort();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        DropWatches();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
