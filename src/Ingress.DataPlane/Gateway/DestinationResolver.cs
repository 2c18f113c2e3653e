using System.Collections.Concurrent;
using Ingress.Api.Core.V1;
using Ingress.Kube.Cache;

namespace Ingress.DataPlane.Gateway;

/// <summary>Why a destination has no address (closed set; each becomes Envoy's 503 "no healthy upstream").</summary>
public enum ResolveError
{
    None,
    /// <summary>The host is not <c>name.ns[.svc[.domain]]</c>.</summary>
    NotAServiceHost,
    ServiceNotFound,
    /// <summary>The Service has no port equal to the destination port (or several and none was named).</summary>
    PortNotFound,
    /// <summary>The Service exists but its Endpoints list no ready address for the port.</summary>
    NoEndpoints,
}

/// <summary>The ready addresses (<c>ip:port</c>) behind a destination, or why there are none.</summary>
/// <param name="Http2">The Service port declares HTTP/2 (Istio's protocol selection: a name <c>http2</c>/<c>grpc</c>
/// with an optional <c>-suffix</c>, or appProtocol <c>kubernetes.io/h2c</c>, <c>http2</c>, <c>grpc</c>): the upstream
/// is spoken to in h2c whatever the client used, as Envoy does for such a cluster.</param>
public sealed record ResolvedDestination(IReadOnlyList<string> Addresses, ResolveError Error, bool Http2 = false)
{
    public static ResolvedDestination Failed(ResolveError error) => new([], error);
}

/// <summary>Turns a VirtualService destination (Service host + port) into pod (or activator) addresses.</summary>
public interface IDestinationResolver
{
    ResolvedDestination Resolve(string host, int? port);

    /// <summary>Raised when what <see cref="Resolve"/> would answer may have changed.</summary>
    event Action? Changed;
}

/// <summary>
/// Resolution over Services and Endpoints as kube-proxy does it: the destination port selects a Service port;
/// its name selects the Endpoints port (which carries the resolved target port, named ports included); the ready
/// addresses of the subsets holding that port are the answer. Knative's ServerlessService decides whether those
/// Endpoints are the activator's or the pods' by what it writes into them, so this needs no Knative knowledge.
/// </summary>
public sealed class KubeDestinationResolver : IDestinationResolver
{
    /// <summary>Bound on cached answers: far above the destinations of the routes of a local cluster.</summary>
    private const int MaxCachedAnswers = 4096;

    private readonly Lister<Service> _services;
    private readonly Lister<Endpoints> _endpoints;
    /// <summary>Answers by (host, port; -1 without port), replaced whole by every Service or Endpoints event. Why: the
    /// gateway resolves on every request, and resolving splits the host, reads two caches and builds the address
    /// list again. The informer updates its store before it delivers the event, so an answer computed from the old
    /// store can only land in a dictionary that the event then drops.</summary>
    private volatile ConcurrentDictionary<(string Host, int Port), ResolvedDestination> _answers = new();

    public KubeDestinationResolver(SharedInformer<Service> services, SharedInformer<Endpoints> endpoints)
    {
        _services = services.Lister;
        _endpoints = endpoints.Lister;
        var notify = new ResourceEventHandler<Service> { Add = (_, _, _) => Raise(), Update = (_, _, _, r) => { if (!r) Raise(); }, Delete = (_, _) => Raise() };
        var notifyEndpoints = new ResourceEventHandler<Endpoints> { Add = (_, _, _) => Raise(), Update = (_, _, _, r) => { if (!r) Raise(); }, Delete = (_, _) => Raise() };
        services.AddEventHandler(notify);
        endpoints.AddEventHandler(notifyEndpoints);
    }

    public event Action? Changed;

    private void Raise()
    {
        _answers = new ConcurrentDictionary<(string Host, int Port), ResolvedDestination>();
        Changed?.Invoke();
    }

    public ResolvedDestination Resolve(string host, int? port)
    {
        var answers = _answers;
        var key = (host, port ?? -1);
        if (answers.TryGetValue(key, out var answer)) return answer;
        answer = ResolveFromCaches(host, port);
        if (answers.Count < MaxCachedAnswers) answers.TryAdd(key, answer);
        return answer;
    }

    private ResolvedDestination ResolveFromCaches(string host, int? port)
    {
        // An ExternalName Service that names another in-cluster Service is followed, as Istio does: Knative's
        // Route placeholder (`<route>.<ns>.svc`) names knative-local-gateway, which DomainMappings route through.
        // A few hops at most, so a loop of ExternalNames cannot hang a request.
        for (var hop = 0; hop < 4; hop++)
        {
            if (!TryParseServiceHost(host, out var name, out var ns)) return ResolvedDestination.Failed(ResolveError.NotAServiceHost);
            var service = _services.Get(ns, name);
            if (service is null) return ResolvedDestination.Failed(ResolveError.ServiceNotFound);
            if (service.Spec?.Type == "ExternalName" && service.Spec.ExternalName is { Length: > 0 } external)
            {
                host = external.TrimEnd('.');
                continue;
            }
            return ResolveAgainst(service, _endpoints.Get(ns, name), port);
        }
        return ResolvedDestination.Failed(ResolveError.ServiceNotFound);
    }

    /// <summary>The pure half of <see cref="Resolve"/>, for tests and other caches.</summary>
    public static ResolvedDestination ResolveAgainst(Service service, Endpoints? endpoints, int? port)
    {
        var ports = service.Spec?.Ports ?? [];
        ServicePort? servicePort = port is { } p ? ports.FirstOrDefault(sp => sp.Port == p) : ports.Count == 1 ? ports[0] : null;
        if (servicePort is null) return ResolvedDestination.Failed(ResolveError.PortNotFound);
        var addresses = new List<string>();
        foreach (var subset in endpoints?.Subsets ?? [])
        {
            var subsetPorts = subset.Ports ?? [];
            var ep = subsetPorts.FirstOrDefault(e => string.Equals(e.Name ?? "", servicePort.Name ?? "", StringComparison.Ordinal))
                     ?? (subsetPorts.Count == 1 ? subsetPorts[0] : null);
            int target;
            if (ep?.Port is { } epPort) target = epPort;
            else if (subsetPorts.Count == 0 && servicePort.TargetPort is { } tp && tp.TryGetInt(out var tpInt)) target = tpInt;
            else continue;
            foreach (var a in subset.Addresses ?? [])
                if (!string.IsNullOrEmpty(a.Ip)) addresses.Add(FormatAuthority(a.Ip, target));
        }
        return addresses.Count == 0 ? ResolvedDestination.Failed(ResolveError.NoEndpoints) : new ResolvedDestination(addresses, ResolveError.None, DeclaresHttp2(servicePort));
    }

    /// <summary>Istio's protocol selection for a Service port, reduced to "is it HTTP/2": appProtocol first
    /// (<c>kubernetes.io/h2c</c>, <c>http2</c>, <c>grpc</c>), else the port name's protocol prefix (<c>http2</c>,
    /// <c>grpc</c>, <c>grpc-web</c>, each alone or followed by <c>-suffix</c>). Knative names a revision's h2c port
    /// <c>http2</c>; the conformance suite's h2c backends use both forms.</summary>
    public static bool DeclaresHttp2(ServicePort port)
    {
        if (!string.IsNullOrEmpty(port.AppProtocol))
            return port.AppProtocol is "kubernetes.io/h2c" || port.AppProtocol.Equals("http2", StringComparison.OrdinalIgnoreCase)
                || port.AppProtocol.Equals("grpc", StringComparison.OrdinalIgnoreCase);
        var name = port.Name ?? "";
        var dash = name.IndexOf('-');
        var protocol = dash < 0 ? name : name[..dash];
        return protocol.Equals("http2", StringComparison.OrdinalIgnoreCase) || protocol.Equals("grpc", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary><c>name.ns</c>, <c>name.ns.svc</c> or <c>name.ns.svc.&lt;domain&gt;</c>.</summary>
    public static bool TryParseServiceHost(string host, out string name, out string @namespace)
    {
        var parts = host.Split('.');
        name = @namespace = "";
        if (parts.Length < 2 || (parts.Length > 2 && parts[2] != "svc")) return false;
        if (parts[0].Length == 0 || parts[1].Length == 0) return false;
        (name, @namespace) = (parts[0], parts[1]);
        return true;
    }

    private static string FormatAuthority(string ip, int port) => ip.Contains(':') ? $"[{ip}]:{port}" : $"{ip}:{port}";
}
