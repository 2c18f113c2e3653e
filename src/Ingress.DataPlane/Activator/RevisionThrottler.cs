using Ingress.DataPlane.Concurrency;

namespace Ingress.DataPlane.Activator;

/// <summary>One pod the activator may send to, with its own breaker (capacity containerConcurrency).</summary>
public sealed class PodTracker
{
    private int _inFlight;

    internal PodTracker(string address, int containerConcurrency)
    {
        Address = address;
        // Knative's pod breakers: queue 10000, capacity cc. Unlimited revisions track in-flight only.
        Breaker = containerConcurrency > 0 ? new Breaker(new BreakerOptions(10_000, containerConcurrency, containerConcurrency)) : null;
    }

    public string Address { get; }
    public Breaker? Breaker { get; }
    public int InFlight => Volatile.Read(ref _inFlight);

    internal bool TryReserve()
    {
        if (Breaker is not null && !Breaker.TryAcquire()) return false;
        Interlocked.Increment(ref _inFlight);
        return true;
    }

    internal void Release()
    {
        Interlocked.Decrement(ref _inFlight);
        Breaker?.Release();
    }
}

/// <summary>A destination held for one request: the pod slot and the revision slot, released together.</summary>
public sealed class PodLease : IDisposable
{
    private readonly Breaker _revision;
    private int _released;

    internal PodLease(PodTracker pod, Breaker revision)
    {
        Pod = pod;
        _revision = revision;
    }

    public PodTracker Pod { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        Pod.Release();
        _revision.Release();
    }
}

/// <summary>
/// The activator's per-revision throttler (autoscaling.md §8.2): a revision-wide breaker whose capacity is
/// containerConcurrency × the pods assigned to this activator (unlimited once any pod exists when cc = 0; zero
/// without pods, so requests wait), plus one breaker per pod. Load balancing: first pod with a free slot for
/// 1 ≤ cc ≤ 3, round robin from the last pick for cc &gt; 3, power of two choices on in-flight for cc = 0.
/// </summary>
public sealed class RevisionThrottler
{
    /// <summary>Knative's revision breaker: 10000 may wait, capacity set from the pods.</summary>
    private static readonly BreakerOptions RevisionBreakerOptions = new(10_000, int.MaxValue, 0);

    private readonly object _lock = new();
    private readonly Dictionary<string, PodTracker> _trackers = new(StringComparer.Ordinal);
    private PodTracker[] _assigned = [];
    private int _roundRobin;

    public RevisionThrottler(int containerConcurrency)
    {
        ContainerConcurrency = containerConcurrency;
        Breaker = new Breaker(RevisionBreakerOptions);
    }

    public int ContainerConcurrency { get; }

    /// <summary>The revision-wide breaker (its in-flight count includes requests waiting for capacity).</summary>
    public Breaker Breaker { get; }

    public int Capacity => Breaker.Capacity;

    /// <summary>Pods this activator sends to, in address order.</summary>
    public IReadOnlyList<PodTracker> AssignedPods => Volatile.Read(ref _assigned);

    /// <summary>Replaces the set of healthy pods. Trackers of pods that stay keep their in-flight counts.</summary>
    public void UpdatePods(IEnumerable<string> healthyAddresses, int activatorIndex, int activatorCount)
    {
        lock (_lock)
        {
            var wanted = healthyAddresses.Distinct(StringComparer.Ordinal).OrderBy(a => a, StringComparer.Ordinal).ToList();
            foreach (var gone in _trackers.Keys.Except(wanted, StringComparer.Ordinal).ToList()) _trackers.Remove(gone);
            var all = wanted.Select(a => _trackers.TryGetValue(a, out var t) ? t : _trackers[a] = new PodTracker(a, ContainerConcurrency)).ToArray();
            var assigned = Assign(all, activatorIndex, activatorCount, ContainerConcurrency);
            Volatile.Write(ref _assigned, assigned);
            Breaker.UpdateConcurrency(ComputeCapacity(all.Length, assigned.Length, ContainerConcurrency));
        }
    }

    /// <summary>Which pods this activator uses (Knative's assignSlice): all of them when the index is unknown,
    /// cc = 0, one pod or one activator; otherwise a contiguous slice plus one remnant pod, or pod index mod P when
    /// there are more activators than pods.</summary>
    public static PodTracker[] Assign(PodTracker[] pods, int index, int count, int containerConcurrency)
    {
        if (index < 0 || containerConcurrency == 0 || pods.Length <= 1 || count <= 1) return pods;
        if (count > pods.Length) return [pods[index % pods.Length]];
        var size = pods.Length / count;
        var slice = pods.Skip(index * size).Take(size).ToList();
        var remnants = pods.Length % count;
        if (index < remnants) slice.Add(pods[pods.Length - remnants + index]);
        return slice.ToArray();
    }

    /// <summary>cc × assigned pods; unlimited when cc = 0 and pods exist; 0 without pods.</summary>
    public static int ComputeCapacity(int backends, int assigned, int containerConcurrency)
    {
        if (backends == 0) return 0;
        if (containerConcurrency == 0) return int.MaxValue;
        var capacity = (long)containerConcurrency * assigned;
        return capacity > int.MaxValue ? int.MaxValue : (int)capacity;
    }

    /// <summary>Waits for revision capacity, then picks a pod with a free slot. Null means the revision queue is
    /// full (503). Cancellation throws.</summary>
    public async ValueTask<PodLease?> AcquireAsync(CancellationToken cancellationToken)
    {
        if (await Breaker.AcquireAsync(cancellationToken).ConfigureAwait(false) == BreakerAdmission.QueueFull) return null;
        try
        {
            while (true)
            {
                var pod = Pick();
                if (pod is not null) return new PodLease(pod, Breaker);
                // Capacity said yes but every pod slot is taken (pods changed under us): wait briefly and look again.
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            Breaker.Release();
            throw;
        }
    }

    private PodTracker? Pick()
    {
        var pods = Volatile.Read(ref _assigned);
        if (pods.Length == 0) return null;
        if (ContainerConcurrency == 0) return PowerOfTwoChoices(pods);
        if (ContainerConcurrency <= 3)
        {
            foreach (var pod in pods)
                if (pod.TryReserve()) return pod;
            return null;
        }
        lock (_lock)
        {
            for (var i = 0; i < pods.Length; i++)
            {
                var pod = pods[(_roundRobin + i) % pods.Length];
                if (!pod.TryReserve()) continue;
                _roundRobin = (_roundRobin + i + 1) % pods.Length;
                return pod;
            }
        }
        return null;
    }

    private static PodTracker PowerOfTwoChoices(PodTracker[] pods)
    {
        PodTracker pick;
        if (pods.Length == 1) pick = pods[0];
        else
        {
            var a = Random.Shared.Next(pods.Length);
            var b = Random.Shared.Next(pods.Length - 1);
            if (b >= a) b++;
            var (first, second) = (pods[a], pods[b]);
            pick = first.InFlight <= second.InFlight ? first : second;
        }
        pick.TryReserve();
        return pick;
    }
}
