using Ingress.Api.Metrics;
using Ingress.DataPlane.Proxy;

namespace Ingress.DataPlane.Activator;

/// <summary>A revision, by namespace and name (Knative's <c>types.NamespacedName</c>).</summary>
public readonly record struct RevisionKey(string Namespace, string Name)
{
    public override string ToString() => Namespace + "/" + Name;
}

/// <summary>What the activator needs to know about one revision in Proxy mode.</summary>
public sealed record RevisionBackend
{
    public required RevisionKey Key { get; init; }

    /// <summary>containerConcurrency; 0 = unlimited.</summary>
    public int ContainerConcurrency { get; init; }

    /// <summary>The revision's timeoutSeconds / responseStartTimeoutSeconds / idleTimeoutSeconds.</summary>
    public RequestTimeouts Timeouts { get; init; } = RequestTimeouts.Default;

    /// <summary><see cref="UpstreamProtocol.Http2"/> for h2c revisions (port name <c>h2c</c>), else HTTP/1.1
    /// unless the client itself spoke HTTP/2.</summary>
    public UpstreamProtocol Protocol { get; init; } = UpstreamProtocol.MatchDownstream;

    /// <summary><c>ip:port</c> of every queue-proxy serving endpoint of the revision's private Endpoints, ready and
    /// not ready: the activator probes them itself and uses a pod as soon as its probe passes.</summary>
    public IReadOnlyList<string> PodAddresses { get; init; } = [];

    /// <summary>This activator's index among the activators in the revision's public Endpoints (sorted), or -1
    /// when unknown; with <see cref="ActivatorCount"/> it decides which pods this activator may use.</summary>
    public int ActivatorIndex { get; init; } = -1;

    public int ActivatorCount { get; init; } = 1;
}

/// <summary>
/// Source of revisions and their pod addresses. In a cluster an adapter watching Revisions, private Endpoints and
/// ServerlessServices implements it; locally the runner does (<see cref="InMemoryRevisionBackends"/>).
/// </summary>
public interface IRevisionBackends
{
    /// <summary>The revision, or null when it does not exist (the activator answers 404).</summary>
    RevisionBackend? Get(RevisionKey key);

    /// <summary>Raised after a revision's settings or pod addresses changed.</summary>
    event Action<RevisionKey>? Changed;
}

/// <summary>Where the activator's per-revision stats go: the autoscaler. The first stat of an idle revision is
/// sent the moment its first request arrives, which is what "poking" the autoscaler means (scale from zero).</summary>
public interface IAutoscalerStatSink
{
    void Send(IReadOnlyList<WireStatMessage> stats);

    /// <summary>Whether stats currently reach the autoscaler; the activator reports itself unhealthy otherwise
    /// (Knative: kubelet probes fail while the autoscaler websocket is down). In-process sinks are always connected.</summary>
    bool IsConnected => true;
}

/// <summary>A revision table kept in memory; the local runner writes it as replicas start and stop.</summary>
public sealed class InMemoryRevisionBackends : IRevisionBackends
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<RevisionKey, RevisionBackend> _revisions = new();

    public event Action<RevisionKey>? Changed;

    public RevisionBackend? Get(RevisionKey key) => _revisions.TryGetValue(key, out var backend) ? backend : null;

    public void Set(RevisionBackend backend)
    {
        _revisions[backend.Key] = backend;
        Changed?.Invoke(backend.Key);
    }

    public void Remove(RevisionKey key)
    {
        if (_revisions.TryRemove(key, out _)) Changed?.Invoke(key);
    }
}
