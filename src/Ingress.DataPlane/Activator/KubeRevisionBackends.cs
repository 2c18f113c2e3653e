using System.Collections.Concurrent;
using Ingress.Api.Core.V1;
using Ingress.Api.Serving.V1;
using Ingress.DataPlane.Proxy;
using Ingress.Kube.Cache;

namespace Ingress.DataPlane.Activator;

public sealed record KubeRevisionBackendsOptions
{
    /// <summary>This activator's pod IP, to find its index among the activators listed in a revision's public
    /// Endpoints (Knative's pod subsetting). Null: index unknown (-1), every activator uses every pod.</summary>
    public string? ActivatorIp { get; init; }
}

/// <summary>
/// <see cref="IRevisionBackends"/> over informers: the Revision gives containerConcurrency, timeouts and the
/// protocol (a container port named <c>h2c</c>); the Endpoints of its private service (<c>&lt;revision&gt;-private</c>,
/// which the ServerlessService keeps on the pods) give the queue-proxy addresses, ready and not ready (the
/// activator probes them itself); its public Endpoints (<c>&lt;revision&gt;</c>), which list the activators while the
/// revision is in proxy mode, give this activator's index and the activator count.
/// Answers are cached per revision and dropped when any of the three objects changes.
/// </summary>
public sealed class KubeRevisionBackends : IRevisionBackends
{
    /// <summary>Knative's suffix for the private (pod) service of a ServerlessService.</summary>
    public const string PrivateSuffix = "-private";

    private readonly Lister<Revision> _revisions;
    private readonly Lister<Endpoints> _endpoints;
    private readonly KubeRevisionBackendsOptions _options;
    private readonly ConcurrentDictionary<RevisionKey, RevisionBackend> _cache = new();
    private long _invalidations;

    public KubeRevisionBackends(SharedInformer<Revision> revisions, SharedInformer<Endpoints> endpoints, KubeRevisionBackendsOptions? options = null)
    {
        _revisions = revisions.Lister;
        _endpoints = endpoints.Lister;
        _options = options ?? new KubeRevisionBackendsOptions();
        revisions.AddEventHandler(new ResourceEventHandler<Revision>
        {
            Add = (r, _, _) => Invalidate(Key(r.Metadata.Namespace, r.Metadata.Name)),
            Update = (_, r, _, resync) => { if (!resync) Invalidate(Key(r.Metadata.Namespace, r.Metadata.Name)); },
            Delete = (r, _) => Invalidate(Key(r.Metadata.Namespace, r.Metadata.Name)),
        });
        endpoints.AddEventHandler(new ResourceEventHandler<Endpoints>
        {
            Add = (e, _, _) => OnEndpoints(e),
            Update = (_, e, _, resync) => { if (!resync) OnEndpoints(e); },
            Delete = (e, _) => OnEndpoints(e),
        });
    }

    public event Action<RevisionKey>? Changed;

    public RevisionBackend? Get(RevisionKey key)
    {
        if (_cache.TryGetValue(key, out var cached)) return cached;
        var before = Interlocked.Read(ref _invalidations);
        var revision = _revisions.Get(key.Namespace, key.Name);
        if (revision is null) return null;
        var backend = Build(key, revision, _endpoints.Get(key.Namespace, key.Name + PrivateSuffix), _endpoints.Get(key.Namespace, key.Name), _options.ActivatorIp);
        _cache[key] = backend;
        // An invalidation that raced with the build may have been read before the change: do not keep the answer.
        if (Interlocked.Read(ref _invalidations) != before) _cache.TryRemove(key, out _);
        return backend;
    }

    /// <summary>The pure translation, for tests and other caches.</summary>
    public static RevisionBackend Build(RevisionKey key, Revision revision, Endpoints? privateEndpoints, Endpoints? publicEndpoints, string? activatorIp)
    {
        var spec = revision.Spec;
        var h2c = spec?.Containers?.Any(c => c.Ports?.Any(p => p.Name == "h2c") == true) == true;
        var addresses = new List<string>();
        foreach (var subset in privateEndpoints?.Subsets ?? [])
        {
            // The private service's serving port is named after the protocol (http or h2c) and targets queue-proxy.
            var port = subset.Ports?.FirstOrDefault(p => p.Name is "http" or "h2c")?.Port
                       ?? (subset.Ports is { Count: 1 } only ? only[0].Port : null);
            if (port is null) continue;
            foreach (var a in (subset.Addresses ?? []).Concat(subset.NotReadyAddresses ?? []))
                if (!string.IsNullOrEmpty(a.Ip)) addresses.Add(a.Ip.Contains(':') ? $"[{a.Ip}]:{port}" : $"{a.Ip}:{port}");
        }
        addresses.Sort(StringComparer.Ordinal);

        var (index, count) = (-1, 1);
        if (activatorIp is not null)
        {
            var activators = (publicEndpoints?.Subsets ?? []).SelectMany(s => s.Addresses ?? []).Select(a => a.Ip ?? "")
                .Where(ip => ip.Length > 0).Distinct().OrderBy(ip => ip, StringComparer.Ordinal).ToList();
            var i = activators.IndexOf(activatorIp);
            if (i >= 0) (index, count) = (i, activators.Count);
        }

        return new RevisionBackend
        {
            Key = key,
            ContainerConcurrency = (int)Math.Max(0, spec?.ContainerConcurrency ?? 0),
            // Knative's revision-timeout-seconds default (300) when the webhook did not default it.
            Timeouts = new RequestTimeouts(
                TimeSpan.FromSeconds(spec?.TimeoutSeconds is > 0 and var t ? t : 300),
                TimeSpan.FromSeconds(spec?.ResponseStartTimeoutSeconds ?? 0),
                TimeSpan.FromSeconds(spec?.IdleTimeoutSeconds ?? 0)),
            Protocol = h2c ? UpstreamProtocol.Http2 : UpstreamProtocol.MatchDownstream,
            PodAddresses = addresses,
            ActivatorIndex = index,
            ActivatorCount = count,
        };
    }

    private void OnEndpoints(Endpoints e)
    {
        var name = e.Metadata.Name ?? "";
        // Private Endpoints carry the revision label; the public ones are named after the revision.
        if (e.Metadata.Labels?.TryGetValue("serving.knative.dev/revision", out var revision) == true && revision.Length > 0)
            Invalidate(Key(e.Metadata.Namespace, revision));
        if (name.EndsWith(PrivateSuffix, StringComparison.Ordinal)) Invalidate(Key(e.Metadata.Namespace, name[..^PrivateSuffix.Length]));
        else Invalidate(Key(e.Metadata.Namespace, name));
    }

    private static RevisionKey Key(string? ns, string? name) => new(ns ?? "default", name ?? "");

    private void Invalidate(RevisionKey key)
    {
        Interlocked.Increment(ref _invalidations);
        _cache.TryRemove(key, out _);
        Changed?.Invoke(key);
    }
}
