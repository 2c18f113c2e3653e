using System.Diagnostics.Metrics;

namespace Ingress.Local.Runner;

/// <summary>The local runner's instruments, on one <see cref="Meter"/> per runner (meter name
/// <c>Ingress.Local.Runner</c>), so several runners in one process (tests) are told apart by instance.</summary>
public sealed class RunnerMetrics : IDisposable
{
    public const string MeterName = "Ingress.Local.Runner";

    public RunnerMetrics(Func<(int Ready, int NotReady)> pods)
    {
        Meter = new Meter(MeterName);
        PodsStarted = Meter.CreateCounter<long>("local_runner_pods_started", description: "Replicas started (one Pod each)");
        PodsStopped = Meter.CreateCounter<long>("local_runner_pods_stopped", description: "Replicas stopped by scale-down or deletion");
        StartFailures = Meter.CreateCounter<long>("local_runner_start_failures", description: "Replicas that failed to start, by reason (ReplicaFailure)");
        ProcessRestarts = Meter.CreateCounter<long>("local_runner_process_restarts", description: "External user processes that exited and are restarted");
        Meter.CreateObservableGauge("local_runner_pods", () =>
        {
            var (ready, notReady) = pods();
            return new[]
            {
                new Measurement<int>(ready, new KeyValuePair<string, object?>("ready", "true")),
                new Measurement<int>(notReady, new KeyValuePair<string, object?>("ready", "false")),
            };
        }, description: "Replicas running, by readiness");
    }

    public Meter Meter { get; }
    public Counter<long> PodsStarted { get; }
    public Counter<long> PodsStopped { get; }
    public Counter<long> StartFailures { get; }
    public Counter<long> ProcessRestarts { get; }

    public void Dispose() => Meter.Dispose();
}
