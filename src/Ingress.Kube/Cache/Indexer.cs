using Ingress.Kube.Client;

namespace Ingress.Kube.Cache;

/// <summary>
/// An object in the cache with its header (read once when it arrived). A dynamic object that arrived through an
/// informer is kept as frozen JSON (<see cref="CompactJson.Freeze"/>) and <see cref="Object"/> is a view of it: the
/// same view while any reader still holds it, a new one once none does, so a cache of thousands of objects does not
/// keep a node tree per object (see <see cref="CompactJson"/>). Either way the object is shared: never mutate it.
/// </summary>
public sealed class CacheEntry<T> where T : class
{
    private readonly T? _object;
    private readonly System.Text.Json.JsonElement _frozen;
    private readonly WeakReference<T>? _view;

    public CacheEntry(T @object, ObjectHeader header)
    {
        ArgumentNullException.ThrowIfNull(@object);
        _object = @object;
        Header = header;
        Key = header.Key;
    }

    /// <summary>A dynamic object kept as <paramref name="frozen"/> JSON; <paramref name="view"/> is a view of it already made.</summary>
    internal CacheEntry(System.Text.Json.JsonElement frozen, T? view, ObjectHeader header)
    {
        if (typeof(T) != typeof(System.Text.Json.Nodes.JsonObject)) throw new InvalidOperationException($"frozen JSON is kept for dynamic objects only, not {typeof(T).Name}");
        _frozen = frozen;
        _view = new WeakReference<T>(view ?? NewView());
        Header = header;
        Key = header.Key;
    }

    /// <summary>The object (for frozen JSON: a live view, or a new one).</summary>
    public T Object
    {
        get
        {
            if (_object is not null) return _object;
            if (_view!.TryGetTarget(out var view)) return view;
            // Two readers racing here may each make a view: both are correct, one is kept.
            view = NewView();
            _view.SetTarget(view);
            return view;
        }
    }

    public ObjectHeader Header { get; }

    /// <summary>"namespace/name", computed once: the item map and every index share this one string.</summary>
    public string Key { get; }

    /// <summary>True when the entry holds frozen JSON rather than the object itself.</summary>
    public bool IsFrozen => _object is null;

    private T NewView() => (T)(object)System.Text.Json.Nodes.JsonObject.Create(_frozen)!;
}

/// <summary>
/// The thread-safe, indexed store behind an informer. Built-in indexes: namespace, owner uid and label
/// ("key=value"); more with <see cref="AddIndex"/>. Objects are shared with every reader: never mutate
/// one, copy it first.
/// </summary>
public sealed class Indexer<T> where T : class
{
    public const string NamespaceIndex = "namespace";
    public const string OwnerUidIndex = "owner-uid";
    public const string LabelIndex = "label";

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, CacheEntry<T>> _items = new(StringComparer.Ordinal);
    /// <summary>
    /// Per index, value → keys. A value held by one key (e.g. label app=&lt;name&gt;, typical for most
    /// labels) stores that key string itself; a HashSet is made only for the second key. Why: 10,000
    /// one-element sets cost ~2.5 MB of a 10,000-object cache.
    /// </summary>
    private readonly Dictionary<string, (Func<CacheEntry<T>, IEnumerable<string>> Fn, Dictionary<string, object> Map)> _indexes = new(StringComparer.Ordinal);

    public Indexer()
    {
        AddIndex(NamespaceIndex, e => [e.Header.Namespace ?? ""]);
        AddIndex(OwnerUidIndex, e => e.Header.OwnerReferences.Count == 0 ? [] : e.Header.OwnerReferences.Select(o => o.Uid));
        AddIndex(LabelIndex, e => e.Header.Labels.Count == 0 ? [] : e.Header.Labels.Select(kv => $"{kv.Key}={kv.Value}"));
    }

    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try { return _items.Count; } finally { _lock.ExitReadLock(); }
        }
    }

    /// <summary>Adds an index; existing entries are indexed at once.</summary>
    public void AddIndex(string name, Func<CacheEntry<T>, IEnumerable<string>> indexFunc)
    {
        _lock.EnterWriteLock();
        try
        {
            if (_indexes.ContainsKey(name)) throw new InvalidOperationException($"index \"{name}\" exists");
            var map = new Dictionary<string, object>(StringComparer.Ordinal);
            _indexes[name] = (indexFunc, map);
            foreach (var e in _items.Values) IndexOne(indexFunc, map, e);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public CacheEntry<T>? Get(string key)
    {
        _lock.EnterReadLock();
        try { return _items.GetValueOrDefault(key); } finally { _lock.ExitReadLock(); }
    }

    public IReadOnlyList<CacheEntry<T>> List()
    {
        _lock.EnterReadLock();
        try { return [.. _items.Values]; } finally { _lock.ExitReadLock(); }
    }

    public IReadOnlyList<string> Keys()
    {
        _lock.EnterReadLock();
        try { return [.. _items.Keys]; } finally { _lock.ExitReadLock(); }
    }

    public IReadOnlyList<CacheEntry<T>> ByIndex(string index, string value)
    {
        _lock.EnterReadLock();
        try
        {
            if (!_indexes.TryGetValue(index, out var ix)) throw new InvalidOperationException($"no index \"{index}\"");
            if (!ix.Map.TryGetValue(value, out var keys)) return [];
            if (keys is string one) return [_items[one]];
            var set = (HashSet<string>)keys;
            var result = new List<CacheEntry<T>>(set.Count);
            foreach (var k in set) result.Add(_items[k]);
            return result;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Entries in <paramref name="namespace"/> (null: all) matching <paramref name="selector"/>.</summary>
    public IReadOnlyList<CacheEntry<T>> Select(string? @namespace, LabelSelector? selector)
    {
        selector ??= LabelSelector.Everything;
        _lock.EnterReadLock();
        try
        {
            IEnumerable<string> candidates;
            // Narrow by the smallest equality requirement's label index, then by namespace.
            object? best = null;
            foreach (var r in selector.Requirements)
            {
                if (r.Op != LabelSelector.Operator.Equals) continue;
                var set = _indexes[LabelIndex].Map.GetValueOrDefault($"{r.Key}={r.Values[0]}");
                if (set is null) return [];
                if (best is null || SizeOf(set) < SizeOf(best)) best = set;
            }
            if (@namespace is not null)
            {
                var nsSet = _indexes[NamespaceIndex].Map.GetValueOrDefault(@namespace);
                if (nsSet is null) return [];
                if (best is null || SizeOf(nsSet) < SizeOf(best)) best = nsSet;
            }
            candidates = best switch { null => _items.Keys, string one => [one], _ => (HashSet<string>)best };
            var result = new List<CacheEntry<T>>();
            foreach (var k in candidates)
            {
                var e = _items[k];
                if (@namespace is not null && (e.Header.Namespace ?? "") != @namespace) continue;
                if (!selector.Matches(e.Header.Labels)) continue;
                result.Add(e);
            }
            return result;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Inserts or replaces; returns the previous entry.</summary>
    public CacheEntry<T>? Upsert(CacheEntry<T> entry)
    {
        _lock.EnterWriteLock();
        try
        {
            var key = entry.Key;
            _items.TryGetValue(key, out var old);
            if (old is not null) Unindex(old);
            _items[key] = entry;
            foreach (var (fn, map) in _indexes.Values) IndexOne(fn, map, entry);
            return old;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public CacheEntry<T>? Remove(string key)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_items.Remove(key, out var old)) return null;
            Unindex(old);
            return old;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private static int SizeOf(object keys) => keys is string ? 1 : ((HashSet<string>)keys).Count;

    private void Unindex(CacheEntry<T> e)
    {
        foreach (var (fn, map) in _indexes.Values)
        {
            foreach (var v in fn(e))
            {
                if (!map.TryGetValue(v, out var keys)) continue;
                if (keys is string one)
                {
                    if (one == e.Key) map.Remove(v);
                    continue;
                }
                var set = (HashSet<string>)keys;
                set.Remove(e.Key);
                if (set.Count == 1) map[v] = set.First(); // back to the compact form
                else if (set.Count == 0) map.Remove(v);
            }
        }
    }

    private static void IndexOne(Func<CacheEntry<T>, IEnumerable<string>> fn, Dictionary<string, object> map, CacheEntry<T> e)
    {
        foreach (var v in fn(e))
        {
            if (!map.TryGetValue(v, out var keys))
            {
                map[v] = e.Key;
            }
            else if (keys is string one)
            {
                if (one != e.Key) map[v] = new HashSet<string>(StringComparer.Ordinal) { one, e.Key };
            }
            else
            {
                ((HashSet<string>)keys).Add(e.Key);
            }
        }
    }
}
