namespace Ingress.Networking.Probing;

/// <summary>Tuning of <see cref="IngressProber"/>. Every default says why it differs from upstream, if it does.</summary>
public sealed record ProberOptions
{
    /// <summary>Concurrent probe workers. 15 as upstream: enough for hundreds of probes per second on loopback or in a cluster.</summary>
    public int Workers { get; init; } = 15;

    /// <summary>
    /// Delay before the first probe of a new hash. Upstream waits 200 ms to give Envoy time to apply; we probe at once,
    /// because a gateway that has not applied yet answers 404/old-hash and the 50 ms first retry costs less than a
    /// fixed 200 ms on every change (the Ready-latency target is 100 ms p95 beyond the gateway's own apply time).
    /// </summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.Zero;

    /// <summary>First retry delay, doubled on every failure (upstream: 50 ms).</summary>
    public TimeSpan BaseRetryDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Cap of the retry delay. Upstream caps at 30 s, so a gateway that was slow once is then checked only every 30 s;
    /// 1 s bounds the extra latency after the gateway catches up to one second while still costing at most one request
    /// per second per pending (pod, url).
    /// </summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Global retry budget per second (token bucket), protecting the gateways from a retry storm. Upstream allows
    /// 50/s with a burst of 100, which alone would take a minute to re-probe 1,000 Ingresses on 3 pods; 1,000/s keeps
    /// the 1,000-Ingress target (all Ready within 10 s) reachable and is still far below what a gateway serves.
    /// </summary>
    public double RetriesPerSecond { get; init; } = 1000;

    /// <summary>Burst size of the retry token bucket (see <see cref="RetriesPerSecond"/>).</summary>
    public int RetryBurst { get; init; } = 1000;

    /// <summary>Dial and whole-request timeout of one probe, as upstream (1 s).</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
