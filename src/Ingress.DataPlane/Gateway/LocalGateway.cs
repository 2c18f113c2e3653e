using System.Diagnostics.Metrics;
using System.Net;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.DataPlane.Hosting;
using Ingress.DataPlane.Metrics;
using Ingress.DataPlane.Proxy;
using Ingress.Kube.Cache;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using IstioGateway = Ingress.Api.Istio.Networking.V1Beta1.Gateway;

namespace Ingress.DataPlane.Gateway;

public sealed record LocalGatewayOptions
{
    /// <summary>Knative's external gateway (config-istio's default).</summary>
    public string IngressGateway { get; init; } = "knative-serving/knative-ingress-gateway";

    /// <summary>Knative's cluster-local gateway; its listeners also serve VirtualServices bound to <c>mesh</c>,
    /// because in local mode there are no sidecars and this gateway is the cluster-internal hop.</summary>
    public string LocalGateway { get; init; } = "knative-serving/knative-local-gateway";

    /// <summary>Where the ingress gateway's HTTP server listens (the verb's <c>--http-port</c>); 0: OS-chosen.
    /// 8080 is istio-ingressgateway's container port for server port 80.</summary>
    public int HttpPort { get; init; } = 8080;

    /// <summary>Where the local gateway's HTTP server listens; 0: OS-chosen. 8081 is Knative's local gateway
    /// target port.</summary>
    public int LocalHttpPort { get; init; } = 8081;

    /// <summary>Loopback: local mode reaches the gateway from this machine only.</summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.Loopback;

    /// <summary>Servers of this process to reach without a socket, and the registry this component's own listeners
    /// join (local mode; see <see cref="Hosting.InProcessEndpoints"/>). Null, the default: TCP only, as in a cluster.</summary>
    public Hosting.InProcessEndpoints? InProcess { get; init; }
}

/// <summary>
/// The istio-ingressgateway of local mode: one Kestrel listener per HTTP server of the watched Gateways
/// (the ingress gateway's servers on <see cref="LocalGatewayOptions.HttpPort"/>, the local gateway's on
/// <see cref="LocalGatewayOptions.LocalHttpPort"/>), each routing by the <see cref="RouteTable"/> compiled
/// for its Gateway; the table is swapped whole when VirtualServices or Gateways change. Unmatched requests get
/// Envoy's 404, destinations without endpoints its 503 <c>no healthy upstream</c>. Probes (K-Network-Probe) are
/// routed like any request: the probe routes Knative inserts match them.
/// </summary>
public sealed partial class LocalGateway : IAsyncDisposable
{
    private readonly LocalGatewayOptions _options;
    private readonly SharedInformer<VirtualService> _virtualServices;
    private readonly SharedInformer<IstioGateway> _gateways;
    private readonly IDestinationResolver _resolver;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly HttpForwarder _forwarder;
    private readonly Meter _meter = new("Ingress.DataPlane.Gateway");
    private readonly Counter<long> _requestCount;
    private readonly SemaphoreSlim _refreshSignal = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<(string Gateway, int ServerPort), KestrelHost> _listeners = [];
    private volatile IReadOnlyDictionary<string, RouteTable> _tables = new Dictionary<string, RouteTable>();
    private Task? _refreshLoop;
    private long _generation;

    public LocalGateway(LocalGatewayOptions options, SharedInformer<VirtualService> virtualServices, SharedInformer<IstioGateway> gateways,
        IDestinationResolver resolver, ILoggerFactory? loggerFactory = null)
    {
        _options = options;
        _virtualServices = virtualServices;
        _gateways = gateways;
        _resolver = resolver;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("local-gateway");
        _forwarder = new HttpForwarder(new ForwarderOptions { InProcess = options.InProcess }, _logger);
        _requestCount = _meter.CreateCounter<long>("request_count", description: "Requests through the local gateway, by gateway and status");
        _meter.CreateObservableGauge("route_table_generation", () => Interlocked.Read(ref _generation), description: "Route tables compiled since start");
        virtualServices.AddEventHandler(new ResourceEventHandler<VirtualService> { Add = (_, _, _) => Signal(), Update = (_, _, _, r) => { if (!r) Signal(); }, Delete = (_, _) => Signal() });
        gateways.AddEventHandler(new ResourceEventHandler<IstioGateway> { Add = (_, _, _) => Signal(), Update = (_, _, _, r) => { if (!r) Signal(); }, Delete = (_, _) => Signal() });
    }

    /// <summary>Tables compiled so far (each one swapped in whole).</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>The compiled table of a gateway (<c>ns/name</c>), or null when none serves it.</summary>
    public RouteTable? TableOf(string gateway) => _tables.GetValueOrDefault(gateway);

    /// <summary>The bound port of a Gateway server's listener, or null when it has none (yet).</summary>
    public int? PortOf(string gateway, int serverPort)
    {
        lock (_listeners) return _listeners.TryGetValue((gateway, serverPort), out var host) ? host.Ports[0] : null;
    }

    /// <summary>Waits for the informers' first lists, builds the tables and listeners, then follows changes.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _virtualServices.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
        await _gateways.WaitForSyncAsync(cancellationToken).ConfigureAwait(false);
        await RefreshAsync().ConfigureAwait(false);
        _refreshLoop = Task.Run(RefreshLoopAsync, CancellationToken.None);
    }

    private void Signal()
    {
        try { _refreshSignal.Release(); }
        catch (SemaphoreFullException) { } // a refresh is already pending; it will see this change too
    }

    private async Task RefreshLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _refreshSignal.WaitAsync(_stop.Token).ConfigureAwait(false);
                await RefreshAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                LogRefreshFailed(_logger, ex);
            }
        }
    }

    /// <summary>Compiles one table per watched Gateway and makes the listeners match the Gateways' servers.</summary>
    private async Task RefreshAsync()
    {
        var virtualServices = _virtualServices.Lister.List();
        var desired = new Dictionary<(string, int), int>();
        var tables = new Dictionary<string, RouteTable>(StringComparer.Ordinal);
        foreach (var gateway in _gateways.Lister.List())
        {
            var key = (gateway.Metadata.Namespace ?? "default") + "/" + gateway.Metadata.Name;
            int listenPort;
            if (key == _options.IngressGateway) listenPort = _options.HttpPort;
            else if (key == _options.LocalGateway) listenPort = _options.LocalHttpPort;
            else continue;
            var table = RouteTable.Compile(key, virtualServices, alsoServeMesh: key == _options.LocalGateway);
            foreach (var error in table.Errors) LogCompileError(_logger, key, error);
            tables[key] = table;
            // Every plain-HTTP server of the Gateway becomes a listener; HTTPS servers need certificates the local
            // mode does not have yet. Several HTTP servers share the configured port, so only the first binds.
            foreach (var server in gateway.Spec?.Servers ?? [])
            {
                if (server.Port?.Number is not { } number || !IsPlainHttp(server.Port.Protocol)) continue;
                if (desired.Keys.Any(k => k.Item1 == key)) continue;
                desired[(key, number)] = listenPort;
            }
        }
        _tables = tables;
        Interlocked.Increment(ref _generation);

        List<KestrelHost> stop = [];
        List<((string, int) Key, KestrelHost Host)> start = [];
        lock (_listeners)
        {
            foreach (var (key, host) in _listeners.ToList())
                if (!desired.ContainsKey(key)) { stop.Add(host); _listeners.Remove(key); }
            foreach (var (key, port) in desired)
            {
                if (_listeners.ContainsKey(key)) continue;
                var gatewayKey = key.Item1;
                var host = new KestrelHost([new ListenEndpoint(_options.ListenAddress, port, HttpProtocols.Http1AndHttp2)],
                    context => HandleAsync(context, gatewayKey), _loggerFactory);
                start.Add((key, host));
            }
        }
        foreach (var host in stop) await host.DisposeAsync().ConfigureAwait(false);
        foreach (var (key, host) in start)
        {
            await host.StartAsync(_stop.Token).ConfigureAwait(false);
            lock (_listeners) _listeners[key] = host;
            LogListening(_logger, key.Item1, key.Item2, host.Ports[0]);
        }
    }

    private static bool IsPlainHttp(string? protocol) =>
        protocol is null || protocol.Equals("HTTP", StringComparison.OrdinalIgnoreCase) || protocol.Equals("HTTP2", StringComparison.OrdinalIgnoreCase);

    private async Task HandleAsync(HttpContext context, string gateway)
    {
        var status = 0;
        try
        {
            status = await RouteAsync(context, gateway).ConfigureAwait(false);
        }
        finally
        {
            _requestCount.Add(1, new KeyValuePair<string, object?>("gateway", gateway), new KeyValuePair<string, object?>("response_code", StatusCodeTags.Boxed(status == 0 ? context.Response.StatusCode : status)));
        }
    }

    private async Task<int> RouteAsync(HttpContext context, string gateway)
    {
        var request = context.Request;
        var headers = request.Headers;
        var route = _tables.GetValueOrDefault(gateway)?.Match(new GatewayRequest(
            request.Host.Value ?? "", request.PathBase.Add(request.Path).Value ?? "/", request.Method, headers));
        if (route is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound; // Envoy: no route, empty body
            return 404;
        }

        var destination = route.PickRandom();
        var resolved = _resolver.Resolve(destination.Host, destination.Port);
        if (resolved.Error != ResolveError.None)
        {
            LogNoUpstream(_logger, gateway, destination.Host, destination.Port ?? 0, resolved.Error);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("no healthy upstream").ConfigureAwait(false);
            return 503;
        }

        // Envoy applies the weighted cluster's header mutations first and the route's last (route wins).
        Apply(headers, destination.Headers);
        Apply(headers, route.Headers);
        if (route.UriRewrite is not null)
        {
            var feature = context.Features.Get<IHttpRequestFeature>();
            var newPath = route.RewritePath(request.Path.Value ?? "/");
            if (feature is not null) feature.RawTarget = newPath + request.QueryString.Value;
            request.Path = newPath;
        }
        // An HTTP/2 Service port gets h2c whatever the client spoke (basics/http2: HTTP/1.1 in, h2c out); others
        // follow the client, so a gRPC client's h2c stays h2c.
        var transform = new ForwardRequest { Host = route.AuthorityRewrite, Protocol = resolved.Http2 ? UpstreamProtocol.Http2 : null };

        using var deadline = new RequestDeadline(new RequestTimeouts(route.Timeout, TimeSpan.Zero, TimeSpan.Zero), context.RequestAborted);
        var start = Random.Shared.Next(resolved.Addresses.Count);
        var tries = route.Retries.RetriesConnectFailure ? route.Retries.Attempts + 1 : 1;
        ForwardResult result = default;
        for (var attempt = 0; attempt < tries; attempt++)
        {
            var address = resolved.Addresses[(start + attempt) % resolved.Addresses.Count];
            result = await _forwarder.ForwardAsync(context, address, deadline, transform).ConfigureAwait(false);
            if (!result.CanRetryElsewhere) break;
        }
        if (result.Error != ProxyError.None)
        {
            await ProxyErrors.WriteAsync(context, result.Error).ConfigureAwait(false);
            return result.Error.StatusCode();
        }
        return result.StatusCode;
    }

    private static void Apply(IHeaderDictionary headers, HeaderOps ops)
    {
        if (ops.IsEmpty) return;
        foreach (var name in ops.Remove) headers.Remove(name);
        foreach (var (name, value) in ops.Set) headers[name] = value;
        foreach (var (name, value) in ops.Add) headers.Append(name, value);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_refreshLoop is not null) await _refreshLoop.ConfigureAwait(false);
        List<KestrelHost> hosts;
        lock (_listeners) { hosts = [.. _listeners.Values]; _listeners.Clear(); }
        foreach (var host in hosts) await host.DisposeAsync().ConfigureAwait(false);
        _forwarder.Dispose();
        _meter.Dispose();
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Gateway {KnativeKey} server port {ServerPort} listening on {Port}")]
    private static partial void LogListening(ILogger logger, string knativeKey, int serverPort, int port);

    [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Gateway {KnativeKey}: VirtualService left out: {Error}")]
    private static partial void LogCompileError(ILogger logger, string knativeKey, string error);

    [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "Local gateway route refresh failed")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 403, Level = LogLevel.Debug, Message = "Gateway {KnativeKey}: no upstream for {Host}:{Port}: {Reason}")]
    private static partial void LogNoUpstream(ILogger logger, string knativeKey, string host, int port, ResolveError reason);
}
