using System.Diagnostics.Metrics;

namespace Ingress.Autoscaling;

/// <summary>
/// The autoscaler's own metrics (System.Diagnostics.Metrics), named after Knative's autoscaler metrics so
/// dashboards carry over. Every measurement is tagged <c>namespace_name</c> and <c>revision_name</c>.
/// </summary>
public sealed class AutoscalerTelemetry : IDisposable
{
    /// <summary>Meter name to subscribe to (e.g. with dotnet-counters or an OpenTelemetry MeterProvider).</summary>
    public const string MeterName = "Ingress.Autoscaling";

    private readonly Meter _meter;

    public AutoscalerTelemetry(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        DesiredPods = _meter.CreateGauge<long>("desired_pods", "{pod}", "Number of pods the autoscaler wants");
        RequestedPods = _meter.CreateGauge<long>("requested_pods", "{pod}", "Number of pods the PodAutoscaler asked the Deployment for");
        ActualPods = _meter.CreateGauge<long>("actual_pods", "{pod}", "Number of ready pods");
        NotReadyPods = _meter.CreateGauge<long>("not_ready_pods", "{pod}", "Number of running pods that are not ready");
        PendingPods = _meter.CreateGauge<long>("pending_pods", "{pod}", "Number of pending pods");
        TerminatingPods = _meter.CreateGauge<long>("terminating_pods", "{pod}", "Number of terminating pods");
        StableRequestConcurrency = _meter.CreateGauge<double>("stable_request_concurrency", "{request}", "Average revision-wide concurrency over the stable window");
        PanicRequestConcurrency = _meter.CreateGauge<double>("panic_request_concurrency", "{request}", "Average revision-wide concurrency over the panic window");
        TargetConcurrencyPerPod = _meter.CreateGauge<double>("target_concurrency_per_pod", "{request}", "Per-pod concurrency target");
        StableRequestsPerSecond = _meter.CreateGauge<double>("stable_requests_per_second", "{request}/s", "Average revision-wide requests per second over the stable window");
        PanicRequestsPerSecond = _meter.CreateGauge<double>("panic_requests_per_second", "{request}/s", "Average revision-wide requests per second over the panic window");
        TargetRequestsPerSecond = _meter.CreateGauge<double>("target_requests_per_second", "{request}/s", "Per-pod requests-per-second target");
        ExcessBurstCapacity = _meter.CreateGauge<double>("excess_burst_capacity", "{request}", "Spare capacity beyond the target burst capacity (negative: activator in path)");
        PanicMode = _meter.CreateGauge<long>("panic_mode", null, "1 while the decider is in panic mode, else 0");
        Decisions = _meter.CreateCounter<long>("decisions", "{decision}", "Decider evaluations (valid ones)");
        ScrapeErrors = _meter.CreateCounter<long>("scrape_errors", "{error}", "Failed scrapes of revision pods");
        ScrapeDuration = _meter.CreateHistogram<double>("scrape_duration", "s", "Duration of one revision scrape");
    }

    public Gauge<long> DesiredPods { get; }
    public Gauge<long> RequestedPods { get; }
    public Gauge<long> ActualPods { get; }
    public Gauge<long> NotReadyPods { get; }
    public Gauge<long> PendingPods { get; }
    public Gauge<long> TerminatingPods { get; }
    public Gauge<double> StableRequestConcurrency { get; }
    public Gauge<double> PanicRequestConcurrency { get; }
    public Gauge<double> TargetConcurrencyPerPod { get; }
    public Gauge<double> StableRequestsPerSecond { get; }
    public Gauge<double> PanicRequestsPerSecond { get; }
    public Gauge<double> TargetRequestsPerSecond { get; }
    public Gauge<double> ExcessBurstCapacity { get; }
    public Gauge<long> PanicMode { get; }
    public Counter<long> Decisions { get; }
    public Counter<long> ScrapeErrors { get; }
    public Histogram<double> ScrapeDuration { get; }

    /// <summary>Records what one KPA reconcile decided: requested pods (want, when known) and actual pods.</summary>
    public void RecordReconcile(RevisionKey key, KpaDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var tags = Tags(key);
        if (decision.Want >= 0) RequestedPods.Record(decision.Want, tags);
        ActualPods.Record(decision.Status.ActualScale, tags);
    }

    /// <summary>Records the revision's pods that are not ready, pending and terminating (spec §6.4).</summary>
    public void RecordPodStates(RevisionKey key, int notReady, int pending, int terminating)
    {
        var tags = Tags(key);
        NotReadyPods.Record(notReady, tags);
        PendingPods.Record(pending, tags);
        TerminatingPods.Record(terminating, tags);
    }

    internal static KeyValuePair<string, object?>[] Tags(RevisionKey key) =>
        [new("namespace_name", key.Namespace), new("revision_name", key.Name)];

    public void Dispose() => _meter.Dispose();
}
