using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ingress.Cli.Tests;

/// <summary>The real <c>ingress queue-proxy</c> process with Knative's <c>OBSERVABILITY_CONFIG</c> asking for OTLP/HTTP
/// tracing: a request carrying a <c>traceparent</c> produces a <c>queue_proxy</c> span of the caller's trace at a real
/// OTLP receiver.</summary>
public sealed class ProxyTracingProcessTests
{
    private static async Task<(WebApplication App, string Url)> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var url = app.Services.GetService(typeof(IServer)) is IServer server ? server.Features.Get<IServerAddressesFeature>()!.Addresses.First() : throw new InvalidOperationException();
        return (app, url);
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Queue_proxy_sends_spans_of_the_callers_trace_to_an_otlp_http_receiver()
    {
        var bodies = new List<byte[]>();
        var (receiver, receiverUrl) = await StartAsync(app => app.MapPost("/v1/traces", async (HttpContext ctx) =>
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms);
            lock (bodies) bodies.Add(ms.ToArray());
            return Results.Bytes([], "application/x-protobuf");
        }));
        await using var _r = receiver;
        var (backend, backendUrl) = await StartAsync(app => app.MapGet("/{**path}", () => "ok"));
        await using var _b = backend;

        var servingPort = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ingress.dll"));
        psi.ArgumentList.Add("queue-proxy");
        foreach (var (k, v) in new Dictionary<string, string>
        {
            ["QUEUE_SERVING_PORT"] = servingPort.ToString(), ["QUEUE_SERVING_H2C_PORT"] = FreePort().ToString(),
            ["QUEUE_ADMIN_PORT"] = FreePort().ToString(), ["QUEUE_METRICS_PORT"] = FreePort().ToString(), ["QUEUE_USER_METRICS_PORT"] = FreePort().ToString(),
            ["USER_PORT"] = new Uri(backendUrl).Port.ToString(), ["REVISION_TIMEOUT_SECONDS"] = "30", ["QUEUE_DRAIN_QUIET_PERIOD_SECONDS"] = "0",
            ["SERVING_NAMESPACE"] = "default", ["SERVING_REVISION"] = "hello-00001", ["SERVING_POD"] = "hello-00001-deployment-abc",
            ["OBSERVABILITY_CONFIG"] = $$$"""{"tracing":{"protocol":"http/protobuf","endpoint":"{{{receiverUrl}}}","sampling-rate":"1"}}""",
        }) psi.Environment[k] = v;
        using var qp = Process.Start(psi)!;
        qp.OutputDataReceived += (_, _) => { };
        qp.ErrorDataReceived += (_, _) => { };
        qp.BeginOutputReadLine();
        qp.BeginErrorReadLine();
        try
        {
            const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{servingPort}/traced");
                    request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
                    using var response = await client.SendAsync(request);
                    if (response.StatusCode == HttpStatusCode.OK) break;
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline) { }
                Assert.False(qp.HasExited, "queue-proxy exited");
                Assert.True(DateTime.UtcNow < deadline, "queue-proxy never answered");
                await Task.Delay(200);
            }
            bool Received(byte[] needle)
            {
                lock (bodies) return bodies.Any(b => b.AsSpan().IndexOf(needle) >= 0);
            }
            // OTLP protobuf: the span name as text, the trace id as its 16 raw bytes. The batch exporter sends within
            // its 5 s schedule.
            var name = System.Text.Encoding.UTF8.GetBytes("queue_proxy");
            var id = Convert.FromHexString(traceId);
            while (!(Received(name) && Received(id)))
            {
                Assert.True(DateTime.UtcNow < deadline.AddSeconds(30), "no queue_proxy span of the caller's trace at the receiver");
                await Task.Delay(200);
            }
        }
        finally
        {
            if (!qp.HasExited) qp.Kill(entireProcessTree: true);
        }
    }
}
