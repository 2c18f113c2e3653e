using System.Collections.Concurrent;
using System.Globalization;
using Ingress.Api.Core.V1;
using Ingress.Api.Knative;
using Ingress.Autoscaling.Scaling;
using Ingress.Autoscaling.Scraping;
using Ingress.Kube.Cache;

namespace Ingress.Autoscaling.Reconciler;

/// <summary>
/// Ready pods of revisions read from the shared Pod informer's cache (pods carry the label
/// <c>serving.knative.dev/revision</c>). A pod counts when it is Running, not terminating, has an IP and its
/// PodReady condition is True — the pods kube-proxy would put in the private service's ready endpoints.
/// </summary>
public sealed class KubeReadyPods : IReadyPodCounter
{
    private readonly Lister<Pod> _pods;
    private readonly int _metricsPort;
    private readonly ConcurrentDictionary<RevisionKey, Source> _sources = new();

    /// <param name="pods">Lister of the Pod informer (all namespaces, or a scope holding the revisions' pods).</param>
    /// <param name="metricsPort">Queue-proxy's metrics port scraped by the autoscaler (9090 upstream).</param>
    public KubeReadyPods(Lister<Pod> pods, int metricsPort = Api.Metrics.StatWire.MetricsPort)
    {
        _pods = pods ?? throw new ArgumentNullException(nameof(pods));
        _metricsPort = metricsPort;
    }

    /// <summary>The revision's pod source; the same instance for the same key, so the runtime keeps its scraper.</summary>
    public IReadyPodSource For(RevisionKey key) => _sources.GetOrAdd(key, k => new Source(this, k));

    /// <summary>Forgets a deleted revision's source.</summary>
    public void Forget(RevisionKey key) => _sources.TryRemove(key, out _);

    public int ReadyCount(RevisionKey key) => ReadyPodsOf(key).Count;

    /// <summary>All pods of the revision, ready or not (for the not-ready/pending/terminating counts).</summary>
    public IReadOnlyList<Pod> PodsOf(RevisionKey key) =>
        _pods.List(key.Namespace, LabelSelector.FromEquality(new Dictionary<string, string> { [ServingKeys.Revision] = key.Name }));

    /// <summary>The ready pods of a revision.</summary>
    public IReadOnlyList<Pod> ReadyPodsOf(RevisionKey key) => PodsOf(key).Where(IsReady).ToList();

    /// <summary>Pods that are not ready (not pending, not terminating), pending, and terminating.</summary>
    public (int NotReady, int Pending, int Terminating) CountStates(RevisionKey key)
    {
        int notReady = 0, pending = 0, terminating = 0;
        foreach (var pod in PodsOf(key))
        {
            if (pod.Metadata.DeletionTimestamp is not null) terminating++;
            else if (pod.Status?.Phase is null or "Pending") pending++;
            else if (!IsReady(pod)) notReady++;
        }
        return (notReady, pending, terminating);
    }

    /// <summary>Running, not being deleted, with an IP and PodReady True.</summary>
    public static bool IsReady(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return pod.Metadata.DeletionTimestamp is null
            && pod.Status is { Phase: "Running" } status
            && !string.IsNullOrEmpty(status.PodIP)
            && status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
    }

    private sealed class Source(KubeReadyPods owner, RevisionKey key) : IReadyPodSource
    {
        public IReadOnlyList<ScrapePod> ReadyPods() => owner.ReadyPodsOf(key)
            .Select(p => new ScrapePod(Authority(p.Status!.PodIP!, owner._metricsPort), p.Status.StartTime))
            .ToList();

        private static string Authority(string ip, int port) =>
            (ip.Contains(':', StringComparison.Ordinal) ? "[" + ip + "]" : ip) + ":" + port.ToString(CultureInfo.InvariantCulture);
    }
}
