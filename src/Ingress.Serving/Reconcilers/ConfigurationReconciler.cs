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
        var byo = Json.Str(Json.Obj(Json.Obj(Json.Obj(configuration, "spec"), "template"), "metadata"), "name").Length > 0;
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
        ConfigurationStatus.Compute(configuration, now, latestCreated, candidates);
        return ReconcileResult.Done;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created Revision {namespace}/{name}")]
    private static partial void LogCreated(ILogger logger, string @namespace, string name);
}
