using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ingress.Kube.Controller;

/// <summary>
/// Reconciles one object of a kind. <paramref name="obj"/> is a private copy: set its status freely;
/// the host writes the status if it changed.
/// </summary>
public interface IKindReconciler<in T>
{
    Task<ReconcileResult> ReconcileKindAsync(T obj, CancellationToken ct);
}

/// <summary>Cleans up before an object with our finalizer goes away; the host then removes the finalizer.</summary>
public interface IKindFinalizer<in T>
{
    Task FinalizeKindAsync(T obj, CancellationToken ct);
}

public sealed class KindReconcilerOptions
{
    /// <summary>
    /// The finalizer to add and remove when the reconciler also implements <see cref="IKindFinalizer{T}"/>.
    /// Default: the resource's "plural.group", as Knative's generated reconcilers use.
    /// </summary>
    public string? FinalizerName { get; init; }
    /// <summary>Field manager of the host's writes.</summary>
    public string FieldManager { get; init; } = "ingress-controller";
    /// <summary>Set status.observedGeneration to metadata.generation after each reconcile. Default true (Knative; kubectl wait reads it).</summary>
    public bool SetObservedGeneration { get; init; } = true;
    /// <summary>Status writes tried on conflict. Default 5, client-go's retry.DefaultRetry steps.</summary>
    public int StatusConflictAttempts { get; init; } = 5;
}

/// <summary>
/// The generic part of a reconciler, as Knative's generated ones: reads the object from the informer's
/// cache, adds/removes the finalizer, calls the kind's reconciler on a copy, sets observedGeneration,
/// writes the status only when it changed (retrying on conflict against the latest object), and records
/// events on failures. Works for any T through its JSON form.
/// </summary>
public sealed class KindReconcilerHost<T> : IReconciler where T : class
{
    private readonly SharedInformer<T> _informer;
    private readonly ResourceClient<T> _client;
    private readonly ResourceClient<JsonObject> _dynamic;
    private readonly IKindReconciler<T> _reconciler;
    private readonly IKindFinalizer<T>? _finalizer;
    private readonly EventRecorder? _events;
    private readonly KindReconcilerOptions _options;
    private readonly ILogger _logger;
    private readonly string _finalizerName;

    public KindReconcilerHost(SharedInformer<T> informer, ResourceClient<T> client, IKindReconciler<T> reconciler,
        EventRecorder? events = null, KindReconcilerOptions? options = null)
    {
        _informer = informer;
        _client = client;
        _dynamic = client.Client.Dynamic(client.Resource);
        _reconciler = reconciler;
        _finalizer = reconciler as IKindFinalizer<T>;
        _events = events;
        _options = options ?? new KindReconcilerOptions();
        _finalizerName = _options.FinalizerName ?? client.Resource.GroupResource;
        _logger = client.Client.LoggerFactory.CreateLogger("Ingress.Kube.KindReconciler");
    }

    public async Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct)
    {
        var entry = _informer.Lister.GetEntry(key);
        if (entry is null)
        {
            return ReconcileResult.Done; // deleted; nothing to do without a finalizer
        }
        var typeInfo = _client.TypeInfo;
        var original = (JsonObject)JsonSerializer.SerializeToNode(entry.Object, typeInfo)!;
        var header = entry.Header;

        if (header.IsBeingDeleted)
        {
            if (_finalizer is null || !header.Finalizers.Contains(_finalizerName)) return ReconcileResult.Done;
            var copy = original.Deserialize(typeInfo)!;
            try
            {
                await _finalizer.FinalizeKindAsync(copy, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _events?.Record(_client.Resource, header, EventType.Warning, "InternalError", ex.Message);
                throw;
            }
            await PatchFinalizersAsync(header, header.Finalizers.Where(f => f != _finalizerName).ToList(), ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        if (_finalizer is not null && !header.Finalizers.Contains(_finalizerName))
        {
            original = await PatchFinalizersAsync(header, [.. header.Finalizers, _finalizerName], ct).ConfigureAwait(false);
            header = ObjectHeader.From(original);
        }

        var working = original.Deserialize(typeInfo)!;
        ReconcileResult result = default;
        Exception? failure = null;
        try
        {
            result = await _reconciler.ReconcileKindAsync(working, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            failure = ex;
        }

        var desired = (JsonObject)JsonSerializer.SerializeToNode(working, typeInfo)!;
        // Only kinds that have a status get observedGeneration (a ConfigMap has none to write).
        if (_options.SetObservedGeneration && header.Generation > 0 && desired["status"] is JsonObject st)
        {
            st["observedGeneration"] = header.Generation;
        }
        if (!JsonNode.DeepEquals(original["status"], desired["status"]))
        {
            try
            {
                await UpdateStatusAsync(header, desired, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _events?.Record(_client.Resource, header, EventType.Warning, "UpdateFailed", $"Failed to update status for \"{header.Name}\": {ex.Message}");
                if (failure is null) throw;
            }
        }
        if (failure is not null)
        {
            _events?.Record(_client.Resource, header, EventType.Warning, "InternalError", failure.Message);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }
        return result;
    }

    private async Task<JsonObject> PatchFinalizersAsync(ObjectHeader header, IReadOnlyList<string> finalizers, CancellationToken ct)
    {
        // A merge patch carrying the resourceVersion: fails with Conflict if the object moved, as Knative's.
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray()),
                ["resourceVersion"] = header.ResourceVersion,
            },
        };
        var patched = await _dynamic.PatchAsync(header.Namespace, header.Name, PatchType.Merge, patch.ToJsonString(),
            new PatchOptions(_options.FieldManager), ct).ConfigureAwait(false);
        _events?.Record(_client.Resource, header, EventType.Normal, "FinalizerUpdate", $"Updated \"{header.Name}\" finalizers");
        return patched;
    }

    /// <summary>PUT /status; on conflict, re-read the latest object and try again unless its status already matches.</summary>
    private async Task UpdateStatusAsync(ObjectHeader header, JsonObject desired, CancellationToken ct)
    {
        var attempts = Math.Max(1, _options.StatusConflictAttempts);
        var body = desired;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _dynamic.UpdateStatusAsync(body, new WriteOptions(_options.FieldManager), ct).ConfigureAwait(false);
                return;
            }
            catch (ConflictException) when (attempt < attempts)
            {
                var latest = await _dynamic.GetAsync(header.Namespace, header.Name, ct).ConfigureAwait(false);
                if (JsonNode.DeepEquals(latest["status"], desired["status"])) return;
                if (latest["metadata"]?["uid"]?.GetValue<string>() is { } uid && header.Uid is not null && uid != header.Uid) return; // recreated: a new object, a new reconcile
                latest["status"] = desired["status"]?.DeepClone();
                body = latest;
            }
            catch (ConflictException)
            {
                Log.StatusConflicts(_logger, header.Key, attempts);
                throw;
            }
        }
    }
}
