namespace Ingress.Api.Metrics;

/// <summary>
/// One metrics snapshot of a revision pod (or of an activator, for the requests it holds), the value
/// carried by upstream's protobuf message <c>metrics.Stat</c>. queue-proxy serves one of these on
/// <c>:9090/metrics</c> every second; the autoscaler scrapes it and records it into its windows.
/// </summary>
/// <remarks>Field numbers (protobuf): pod_name 1, average_concurrent_requests 2,
/// average_proxied_concurrent_requests 3, request_count 4, proxied_request_count 5, process_uptime 6,
/// timestamp 7. Request counts are per-second rates (arrivals in the period divided by the period).</remarks>
public sealed record Stat
{
    /// <summary>The pod that produced the snapshot (env SERVING_POD for queue-proxy; the activator pod's name
    /// for activator stats; <c>service-scraper</c> for the autoscaler's aggregated stat).</summary>
    public string PodName { get; init; } = "";

    /// <summary>Time-weighted average number of requests in flight (including queued and proxied ones).</summary>
    public double AverageConcurrentRequests { get; init; }

    /// <summary>Part of <see cref="AverageConcurrentRequests"/> for requests that came through the activator.</summary>
    public double AverageProxiedConcurrentRequests { get; init; }

    /// <summary>Requests that arrived during the period, per second.</summary>
    public double RequestCount { get; init; }

    /// <summary>Part of <see cref="RequestCount"/> for requests that came through the activator.</summary>
    public double ProxiedRequestCount { get; init; }

    /// <summary>Seconds since the reporting process started.</summary>
    public double ProcessUptime { get; init; }

    /// <summary>Unix seconds when the stat was produced; queue-proxy leaves it 0 and the autoscaler fills in
    /// the arrival time for activator stats.</summary>
    public long Timestamp { get; init; }
}

/// <summary>One entry of the activator → autoscaler websocket message (<c>metrics.WireStatMessage</c>):
/// the revision the stat belongs to and the stat. Field numbers: namespace 1, name 2, stat 3.</summary>
public sealed record WireStatMessage(string Namespace, string Name, Stat? Stat);
