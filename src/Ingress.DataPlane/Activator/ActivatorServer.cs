using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Ingress.DataPlane.Hosting;
using Ingress.DataPlane.Metrics;
using Ingress.DataPlane.Probes;
using Ingress.DataPlane.Proxy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.DataPlane.Activator;

/// <summary>Activator settings. Defaults are Knative's ports (8012 http1+h2c, 8013 h2c) and its 1 s report period.</summary>
public sealed record ActivatorOptions
{
    public IPAddress ListenAddress { get; init; } = IPAddress.Any;
    public int HttpPort { get; init; } = 8012;
    public int H2cPort { get; init; } = 8013;

    /// <summary>This activator's pod name, the pod_name of the stats it sends.</summary>
    public string PodName { get; init; } = "activator";

    public TimeSpan ReportingPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Cluster domain suffix used to read the revision from a Host of the form
    /// <c>&lt;revision&gt;.&lt;namespace&gt;.svc.&lt;domain&gt;</c>.</summary>
    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>How many different pods one request may try when connections are refused before anything was
    /// sent. 3: enough to step over a pod that just died, bounded so a broken revision fails fast.</summary>
    public int MaxConnectAttempts { get; init; } = 3;

    /// <summary>Servers of this process to reach without a socket, and the registry this component's own listeners
    /// join (local mode; see <see cref="Hosting.InProcessEndpoints"/>). Null, the default: TCP only, as in a cluster.</summary>
    public Hosting.InProcessEndpoints? InProcess { get; init; }
}

/// <summary>
/// The activator (autoscaling.md §8): in the path of revisions whose ServerlessService is in Proxy mode. Holds
/// requests while a revision has no ready pods, pokes the autoscaler with the first request, probes pods before
/// use, throttles by cc × pods, balances load, reports concurrency, honours the revision's timeouts and retries
/// another pod when a connection is refused before the request was sent.
/// Chain: kubelet health → network probe → component probe → revision lookup → concurrency report → timeouts →
/// throttler → forward (Host moved to K-Original-Host, K-Proxy-Request: activator).
/// </summary>
public sealed partial class ActivatorServer : IAsyncDisposable
{
    private static readonly string[] RemovedUpstreamHeaders = [KnativeHeaders.RevisionHeader, KnativeHeaders.NamespaceHeader, KnativeHeaders.HashHeader];

    private readonly ActivatorOptions _options;
    private readonly IRevisionBackends _backends;
    private readonly ILogger _logger;
    private readonly KestrelHost _host;
    private readonly HttpForwarder _forwarder;
    private readonly PodProber _prober = new();
    private readonly ConcurrentDictionary<RevisionKey, ActivatorRevision> _revisions = new();
    private readonly Meter _meter = new("Ingress.DataPlane.Activator");
    private readonly Counter<long> _requestCount;
    private readonly Histogram<double> _requestLatencies;
    private readonly IAutoscalerStatSink _autoscaler;
    private volatile bool _terminating;

    public ActivatorServer(ActivatorOptions options, IRevisionBackends backends, IAutoscalerStatSink autoscaler, ILoggerFactory? loggerFactory = null)
    {
        _options = options;
        _backends = backends;
        _autoscaler = autoscaler;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger("activator");
        Reporter = new ConcurrencyReporter(options.PodName, autoscaler, options.ReportingPeriod);
        _forwarder = new HttpForwarder(new ForwarderOptions { InProcess = options.InProcess }, _logger);
        _requestCount = _meter.CreateCounter<long>("request_count", description: "Requests handled by the activator, by revision and status");
        _requestLatencies = _meter.CreateHistogram<double>("request_latencies", unit: "ms", description: "Activator request time including time held");
        _meter.CreateObservableGauge("request_concurrency", () => _revisions.Values.Select(r =>
            new Measurement<int>(r.Throttler.Breaker.InFlight, new KeyValuePair<string, object?>("revision_name", r.Key.Name), new KeyValuePair<string, object?>("namespace_name", r.Key.Namespace))),
            description: "Requests in the activator per revision, held ones included");
        _backends.Changed += OnBackendChanged;
        _host = new KestrelHost(
        [
            new ListenEndpoint(options.ListenAddress, options.HttpPort, HttpProtocols.Http1AndHttp2),
            new ListenEndpoint(options.ListenAddress, options.H2cPort, HttpProtocols.Http2),
        ], HandleAsync, loggerFactory, options.InProcess);
    }

    public ConcurrencyReporter Reporter { get; }

    public Meter Meter => _meter;

    public int HttpPort { get; private set; }
    public int H2cPort { get; private set; }

    /// <summary>The activator's state for a revision it has seen traffic for, if any.</summary>
    public ActivatorRevision? FindRevision(RevisionKey key) => _revisions.GetValueOrDefault(key);

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _host.StartAsync(cancellationToken).ConfigureAwait(false);
        HttpPort = _host.Ports[0];
        H2cPort = _host.Ports[1];
        LogStarted(_logger, HttpPort, H2cPort);
    }

    /// <summary>SIGTERM: health checks fail from now on; in-flight requests finish until <paramref name="cancellationToken"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _terminating = true;
        await _host.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _backends.Changed -= OnBackendChanged;
        await _host.DisposeAsync().ConfigureAwait(false);
        await Reporter.DisposeAsync().ConfigureAwait(false);
        foreach (var revision in _revisions.Values) await revision.DisposeAsync().ConfigureAwait(false);
        _forwarder.Dispose();
        _prober.Dispose();
        _meter.Dispose();
    }

    private void OnBackendChanged(RevisionKey key)
    {
        if (!_revisions.TryGetValue(key, out var revision)) return;
        var backend = _backends.Get(key);
        if (backend is not null) revision.Update(backend);
        else if (_revisions.TryRemove(key, out var removed)) _ = removed.DisposeAsync().AsTask();
    }

    private ActivatorRevision GetOrAddRevision(RevisionBackend backend)
    {
        if (_revisions.TryGetValue(backend.Key, out var existing)) return existing;
        var created = new ActivatorRevision(backend, _prober, _logger);
        if (_revisions.TryAdd(backend.Key, created))
        {
            // The source may have changed between Get and TryAdd; re-read so no update is lost.
            var latest = _backends.Get(backend.Key);
            if (latest is not null) created.Update(latest);
            return created;
        }
        _ = created.DisposeAsync().AsTask();
        return _revisions[backend.Key];
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        // 1. Kubelet health: fails after SIGTERM and while the autoscaler cannot be reached.
        if (NetworkProbe.IsKubeletProbe(request))
        {
            var problem = _terminating ? "activator is shutting down" : !_autoscaler.IsConnected ? "activator is not connected to the autoscaler" : null;
            response.StatusCode = problem is null ? StatusCodes.Status200OK : StatusCodes.Status500InternalServerError;
            if (problem is not null) await response.WriteAsync(problem).ConfigureAwait(false);
            return;
        }
        // 2. Network probe.
        if (NetworkProbe.IsNetworkProbe(request))
        {
            await NetworkProbe.AnswerAsync(context).ConfigureAwait(false);
            return;
        }
        // 3. Component probe.
        var probe = request.Headers[KnativeHeaders.ProbeHeader].ToString();
        if (probe.Length > 0)
        {
            if (probe == KnativeHeaders.ActivatorProbeValue)
            {
                response.StatusCode = StatusCodes.Status200OK;
                await response.WriteAsync(KnativeHeaders.ActivatorProbeValue).ConfigureAwait(false);
            }
            else
            {
                response.StatusCode = StatusCodes.Status400BadRequest;
                await response.WriteAsync($"unexpected probe header value: \"{probe}\"").ConfigureAwait(false);
            }
            return;
        }

        // 4. Which revision.
        var key = RevisionFrom(request, _options.ClusterDomain);
        var backend = key is { } k ? _backends.Get(k) : null;
        if (backend is null)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            await response.WriteAsync($"Error getting active endpoint: revision {(key?.ToString() ?? request.Host.Value)} not found").ConfigureAwait(false);
            return;
        }
        var revision = GetOrAddRevision(backend);
        var start = Stopwatch.GetTimestamp();
        // 5. Concurrency report: the first request of an idle revision pokes the autoscaler here.
        Reporter.RequestIn(backend.Key);
        var error = ProxyError.None;
        var span = ProxyTracing.StartServerSpan(ProxyTracing.Activator, "activator_proxy", context);
        try
        {
            // 6. Timeouts (time held counts).
            using var deadline = new RequestDeadline(backend.Timeouts, context.RequestAborted);
            error = await ThrottleAndForwardAsync(context, revision, deadline, span).ConfigureAwait(false);
            if (error != ProxyError.None)
                await ProxyErrors.WriteAsync(context, error, error is ProxyError.RequestTimeout ? "activator " : null).ConfigureAwait(false);
        }
        finally
        {
            Reporter.RequestOut(backend.Key);
            var status = error == ProxyError.None || response.HasStarted ? response.StatusCode : error.StatusCode();
            _requestCount.Add(1, new KeyValuePair<string, object?>("revision_name", backend.Key.Name), new KeyValuePair<string, object?>("response_code", StatusCodeTags.Boxed(status)));
            _requestLatencies.Record(Stopwatch.GetElapsedTime(start).TotalMilliseconds, new KeyValuePair<string, object?>("revision_name", backend.Key.Name));
            ProxyTracing.Complete(span, status);
        }
    }

    private async Task<ProxyError> ThrottleAndForwardAsync(HttpContext context, ActivatorRevision revision, RequestDeadline deadline, Activity? span)
    {
        var originalHost = context.Request.Host.Value ?? "";
        for (var attempt = 1; ; attempt++)
        {
            PodLease? lease;
            // Knative's throttler_try: the time this request waits for capacity (a pod slot), per attempt.
            var wait = span is null ? null : ProxyTracing.Activator.StartActivity("throttler_try", ActivityKind.Internal, span.Context);
            try
            {
                lease = await revision.Throttler.AcquireAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                wait?.SetStatus(ActivityStatusCode.Error, "timed out waiting for capacity");
                wait?.Dispose();
                return deadline.CancellationReason();
            }
            wait?.Dispose();
            if (lease is null) return ProxyError.QueueFull;
            ForwardResult result;
            using (lease)
            {
                var transform = new ForwardRequest
                {
                    Host = lease.Pod.Address,
                    RemoveHeaders = RemovedUpstreamHeaders,
                    SetHeaders =
                    [
                        new(KnativeHeaders.OriginalHostHeader, originalHost),
                        new(KnativeHeaders.ProxyRequestHeader, "activator"),
                    ],
                    Protocol = revision.Backend.Protocol,
                };
                if (span is not null) transform = ProxyTracing.Propagate(transform, span);
                result = await _forwarder.ForwardAsync(context, lease.Pod.Address, deadline, transform).ConfigureAwait(false);
            }
            if (!result.CanRetryElsewhere) return result.Error;
            revision.MarkUnhealthy(lease.Pod.Address);
            if (attempt >= _options.MaxConnectAttempts) return ProxyError.NoHealthyBackend;
            LogRetry(_logger, revision.Key.ToString(), lease.Pod.Address, attempt);
        }
    }

    /// <summary>The revision from Knative-Serving-Revision/-Namespace headers, else from a Host of the form
    /// <c>name.namespace.svc.&lt;domain&gt;[:port]</c> (also <c>name.namespace.svc</c> and <c>name.namespace</c>).
    /// Runs on every request, so it parses without splitting.</summary>
    public static RevisionKey? RevisionFrom(HttpRequest request, string clusterDomain)
    {
        var headers = request.Headers;
        if (headers.TryGetValue(KnativeHeaders.RevisionHeader, out var name) && headers.TryGetValue(KnativeHeaders.NamespaceHeader, out var ns)
            && name.ToString() is { Length: > 0 } revision && ns.ToString() is { Length: > 0 } space)
            return new RevisionKey(space, revision);
        var host = request.Host.Host.AsSpan();
        if (host.EndsWith(clusterDomain, StringComparison.OrdinalIgnoreCase) && host[..^clusterDomain.Length].EndsWith(".svc.", StringComparison.OrdinalIgnoreCase))
            host = host[..^(clusterDomain.Length + 5)];
        else if (host.EndsWith(".svc", StringComparison.OrdinalIgnoreCase)) host = host[..^4];
        var dot = host.IndexOf('.');
        if (dot <= 0 || dot == host.Length - 1 || host[(dot + 1)..].Contains('.')) return null;
        return new RevisionKey(host[(dot + 1)..].ToString(), host[..dot].ToString());
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "activator listening: http {HttpPort}, h2c {H2cPort}")]
    private static partial void LogStarted(ILogger logger, int httpPort, int h2cPort);

    [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "Revision {KnativeKey}: connection to {Address} refused before sending (attempt {Attempt}); trying another pod")]
    private static partial void LogRetry(ILogger logger, string knativeKey, string address, int attempt);
}
