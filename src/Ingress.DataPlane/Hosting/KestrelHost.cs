using System.Buffers;
using System.Net;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Ingress.DataPlane.Hosting;

/// <summary>One listening endpoint: address, port (0 lets the OS choose) and the protocols it speaks.</summary>
public sealed record ListenEndpoint(IPAddress Address, int Port, HttpProtocols Protocols)
{
    public static ListenEndpoint Any(int port, HttpProtocols protocols) => new(IPAddress.Any, port, protocols);
    public static ListenEndpoint Loopback(int port, HttpProtocols protocols) => new(IPAddress.Loopback, port, protocols);
}

/// <summary>
/// Kestrel without the generic host: the server, the socket transport and a request delegate, nothing else.
/// Why: the proxies must be ready within ~150 ms of process start and be startable many times in one process
/// (local mode, tests); the hosting stack (configuration, DI graph, hosted services) costs ~100 ms before the
/// first request and brings nothing a proxy needs.
/// </summary>
public sealed class KestrelHost : IAsyncDisposable
{
    private readonly KestrelServer _server;
    private readonly RequestDelegate _handler;
    private readonly IReadOnlyList<ListenEndpoint> _endpoints;
    /// <summary>Kestrel's options of each public endpoint, in the order given; Kestrel writes the bound port back
    /// into them, which is cheaper at start than parsing the server's address strings.</summary>
    private readonly ListenOptions[] _listenOptions;
    private readonly InProcessEndpoints? _inProcess;
    /// <summary>The in-memory twin of each public endpoint (empty without a registry).</summary>
    private readonly InMemoryEndPoint[] _inMemory;
    private bool _started;

    public KestrelHost(IReadOnlyList<ListenEndpoint> endpoints, RequestDelegate handler, ILoggerFactory? loggerFactory = null,
        InProcessEndpoints? inProcess = null)
    {
        _endpoints = endpoints;
        _handler = handler;
        _inProcess = inProcess;
        loggerFactory ??= NullLoggerFactory.Instance;
        var options = new KestrelServerOptions
        {
            AddServerHeader = false,
            // Kestrel asks services for a few optional features (HTTPS defaults); a two-line provider is enough and
            // keeps the DI container (and its start cost) out of the process.
            ApplicationServices = new MinimalServices(loggerFactory),
        };
        ConfigureLimits(options.Limits);
        _listenOptions = new ListenOptions[endpoints.Count];
        _inMemory = inProcess is null ? [] : new InMemoryEndPoint[endpoints.Count];
        Lazy<ConnectionDelegate>? h2Pipeline = null;
        for (var i = 0; i < endpoints.Count; i++)
        {
            var endpoint = endpoints[i];
            var index = i;
            if (endpoint.Protocols == HttpProtocols.Http1AndHttp2 && h2Pipeline is null)
            {
                // Kestrel answers an h2c preface on a cleartext Http1AndHttp2 endpoint with HTTP_1_1_REQUIRED. Knative's
                // 8012 accepts both, so the endpoint speaks HTTP/1.1 and connections that open with the HTTP/2 preface
                // are handed to the connection pipeline of a private loopback HTTP/2 endpoint (same process, no extra hop).
                ListenOptions? h2 = null;
                options.Listen(IPAddress.Loopback, 0, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    h2 = listen;
                });
                h2Pipeline = new Lazy<ConnectionDelegate>(() => h2!.Build());
            }
            options.Listen(endpoint.Address, endpoint.Port, listen =>
            {
                Configure(listen, endpoint.Protocols, h2Pipeline);
                _listenOptions[index] = listen;
            });
            if (inProcess is not null)
            {
                // The same server in memory, registered under the TCP endpoint's address and port once bound.
                var memory = _inMemory[index] = new InMemoryEndPoint(endpoint.Address);
                options.Listen(memory, listen => Configure(listen, endpoint.Protocols, h2Pipeline));
            }
        }
        // Inline scheduling: request handling continues on the socket's I/O thread instead of hopping to the thread
        // pool. Safe because the proxies never block; on 2 cores the saved context switches are most of the gain.
        IConnectionListenerFactory transport = new SocketTransportFactory(Options.Create(new SocketTransportOptions { UnsafePreferInlineScheduling = true }), loggerFactory);
        if (inProcess is not null) transport = new InMemoryTransportFactory(transport);
        _server = new KestrelServer(Options.Create(options), transport, loggerFactory);
    }

    private static void Configure(ListenOptions listen, HttpProtocols protocols, Lazy<ConnectionDelegate>? h2Pipeline)
    {
        if (protocols != HttpProtocols.Http1AndHttp2)
        {
            listen.Protocols = protocols;
            return;
        }
        listen.Protocols = HttpProtocols.Http1;
        listen.Use(next => async connection =>
        {
            if (await H2cPreface.IsPresentAsync(connection.Transport.Input).ConfigureAwait(false))
                await h2Pipeline!.Value(connection).ConfigureAwait(false);
            else
                await next(connection).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// Limits for a proxy, not an application. Body data-rate minimums are off because long polls, streaming
    /// uploads and gRPC streams legitimately go quiet (the revision's own timeouts bound them instead); body size is
    /// unlimited because the proxy only streams; HTTP/2 windows are raised so one stream can fill a loopback link.
    /// </summary>
    public static void ConfigureLimits(KestrelServerLimits limits)
    {
        limits.MinRequestBodyDataRate = null;
        limits.MinResponseDataRate = null;
        limits.MaxRequestBodySize = null;
        limits.MaxConcurrentConnections = null;
        limits.MaxConcurrentUpgradedConnections = null;
        // Keep-alive a little longer than typical client pools (which reuse within 60-90 s).
        limits.KeepAliveTimeout = TimeSpan.FromSeconds(130);
        limits.Http2.MaxStreamsPerConnection = 1000;
        limits.Http2.InitialConnectionWindowSize = 4 * 1024 * 1024;
        limits.Http2.InitialStreamWindowSize = 1024 * 1024;
    }

    /// <summary>The bound ports, in the order the endpoints were given (useful when port 0 was asked for).</summary>
    public IReadOnlyList<int> Ports { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _server.StartAsync(new Application(_handler), cancellationToken).ConfigureAwait(false);
        _started = true;
        var ports = new int[_listenOptions.Length];
        for (var i = 0; i < ports.Length; i++)
            ports[i] = _listenOptions[i].IPEndPoint?.Port ?? throw new InvalidOperationException($"endpoint {i} has no bound IP port");
        Ports = ports;
        for (var i = 0; i < _inMemory.Length; i++)
        {
            if (_inMemory[i].Listener is not { } listener) continue;
            listener.Public = new IPEndPoint(RegisteredAddress(_endpoints[i].Address), ports[i]);
            _inProcess!.Register(listener.Public, listener);
        }
    }

    /// <summary>Graceful stop: stops accepting, lets in-flight requests finish until <paramref name="cancellationToken"/>
    /// ends, then aborts what is left.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_started) return;
        _started = false;
        // New in-process connections go over TCP (and fail like any connect to a stopped server) from here on.
        foreach (var memory in _inMemory)
            if (memory.Listener is { Public: { } at } listener) _inProcess!.Unregister(at, listener);
        await _server.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
            await StopAsync(cts.Token).ConfigureAwait(false);
        _server.Dispose();
    }

    /// <summary>A wildcard listener is reached on loopback from inside the process.</summary>
    private static IPAddress RegisteredAddress(IPAddress address) =>
        address.Equals(IPAddress.Any) ? IPAddress.Loopback : address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : address;

    private sealed class MinimalServices(ILoggerFactory loggerFactory) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(ILoggerFactory) ? loggerFactory : null;
    }

    private sealed class Application(RequestDelegate handler) : IHttpApplication<DefaultHttpContext>
    {
        public DefaultHttpContext CreateContext(IFeatureCollection contextFeatures) => new(contextFeatures);

        public Task ProcessRequestAsync(DefaultHttpContext context) => handler(context);

        public void DisposeContext(DefaultHttpContext context, Exception? exception) => context.Uninitialize();
    }
}

/// <summary>Recognises the HTTP/2 connection preface without consuming it.</summary>
internal static class H2cPreface
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    /// <summary>Reads until the first bytes either differ from the preface (HTTP/1.x) or match all 24 of it. The
    /// bytes stay in the pipe for whichever protocol handles the connection.</summary>
    public static async ValueTask<bool> IsPresentAsync(PipeReader input)
    {
        var head = new byte[Preface.Length];
        while (true)
        {
            var result = await input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            var length = (int)Math.Min(buffer.Length, Preface.Length);
            buffer.Slice(0, length).CopyTo(head);
            var matches = head.AsSpan(0, length).SequenceEqual(Preface.AsSpan(0, length));
            if (!matches || length == Preface.Length || result.IsCompleted || result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return matches && length == Preface.Length;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
