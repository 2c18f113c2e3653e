using System.Diagnostics;
using Ingress.Api.Metrics;
using Ingress.DataPlane.Concurrency;
using Ingress.DataPlane.Hosting;
using Ingress.DataPlane.Metrics;
using Ingress.DataPlane.Probes;
using Ingress.DataPlane.Proxy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.DataPlane.QueueProxy;

/// <summary>
/// One queue-proxy: the sidecar in front of a revision's user container. Start it N times in one process with
/// different <see cref="QueueProxyOptions"/> (local mode, tests) or once from <c>ingress queue-proxy</c>.
/// Handler chain on the serving ports, outermost first (autoscaling.md §7.2): health check and network probe
/// short-circuits with drain state → request timeouts → Forwarded shim → stats in/out (queued requests count)
/// → breaker (cc ≥ 1, queue 10 × cc) → app metrics → forward to 127.0.0.1:USER_PORT.
/// </summary>
public sealed partial class QueueProxyServer : IAsyncDisposable
{
    private static readonly string[] RemovedUpstreamHeaders = [KnativeHeaders.RevisionHeader, KnativeHeaders.NamespaceHeader, KnativeHeaders.OriginalHostHeader];

    private readonly QueueProxyOptions _options;
    private readonly ILogger _logger;
    private readonly KestrelHost _host;
    /// <summary>Created off the start path: building the first <see cref="SocketsHttpHandler"/> loads System.Net.Http
    /// and its crypto dependencies (~50 ms here), which readiness does not need (the default probe is TCP).</summary>
    private readonly Lazy<HttpForwarder> _forwarder;
    private readonly ReadinessProber _prober;
    private readonly Drainer _drainer;
    /// <summary>Created off the start path too: probes record no metrics, and the meter, its instruments and the
    /// exporter's listener cost ~10-20 ms cold. Created by the warm-up or by the first request that needs them.</summary>
    private readonly Lazy<Telemetry> _telemetry;
    private readonly string _userAuthority;
    private readonly long _created = Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _stopping = new();
    /// <summary>The encoded Stat served on :9090; null until the first report tick.</summary>
    private byte[]? _statBytes;
    private Task? _reporter;
    private int _warmUpStarted;
    private Timer? _warmUpFallback;
    private volatile bool _terminating;
    private int _disposed;
    private int _servingPort, _h2cPort, _adminPort, _metricsPort, _userMetricsPort;

    public QueueProxyServer(QueueProxyOptions options, ILoggerFactory? loggerFactory = null)
    {
        _options = options;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger("queue-proxy");
        _userAuthority = (options.UserHost.Contains(':') ? $"[{options.UserHost}]" : options.UserHost) + ":" + options.UserPort;
        Breaker = options.ContainerConcurrency > 0 ? new Breaker(BreakerOptions.ForQueueProxy(options.ContainerConcurrency)) : null;
        Stats = new RequestStats();
        _prober = new ReadinessProber(options.EffectiveReadinessProbes);
        _drainer = new Drainer(options.DrainQuietPeriod);
        _telemetry = new Lazy<Telemetry>(() => new Telemetry(this));
        // Knative: max idle connections = cc, or 1000 when unlimited; we cap nothing and let the breaker limit.
        _forwarder = new Lazy<HttpForwarder>(() => new HttpForwarder(new ForwarderOptions { AddForwardedHeaders = true }, _logger));
        _host = new KestrelHost(
        [
            new ListenEndpoint(options.ListenAddress, options.ServingPort, HttpProtocols.Http1AndHttp2),
            new ListenEndpoint(options.ListenAddress, options.H2cPort, HttpProtocols.Http2),
            new ListenEndpoint(options.ListenAddress, options.AdminPort, HttpProtocols.Http1),
            new ListenEndpoint(options.ListenAddress, options.MetricsPort, HttpProtocols.Http1),
            new ListenEndpoint(options.ListenAddress, options.UserMetricsPort, HttpProtocols.Http1),
        ], DispatchAsync, loggerFactory, options.InProcess);
    }

    public QueueProxyOptions Options => _options;

    /// <summary>The containerConcurrency breaker; null when cc = 0.</summary>
    public Breaker? Breaker { get; }

    /// <summary>Time-weighted request statistics feeding the autoscaler stat.</summary>
    public RequestStats Stats { get; }

    public QueueProxyMetrics Metrics => _telemetry.Value.Metrics;

    public int ServingPort => _servingPort;
    public int H2cPort => _h2cPort;
    public int AdminPort => _adminPort;
    public int MetricsPort => _metricsPort;
    public int UserMetricsPort => _userMetricsPort;

    public bool IsDraining => _drainer.IsDraining;

    /// <summary>Binds every port and starts probing the user container at once (aggressively, so the first
    /// readiness check after start can already succeed). Only what the first readiness answer needs is on this
    /// path; the HTTP client, metrics and the start log line follow in a warm-up that begins once readiness has
    /// been answered 200 (or after <see cref="QueueProxyOptions.WarmUpFallbackDelay"/>).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        // The user container is probed while the ports are being bound: the two overlap.
        _ = _prober.ProbeAsync();
        await _host.StartAsync(cancellationToken).ConfigureAwait(false);
        var ports = _host.Ports;
        _servingPort = ports[0];
        _h2cPort = ports[1];
        _adminPort = ports[2];
        _metricsPort = ports[3];
        _userMetricsPort = ports[4];
        _reporter = ReportLoopAsync(_stopping.Token);
        _warmUpFallback = new Timer(static s => ((QueueProxyServer)s!).StartWarmUp(), this, _options.WarmUpFallbackDelay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Creates what the start path left out (System.Net.Http handler, metrics) on a pool thread and logs
    /// the start line. Requests that come earlier create them themselves (<see cref="Lazy{T}"/>).</summary>
    private void StartWarmUp()
    {
        if (Interlocked.Exchange(ref _warmUpStarted, 1) != 0) return;
        ThreadPool.UnsafeQueueUserWorkItem(static server =>
        {
            if (Volatile.Read(ref server._disposed) != 0) return;
            _ = server._telemetry.Value;
            _ = server._forwarder.Value;
            // A dispose that raced with the warm-up has skipped what was not created yet.
            if (Volatile.Read(ref server._disposed) != 0)
            {
                server._telemetry.Value.Dispose();
                server._forwarder.Value.Dispose();
                return;
            }
            LogStarted(server._logger, $"{server._options.Namespace}/{server._options.Revision}", server._servingPort, server._h2cPort, server._adminPort,
                server._metricsPort, server._userMetricsPort, server._userAuthority, server._options.ContainerConcurrency);
        }, this, preferLocal: false);
    }

    /// <summary>Runs the readiness probe until it passes or <paramref name="cancellationToken"/> ends.</summary>
    public async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        while (!await _prober.ProbeAsync().WaitAsync(cancellationToken).ConfigureAwait(false))
            await Task.Delay(ReadinessProber.AggressiveInterval, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts draining: health checks answer 503; completes after the quiet period without requests.</summary>
    public Task DrainAsync() => _drainer.DrainAsync();

    /// <summary>SIGTERM behaviour: drain, then stop every server, letting in-flight requests (including
    /// upgraded connections) finish for up to the revision timeout.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _terminating = true;
        LogDraining(_logger, $"{_options.Namespace}/{_options.Revision}", _options.DrainQuietPeriod.TotalSeconds);
        await _drainer.DrainAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(_options.Timeouts.Total > TimeSpan.Zero ? _options.Timeouts.Total : TimeSpan.FromSeconds(300));
        await _host.StopAsync(grace.Token).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_reporter is not null) await _reporter.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_reporter is not null) await _reporter.ConfigureAwait(false);
        if (_warmUpFallback is not null) await _warmUpFallback.DisposeAsync().ConfigureAwait(false);
        await _host.DisposeAsync().ConfigureAwait(false);
        if (_forwarder.IsValueCreated) _forwarder.Value.Dispose();
        _prober.Dispose();
        _drainer.Dispose();
        if (_telemetry.IsValueCreated) _telemetry.Value.Dispose();
        _stopping.Dispose();
    }

    private Task DispatchAsync(HttpContext context)
    {
        var port = context.Connection.LocalPort;
        if (port == _servingPort || port == _h2cPort) return ServeAsync(context);
        if (port == _adminPort) return AdminAsync(context);
        if (port == _metricsPort) return AutoscalerMetricsAsync(context);
        if (port == _userMetricsPort) return UserMetricsAsync(context);
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    private static bool IsHealthCheck(HttpRequest request)
    {
        var agent = request.Headers.UserAgent.ToString();
        return agent.StartsWith(KnativeHeaders.KubeProbeUserAgentPrefix, StringComparison.Ordinal)
            || agent.StartsWith(KnativeHeaders.ActivatorUserAgent, StringComparison.Ordinal)
            || agent.StartsWith(KnativeHeaders.AutoscalingUserAgent, StringComparison.Ordinal);
    }

    private async Task ServeAsync(HttpContext context)
    {
        var request = context.Request;
        // Stage: drainer (health and probe short-circuits).
        if (IsHealthCheck(request))
        {
            await HealthAsync(context).ConfigureAwait(false);
            return;
        }
        if (NetworkProbe.IsNetworkProbe(request))
        {
            if (_drainer.IsDraining) await ProxyErrors.WriteAsync(context, ProxyError.Draining).ConfigureAwait(false);
            else await NetworkProbe.AnswerAsync(context).ConfigureAwait(false);
            return;
        }
        _drainer.Touch();

        var start = Stopwatch.GetTimestamp();
        using var deadline = new RequestDeadline(_options.Timeouts, context.RequestAborted);
        var transform = BuildTransform(request);

        if (NetworkProbe.IsKubeletProbe(request))
        {
            // Kubelet probes of the user container pass straight through: no stats, no breaker.
            var probeResult = await _forwarder.Value.ForwardAsync(context, _userAuthority, deadline, transform).ConfigureAwait(false);
            if (probeResult.Error != ProxyError.None) await ProxyErrors.WriteAsync(context, probeResult.Error).ConfigureAwait(false);
            return;
        }

        var proxied = request.Headers[KnativeHeaders.ProxyRequestHeader] == "activator";
        Stats.RequestIn(proxied);
        var error = ProxyError.None;
        var span = ProxyTracing.StartServerSpan(ProxyTracing.QueueProxy, "queue_proxy", context);
        if (span is not null) transform = ProxyTracing.Propagate(transform, span);
        try
        {
            var breaker = Breaker;
            if (breaker is not null)
            {
                BreakerAdmission admission;
                try
                {
                    admission = await breaker.AcquireAsync(deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    error = deadline.CancellationReason();
                    await ProxyErrors.WriteAsync(context, error).ConfigureAwait(false);
                    return;
                }
                if (admission == BreakerAdmission.QueueFull)
                {
                    error = ProxyError.QueueFull;
                    await ProxyErrors.WriteAsync(context, error).ConfigureAwait(false);
                    return;
                }
            }
            try
            {
                var appStart = Stopwatch.GetTimestamp();
                var result = await _forwarder.Value.ForwardAsync(context, _userAuthority, deadline, transform).ConfigureAwait(false);
                error = result.Error;
                if (error != ProxyError.None) await ProxyErrors.WriteAsync(context, error).ConfigureAwait(false);
                _telemetry.Value.Metrics.AppRequestDone(StatusFor(context, error), Stopwatch.GetElapsedTime(appStart).TotalMilliseconds);
            }
            finally
            {
                breaker?.Release();
            }
        }
        finally
        {
            Stats.RequestOut(proxied);
            _telemetry.Value.Metrics.RequestDone(StatusFor(context, error), Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            ProxyTracing.Complete(span, StatusFor(context, error));
        }
    }

    private static int StatusFor(HttpContext context, ProxyError error) =>
        error == ProxyError.None || context.Response.HasStarted ? context.Response.StatusCode : error.StatusCode();

    /// <summary>Host restored from K-Original-Host (set by the activator), Knative routing headers dropped,
    /// and a <c>Forwarded</c> header built from X-Forwarded-* when the client sent none.</summary>
    private static ForwardRequest BuildTransform(HttpRequest request)
    {
        var originalHost = request.Headers[KnativeHeaders.OriginalHostHeader].ToString();
        List<KeyValuePair<string, string>>? set = null;
        if (!request.Headers.ContainsKey("Forwarded"))
        {
            var xff = request.Headers["X-Forwarded-For"].ToString();
            var proto = request.Headers["X-Forwarded-Proto"].ToString();
            var xhost = request.Headers["X-Forwarded-Host"].ToString();
            if (xff.Length > 0 || proto.Length > 0 || xhost.Length > 0)
                set = [new("Forwarded", BuildForwarded(xff, xhost, proto))];
        }
        return new ForwardRequest
        {
            Host = originalHost.Length > 0 ? originalHost : null,
            RemoveHeaders = RemovedUpstreamHeaders,
            SetHeaders = set,
        };
    }

    /// <summary><c>Forwarded</c> from X-Forwarded-*: the first hop gets <c>for</c>, <c>host</c> and <c>proto</c> (joined by
    /// ';'), later addresses one <c>for</c> element each (joined by ", "); IPv6 addresses are quoted and bracketed.
    /// Runs on every request that came through the activator or a gateway, hence one builder and no splitting.</summary>
    public static string BuildForwarded(string xff, string xhost, string proto)
    {
        var builder = new System.Text.StringBuilder(64);
        var firstAddress = true;
        var rest = xff.AsSpan();
        while (true)
        {
            var comma = rest.IndexOf(',');
            var address = (comma < 0 ? rest : rest[..comma]).Trim();
            if (address.Length > 0)
            {
                if (firstAddress) firstAddress = false;
                else builder.Append(", ");
                var start = builder.Length;
                if (address.Contains(':')) builder.Append("for=\"[").Append(address).Append("]\"");
                else builder.Append("for=").Append(address);
                if (start == 0)
                {
                    // The first element also carries host and proto.
                    if (xhost.Length > 0) builder.Append(";host=").Append(xhost);
                    if (proto.Length > 0) builder.Append(";proto=").Append(proto);
                }
            }
            if (comma < 0) break;
            rest = rest[(comma + 1)..];
        }
        if (firstAddress)
        {
            if (xhost.Length > 0) builder.Append("host=").Append(xhost);
            if (proto.Length > 0) builder.Append(builder.Length > 0 ? ";proto=" : "proto=").Append(proto);
        }
        return builder.ToString();
    }

    private async Task HealthAsync(HttpContext context)
    {
        var response = context.Response;
        if (_drainer.IsDraining)
        {
            await ProxyErrors.WriteAsync(context, ProxyError.Draining).ConfigureAwait(false);
            return;
        }
        var probeValue = context.Request.Headers[KnativeHeaders.ProbeHeader].ToString();
        if (probeValue != KnativeHeaders.QueueProbeValue)
        {
            response.StatusCode = StatusCodes.Status400BadRequest;
            await response.WriteAsync($"unexpected probe header value: {probeValue}").ConfigureAwait(false);
            return;
        }
        if (!await _prober.ProbeAsync().ConfigureAwait(false))
        {
            response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        response.StatusCode = StatusCodes.Status200OK;
        if (Volatile.Read(ref _warmUpStarted) == 0)
            response.OnCompleted(static server => { ((QueueProxyServer)server).StartWarmUp(); return Task.CompletedTask; }, this);
        await response.WriteAsync(KnativeHeaders.QueueProbeValue).ConfigureAwait(false);
    }

    /// <summary>Admin port: <c>/wait-for-drain</c>, called by the user container's preStop hook. Answers when the
    /// drain completes; if no termination follows within 1 s the drain is aborted (Knative's Reset), so a
    /// user-container restart does not leave the pod unready.</summary>
    private async Task AdminAsync(HttpContext context)
    {
        if (context.Request.Path != "/wait-for-drain")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var drained = _drainer.DrainAsync();
        _ = Task.Delay(TimeSpan.FromSeconds(1)).ContinueWith(_ =>
        {
            if (!_terminating) _drainer.Reset();
        }, TaskScheduler.Default);
        await drained.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private Task AutoscalerMetricsAsync(HttpContext context)
    {
        if (context.Request.Path != StatWire.MetricsPath)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        // Before the first tick only pod_name is set (encoded on demand: Google.Protobuf stays off the start path).
        var bytes = Volatile.Read(ref _statBytes) ?? StatWire.Encode(new Stat { PodName = _options.PodName });
        context.Response.ContentType = StatWire.ContentType;
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes, 0, bytes.Length);
    }

    private Task UserMetricsAsync(HttpContext context)
    {
        if (context.Request.Path != "/metrics")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        return context.Response.WriteAsync(_telemetry.Value.Exporter.Render());
    }

    /// <summary>Every reporting period: close the stats period and publish the protobuf Stat for :9090.</summary>
    private async Task ReportLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.ReportingPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                Volatile.Write(ref _statBytes, StatWire.Encode(CurrentStat()));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Closes a stats period and turns it into the autoscaler's Stat (counts as per-second rates).</summary>
    public Stat CurrentStat()
    {
        var report = Stats.Report();
        var seconds = _options.ReportingPeriod.TotalSeconds;
        return new Stat
        {
            PodName = _options.PodName,
            AverageConcurrentRequests = report.AverageConcurrency,
            AverageProxiedConcurrentRequests = report.AverageProxiedConcurrency,
            RequestCount = report.RequestCount / seconds,
            ProxiedRequestCount = report.ProxiedRequestCount / seconds,
            ProcessUptime = Stopwatch.GetElapsedTime(_created).TotalSeconds,
        };
    }

    /// <summary>The instance's meter and its Prometheus view, created together.</summary>
    private sealed class Telemetry : IDisposable
    {
        public Telemetry(QueueProxyServer server)
        {
            var options = server._options;
            Metrics = new QueueProxyMetrics(() => server.Breaker?.InFlight ?? server.Stats.Concurrency);
            Exporter = new PrometheusExporter(Metrics.Meter, "revision_",
            [
                new("namespace_name", options.Namespace), new("service_name", options.Service),
                new("configuration_name", options.Configuration), new("revision_name", options.Revision),
                new("pod_name", options.PodName), new("container_name", "queue-proxy"),
            ]);
        }

        public QueueProxyMetrics Metrics { get; }
        public PrometheusExporter Exporter { get; }

        public void Dispose()
        {
            Exporter.Dispose();
            Metrics.Dispose();
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "queue-proxy for {KnativeKey} listening: serving {ServingPort}, h2c {H2cPort}, admin {AdminPort}, metrics {MetricsPort}, user metrics {UserMetricsPort}; user container {Upstream}; containerConcurrency {ContainerConcurrency}")]
    private static partial void LogStarted(ILogger logger, string knativeKey, int servingPort, int h2cPort, int adminPort, int metricsPort, int userMetricsPort, string upstream, int containerConcurrency);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "queue-proxy for {KnativeKey} draining: waiting for {QuietSeconds} s without requests")]
    private static partial void LogDraining(ILogger logger, string knativeKey, double quietSeconds);
}
