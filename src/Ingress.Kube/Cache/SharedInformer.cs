using System.Diagnostics;
using System.Threading.Channels;
using Ingress.Kube.Client;
using Ingress.Kube.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ingress.Kube.Cache;

/// <summary>What an informer lists and watches: a namespace (null: all), and server-side selectors.</summary>
public sealed record InformerScope(string? Namespace = null, string? LabelSelector = null, string? FieldSelector = null)
{
    public static readonly InformerScope All = new();
    public override string ToString() => $"ns={Namespace ?? "*"} labels={LabelSelector ?? ""} fields={FieldSelector ?? ""}";
}

public sealed class InformerOptions
{
    /// <summary>First delay after a failed list or watch. Default 0.8 s, client-go's reflector backoff.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(800);
    /// <summary>Cap of that delay. Default 30 s, client-go's reflector backoff.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// Items per list page. Default 100, where kubectl and client-go use 500: a page is read and parsed as one
    /// document in buffers rented from the shared array pool, which keeps them after the list (a Deployment of a Knative
    /// Revision is about 4.4 KB of JSON: 500 are a 2.2 MB page). Measured with 200 Services: 5 MiB of 0.5–2 MiB buffers
    /// stayed in the pool after the controller's first lists. Pages of 100 keep each page under about 0.5 MB, for a few
    /// more requests per relist.
    /// </summary>
    public int PageSize { get; init; } = 100;
    /// <summary>
    /// Shortest server-side watch timeout; each watch asks for a random value between this and twice it.
    /// Default 5 min, client-go's: watches are spread out so a restart does not make them all reconnect at once.
    /// </summary>
    public TimeSpan MinWatchTimeout { get; init; } = TimeSpan.FromMinutes(5);
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>Callbacks of an informer, delivered in order on one task per handler.</summary>
public interface IResourceEventHandler<in T>
{
    void OnAdd(T obj, ObjectHeader header, bool isInInitialList);
    /// <summary><paramref name="isResync"/>: a periodic resync, not a change (old and new are the same object).</summary>
    void OnUpdate(T oldObj, T newObj, ObjectHeader header, bool isResync);
    void OnDelete(T obj, ObjectHeader header);
}

/// <summary>An <see cref="IResourceEventHandler{T}"/> from delegates.</summary>
public sealed class ResourceEventHandler<T> : IResourceEventHandler<T>
{
    public Action<T, ObjectHeader, bool>? Add { get; init; }
    public Action<T, T, ObjectHeader, bool>? Update { get; init; }
    public Action<T, ObjectHeader>? Delete { get; init; }

    public void OnAdd(T obj, ObjectHeader header, bool isInInitialList) => Add?.Invoke(obj, header, isInInitialList);
    public void OnUpdate(T oldObj, T newObj, ObjectHeader header, bool isResync) => Update?.Invoke(oldObj, newObj, header, isResync);
    public void OnDelete(T obj, ObjectHeader header) => Delete?.Invoke(obj, header);
}

public interface ISharedInformer
{
    ResourceDescriptor Resource { get; }
    InformerScope Scope { get; }
    bool HasSynced { get; }
    string LastResourceVersion { get; }
    /// <summary>Objects in the cache now (memory diagnostics).</summary>
    int CachedObjects { get; }
    Task RunAsync(CancellationToken ct);
    Task WaitForSyncAsync(CancellationToken ct);
}

/// <summary>
/// One list+watch of a resource, a cache, and handlers. Resumes the watch from the last resourceVersion,
/// relists on 410 Gone, accepts bookmarks, reconnects with backoff (0.8 s doubling to 30 s), and resyncs
/// each handler on its own period.
/// </summary>
public sealed class SharedInformer<T> : ISharedInformer where T : class
{
    private readonly ResourceClient<T> _client;
    private readonly InformerOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _handlersGate = new();
    private readonly List<Listener> _listeners = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly KeyValuePair<string, object?> _resourceTag;
    private volatile string _lastResourceVersion = "";
    private int _running;

    public SharedInformer(ResourceClient<T> client, InformerScope? scope = null, InformerOptions? options = null, ILogger? logger = null)
    {
        // Typed cached objects share repeated strings (StringPool); dynamic ones are kept as frozen JSON (CompactJson).
        _client = client.ForCache();
        Scope = scope ?? InformerScope.All;
        _options = options ?? new InformerOptions();
        _logger = logger ?? client.Client.LoggerFactory.CreateLogger("Ingress.Kube.Informer");
        Indexer = new Indexer<T>();
        Lister = new Lister<T>(Indexer);
        _resourceTag = new("resource", client.Resource.GroupResource);
    }

    public ResourceDescriptor Resource => _client.Resource;
    public InformerScope Scope { get; }
    public Indexer<T> Indexer { get; }
    public Lister<T> Lister { get; }
    public bool HasSynced => _synced.Task.IsCompletedSuccessfully;
    public string LastResourceVersion => _lastResourceVersion;
    public int CachedObjects => Indexer.Count;

    /// <summary>Counts of what happened, for tests and diagnostics.</summary>
    public int ListCount { get; private set; }
    public int WatchCount { get; private set; }

    public Task WaitForSyncAsync(CancellationToken ct) => _synced.Task.WaitAsync(ct);

    /// <summary>
    /// Adds a handler. Objects already cached are replayed to it as adds. With <paramref name="resyncPeriod"/>,
    /// every cached object is delivered again as an update with isResync=true on that period.
    /// </summary>
    public void AddEventHandler(IResourceEventHandler<T> handler, TimeSpan? resyncPeriod = null)
    {
        var listener = new Listener(this, handler);
        lock (_handlersGate)
        {
            _listeners.Add(listener);
            foreach (var e in Indexer.List())
            {
                listener.Post(new Notification(NotificationKind.Add, null, e.Object, e.Header, true));
            }
        }
        listener.Start(_lifetime.Token);
        if (resyncPeriod is { } period && period > TimeSpan.Zero)
        {
            _ = ResyncLoopAsync(listener, period, _lifetime.Token);
        }
    }

    /// <summary>Delivers every cached object to every handler as a resync (e.g. a configuration change).</summary>
    public void ResyncAll()
    {
        lock (_handlersGate)
        {
            foreach (var l in _listeners) ResyncLocked(l);
        }
    }

    private async Task ResyncLoopAsync(Listener listener, TimeSpan period, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(period, _options.Time, ct).ConfigureAwait(false);
                if (!HasSynced) continue;
                lock (_handlersGate) ResyncLocked(listener);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void ResyncLocked(Listener l)
    {
        foreach (var e in Indexer.List())
        {
            l.Post(new Notification(NotificationKind.Update, e.Object, e.Object, e.Header, true));
        }
    }

    /// <summary>Runs the reflector until <paramref name="ct"/> is cancelled. Call once.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _running, 1) == 1) throw new InvalidOperationException("informer already running");
        using var reg = ct.Register(() => _lifetime.Cancel());
        var backoff = _options.InitialBackoff;
        var needList = true;
        var listReason = "initial";
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    if (needList)
                    {
                        await ListAndReplaceAsync(listReason, ct).ConfigureAwait(false);
                        needList = false;
                        backoff = _options.InitialBackoff;
                    }
                    var started = _options.Time.GetTimestamp();
                    var events = await WatchOnceAsync(ct).ConfigureAwait(false);
                    KubeMetrics.InformerWatchRestarts.Add(1, _resourceTag, new("reason", "closed"));
                    if (events > 0)
                    {
                        backoff = _options.InitialBackoff;
                    }
                    else if (_options.Time.GetElapsedTime(started) < TimeSpan.FromSeconds(1))
                    {
                        // A watch that closes at once with nothing in it: do not spin.
                        await DelayAsync(backoff, ct).ConfigureAwait(false);
                        backoff = Grow(backoff);
                    }
                }
                catch (GoneException)
                {
                    Log.WatchGone(_logger, Resource.GroupResource, _lastResourceVersion);
                    KubeMetrics.InformerWatchRestarts.Add(1, _resourceTag, new("reason", "gone"));
                    needList = true;
                    listReason = "gone";
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    var delay = Jitter(backoff);
                    Log.ListWatchFailed(_logger, ex, Resource.GroupResource, delay.TotalMilliseconds);
                    KubeMetrics.InformerWatchRestarts.Add(1, _resourceTag, new("reason", "error"));
                    if (needList) listReason = "retry";
                    await DelayAsync(delay, ct).ConfigureAwait(false);
                    backoff = Grow(backoff);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            _lifetime.Cancel();
            Interlocked.Exchange(ref _running, 0);
        }
    }

    private TimeSpan Grow(TimeSpan b) => TimeSpan.FromTicks(Math.Min(b.Ticks * 2, _options.MaxBackoff.Ticks));

    private TimeSpan Jitter(TimeSpan b) => TimeSpan.FromTicks(Math.Min((long)(b.Ticks * (1 + 0.2 * Random.Shared.NextDouble())), _options.MaxBackoff.Ticks));

    private Task DelayAsync(TimeSpan d, CancellationToken ct) => Task.Delay(d, _options.Time, ct);

    private async Task ListAndReplaceAsync(string reason, CancellationToken ct)
    {
        var list = await _client.ListAllAsync(Scope.Namespace,
            new ListOptions(Scope.LabelSelector, Scope.FieldSelector, _options.PageSize), ct).ConfigureAwait(false);
        ListCount++;
        KubeMetrics.InformerLists.Add(1, _resourceTag, new("reason", reason));
        var initial = !HasSynced;
        lock (_handlersGate)
        {
            var seen = new HashSet<string>(list.Items.Count, StringComparer.Ordinal);
            for (var i = 0; i < list.Items.Count; i++)
            {
                var entry = list.Frozen.Count > 0
                    ? new CacheEntry<T>(list.Frozen[i], list.Items[i], list.Headers[i])
                    : new CacheEntry<T>(Strip(list.Items[i]), list.Headers[i]);
                seen.Add(entry.Key);
                var old = Indexer.Upsert(entry);
                if (old is null)
                {
                    Notify(new Notification(NotificationKind.Add, null, entry.Object, entry.Header, initial));
                }
                else if (old.Header.ResourceVersion != entry.Header.ResourceVersion)
                {
                    Notify(new Notification(NotificationKind.Update, old.Object, entry.Object, entry.Header, false));
                }
            }
            foreach (var key in Indexer.Keys())
            {
                if (seen.Contains(key)) continue;
                if (Indexer.Remove(key) is { } gone)
                {
                    Notify(new Notification(NotificationKind.Delete, null, gone.Object, gone.Header, false));
                }
            }
        }
        _lastResourceVersion = list.ResourceVersion;
        Log.Listed(_logger, Resource.GroupResource, list.Items.Count, list.ResourceVersion, reason);
        _synced.TrySetResult();
    }

    private async Task<int> WatchOnceAsync(CancellationToken ct)
    {
        WatchCount++;
        var timeout = _options.MinWatchTimeout * (1 + Random.Shared.NextDouble());
        var events = 0;
        var options = new WatchOptions(_lastResourceVersion, Scope.LabelSelector, Scope.FieldSelector, AllowBookmarks: true, ServerTimeout: timeout);
        await foreach (var ev in _client.WatchAsync(Scope.Namespace, options, ct).ConfigureAwait(false))
        {
            events++;
            Apply(ev);
            if (!string.IsNullOrEmpty(ev.Header.ResourceVersion))
            {
                _lastResourceVersion = ev.Header.ResourceVersion;
            }
        }
        return events;
    }

    private void Apply(WatchEvent<T> ev)
    {
        KubeMetrics.InformerEvents.Add(1, _resourceTag, new("type", ev.Type.ToString()));
        if (ev.Type == WatchEventType.Bookmark) return;
        lock (_handlersGate)
        {
            var entry = ev.Frozen is { } frozen ? new CacheEntry<T>(frozen, ev.Object, ev.Header) : new CacheEntry<T>(Strip(ev.Object!), ev.Header);
            if (ev.Type == WatchEventType.Deleted)
            {
                var old = Indexer.Remove(entry.Key);
                Notify(new Notification(NotificationKind.Delete, null, entry.Object, entry.Header, false));
                _ = old;
                return;
            }
            var previous = Indexer.Upsert(entry);
            Notify(previous is null
                ? new Notification(NotificationKind.Add, null, entry.Object, entry.Header, false)
                : new Notification(NotificationKind.Update, previous.Object, entry.Object, entry.Header, false));
        }
    }

    /// <summary>
    /// Drops metadata.managedFields from typed objects before caching: they are large and no controller
    /// reads them (Knative's informers drop them too), and an update that omits them leaves the server's as they
    /// are. Dynamic objects are frozen without them (<see cref="CompactJson.Freeze"/>).
    /// </summary>
    private static T Strip(T obj)
    {
        if (obj is Ingress.Api.IKubernetesObject typed) typed.Metadata.ManagedFields = null;
        return obj;
    }

    private void Notify(Notification n)
    {
        foreach (var l in _listeners) l.Post(n);
    }

    private enum NotificationKind { Add, Update, Delete }

    private readonly record struct Notification(NotificationKind Kind, T? Old, T New, ObjectHeader Header, bool Flag);

    /// <summary>One handler's ordered, unbounded mailbox (client-go's processorListener).</summary>
    private sealed class Listener(SharedInformer<T> owner, IResourceEventHandler<T> handler)
    {
        private readonly Channel<Notification> _channel = Channel.CreateUnbounded<Notification>(new UnboundedChannelOptions { SingleReader = true });

        public void Post(Notification n) => _channel.Writer.TryWrite(n);

        public void Start(CancellationToken ct) => _ = Task.Run(() => RunAsync(ct), CancellationToken.None);

        private async Task RunAsync(CancellationToken ct)
        {
            try
            {
                while (await _channel.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
                {
                    while (_channel.Reader.TryRead(out var n))
                    {
                        try
                        {
                            switch (n.Kind)
                            {
                                case NotificationKind.Add: handler.OnAdd(n.New, n.Header, n.Flag); break;
                                case NotificationKind.Update: handler.OnUpdate(n.Old!, n.New, n.Header, n.Flag); break;
                                case NotificationKind.Delete: handler.OnDelete(n.New, n.Header); break;
                            }
                        }
                        catch (Exception ex)
                        {
                            Log.HandlerFailed(owner._logger, ex, owner.Resource.GroupResource);
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}

/// <summary>Read access to an informer's cache. Returned objects are shared: copy before changing.</summary>
public sealed class Lister<T>(Indexer<T> indexer) where T : class
{
    public Indexer<T> Indexer => indexer;

    public T? Get(string? @namespace, string name) => indexer.Get(ObjectKey.Of(@namespace, name))?.Object;

    public CacheEntry<T>? GetEntry(string key) => indexer.Get(key);

    public IReadOnlyList<T> List(string? @namespace = null, LabelSelector? selector = null) =>
        indexer.Select(@namespace, selector).Select(e => e.Object).ToList();

    /// <summary>Objects that name <paramref name="ownerUid"/> in their ownerReferences.</summary>
    public IReadOnlyList<T> ListByOwner(string ownerUid) => indexer.ByIndex(Indexer<T>.OwnerUidIndex, ownerUid).Select(e => e.Object).ToList();

    public IReadOnlyList<T> ByIndex(string index, string value) => indexer.ByIndex(index, value).Select(e => e.Object).ToList();
}
