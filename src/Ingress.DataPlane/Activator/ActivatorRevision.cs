using Microsoft.Extensions.Logging;

namespace Ingress.DataPlane.Activator;

/// <summary>
/// The activator's view of one revision: its throttler, and a loop that probes pod addresses it has not yet
/// seen healthy (every 200 ms until they pass, as Knative retries unprobed pods) and feeds the healthy set to
/// the throttler. Pods that fail a connection are dropped from the healthy set and probed again.
/// </summary>
public sealed partial class ActivatorRevision : IAsyncDisposable
{
    /// <summary>Knative retries pods whose probe failed every 200 ms.</summary>
    public static readonly TimeSpan ProbeRetryInterval = TimeSpan.FromMilliseconds(200);

    private readonly object _lock = new();
    private readonly PodProber _prober;
    private readonly ILogger _logger;
    private readonly HashSet<string> _healthy = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Task _loop;
    private RevisionBackend _backend;

    public ActivatorRevision(RevisionBackend backend, PodProber prober, ILogger logger)
    {
        _backend = backend;
        _prober = prober;
        _logger = logger;
        Throttler = new RevisionThrottler(backend.ContainerConcurrency);
        _loop = ProbeLoopAsync(_stop.Token);
    }

    public RevisionKey Key => _backend.Key;

    public RevisionBackend Backend => Volatile.Read(ref _backend);

    public RevisionThrottler Throttler { get; private set; }

    /// <summary>Addresses currently believed healthy.</summary>
    public IReadOnlyCollection<string> HealthyPods
    {
        get { lock (_lock) return _healthy.ToList(); }
    }

    /// <summary>New settings or pod addresses from the backend source.</summary>
    public void Update(RevisionBackend backend)
    {
        lock (_lock)
        {
            if (backend.ContainerConcurrency != _backend.ContainerConcurrency)
                Throttler = new RevisionThrottler(backend.ContainerConcurrency);
            _backend = backend;
            _healthy.IntersectWith(backend.PodAddresses);
            PublishLocked();
        }
        _wake.Release();
    }

    /// <summary>A connection to <paramref name="address"/> failed: stop sending there until a probe passes again.</summary>
    public void MarkUnhealthy(string address)
    {
        lock (_lock)
        {
            if (!_healthy.Remove(address)) return;
            PublishLocked();
        }
        LogPodUnhealthy(_logger, Key.ToString(), address);
        _wake.Release();
    }

    private void PublishLocked() =>
        Throttler.UpdatePods(_healthy, _backend.ActivatorIndex, _backend.ActivatorCount);

    private async Task ProbeLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                List<string> unprobed;
                bool http2;
                lock (_lock)
                {
                    unprobed = _backend.PodAddresses.Where(a => !_healthy.Contains(a)).ToList();
                    http2 = _backend.Protocol == Proxy.UpstreamProtocol.Http2;
                }
                if (unprobed.Count > 0)
                {
                    var results = await Task.WhenAll(unprobed.Select(async a => (Address: a, Ok: await _prober.ProbeAsync(a, http2, cancellationToken).ConfigureAwait(false)))).ConfigureAwait(false);
                    var passed = results.Where(r => r.Ok).Select(r => r.Address).ToList();
                    if (passed.Count > 0)
                    {
                        lock (_lock)
                        {
                            // Only addresses still listed count: the pod may have gone while we probed.
                            foreach (var address in passed)
                                if (_backend.PodAddresses.Contains(address)) _healthy.Add(address);
                            PublishLocked();
                        }
                        foreach (var address in passed) LogPodHealthy(_logger, Key.ToString(), address);
                    }
                    if (passed.Count < unprobed.Count)
                    {
                        await _wake.WaitAsync(ProbeRetryInterval, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                }
                await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Revision {KnativeKey}: pod {Address} passed its probe")]
    private static partial void LogPodHealthy(ILogger logger, string knativeKey, string address);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Revision {KnativeKey}: pod {Address} refused a connection; probing it again")]
    private static partial void LogPodUnhealthy(ILogger logger, string knativeKey, string address);
}
