namespace Ingress.Kube.Client;

/// <summary>
/// A token bucket that hands out reservations: each call takes one token now and says how long the caller
/// must wait for it (zero while tokens remain). Used by the client (requests per second) and by the work
/// queue (retries per second). Thread-safe; time comes from a <see cref="TimeProvider"/> so tests are exact.
/// </summary>
public sealed class TokenBucket
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly double _qps;
    private readonly double _burst;
    private double _tokens;
    private long _last;

    public TokenBucket(double qps, int burst, TimeProvider? time = null)
    {
        if (qps <= 0) throw new ArgumentOutOfRangeException(nameof(qps), "qps must be positive");
        if (burst < 1) throw new ArgumentOutOfRangeException(nameof(burst), "burst must be at least 1");
        _time = time ?? TimeProvider.System;
        _qps = qps;
        _burst = burst;
        _tokens = burst;
        _last = _time.GetTimestamp();
    }

    public double Qps => _qps;
    public int Burst => (int)_burst;

    /// <summary>Takes a token; returns how long until it is really available.</summary>
    public TimeSpan Reserve()
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            var elapsed = _time.GetElapsedTime(_last, now).TotalSeconds;
            _last = now;
            _tokens = Math.Min(_burst, _tokens + elapsed * _qps);
            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _qps);
        }
    }

    /// <summary>Waits until a token is available (the client's rate limit).</summary>
    public async ValueTask WaitAsync(CancellationToken ct)
    {
        var delay = Reserve();
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, _time, ct).ConfigureAwait(false);
        }
    }
}
