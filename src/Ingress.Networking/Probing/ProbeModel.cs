namespace Ingress.Networking.Probing;

/// <summary>
/// One gateway endpoint set to probe (spec §10.1): the pods behind one gateway server port, the port their
/// Endpoints name for it, the gateway server port, and the URL whose host and port go into the request.
/// </summary>
public sealed record ProbeTarget(IReadOnlyList<string> PodIPs, int PodPort, int Port, string Url);

/// <summary>A configured gateway selected for an Ingress and the hosts the Ingress exposes through it (sorted).</summary>
public sealed record GatewayProbeHosts(string GatewayQualifiedName, IReadOnlyList<string> Hosts);

/// <summary>
/// What the prober needs to know about one KIngress: identity, the generation the hash was computed for, the
/// K-Network-Hash, and the selected gateways with their hosts (input for <see cref="IProbeTargetSource"/>).
/// </summary>
public sealed record ProbeSubject(string Namespace, string Name, long Generation, string Hash, IReadOnlyList<GatewayProbeHosts> Gateways)
{
    /// <summary><c>&lt;namespace&gt;/&lt;name&gt;</c>, the key the prober's state and the ready callback use.</summary>
    public string Key => Namespace + "/" + Name;
}

/// <summary>
/// Resolves the gateway pods to probe for a KIngress. In a cluster this reads Gateways, Services and Endpoints
/// from listers; tests and <c>render</c> drive it directly. Failures are <see cref="ProbeTargetException"/>.
/// </summary>
public interface IProbeTargetSource
{
    ValueTask<IReadOnlyList<ProbeTarget>> ListTargetsAsync(ProbeSubject subject, CancellationToken cancellationToken);
}

/// <summary>Listing probe targets failed; the message is upstream's text (e.g. <c>failed to get Gateway "ns/gw": ...</c>).</summary>
public sealed class ProbeTargetException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The verdict of one probe request (spec §10.3 table).</summary>
public enum ProbeVerdict
{
    /// <summary>200 with the expected hash.</summary>
    Ready,
    /// <summary>A status or header we cannot learn from (200 without hash, 3xx, 403, 500...): counted as success, best effort.</summary>
    Abandoned,
    /// <summary>404/503, a different hash, a transport error or a timeout: probe again after backoff.</summary>
    Retry,
}

/// <summary>The outcome of one probe request.</summary>
public sealed record ProbeOutcome(ProbeVerdict Verdict, int? StatusCode, string? Error)
{
    public bool Succeeded => Verdict != ProbeVerdict.Retry;
}

/// <summary>The state of one (url, pod) probe, for diagnosis.</summary>
public sealed record ProbeItemStatus(string Url, string PodIP, int PodPort, bool Done, int Failures, string? LastError);

/// <summary>The prober's view of one KIngress, for diagnosis.</summary>
public sealed record ProbeStateSnapshot(string Key, long Generation, string Hash, int PendingPods, IReadOnlyList<ProbeItemStatus> Items)
{
    public bool Ready => PendingPods == 0;
}
