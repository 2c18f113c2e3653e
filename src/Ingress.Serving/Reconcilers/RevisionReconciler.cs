using System.Text.Json.Nodes;
using Ingress.Kube.Controller;
using Ingress.Serving.Resources;
using Ingress.Serving.Status;
using Ingress.Serving.Webhook;
using Microsoft.Extensions.Logging;

namespace Ingress.Serving.Reconcilers;

/// <summary>Revision → Deployment (user container + queue-proxy), PodAutoscaler and, when absent, the
/// ServerlessService (§9); Ready follows the PodAutoscaler.</summary>
public sealed class RevisionReconciler(ServingContext ctx) : IKindReconciler<JsonObject>
{
    public const string ControllerName = "revision";
    private static readonly string[] Dependents = ["ResourcesAvailable", "ContainerHealthy"];
    private readonly ILogger _log = ctx.LoggerFactory.CreateLogger("Ingress.Serving.Revision");

    public async Task<ReconcileResult> ReconcileKindAsync(JsonObject revision, CancellationToken ct)
    {
        var config = ctx.Config();
        var now = ctx.Time.GetUtcNow();
        var ns = Meta.Namespace(revision);
        var status = Json.EnsureObj(revision, "status");
        var cm = new ConditionManager(status, now, "Ready", Dependents);
        cm.Initialize();
        // Revisions are immutable: what ran is what the template said (status.containerStatuses' images
        // would need digest resolution, which is not done here).
        if (config.Deployment is null)
            throw new InvalidOperationException("config-deployment has not been loaded (queue-sidecar-image is required)");

        var desiredDeployment = DeploymentResources.MakeDeployment(config, revision, 1, ctx.SystemNamespace);
        var existingDeployment = ctx.Deployments.Get(ns, Meta.Name(desiredDeployment));
        if (existingDeployment is not null && !Meta.IsControlledBy(existingDeployment, Meta.Uid(revision)))
        {
            var msg = $"There is an existing Deployment \"{Meta.Name(existingDeployment)}\" that we do not own.";
            cm.MarkFalse("ResourcesAvailable", "NotOwned", msg);
            throw new PermanentReconcileException($"revision: \"{Meta.Name(revision)}\" does not own Deployment: \"{Meta.Name(existingDeployment)}\"");
        }
        // The autoscaler owns spec.replicas once the Deployment exists (upstream keeps the existing count when it
        // compares and updates); resetting it to the initial 1 would undo every scale decision, to zero or above one.
        if (existingDeployment?["spec"]?["replicas"] is { } replicas && desiredDeployment["spec"] is System.Text.Json.Nodes.JsonObject desiredSpec)
            desiredSpec["replicas"] = replicas.DeepClone();
        await Children.EnsureAsync(ctx, ServingKinds.Deployments, existingDeployment, desiredDeployment, _log, ct).ConfigureAwait(false);

        var desiredPa = DeploymentResources.MakePodAutoscaler(revision);
        var existingPa = ctx.PodAutoscalers.Get(ns, Meta.Name(desiredPa));
        if (existingPa is not null && !Meta.IsControlledBy(existingPa, Meta.Uid(revision)))
        {
            cm.MarkFalse("ResourcesAvailable", "NotOwned", $"There is an existing PodAutoscaler \"{Meta.Name(existingPa)}\" that we do not own.");
            throw new PermanentReconcileException($"revision: \"{Meta.Name(revision)}\" does not own PodAutoscaler: \"{Meta.Name(existingPa)}\"");
        }
        var pa = await Children.EnsureAsync(ctx, ServingKinds.PodAutoscalers, existingPa, desiredPa, _log, ct).ConfigureAwait(false);

        if (ctx.CreateServerlessServices)
        {
            var desiredSks = DeploymentResources.MakeServerlessService(pa);
            if (ctx.ServerlessServices.Get(ns, Meta.Name(desiredSks)) is null)
            {
                try { await Children.EnsureAsync(ctx, ServingKinds.ServerlessServices, null, desiredSks, _log, ct).ConfigureAwait(false); }
                catch (Kube.Client.AlreadyExistsException) { /* the KPA created it meanwhile: it owns its updates */ }
            }
        }

        PropagateAutoscaler(cm, status, pa);
        return ReconcileResult.Done;
    }

    /// <summary>Upstream's PropagateAutoscalerStatus, reduced to what the PA reports here: Ready True makes the
    /// revision's resources available and its container healthy; False makes resources unavailable.</summary>
    private static void PropagateAutoscaler(ConditionManager cm, JsonObject status, JsonObject pa)
    {
        var paStatus = Json.Obj(pa, "status");
        if (Json.Str(paStatus, "serviceName") is { Length: > 0 } svc) status["serviceName"] = svc;
        if (Json.Long(paStatus, "actualScale") is { } actual) status["actualReplicas"] = actual;
        if (Json.Long(paStatus, "desiredScale") is { } desired) status["desiredReplicas"] = desired;
        var ready = Conditions.Get(pa, "Ready");
        switch (Json.Str(ready, "status"))
        {
            case "True":
                cm.MarkTrue("ResourcesAvailable");
                cm.MarkTrue("ContainerHealthy");
                break;
            case "False" when Json.Str(Conditions.Get(pa, "ScaleTargetInitialized"), "status") == "True":
                // Inactive (e.g. NoTraffic: scaled to zero) after the scale target proved it can run: upstream marks
                // only Active False, and the revision stays Ready, so Routes and Services stay Ready at zero.
                break;
            case "False":
                cm.MarkFalse("ResourcesAvailable", Json.Str(ready, "reason") is { Length: > 0 } r ? r : "PodAutoscalerNotReady", Json.Str(ready, "message"));
                break;
            default:
                cm.MarkUnknown("ResourcesAvailable", "Deploying", "");
                break;
        }
    }
}
