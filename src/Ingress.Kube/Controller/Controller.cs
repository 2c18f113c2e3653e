using System.Collections;
using System.Diagnostics;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Diagnostics;
using Ingress.Kube.Queue;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Kube.Controller;

/// <summary>What a reconcile asks for next: nothing, or another pass after a delay.</summary>
public readonly record struct ReconcileResult(TimeSpan? RequeueAfter)
{
    public static ReconcileResult Done => default;
    public static ReconcileResult After(TimeSpan delay) => new(delay);
}

/// <summary>Reconciles one key ("namespace/name"). Throw to retry with backoff.</summary>
public interface IReconciler
{
    Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct);
}

/// <summary>A failure retrying cannot fix (bad input): logged and counted, the key is not retried.</summary>
public sealed class PermanentReconcileException(string message, Exception? inner = null) : Exception(message, inner);

public sealed class ControllerOptions
{
    /// <summary>The controller's name: knative.dev/controller in logs, the queue name in metrics.</summary>
    public required string Name { get; init; }
    /// <summary>Concurrent reconciles. Default 2, Knative's DefaultThreadsPerController.</summary>
    public int Workers { get; init; } = 2;
    public WorkQueueOptions? Queue { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// Runs <see cref="IReconciler.ReconcileAsync"/> for keys from its work queue on a fixed number of
/// workers. The queue guarantees a key is never reconciled by two workers at once. Each reconcile gets a
/// log scope with knative.dev/controller, knative.dev/key and knative.dev/traceid, and ends with one line:
/// "Reconcile succeeded" or "Reconcile error", with its duration.
/// </summary>
public sealed class Controller
{
    /// <summary>Source of the "Reconcile &lt;controller&gt;" spans (tracing is configured by the host).</summary>
    public static readonly ActivitySource ActivitySource = new("Ingress.Kube.Controller");

    private readonly IReconciler _reconciler;
    private readonly ILogger _logger;
    private readonly KeyValuePair<string, object?> _nameTag;

    public Controller(ControllerOptions options, IReconciler reconciler, ILoggerFactory? loggerFactory = null)
    {
        Options = options;
        _reconciler = reconciler;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Ingress.Kube.Controller");
        Queue = new WorkQueue(options.Queue ?? new WorkQueueOptions { Name = options.Name, Time = options.Time });
        _nameTag = new("controller", options.Name);
    }

    public ControllerOptions Options { get; }
    public string Name => Options.Name;
    public WorkQueue Queue { get; }

    /// <summary>A real change: the fast lane.</summary>
    public void Enqueue(string key) => Queue.Add(key, QueueLane.Fast);

    /// <summary>A resync: the slow lane.</summary>
    public void EnqueueSlow(string key) => Queue.Add(key, QueueLane.Slow);

    public void EnqueueAfter(string key, TimeSpan delay) => Queue.AddAfter(key, delay);

    /// <summary>Global resync (e.g. a configuration changed): every key to the slow lane.</summary>
    public void EnqueueAllSlow(IEnumerable<string> keys)
    {
        foreach (var k in keys) Queue.Add(k, QueueLane.Slow);
    }

    /// <summary>
    /// An informer handler that enqueues each object's own key: adds, changes and deletes in the fast lane,
    /// resyncs in the slow lane. <paramref name="filter"/> drops objects the controller does not own.
    /// </summary>
    public IResourceEventHandler<T> EnqueueHandler<T>(Func<ObjectHeader, bool>? filter = null) => new ResourceEventHandler<T>
    {
        Add = (_, h, _) => { if (filter?.Invoke(h) != false) Enqueue(h.Key); },
        Update = (_, _, h, resync) => { if (filter?.Invoke(h) != false) Queue.Add(h.Key, resync ? QueueLane.Slow : QueueLane.Fast); },
        Delete = (_, h) => { if (filter?.Invoke(h) != false) Enqueue(h.Key); },
    };

    /// <summary>
    /// An informer handler for children: enqueues the key of the controlling owner whose kind is
    /// <paramref name="ownerKind"/> (and, when given, whose apiVersion's group is <paramref name="ownerGroup"/>).
    /// <paramref name="ownerFilter"/> (namespace, owner name) drops owners the controller does not own.
    /// </summary>
    public IResourceEventHandler<T> EnqueueControllerOfHandler<T>(string ownerKind, string? ownerGroup = null, Func<string?, string, bool>? ownerFilter = null)
    {
        void Owner(ObjectHeader h, QueueLane lane)
        {
            foreach (var o in h.OwnerReferences)
            {
                if (!o.Controller || o.Kind != ownerKind) continue;
                if (ownerGroup is not null && GroupOf(o.ApiVersion) != ownerGroup) continue;
                if (ownerFilter?.Invoke(h.Namespace, o.Name) == false) continue;
                Queue.Add(ObjectKey.Of(h.Namespace, o.Name), lane);
            }
        }
        return new ResourceEventHandler<T>
        {
            Add = (_, h, _) => Owner(h, QueueLane.Fast),
            Update = (_, _, h, resync) => Owner(h, resync ? QueueLane.Slow : QueueLane.Fast),
            Delete = (_, h) => Owner(h, QueueLane.Fast),
        };
    }

    private static string GroupOf(string apiVersion)
    {
        var i = apiVersion.IndexOf('/');
        return i < 0 ? "" : apiVersion[..i];
    }

    /// <summary>Runs the workers until <paramref name="ct"/> is cancelled; in-flight reconciles see the cancellation.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var reg = ct.Register(Queue.ShutDown);
        var workers = Enumerable.Range(0, Math.Max(1, Options.Workers)).Select(_ => Task.Run(() => WorkerAsync(ct), CancellationToken.None)).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    private async Task WorkerAsync(CancellationToken ct)
    {
        while (true)
        {
            var key = await Queue.GetAsync(CancellationToken.None).ConfigureAwait(false);
            if (key is null) return;
            await ProcessAsync(key, ct).ConfigureAwait(false);
        }
    }

    /// <summary>One reconcile of one key, with its scope, metrics, log line and requeue decision.</summary>
    internal async Task ProcessAsync(string key, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        // One span per reconcile when a tracer listens; its trace id is then the log's knative.dev/traceid.
        using var activity = ActivitySource.StartActivity("Reconcile " + Name, ActivityKind.Internal, default(ActivityContext),
            [new(KnativeLogKeys.Controller, Name), new(KnativeLogKeys.Key, key)]);
        using var scope = _logger.BeginScope(new ReconcileScope(Name, key, activity?.TraceId.ToHexString() ?? Guid.NewGuid().ToString("N")));
        string result;
        try
        {
            var r = await _reconciler.ReconcileAsync(key, ct).ConfigureAwait(false);
            Queue.Forget(key);
            if (r.RequeueAfter is { } after)
            {
                Queue.AddAfter(key, after);
                result = "requeue";
            }
            else
            {
                result = "success";
            }
            Log.ReconcileSucceeded(_logger, Stopwatch.GetElapsedTime(start));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            result = "cancelled";
        }
        catch (PermanentReconcileException ex)
        {
            Queue.Forget(key);
            result = "permanent_error";
            Log.ReconcileError(_logger, ex, Stopwatch.GetElapsedTime(start));
        }
        catch (Exception ex)
        {
            Queue.AddRateLimited(key);
            result = "error";
            Log.ReconcileError(_logger, ex, Stopwatch.GetElapsedTime(start));
        }
        finally
        {
            Queue.Done(key);
        }
        activity?.SetTag("result", result);
        if (result is "error" or "permanent_error") activity?.SetStatus(ActivityStatusCode.Error);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        KubeMetrics.ReconcileCount.Add(1, _nameTag, new("result", result));
        KubeMetrics.ReconcileDuration.Record(elapsed, _nameTag, new("result", result));
    }
}

/// <summary>The log scope of one reconcile, structured as Knative's keys.</summary>
internal sealed class ReconcileScope(string controller, string key, string traceId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 3;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new(KnativeLogKeys.Controller, controller),
        1 => new(KnativeLogKeys.Key, key),
        2 => new(KnativeLogKeys.TraceId, traceId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"{KnativeLogKeys.Controller}={controller} {KnativeLogKeys.Key}={key} {KnativeLogKeys.TraceId}={traceId}";
}
