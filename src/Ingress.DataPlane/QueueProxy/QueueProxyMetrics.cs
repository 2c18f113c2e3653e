using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ingress.DataPlane.QueueProxy;

/// <summary>
/// queue-proxy's instruments, named as Knative's queue-proxy names them (served on the user-metrics port with
/// the <c>revision_</c> prefix, e.g. <c>revision_request_count</c>). One meter per queue-proxy instance, so
/// several instances in one process (local mode) keep separate figures.
/// </summary>
public sealed class QueueProxyMetrics : IDisposable
{
    public const string MeterName = "Ingress.DataPlane.QueueProxy";

    private readonly Counter<long> _requestCount;
    private readonly Histogram<double> _requestLatencies;
    private readonly Counter<long> _appRequestCount;
    private readonly Histogram<double> _appRequestLatencies;

    public QueueProxyMetrics(Func<int> queueDepth)
    {
        Meter = new Meter(MeterName);
        _requestCount = Meter.CreateCounter<long>("request_count", description: "The number of requests that are routed to queue-proxy");
        _requestLatencies = Meter.CreateHistogram<double>("request_latencies", unit: "ms", description: "The response time in millisecond");
        _appRequestCount = Meter.CreateCounter<long>("app_request_count", description: "The number of requests that are routed to user-container");
        _appRequestLatencies = Meter.CreateHistogram<double>("app_request_latencies", unit: "ms", description: "The response time in millisecond");
        Meter.CreateObservableGauge("queue_depth", queueDepth, description: "The current number of items in the serving and waiting queue, or not reported if unlimited concurrency.");
    }

    public Meter Meter { get; }

    /// <summary>A request handled by queue-proxy (probes excluded), with the status it got.</summary>
    public void RequestDone(int statusCode, double milliseconds)
    {
        var tags = StatusTags(statusCode);
        _requestCount.Add(1, tags);
        _requestLatencies.Record(milliseconds, tags);
    }

    /// <summary>A request that reached the user container.</summary>
    public void AppRequestDone(int statusCode, double milliseconds)
    {
        var tags = StatusTags(statusCode);
        _appRequestCount.Add(1, tags);
        _appRequestLatencies.Record(milliseconds, tags);
    }

    private static readonly string[] StatusText = Enumerable.Range(0, 600).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    private static readonly string[] ClassText = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"];

    private static TagList StatusTags(int statusCode)
    {
        var code = statusCode is >= 0 and < 600 ? statusCode : 0;
        return new TagList
        {
            { "response_code", StatusText[code] },
            { "response_code_class", ClassText[code / 100] },
        };
    }

    public void Dispose() => Meter.Dispose();
}
