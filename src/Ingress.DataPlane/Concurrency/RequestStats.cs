namespace Ingress.DataPlane.Concurrency;

/// <summary>One reporting period of <see cref="RequestStats"/>.</summary>
/// <param name="AverageConcurrency">Time-weighted average of in-flight requests (queued ones included).</param>
/// <param name="AverageProxiedConcurrency">The same for requests that came through the activator.</param>
/// <param name="RequestCount">Arrivals in the period.</param>
/// <param name="ProxiedRequestCount">Arrivals marked <c>K-Proxy-Request: activator</c>.</param>
public readonly record struct StatsReport(double AverageConcurrency, double AverageProxiedConcurrency, double RequestCount, double ProxiedRequestCount);

/// <summary>
/// Knative's RequestStats: time-weighted concurrency and arrival counts. Every event first integrates the
/// current gauges over the time since the last event (events with an earlier timestamp add nothing), then
/// changes the gauges. <see cref="Report"/> closes a period and resets the integrals but keeps the gauges.
/// </summary>
public sealed class RequestStats
{
    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private long _lastChange;
    private int _concurrency, _proxiedConcurrency;
    private double _requests, _proxiedRequests;
    private double _area, _proxiedArea, _elapsedSeconds;

    public RequestStats(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _lastChange = _time.GetTimestamp();
    }

    /// <summary>Requests in flight now.</summary>
    public int Concurrency { get { lock (_lock) return _concurrency; } }

    public void RequestIn(bool proxied) => RequestIn(_time.GetTimestamp(), proxied);

    public void RequestOut(bool proxied) => RequestOut(_time.GetTimestamp(), proxied);

    /// <summary>Arrival at <paramref name="timestamp"/> (a <see cref="TimeProvider.GetTimestamp"/> value).</summary>
    public void RequestIn(long timestamp, bool proxied)
    {
        lock (_lock)
        {
            AdvanceLocked(timestamp);
            _requests++;
            _concurrency++;
            if (proxied)
            {
                _proxiedRequests++;
                _proxiedConcurrency++;
            }
        }
    }

    public void RequestOut(long timestamp, bool proxied)
    {
        lock (_lock)
        {
            AdvanceLocked(timestamp);
            _concurrency--;
            if (proxied) _proxiedConcurrency--;
        }
    }

    public StatsReport Report() => Report(_time.GetTimestamp());

    public StatsReport Report(long timestamp)
    {
        lock (_lock)
        {
            AdvanceLocked(timestamp);
            var report = _elapsedSeconds > 0
                ? new StatsReport(_area / _elapsedSeconds, _proxiedArea / _elapsedSeconds, _requests, _proxiedRequests)
                : new StatsReport(0, 0, _requests, _proxiedRequests);
            _area = _proxiedArea = _elapsedSeconds = 0;
            _requests = _proxiedRequests = 0;
            return report;
        }
    }

    private void AdvanceLocked(long timestamp)
    {
        if (timestamp <= _lastChange) return;
        var seconds = _time.GetElapsedTime(_lastChange, timestamp).TotalSeconds;
        _elapsedSeconds += seconds;
        _area += _concurrency * seconds;
        _proxiedArea += _proxiedConcurrency * seconds;
        _lastChange = timestamp;
    }
}
