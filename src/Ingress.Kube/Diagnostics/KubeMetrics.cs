using System.Diagnostics.Metrics;

namespace Ingress.Kube.Diagnostics;

/// <summary>Every instrument of the "Ingress.Kube" meter; names and tags are listed in docs/client.md.</summary>
public static class KubeMetrics
{
    public const string MeterName = "Ingress.Kube";
    public static readonly Meter Meter = new(MeterName);

    // Client
    public static readonly Counter<long> ClientRequests = Meter.CreateCounter<long>("kube.client.requests", "{request}", "API requests by verb and HTTP code (code 0: no answer).");
    public static readonly Histogram<double> ClientRequestDuration = Meter.CreateHistogram<double>("kube.client.request.duration", "s", "Time to the response headers, per attempt.");
    public static readonly Counter<long> ClientRetries = Meter.CreateCounter<long>("kube.client.retries", "{retry}", "Attempts repeated by the retry policy, by verb.");
    public static readonly Histogram<double> ClientRateLimitWait = Meter.CreateHistogram<double>("kube.client.rate_limit.wait", "s", "Time spent waiting on the client token bucket.");

    // Work queue
    public static readonly UpDownCounter<long> QueueDepth = Meter.CreateUpDownCounter<long>("kube.workqueue.depth", "{key}", "Keys waiting to be processed, by queue and lane.");
    public static readonly Counter<long> QueueAdds = Meter.CreateCounter<long>("kube.workqueue.adds", "{key}", "Keys added, by queue and lane.");
    public static readonly Counter<long> QueueRetries = Meter.CreateCounter<long>("kube.workqueue.retries", "{key}", "Rate-limited re-adds after a failure, by queue.");
    public static readonly Histogram<double> QueueLatency = Meter.CreateHistogram<double>("kube.workqueue.queue.duration", "s", "Time a key waited between becoming ready and being taken, by queue and lane.");

    // Reconciler host
    public static readonly Counter<long> ReconcileCount = Meter.CreateCounter<long>("kube.reconcile.count", "{reconcile}", "Reconciles by controller and result (success, requeue, error, permanent_error).");
    public static readonly Histogram<double> ReconcileDuration = Meter.CreateHistogram<double>("kube.reconcile.duration", "s", "Reconcile latency by controller and result.");

    // Informers
    public static readonly Counter<long> InformerEvents = Meter.CreateCounter<long>("kube.informer.events", "{event}", "Watch events applied to the cache, by resource and type.");
    public static readonly Counter<long> InformerLists = Meter.CreateCounter<long>("kube.informer.lists", "{list}", "Full lists (initial and relists), by resource and reason.");
    public static readonly Counter<long> InformerWatchRestarts = Meter.CreateCounter<long>("kube.informer.watch.restarts", "{watch}", "Watches re-established, by resource and reason.");

    // Leader election
    public static readonly UpDownCounter<long> LeaderIsLeader = Meter.CreateUpDownCounter<long>("kube.leader_election.is_leader", "{lease}", "1 while this process holds the lease, by lease name.");
    public static readonly Counter<long> LeaderTransitions = Meter.CreateCounter<long>("kube.leader_election.transitions", "{transition}", "Leadership gained or lost, by lease and direction.");
}
