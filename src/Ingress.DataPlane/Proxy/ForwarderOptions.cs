namespace Ingress.DataPlane.Proxy;

/// <summary>Which HTTP version the forwarder speaks to the upstream.</summary>
public enum UpstreamProtocol
{
    /// <summary>HTTP/2 downstream goes out as h2c, everything else as HTTP/1.1. Why the default: a gRPC client
    /// reaching the proxy over h2c needs h2c end to end, and an HTTP/1.1 client must not be upgraded silently.</summary>
    MatchDownstream,
    /// <summary>Always HTTP/1.1.</summary>
    Http11,
    /// <summary>Always h2c with prior knowledge (Knative's `http2` / `kubernetes.io/h2c` ports).</summary>
    Http2,
}

/// <summary>Settings of one <see cref="HttpForwarder"/> (one connection pool).</summary>
public sealed record ForwarderOptions
{
    /// <summary>How long a TCP connect may take. 5 s: a loopback or in-cluster connect that takes longer is
    /// broken, and the activator wants to move on to another pod.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Idle pooled connections are closed after this. 90 s: longer than typical bursts, shorter than
    /// the upstream Kestrel keep-alive default (130 s here), so we close first and never reuse a dead connection.</summary>
    public TimeSpan PooledConnectionIdleTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Connection cap per upstream. Unlimited by default: the breaker, not the pool, limits concurrency.</summary>
    public int MaxConnectionsPerServer { get; init; } = int.MaxValue;

    /// <summary>Whether to append X-Forwarded-For and set X-Forwarded-Proto / -Host when absent.</summary>
    public bool AddForwardedHeaders { get; init; } = true;

    public UpstreamProtocol Protocol { get; init; } = UpstreamProtocol.MatchDownstream;

    /// <summary>Servers of this process reached without a socket when the upstream address is theirs (local mode:
    /// the gateway and the activator to in-process queue-proxies). Null, the default: always TCP, as in a cluster.</summary>
    public Hosting.InProcessEndpoints? InProcess { get; init; }
}
