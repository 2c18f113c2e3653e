using System.Text.Json.Nodes;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Serving.Resources;
using Ingress.Serving.Status;
using Ingress.Serving.Webhook;
using Microsoft.Extensions.Logging;

namespace Ingress.Serving.Reconcilers;

/// <summary>Configuration → the Revision of its generation (§2.1, §2.2); latestCreated/latestReady and Ready (§2.3).</summary>
public sealed partial class ConfigurationReconciler(ServingContext ctx) : IKindReconciler<JsonObject>
{
    public const string ControllerName = "configuration";
    private readonly ILogger _log = ctx.LoggerFactory.CreateLogger("Ingress.Serving.Configuration");

    public async Task<ReconcileResult> ReconcileKindAsync(JsonObject configuration, CancellationToken ct)
    {
        var now = ctx.Time.GetUtcNow();
        var ns = Meta.Namespace(configuration);
        var revisionName = RevisionResources.RevisionNameFor(configuration);
        var byo = RevisionResources.TemplateName(configuration).Length > 0;
        var ownedByLabel = ctx.Revisions.List(ns, LabelSelector.FromEquality(ConfigurationStatus.GenerationSelector(configuration)));
        var found = byo ? ctx.Revisions.Get(ns, revisionName) : ownedByLabel.FirstOrDefault() ?? ctx.Revisions.Get(ns, revisionName);

        JsonObject latestCreated;
        switch (ConfigurationStatus.DecideLatestCreated(configuration, found))
        {
            case LatestCreatedAction.Conflict:
                ConfigurationStatus.MarkRevisionCreationFailed(configuration, now, ConfigurationStatus.AlreadyExists(revisionName));
                throw new InvalidOperationException(ConfigurationStatus.AlreadyExists(revisionName)); // retried: the name may be freed
            case LatestCreatedAction.UseExisting:
                latestCreated = found!;
                break;
            default:
                try
                {
                    latestCreated = await ctx.For(ServingKinds.Revisions).CreateAsync(RevisionResources.MakeRevision(configuration, now), ct: ct).ConfigureAwait(false);
                }
                catch (KubeApiException e) when (e is not ConflictException and not AlreadyExistsException)
                {
                    // Admission denial or invalid template: the status says why (upstream's RevisionFailed).
                    ConfigurationStatus.MarkRevisionCreationFailed(configuration, now, e.Message);
                    throw;
                }
                ctx.Events?.Record(ServingKinds.Configurations, ObjectHeader.From(configuration), EventType.Normal, "Created",
                    $"Created Revision \"{Meta.Name(latestCreated)}\"");
                LogCreated(_log, ns, Meta.Name(latestCreated));
                break;
        }
        var candidates = ctx.Revisions.List(ns, LabelSelector.FromEquality(new Dictionary<string, string> { [Keys.ConfigurationLabel] = Meta.Name(configuration) }));
        var readyBefore = Conditions.Get(configuration, "Ready")?.DeepClone();
        var latestReadyBefore = Json.Str(Json.Obj(configuration, "status"), "latestReadyRevisionName");
        ConfigurationStatus.Compute(configuration, now, latestCreated, candidates);
        RecordTransitions(configuration, latestCreated, readyBefore, latestReadyBefore);

        // Revision GC (upstream runs it as its own controller on Configuration events; the trigger is the same).
        var plan = RevisionGc.Collect(ctx.Config().Gc, configuration, candidates, now);
        foreach (var deletion in plan.Deletions)
        {
            try
            {
                await ctx.For(ServingKinds.Revisions).DeleteAsync(ns, deletion.RevisionName, ct: ct).ConfigureAwait(false);
                GcDeletions.Add(1, new KeyValuePair<string, object?>("reason", deletion.Reason.ToString()));
                LogCollected(_log, $"{ns}/{deletion.RevisionName}", deletion.Reason.ToString());
            }
            catch (KubeApiException e)
            {
                // As upstream: a failed deletion is logged and retried on the next event, not a reconcile error.
                LogCollectFailed(_log, $"{ns}/{deletion.RevisionName}", e.Message);
            }
        }
        return plan.NextCheck is { } next && next > now ? ReconcileResult.After(next - now) : ReconcileResult.Done;
    }

    /// <summary>Upstream's Events: the first ready revision (ConfigurationReady), a new latest ready one
    /// (LatestReadyUpdate), and the latest created revision failing (LatestCreatedFailed, once per change of Ready).</summary>
    private void RecordTransitions(JsonObject configuration, JsonObject latestCreated, JsonNode? readyBefore, string latestReadyBefore)
    {
        if (ctx.Events is null) return;
        var header = ObjectHeader.From(configuration);
        var latestReady = Json.Str(Json.Obj(configuration, "status"), "latestReadyRevisionName");
        if (Conditions.Status(latestCreated, "Ready") == "True" && latestReadyBefore.Length == 0)
            ctx.Events.Record(ServingKinds.Configurations, header, EventType.Normal, "ConfigurationReady", "Configuration becomes ready");
        if (Conditions.Status(latestCreated, "Ready") == "False" && !JsonNode.DeepEquals(readyBefore, Conditions.Get(configuration, "Ready")))
            ctx.Events.Record(ServingKinds.Configurations, header, EventType.Warning, "LatestCreatedFailed",
                $"Latest created revision \"{Meta.Name(latestCreated)}\" has failed");
        if (latestReady.Length > 0 && latestReady != latestReadyBefore)
            ctx.Events.Record(ServingKinds.Configurations, header, EventType.Normal, "LatestReadyUpdate",
                $"LatestReadyRevisionName updated to \"{latestReady}\"");
    }

    private static readonly System.Diagnostics.Metrics.Meter Meter = new("Ingress.Serving.Reconcilers.Gc");
    private static readonly System.Diagnostics.Metrics.Counter<long> GcDeletions =
        Meter.CreateCounter<long>("serving_revision_gc_deletions_total", description: "Revisions deleted by garbage collection, by reason (Stale, OverMax)");

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleting revision {revision} ({reason})")]
    private static partial void LogCollected(ILogger logger, string revision, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed to GC revision {revision}: {error}")]
    private static partial void LogCollectFailed(ILogger logger, string revision, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created Revision {namespace}/{name}")]
    private static partial void LogCreated(ILogger logger, string @namespace, string name);
}
