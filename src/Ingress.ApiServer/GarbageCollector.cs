using System.Text.Json.Nodes;
using System.Threading.Channels;
using Ingress.ApiServer.Storage;

namespace Ingress.ApiServer;

/// <summary>
/// ownerReference garbage collection. Background: once an owner is gone its dependents are deleted
/// (or, when they have other live owners, lose the reference). Foreground: the owner carries the
/// foregroundDeletion finalizer until its dependents are gone. Orphan: dependents lose the reference
/// before the owner is deleted. Namespace deletion removes everything in the namespace. Work runs on
/// one background loop so deletes return without waiting for cascades.
/// </summary>
internal sealed class GarbageCollector
{
    private readonly ResourceService _service;
    private readonly ObjectStore _store;
    private readonly ResourceRegistry _registry;
    private readonly Channel<Func<Task>> _work = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private int _pending;

    public GarbageCollector(ResourceService service, ObjectStore store, ResourceRegistry registry)
    {
        _service = service;
        _store = store;
        _registry = registry;
        _ = Task.Run(RunAsync);
    }

    /// <summary>Work items queued or running (tests wait for 0 instead of sleeping).</summary>
    public int Pending => Volatile.Read(ref _pending);

    private void Enqueue(Func<Task> work)
    {
        Interlocked.Increment(ref _pending);
        _work.Writer.TryWrite(work);
    }

    private async Task RunAsync()
    {
        await foreach (var work in _work.Reader.ReadAllAsync())
        {
            try { await work().ConfigureAwait(false); }
            catch (ApiException) { /* the object changed under us; the next event retries */ }
            catch (Exception) { /* never let one bad object stop collection */ }
            finally { Interlocked.Decrement(ref _pending); }
        }
    }

    public void Stop() => _work.Writer.TryComplete();

    private List<(ResourceType Type, StoredObject Obj)> DependentsOf(string uid, string ns)
    {
        var result = new List<(ResourceType, StoredObject)>();
        foreach (var (key, o) in _store.All())
        {
            if (o.OwnerUids is null || !o.OwnerUids.Contains(uid)) continue;
            if (ns.Length > 0 && o.Namespace != ns) continue;
            if (_registry.FindByStorageKey(key) is { } t) result.Add((t, o));
        }
        return result;
    }

    public bool HasDependents(StoredObject owner) => DependentsOf(owner.Uid, owner.Namespace).Count > 0;

    private HashSet<string> LiveUids() => _store.All().Select(x => x.Obj.Uid).ToHashSet(StringComparer.Ordinal);

    public void OwnerDeleted(ResourceType rt, StoredObject owner, PropagationPolicy policy)
    {
        if (policy == PropagationPolicy.Orphan) return;
        Enqueue(() => CollectDependentsAsync(owner.Uid, owner.Namespace, PropagationPolicy.Background));
    }

    private async Task CollectDependentsAsync(string ownerUid, string ns, PropagationPolicy policy)
    {
        var live = LiveUids();
        foreach (var (t, o) in DependentsOf(ownerUid, ns))
        {
            var otherLiveOwner = o.OwnerUids!.Any(u => u != ownerUid && live.Contains(u));
            if (otherLiveOwner) await RemoveOwnerReferenceAsync(t, o, ownerUid).ConfigureAwait(false);
            else
            {
                try { await _service.DeleteAsync(t, o.Namespace, o.Name, policy, o.Uid, null, new WriteOptions(false, "garbage-collector"), admit: false).ConfigureAwait(false); }
                catch (ApiException e) when (e.Reason is StatusReason.NotFound or StatusReason.Conflict) { }
            }
        }
    }

    private async Task RemoveOwnerReferenceAsync(ResourceType t, StoredObject o, string ownerUid)
    {
        try
        {
            await _service.UpdateAsync(t, o.Namespace, o.Name, null, new WriteOptions(false, null), cur =>
            {
                if (cur["metadata"]?["ownerReferences"] is JsonArray refs)
                {
                    foreach (var r in refs.Where(r => r?["uid"]?.ToString() == ownerUid).ToList()) refs.Remove(r);
                    if (refs.Count == 0) ((JsonObject)cur["metadata"]!).Remove("ownerReferences");
                }
                return cur;
            }, admit: false).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.Reason is StatusReason.NotFound) { }
    }

    public async Task OrphanDependentsAsync(StoredObject owner)
    {
        foreach (var (t, o) in DependentsOf(owner.Uid, owner.Namespace))
            await RemoveOwnerReferenceAsync(t, o, owner.Uid).ConfigureAwait(false);
    }

    /// <summary>Deletes dependents of an owner being deleted in the foreground, then drops its
    /// foregroundDeletion finalizer once none remain.</summary>
    public void ForegroundPending(ResourceType rt, StoredObject owner)
    {
        Enqueue(async () =>
        {
            var dependents = DependentsOf(owner.Uid, owner.Namespace);
            if (dependents.Count > 0)
            {
                await CollectDependentsAsync(owner.Uid, owner.Namespace, PropagationPolicy.Foreground).ConfigureAwait(false);
                _ = Task.Delay(50).ContinueWith(_ => ForegroundPending(rt, owner), TaskScheduler.Default);
                return;
            }
            try
            {
                await _service.UpdateAsync(rt, owner.Namespace, owner.Name, null, new WriteOptions(false, null), cur =>
                {
                    if (cur["metadata"]?["finalizers"] is JsonArray f)
                        foreach (var x in f.Where(x => x?.ToString() == "foregroundDeletion").ToList()) f.Remove(x);
                    return cur;
                }, admit: false).ConfigureAwait(false);
            }
            catch (ApiException) { }
        });
    }

    public void NamespaceDeleted(string ns)
    {
        Enqueue(async () =>
        {
            foreach (var (key, o) in _store.All())
            {
                if (o.Namespace != ns || _registry.FindByStorageKey(key) is not { Namespaced: true } t) continue;
                try { await _service.DeleteAsync(t, ns, o.Name, PropagationPolicy.Background, null, null, new WriteOptions(false, "namespace-controller"), admit: false).ConfigureAwait(false); }
                catch (ApiException) { }
            }
            // The namespace itself goes once it is empty (objects with finalizers keep it Terminating).
            var nsType = _registry.Find("", "v1", "namespaces")!;
            var remaining = _store.All().Any(x => x.Obj.Namespace == ns && _registry.FindByStorageKey(x.StorageKey) is { Namespaced: true });
            if (remaining) { _ = Task.Delay(200).ContinueWith(_ => NamespaceDeleted(ns), TaskScheduler.Default); return; }
            try
            {
                await _service.UpdateAsync(nsType, "", ns, null, new WriteOptions(false, null), cur =>
                {
                    ((JsonObject)cur["metadata"]!).Remove("finalizers");
                    return cur;
                }, admit: false).ConfigureAwait(false);
            }
            catch (ApiException) { }
        });
    }
}
