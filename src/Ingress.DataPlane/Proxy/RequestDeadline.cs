namespace Ingress.DataPlane.Proxy;

/// <summary>Knative's three per-revision timeouts. <see cref="TimeSpan.Zero"/> disables the response-start and
/// idle timeouts; the total timeout is always set (Knative requires timeoutSeconds, default 300 s).</summary>
public sealed record RequestTimeouts(TimeSpan Total, TimeSpan ResponseStart, TimeSpan Idle)
{
    /// <summary>Knative's defaults: 300 s total (revision-timeout-seconds), no response-start or idle limit.</summary>
    public static RequestTimeouts Default { get; } = new(TimeSpan.FromSeconds(300), TimeSpan.Zero, TimeSpan.Zero);
}

/// <summary>
/// The timeouts of one request, as one cancellation token. The total timer bounds the whole request (time queued
/// in a breaker included, as in Knative); the response-start timer is disarmed by the first response byte; the
/// idle timer restarts on every write to the client (a response never written counts as idle since the start).
/// Whichever fires first is recorded as <see cref="Reason"/> and cancels <see cref="Token"/>.
/// </summary>
public sealed class RequestDeadline : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly ITimer? _total;
    private ITimer? _responseStart;
    private readonly ITimer? _idle;
    private readonly TimeSpan _idleTimeout;
    private int _reason;

    public RequestDeadline(RequestTimeouts timeouts, CancellationToken requestAborted, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        if (timeouts.Total > TimeSpan.Zero)
            _total = time.CreateTimer(static s => ((RequestDeadline)s!).Fire(ProxyError.RequestTimeout), this, timeouts.Total, Timeout.InfiniteTimeSpan);
        if (timeouts.ResponseStart > TimeSpan.Zero)
            _responseStart = time.CreateTimer(static s => ((RequestDeadline)s!).Fire(ProxyError.ResponseStartTimeout), this, timeouts.ResponseStart, Timeout.InfiniteTimeSpan);
        _idleTimeout = timeouts.Idle;
        if (_idleTimeout > TimeSpan.Zero)
            _idle = time.CreateTimer(static s => ((RequestDeadline)s!).Fire(ProxyError.IdleTimeout), this, _idleTimeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Cancelled when the client aborts or a timeout fires.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>The timeout that fired, or <see cref="ProxyError.None"/>.</summary>
    public ProxyError Reason => (ProxyError)Volatile.Read(ref _reason);

    /// <summary>The response head was written: the response-start timeout no longer applies.</summary>
    public void OnResponseStarted()
    {
        var timer = Interlocked.Exchange(ref _responseStart, null);
        timer?.Dispose();
    }

    /// <summary>Bytes were written to the client: restart the idle timer.</summary>
    public void OnWrite() => _idle?.Change(_idleTimeout, Timeout.InfiniteTimeSpan);

    /// <summary>Classifies a cancellation: the timeout that fired, else the client going away.</summary>
    public ProxyError CancellationReason()
    {
        var reason = Reason;
        return reason != ProxyError.None ? reason : ProxyError.ClientCanceled;
    }

    private void Fire(ProxyError reason)
    {
        if (Interlocked.CompareExchange(ref _reason, (int)reason, 0) != 0) return;
        try { _cts.Cancel(); } catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _total?.Dispose();
        Interlocked.Exchange(ref _responseStart, null)?.Dispose();
        _idle?.Dispose();
        _cts.Dispose();
    }
}
