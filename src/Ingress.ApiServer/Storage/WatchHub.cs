using System.Threading.Channels;

namespace Ingress.ApiServer.Storage;

public enum WatchEventType { Added, Modified, Deleted }

internal sealed record WatchEvent(WatchEventType Type, string StorageKey, StoredObject Object, StoredObject? Old);

/// <summary>One open watch: what it wants and the queue its HTTP response drains.</summary>
internal sealed class Watcher
{
    public required string StorageKey { get; init; }
    public string? Namespace { get; init; }
    public required Func<StoredObject, bool> Matches { get; init; }
    public Channel<WatchEvent> Events { get; } = Channel.CreateUnbounded<WatchEvent>();
    /// <summary>Versions up to this one were already sent (replayed or listed as synthetic ADDED events).</summary>
    public long SkipThrough { get; init; }
    /// <summary>Completes when the synthetic ADDED events are durable; nothing is sent before.</summary>
    public required Task Ready { get; init; }

    /// <summary>Translates a store event into what this watcher sees: an object leaving the selector is
    /// DELETED for it, one entering is ADDED (the real API server does the same).</summary>
    public bool Offer(WatchEvent e, bool initial = false)
    {
        if (e.StorageKey != StorageKey) return false;
        if (!initial && e.Object.ResourceVersion <= SkipThrough) return false;
        if (Namespace is not null && e.Object.Namespace != Namespace) return false;
        var now = Matches(e.Object);
        if (e.Type == WatchEventType.Modified && e.Old is not null)
        {
            var before = Matches(e.Old);
            if (now && !before) return Events.Writer.TryWrite(e with { Type = WatchEventType.Added });
            if (!now && before) return Events.Writer.TryWrite(e with { Type = WatchEventType.Deleted });
        }
        return now && Events.Writer.TryWrite(e);
    }
}

/// <summary>Fans store events out to watchers and keeps a bounded history so watches can resume from
/// an older resourceVersion. All methods are called under the store's lock.</summary>
internal sealed class WatchHub(int historySize)
{
    private readonly WatchEvent?[] _ring = new WatchEvent?[Math.Max(16, historySize)];
    private int _next;
    private int _count;
    private readonly List<Watcher> _watchers = [];
    /// <summary>Highest resourceVersion that has fallen out of the history; a watch from below it gets 410.</summary>
    public long OldestResumable { get; private set; }

    public int WatcherCount => _watchers.Count;

    public void Publish(WatchEvent e)
    {
        var slot = _ring[_next];
        if (slot is not null) OldestResumable = slot.Object.ResourceVersion;
        _ring[_next] = e;
        _next = (_next + 1) % _ring.Length;
        if (_count < _ring.Length) _count++;
        foreach (var w in _watchers) w.Offer(e);
    }

    /// <summary>Sets the resume floor after recovery: history starts empty, so only "now" is resumable.</summary>
    public void ResetHistory(long currentRv) => OldestResumable = currentRv;

    public bool CanResumeFrom(long rv) => rv >= OldestResumable;

    /// <summary>Queues every remembered event newer than <paramref name="rv"/> for the watcher.</summary>
    public void Replay(Watcher watcher, long rv)
    {
        var start = (_next - _count + _ring.Length) % _ring.Length;
        for (var i = 0; i < _count; i++)
        {
            var e = _ring[(start + i) % _ring.Length]!;
            if (e.Object.ResourceVersion > rv) watcher.Offer(e);
        }
    }

    public void Add(Watcher w) => _watchers.Add(w);
    public void Remove(Watcher w) { _watchers.Remove(w); w.Events.Writer.TryComplete(); }
}
