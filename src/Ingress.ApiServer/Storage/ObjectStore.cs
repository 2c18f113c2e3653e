using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Ingress.ApiServer.Storage;

/// <summary>Outcome of a compare-and-swap commit.</summary>
internal enum CommitOutcome { Committed, AlreadyExists, NotFound, VersionMismatch }

/// <summary>
/// The object store: per resource (storage key group/plural) a map from namespace/name to the stored
/// object. One lock serialises writes, which also gives resourceVersion its global order; the WAL append
/// and watch fan-out happen inside it, the fsync wait outside it.
/// </summary>
internal sealed class ObjectStore : IDisposable
{
    private readonly object _sync = new();
    private readonly Dictionary<string, Dictionary<string, StoredObject>> _buckets = new(StringComparer.Ordinal);
    /// <summary>Per bucket, its objects sorted by key; dropped on every write to the bucket so repeated
    /// lists (informers, kubectl get) of an unchanged resource skip the sort.</summary>
    private readonly Dictionary<string, StoredObject[]> _sorted = new(StringComparer.Ordinal);
    /// <summary>Owner uid → objects naming it in ownerReferences, so garbage collection never scans the store.</summary>
    private readonly Dictionary<string, HashSet<(string StorageKey, string Key)>> _dependents = new(StringComparer.Ordinal);

    private void Index(string storageKey, StoredObject? before, StoredObject? after)
    {
        if (before?.OwnerUids is { } oldOwners)
            foreach (var uid in oldOwners)
                if (_dependents.TryGetValue(uid, out var set) && set.Remove((storageKey, before.Key)) && set.Count == 0) _dependents.Remove(uid);
        if (after?.OwnerUids is { } newOwners)
            foreach (var uid in newOwners)
            {
                if (!_dependents.TryGetValue(uid, out var set)) _dependents[uid] = set = [];
                set.Add((storageKey, after.Key));
            }
    }

    /// <summary>Objects whose ownerReferences name <paramref name="ownerUid"/>.</summary>
    public List<(string StorageKey, StoredObject Obj)> DependentsOf(string ownerUid)
    {
        lock (_sync)
        {
            var result = new List<(string, StoredObject)>();
            if (!_dependents.TryGetValue(ownerUid, out var set)) return result;
            foreach (var (storageKey, key) in set)
                if (_buckets.TryGetValue(storageKey, out var b) && b.TryGetValue(key, out var o)) result.Add((storageKey, o));
            return result;
        }
    }

    /// <summary>Whether an object with this uid exists (owner liveness for garbage collection).</summary>
    public bool UidExists(string storageKey, string ns, string name, string uid)
    {
        lock (_sync) return _buckets.TryGetValue(storageKey, out var b) && b.TryGetValue(KeyOf(ns, name), out var o) && o.Uid == uid;
    }
    private readonly WatchHub _hub;
    private readonly WriteAheadLog? _wal;
    private readonly int _snapshotEvery;
    private readonly ILogger _log;
    private long _rv;
    private int _snapshotRunning;

    /// <summary>
    /// How far ahead of the current version a durable reservation reaches. Watch events (and bookmarks)
    /// go out when a write commits, before its WAL record is on disk, so after kill -9 a watcher may hold
    /// a version the log never got. If the restarted server handed that version out again, a watch
    /// resumed from it would skip the new write stored under it. So no version is shown before a WAL
    /// Reserve record covering it is durable, and recovery resumes above the last reservation: every
    /// version seen before a crash is then older than the new history and answered 410 (relist).
    /// Default 10,000: one fsync per 10,000 writes, taken ahead of need (half-way) so writers do not wait.
    /// </summary>
    internal const long ReservationSpan = 10_000;
    /// <summary>Highest version covered by a durable Reserve record (long.MaxValue without a WAL).</summary>
    private long _reservedDurable = long.MaxValue;
    private long _reservationPendingTo;
    private Task? _reservationPending;
    /// <summary>Highest resourceVersion whose WAL record is fsynced (every version without a WAL).</summary>
    private long _durableRv;
    /// <summary>Completes when the last record appended so far is fsynced; batches complete in order, so
    /// this covers every earlier version too.</summary>
    private Task _lastAppend = Task.CompletedTask;

    public ObjectStore(int watchHistory, WriteAheadLog? wal, int snapshotEvery, ILogger log)
    {
        _hub = new WatchHub(watchHistory);
        _wal = wal;
        _snapshotEvery = snapshotEvery;
        _log = log;
        if (wal is not null) wal.Durable = PublishDurable;
    }

    /// <summary>Runs on the WAL writer thread after an fsync: only now do watchers see the changes.</summary>
    private void PublishDurable(List<object> events)
    {
        lock (_sync)
        {
            foreach (WatchEvent e in events)
            {
                _hub.Publish(e);
                _durableRv = Math.Max(_durableRv, e.Object.ResourceVersion);
            }
        }
    }

    /// <summary>Appends to the WAL (when there is one) and publishes the watch event once the record is on
    /// disk; without a WAL the event is published at once. Called under the lock.</summary>
    private Task AppendAndPublish(WalRecord record, WatchEvent e)
    {
        if (_wal is null)
        {
            _hub.Publish(e);
            _durableRv = record.ResourceVersion;
            return Task.CompletedTask;
        }
        return _lastAppend = _wal.Append(record, e);
    }

    /// <summary>Completes once every change up to <paramref name="rv"/> is durable, so what a list or a
    /// watch shows can never be lost by a crash.</summary>
    public Task WhenDurable(long rv)
    {
        lock (_sync) return rv <= _durableRv ? Task.CompletedTask : _lastAppend;
    }

    /// <summary>Highest version published to watchers (tests: a change not yet durable is not published).</summary>
    public long PublishedResourceVersion { get { lock (_sync) return _durableRv; } }

    public long CurrentResourceVersion { get { lock (_sync) return _rv; } }
    public int WatcherCount { get { lock (_sync) return _hub.WatcherCount; } }
    public int Count { get { lock (_sync) return _buckets.Values.Sum(b => b.Count); } }

    /// <summary>Replays the WAL into memory (before the server accepts requests).</summary>
    public void Recover()
    {
        if (_wal is null) return;
        long reserved = 0;
        _wal.Recover(r =>
        {
            if (r.Op == WalOp.Reserve)
            {
                reserved = Math.Max(reserved, r.ResourceVersion);
                return;
            }
            _rv = Math.Max(_rv, r.ResourceVersion);
            if (r.Op == WalOp.SnapshotEnd) return;
            var bucket = Bucket(r.StorageKey);
            _sorted.Remove(r.StorageKey);
            var key = r.Namespace.Length == 0 ? r.Name : r.Namespace + "/" + r.Name;
            bucket.TryGetValue(key, out var before);
            if (r.Op == WalOp.Put)
            {
                var after = StoredObject.FromBytes(r.Json!, r.ResourceVersion);
                bucket[key] = after;
                Index(r.StorageKey, before, after);
            }
            else
            {
                bucket.Remove(key);
                Index(r.StorageKey, before, null);
            }
        });
        // Versions up to the reservation may have been shown and then lost with the crash: start above
        // them, so a watch resuming from any of them gets 410 instead of a replay that skips writes.
        if (reserved > _rv) _rv = reserved + 1;
        _hub.ResetHistory(_rv);
        _durableRv = _rv;
        lock (_sync)
        {
            _reservedDurable = _rv;
            EnsureReservedLocked(_rv + 1);
        }
    }

    /// <summary>
    /// Makes sure <paramref name="rv"/> is covered by a durable reservation before it is used (waits for
    /// an fsync only when the reservation taken ahead of need is not yet on disk), and starts the next
    /// reservation once half of the current one is used. Called under the store lock.
    /// </summary>
    private void EnsureReservedLocked(long rv)
    {
        if (_wal is null) return;
        if (_reservationPending is { IsCompleted: true } done)
        {
            done.GetAwaiter().GetResult(); // a failed WAL write surfaces here
            _reservedDurable = Math.Max(_reservedDurable, _reservationPendingTo);
            _reservationPending = null;
        }
        if (rv > _reservedDurable)
        {
            if (_reservationPending is null || _reservationPendingTo < rv) StartReservationLocked(rv + ReservationSpan);
            _reservationPending!.GetAwaiter().GetResult();
            _reservedDurable = _reservationPendingTo;
            _reservationPending = null;
        }
        if (_reservationPending is null && rv > _reservedDurable - ReservationSpan / 2) StartReservationLocked(_reservedDurable + ReservationSpan);
    }

    private void StartReservationLocked(long upTo)
    {
        _reservationPendingTo = upTo;
        _reservationPending = _wal!.Append(new WalRecord(WalOp.Reserve, upTo, "", "", "", null));
    }

    /// <summary>The reservation a snapshot must carry: the segments holding it are deleted once it is written.</summary>
    private long ReservationForSnapshotLocked() =>
        _wal is null ? 0 : Math.Max(_reservedDurable == long.MaxValue ? 0 : _reservedDurable, _reservationPending is null ? 0 : _reservationPendingTo);

    private Dictionary<string, StoredObject> Bucket(string storageKey)
    {
        if (!_buckets.TryGetValue(storageKey, out var b)) _buckets[storageKey] = b = new Dictionary<string, StoredObject>(StringComparer.Ordinal);
        return b;
    }

    private static string KeyOf(string ns, string name) => ns.Length == 0 ? name : ns + "/" + name;

    public StoredObject? Get(string storageKey, string ns, string name)
    {
        lock (_sync) return _buckets.TryGetValue(storageKey, out var b) ? b.GetValueOrDefault(KeyOf(ns, name)) : null;
    }

    /// <summary>Objects of one resource (optionally one namespace), sorted by key, and the store's version.</summary>
    public (List<StoredObject> Items, long ResourceVersion) List(string storageKey, string? ns)
    {
        StoredObject[]? sorted;
        long rv;
        lock (_sync)
        {
            rv = _rv;
            if (!_buckets.TryGetValue(storageKey, out var b)) return ([], rv);
            if (!_sorted.TryGetValue(storageKey, out sorted))
            {
                sorted = new StoredObject[b.Count];
                b.Values.CopyTo(sorted, 0);
                Array.Sort(sorted, static (x, y) => string.CompareOrdinal(x.Key, y.Key));
                _sorted[storageKey] = sorted;
            }
        }
        var items = new List<StoredObject>(ns is null ? sorted.Length : 16);
        foreach (var o in sorted) if (ns is null || o.Namespace == ns) items.Add(o);
        return (items, rv);
    }

    /// <summary>Every object of every resource (for GC scans and namespace deletion).</summary>
    public List<(string StorageKey, StoredObject Obj)> All()
    {
        lock (_sync)
        {
            var all = new List<(string, StoredObject)>();
            foreach (var (k, b) in _buckets) foreach (var o in b.Values) all.Add((k, o));
            return all;
        }
    }

    /// <summary>
    /// Compare-and-swap write. <paramref name="expectedRv"/>: 0 means "must not exist" (create), a
    /// positive value means "must be exactly this version". <paramref name="newObject"/> null deletes.
    /// On success the object's metadata.resourceVersion is set to the new version.
    /// </summary>
    public (CommitOutcome Outcome, StoredObject? Stored, Task Durable) Commit(string storageKey, string ns, string name,
        long expectedRv, JsonObject? newObject)
    {
        Task durable;
        StoredObject stored;
        lock (_sync)
        {
            var bucket = Bucket(storageKey);
            var key = KeyOf(ns, name);
            bucket.TryGetValue(key, out var current);
            _sorted.Remove(storageKey);
            if (expectedRv == 0 && current is not null) return (CommitOutcome.AlreadyExists, current, Task.CompletedTask);
            if (expectedRv > 0 && current is null) return (CommitOutcome.NotFound, null, Task.CompletedTask);
            if (expectedRv > 0 && current!.ResourceVersion != expectedRv) return (CommitOutcome.VersionMismatch, current, Task.CompletedTask);
            EnsureReservedLocked(_rv + 1);
            var rv = ++_rv;
            if (newObject is null)
            {
                // The DELETED event carries the last state with the deletion's resourceVersion.
                var last = current!.ToJsonObject();
                last["metadata"]!["resourceVersion"] = rv.ToString();
                var lastBytes = StoredObject.Serialize(last);
                stored = StoredObject.From(last, lastBytes, rv);
                bucket.Remove(key);
                Index(storageKey, current, null);
                durable = AppendAndPublish(new WalRecord(WalOp.Delete, rv, storageKey, ns, name, null),
                    new WatchEvent(WatchEventType.Deleted, storageKey, stored, current));
            }
            else
            {
                ((JsonObject)newObject["metadata"]!)["resourceVersion"] = rv.ToString();
                var bytes = StoredObject.Serialize(newObject);
                stored = StoredObject.From(newObject, bytes, rv);
                bucket[key] = stored;
                Index(storageKey, current, stored);
                durable = AppendAndPublish(new WalRecord(WalOp.Put, rv, storageKey, ns, name, bytes),
                    new WatchEvent(current is null ? WatchEventType.Added : WatchEventType.Modified, storageKey, stored, current));
            }
            MaybeSnapshot();
        }
        return (CommitOutcome.Committed, stored, durable);
    }

    /// <summary>
    /// Stores <paramref name="obj"/> as given, replacing any stored object of that name: no create or update
    /// semantics. A numeric metadata.resourceVersion is kept (the store's counter moves up to it so later
    /// writes stay newer); a missing or non-numeric one gets the next version. Published as ADDED/MODIFIED.
    /// </summary>
    public StoredObject Load(string storageKey, string ns, string name, JsonObject obj)
    {
        StoredObject stored;
        lock (_sync)
        {
            var bucket = Bucket(storageKey);
            var key = KeyOf(ns, name);
            bucket.TryGetValue(key, out var current);
            _sorted.Remove(storageKey);
            var meta = (JsonObject)obj["metadata"]!;
            long rv;
            if (meta["resourceVersion"] is JsonValue v && long.TryParse(v.ToString(), out var given) && given > 0)
            {
                EnsureReservedLocked(Math.Max(_rv, given));
                rv = given;
                _rv = Math.Max(_rv, given);
            }
            else
            {
                EnsureReservedLocked(_rv + 1);
                rv = ++_rv;
                meta["resourceVersion"] = rv.ToString();
            }
            var bytes = StoredObject.Serialize(obj);
            stored = StoredObject.From(obj, bytes, rv);
            bucket[key] = stored;
            Index(storageKey, current, stored);
            AppendAndPublish(new WalRecord(WalOp.Put, rv, storageKey, ns, name, bytes),
                new WatchEvent(current is null ? WatchEventType.Added : WatchEventType.Modified, storageKey, stored, current));
            MaybeSnapshot();
        }
        return stored;
    }

    private void MaybeSnapshot()
    {
        if (_wal is null || _wal.RecordsSinceSnapshot < _snapshotEvery) return;
        if (Interlocked.CompareExchange(ref _snapshotRunning, 1, 0) != 0) return;
        var seq = _wal.Rotate();
        var rv = _rv;
        var reserved = ReservationForSnapshotLocked();
        var objects = new List<(string, StoredObject)>();
        foreach (var (k, b) in _buckets) foreach (var o in b.Values) objects.Add((k, o));
        _ = Task.Run(() =>
        {
            try { _wal.WriteSnapshot(seq, rv, objects, reserved); }
            catch (Exception ex) { _log.LogError(ex, "Snapshot {Seq} failed", seq); }
            finally { Volatile.Write(ref _snapshotRunning, 0); }
        });
    }

    /// <summary>Writes a snapshot now (used on clean shutdown so restart replays little).</summary>
    public void SnapshotNow()
    {
        if (_wal is null) return;
        int seq;
        long rv;
        List<(string, StoredObject)> objects;
        lock (_sync)
        {
            if (_wal.RecordsSinceSnapshot == 0) return;
            seq = _wal.Rotate();
            rv = _rv;
            objects = [];
            foreach (var (k, b) in _buckets) foreach (var o in b.Values) objects.Add((k, o));
            // A clean shutdown: every version shown so far is in this snapshot, so it carries no
            // reservation and a restart continues at exactly this version. Should a write still come,
            // it takes a fresh reservation first (the old one goes with the deleted segments).
            _reservedDurable = _rv;
            _reservationPending = null;
        }
        _wal.WriteSnapshot(seq, rv, objects);
    }

    /// <summary>Opens a watch. <paramref name="fromRv"/> null means "now, with synthetic ADDED events for
    /// what exists"; otherwise every change after that version is replayed first. Null result means the
    /// version is too old (410 Gone).</summary>
    /// <remarks>Events reach the watcher only once durable. The synthetic ADDED events come from memory,
    /// which may hold versions not yet fsynced: <see cref="Watcher.Ready"/> completes when they are, and the
    /// caller sends nothing before it. Later publications of those same versions are skipped.</remarks>
    public Watcher? Watch(string storageKey, string? ns, Func<StoredObject, bool> matches, long? fromRv)
    {
        lock (_sync)
        {
            Watcher w;
            if (fromRv is { } rv)
            {
                if (!_hub.CanResumeFrom(rv)) return null;
                w = new Watcher { StorageKey = storageKey, Namespace = ns, Matches = matches, SkipThrough = rv, Ready = Task.CompletedTask };
                _hub.Replay(w, rv);
            }
            else
            {
                w = new Watcher { StorageKey = storageKey, Namespace = ns, Matches = matches, SkipThrough = _rv,
                    Ready = _rv <= _durableRv ? Task.CompletedTask : _lastAppend };
                if (_buckets.TryGetValue(storageKey, out var b))
                    foreach (var o in b.Values.OrderBy(o => o.ResourceVersion))
                        w.Offer(new WatchEvent(WatchEventType.Added, storageKey, o, null), initial: true);
            }
            _hub.Add(w);
            return w;
        }
    }

    public void Unwatch(Watcher w) { lock (_sync) _hub.Remove(w); }

    public void Dispose()
    {
        _wal?.Dispose();
    }
}
