using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Ingress.Kube.Client;

namespace Ingress.Kube.Cache;

/// <summary>
/// Hands out one informer per (resource, scope, object type) per process, so every controller shares
/// one list+watch and one cache. Scope with a label selector to avoid caching, say, every Secret.
/// </summary>
public sealed class SharedInformerFactory : IAsyncDisposable
{
    private readonly KubeClient _client;
    private readonly InformerOptions _options;
    private readonly ConcurrentDictionary<(ResourceDescriptor, InformerScope, Type), ISharedInformer> _informers = new();
    private readonly ConcurrentDictionary<ISharedInformer, Task> _running = new();
    private readonly CancellationTokenSource _stop = new();

    public SharedInformerFactory(KubeClient client, InformerOptions? options = null)
    {
        _client = client;
        _options = options ?? new InformerOptions { Time = client.Time };
    }

    public KubeClient Client => _client;

    public IReadOnlyCollection<ISharedInformer> Informers => _informers.Values.ToList();

    public SharedInformer<T> For<T>(ResourceDescriptor resource, JsonTypeInfo<T> typeInfo, InformerScope? scope = null) where T : class =>
        (SharedInformer<T>)_informers.GetOrAdd((resource, scope ?? InformerScope.All, typeof(T)),
            key => new SharedInformer<T>(_client.Resource(key.Item1, typeInfo), key.Item2, _options));

    public SharedInformer<JsonObject> Dynamic(ResourceDescriptor resource, InformerScope? scope = null) =>
        For(resource, DynamicJson.JsonObjectType, scope);

    /// <summary>Starts every informer not yet running; call again after asking for more.</summary>
    public void Start(CancellationToken ct = default)
    {
        var token = ct.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token).Token : _stop.Token;
        foreach (var informer in _informers.Values)
        {
            _running.GetOrAdd(informer, i => Task.Run(() => i.RunAsync(token), CancellationToken.None));
        }
    }

    /// <summary>Waits until every started informer has listed once.</summary>
    public Task WaitForCacheSyncAsync(CancellationToken ct) => Task.WhenAll(_running.Keys.Select(i => i.WaitForSyncAsync(ct)));

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await Task.WhenAll(_running.Values).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
