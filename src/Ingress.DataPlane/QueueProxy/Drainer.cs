namespace Ingress.DataPlane.QueueProxy;

/// <summary>
/// Knative's Drainer: once draining, health checks answer 503 and the drain completes when a quiet period
/// passes without a non-probe request (every request restarts the timer). <see cref="Reset"/> aborts a drain
/// (used when /wait-for-drain was called but no SIGTERM followed).
/// </summary>
public sealed class Drainer(TimeSpan quietPeriod) : IDisposable
{
    private readonly object _lock = new();
    private TaskCompletionSource? _drained;
    private ITimer? _timer;
    private volatile bool _draining;

    public bool IsDraining => _draining;

    public TimeSpan QuietPeriod { get; } = quietPeriod;

    /// <summary>Starts draining (idempotent) and returns a task that completes when the quiet period passed.</summary>
    public Task DrainAsync()
    {
        lock (_lock)
        {
            if (_drained is null)
            {
                _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _draining = true;
                var drained = _drained;
                _timer = TimeProvider.System.CreateTimer(static s => ((TaskCompletionSource)s!).TrySetResult(), drained, QuietPeriod, Timeout.InfiniteTimeSpan);
            }
            return _drained.Task;
        }
    }

    /// <summary>A request arrived: while draining, restart the quiet period.</summary>
    public void Touch()
    {
        if (!_draining) return;
        lock (_lock) _timer?.Change(QuietPeriod, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Aborts a drain: probes are healthy again; pending waiters are released.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _draining = false;
            _timer?.Dispose();
            _timer = null;
            _drained?.TrySetResult();
            _drained = null;
        }
    }

    public void Dispose()
    {
        lock (_lock) _timer?.Dispose();
    }
}
