using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Ingress.DataPlane.Hosting;
using Ingress.DataPlane.Proxy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.DataPlane.Tests;

/// <summary>
/// Local mode's in-memory hop: a forwarder given the registry reaches a server of the same process that joined it
/// without a socket, with every HTTP feature the TCP hop has (keep-alive reuse, streamed bodies both ways, h2c,
/// WebSocket upgrades, aborts in both directions), and goes back to TCP once the server has stopped. The client in
/// front and the proxy's own listener are real sockets.
/// </summary>
public sealed class InProcessEndpointsTests
{
    /// <summary>A registry, a backend registered in it, and a TCP proxy (HTTP/1.1 and h2c) whose forwarder sends
    /// every request to that backend through the registry.</summary>
    private sealed class Chain : IAsyncDisposable
    {
        public required InProcessEndpoints Registry { get; init; }
        public required TestBackend Backend { get; init; }
        public required KestrelHost Proxy { get; init; }
        public required HttpForwarder Forwarder { get; init; }

        public string Url(string path) => $"http://127.0.0.1:{Proxy.Ports[0]}{path}";

        public static async Task<Chain> StartAsync(HttpProtocols protocols = HttpProtocols.Http1)
        {
            var registry = new InProcessEndpoints();
            var backend = await TestBackend.StartAsync(protocols, registry);
            var forwarder = new HttpForwarder(new ForwarderOptions { InProcess = registry }, NullLogger.Instance);
            var proxy = new KestrelHost([ListenEndpoint.Loopback(0, HttpProtocols.Http1AndHttp2)], async context =>
            {
                using var deadline = new RequestDeadline(RequestTimeouts.Default, context.RequestAborted);
                var result = await forwarder.ForwardAsync(context, backend.Authority, deadline);
                if (result.Error != ProxyError.None) await ProxyErrors.WriteAsync(context, result.Error);
            });
            await proxy.StartAsync();
            return new Chain { Registry = registry, Backend = backend, Proxy = proxy, Forwarder = forwarder };
        }

        public async ValueTask DisposeAsync()
        {
            await Proxy.DisposeAsync();
            Forwarder.Dispose();
            await Backend.DisposeAsync();
        }
    }

    [Fact]
    public async Task Requests_reach_a_registered_server_in_memory_over_one_reused_connection()
    {
        await using var chain = await Chain.StartAsync();
        var (registry, backend, proxy) = (chain.Registry, chain.Backend, chain.Proxy);
        Assert.True(registry.IsRegistered(new IPEndPoint(IPAddress.Loopback, backend.Port)));
        using var client = TestHttp.Http1Client();

        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
            ids.Add(await client.GetStringAsync(chain.Url("/id")));
        Assert.StartsWith("inmem-", Assert.Single(ids.Distinct()), StringComparison.Ordinal);
        using (var response = await client.PostAsync(chain.Url("/echo?q=1"), new StringContent("body")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("echo:body", await response.Content.ReadAsStringAsync());
            Assert.StartsWith("inmem-", response.Headers.GetValues("X-Seen-Connection").Single(), StringComparison.Ordinal);
            Assert.Equal("/echo?q=1", response.Headers.GetValues("X-Seen-Path").Single());
        }
        Assert.Equal(1, registry.OpenedConnections);
        // The forwarder's X-Forwarded-For names the peer as a loopback TCP hop would.
        Assert.Equal("127.0.0.1", backend.LastHeaders!["X-Forwarded-For"].ToString());
    }

    [Fact]
    public async Task Large_bodies_stream_both_ways_and_concurrent_requests_get_their_own_answers()
    {
        await using var chain = await Chain.StartAsync();
        var (registry, backend, proxy) = (chain.Registry, chain.Backend, chain.Proxy);
        using var client = TestHttp.Http1Client();

        var payload = new byte[3 * 1024 * 1024 + 17];
        Random.Shared.NextBytes(payload);
        var requests = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var body = payload.AsMemory(i, payload.Length - i * 1000);
            using var response = await client.PostAsync(chain.Url("/copy"), new ReadOnlyMemoryContent(body));
            var back = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(body.Length, back.Length);
            Assert.Equal(SHA256.HashData(body.Span), SHA256.HashData(back));
        }));
        await Task.WhenAll(requests);
        Assert.InRange(registry.OpenedConnections, 1, 8);
    }

    [Fact]
    public async Task A_response_streams_through_before_it_is_complete()
    {
        await using var chain = await Chain.StartAsync();
        var (registry, backend, proxy) = (chain.Registry, chain.Backend, chain.Proxy);
        using var client = TestHttp.Http1Client();

        using var response = await client.GetAsync(chain.Url("/stream"), HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        var first = new byte[6];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await stream.ReadExactlyAsync(first, cts.Token);
        Assert.Equal("first;", System.Text.Encoding.UTF8.GetString(first));
        backend.OpenGate();
        Assert.Equal("second", await new StreamReader(stream).ReadToEndAsync(cts.Token));
    }

    [Theory]
    [InlineData(HttpProtocols.Http2)]
    [InlineData(HttpProtocols.Http1AndHttp2)] // h2c recognised by its preface, as on the queue-proxy's 8012
    public async Task H2c_grpc_streams_with_trailers_pass_through_memory(HttpProtocols protocols)
    {
        await using var chain = await Chain.StartAsync(protocols);
        var (registry, backend, proxy) = (chain.Registry, chain.Backend, chain.Proxy);

        await QueueProxyTests.AssertGrpcEchoStreamAsync(chain.Url(""));
        Assert.Equal(1, registry.OpenedConnections);
    }

    [Fact]
    public async Task A_websocket_upgrade_tunnels_through_memory()
    {
        await using var chain = await Chain.StartAsync();
        var (registry, backend, proxy) = (chain.Registry, chain.Backend, chain.Proxy);

        await QueueProxyTests.AssertWebSocketEchoAsync(new Uri($"ws://127.0.0.1:{proxy.Ports[0]}/ws"));
        Assert.Equal(1, registry.OpenedConnections);
    }

    [Fact]
    public async Task A_server_abort_ends_the_response_with_an_error_instead_of_a_hang()
    {
        await using var chain = await Chain.StartAsync();
        var (registry, backend, proxy) = (chain.Registry, chain.Backend, chain.Proxy);
        using var client = TestHttp.Http1Client();

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // The proxy has sent the head and a first chunk, so all it can do is cut the response short.
        await Assert.ThrowsAnyAsync<HttpRequestException>(async () =>
        {
            using var response = await client.GetAsync(chain.Url("/abort"), cts.Token);
            await response.Content.ReadAsStringAsync(cts.Token);
        });
        Assert.False(cts.IsCancellationRequested, "the abort must surface, not time out");
        // The pool dropped the aborted connection; the next request opens a fresh one and succeeds.
        using var next = await client.GetAsync(chain.Url("/after"), cts.Token);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(2, registry.OpenedConnections);
    }

    [Fact]
    public async Task A_caller_going_away_reaches_the_server_as_an_aborted_request()
    {
        await using var chain = await Chain.StartAsync();
        var (registry, backend, proxy) = (chain.Registry, chain.Backend, chain.Proxy);
        using var client = TestHttp.Http1Client();

        using var cts = new CancellationTokenSource();
        var call = client.GetAsync(chain.Url("/hold"), cts.Token);
        await TestHttp.WaitUntilAsync(() => backend.Holding == 1, "the request to reach the backend");
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await TestHttp.WaitUntilAsync(() => backend.HeldAborted == 1, "the backend to see the request aborted");
    }

    [Fact]
    public async Task A_stopped_server_leaves_the_registry_and_the_forwarder_falls_back_to_tcp()
    {
        await using var chain = await Chain.StartAsync();
        var (registry, backend, proxy) = (chain.Registry, chain.Backend, chain.Proxy);
        var endpoint = new IPEndPoint(IPAddress.Loopback, backend.Port);
        using var client = TestHttp.Http1Client();
        using (var first = await client.GetAsync(chain.Url("/one")))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        await backend.DisposeAsync();

        Assert.False(registry.IsRegistered(endpoint));
        Assert.Null(registry.TryConnect("127.0.0.1", endpoint.Port, inlineContinuations: true));
        // Nothing listens on the port any more: TCP is refused, which the proxy reports as it does for any pod.
        using var after = await client.GetAsync(chain.Url("/two"));
        Assert.Equal(HttpStatusCode.BadGateway, after.StatusCode);
        Assert.Equal(1, registry.OpenedConnections);
    }

    [Fact]
    public async Task A_forwarder_without_the_registry_uses_tcp_even_to_a_registered_server()
    {
        var registry = new InProcessEndpoints();
        await using var backend = await TestBackend.StartAsync(inProcess: registry);
        using var forwarder = new HttpForwarder(new ForwarderOptions(), NullLogger.Instance);
        await using var proxy = new KestrelHost([ListenEndpoint.Loopback(0, HttpProtocols.Http1)], async context =>
        {
            using var deadline = new RequestDeadline(RequestTimeouts.Default, context.RequestAborted);
            await forwarder.ForwardAsync(context, backend.Authority, deadline);
        });
        await proxy.StartAsync();
        using var client = TestHttp.Http1Client();

        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await client.GetStringAsync($"http://127.0.0.1:{proxy.Ports[0]}/id"));
        }
        Assert.Single(ids.Distinct());
        using var response = await client.GetAsync($"http://127.0.0.1:{proxy.Ports[0]}/tcp");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("inmem-", ids[0], StringComparison.Ordinal);
        Assert.Equal(0, registry.OpenedConnections);
    }

    [Fact]
    public async Task The_inline_scheduler_defers_a_continuation_of_the_connection_it_is_already_running()
    {
        var connection = new NonReentrantInlineScheduler();
        var other = new NonReentrantInlineScheduler();
        var thread = Environment.CurrentManagedThreadId;
        var order = new List<string>();
        var nested = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var scheduling = new StrongBox<bool>();
        connection.Schedule(_ =>
        {
            order.Add("outer");
            // Same connection: must not run here, inside this Schedule call on top of the outer continuation.
            scheduling.Value = true;
            connection.Schedule(_ => nested.TrySetResult(Environment.CurrentManagedThreadId == thread && Volatile.Read(ref scheduling.Value)), null);
            Volatile.Write(ref scheduling.Value, false);
            order.Add("after nested schedule");
            // Another connection: runs inline.
            other.Schedule(_ => order.Add("other inline"), null);
        }, null);
        order.Add("returned");

        Assert.Equal(["outer", "after nested schedule", "other inline", "returned"], order);
        Assert.False(await nested.Task.WaitAsync(TimeSpan.FromSeconds(30)), "the nested continuation ran inline");
        // Once the outer continuation has returned, the connection runs inline again.
        var here = Environment.CurrentManagedThreadId; // the await above may have resumed on another thread
        var again = -1;
        connection.Schedule(_ => again = Environment.CurrentManagedThreadId, null);
        Assert.Equal(here, again);
    }
}
