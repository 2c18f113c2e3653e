using System.Text.Json.Nodes;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Serving.Images;
using Ingress.Serving.Resources;
using Ingress.Serving.Status;
using Ingress.Serving.Webhook;
using Microsoft.Extensions.Logging;

namespace Ingress.Serving.Reconcilers;

/// <summary>Revision → Deployment (user container + queue-proxy), PodAutoscaler and, when absent, the
/// ServerlessService (§9). Status as upstream: ResourcesAvailable and ContainerHealthy from the Deployment, its
/// first Pod when no replica is available, and the PodAutoscaler; Active from the PodAutoscaler
/// (<see cref="RevisionStatus"/>).</summary>
public sealed partial class RevisionReconciler(ServingContext ctx) : IKindReconciler<JsonObject>
{
    public const string ControllerName = "revision";
    private readonly ILogger _log = ctx.LoggerFactory.CreateLogger("Ingress.Serving.Revision");

    public async Task<ReconcileResult> ReconcileKindAsync(JsonObject revision, CancellationToken ct)
    {
        var config = ctx.Config();
        var now = ctx.Time.GetUtcNow();
        var ns = Meta.Namespace(revision);
        var readyBefore = TrafficBuilder.IsReady(revision);
        RevisionStatus.Initialize(revision, now);
        if (config.Deployment is null)
            throw new InvalidOperationException("config-deployment has not been loaded (queue-sidecar-image is required)");
        // Tags → digests before the Deployment exists, so every replica runs the same image (upstream reconcileDigest).
        if (ctx.ImageDigests.Resolves && !ImageDigests.AlreadyResolved(revision))
            await ResolveDigestsAsync(revision, config.Deployment, now, ct).ConfigureAwait(false);

        var desiredDeployment = DeploymentResources.MakeDeployment(config, revision, 1, ctx.SystemNamespace);
        var existingDeployment = ctx.Deployments.Get(ns, Meta.Name(desiredDeployment));
        JsonObject deployment;
        if (existingDeployment is null)
        {
            RevisionStatus.MarkDeploying(revision, now);
            deployment = await Children.EnsureAsync(ctx, ServingKinds.Deployments, null, desiredDeployment, _log, ct).ConfigureAwait(false);
        }
        else if (!Meta.IsControlledBy(existingDeployment, Meta.Uid(revision)))
        {
            RevisionStatus.MarkNotOwned(revision, now, "Deployment", Meta.Name(existingDeployment));
            throw new PermanentReconcileException($"revision: \"{Meta.Name(revision)}\" does not own Deployment: \"{Meta.Name(existingDeployment)}\"");
        }
        else
        {
            // The autoscaler owns spec.replicas once the Deployment exists (upstream keeps the existing count when it
            // compares and updates); resetting it to the initial 1 would undo every scale decision, to zero or above one.
            if (existingDeployment["spec"]?["replicas"] is { } replicas && desiredDeployment["spec"] is JsonObject desiredSpec)
                desiredSpec["replicas"] = replicas.DeepClone();
            deployment = await Children.EnsureAsync(ctx, ServingKinds.Deployments, existingDeployment, desiredDeployment, _log, ct).ConfigureAwait(false);
            var firstPod = RevisionStatus.NeedsPodDiagnosis(deployment) ? await FirstPodAsync(deployment, ct).ConfigureAwait(false) : null;
            RevisionStatus.PropagateDeployment(revision, deployment, firstPod, config.Deployment.PodIsAlwaysSchedulable, now);
        }

        var desiredPa = DeploymentResources.MakePodAutoscaler(revision);
        var existingPa = ctx.PodAutoscalers.Get(ns, Meta.Name(desiredPa));
        if (existingPa is not null && !Meta.IsControlledBy(existingPa, Meta.Uid(revision)))
        {
            RevisionStatus.MarkNotOwned(revision, now, "PodAutoscaler", Meta.Name(existingPa));
            throw new PermanentReconcileException($"revision: \"{Meta.Name(revision)}\" does not own PodAutoscaler: \"{Meta.Name(existingPa)}\"");
        }
        var pa = await Children.EnsureAsync(ctx, ServingKinds.PodAutoscalers, existingPa, desiredPa, _log, ct).ConfigureAwait(false);

        if (ctx.CreateServerlessServices)
        {
            var desiredSks = DeploymentResources.MakeServerlessService(pa);
            if (ctx.ServerlessServices.Get(ns, Meta.Name(desiredSks)) is null)
            {
                try { await Children.EnsureAsync(ctx, ServingKinds.ServerlessServices, null, desiredSks, _log, ct).ConfigureAwait(false); }
                catch (AlreadyExistsException) { /* the KPA created it meanwhile: it owns its updates */ }
            }
        }

        RevisionStatus.PropagateAutoscaler(revision, pa, now);

        // observedGeneration is set by the host after this returns; readiness is judged for this generation.
        var readyAfter = Conditions.Status(revision, "Ready") == "True";
        if (!readyBefore && readyAfter)
        {
            LogBecameReady(_log, ns, Meta.Name(revision));
            ctx.Events?.Record(ServingKinds.Revisions, ObjectHeader.From(revision), EventType.Normal, "RevisionReady",
                "Revision becomes ready upon all resources being ready");
        }
        return ReconcileResult.Done;
    }

    /// <summary>Resolves every distinct image of the Revision (init containers first), each within
    /// config-deployment <c>digest-resolution-timeout</c>, and records <c>status.containerStatuses</c> and
    /// <c>status.initContainerStatuses</c>. The first failure, in spec order, marks ContainerHealthy False
    /// (<c>ContainerMissing</c>, <c>Unable to fetch image "&lt;image&gt;": failed to resolve image to digest: …</c>) and
    /// fails the reconcile, which is retried with backoff. Resolution runs inline, not in upstream's background queue:
    /// the worker waits at most the timeout per image, and the result is the same.</summary>
    private async Task ResolveDigestsAsync(JsonObject revision, Config.ConfigDeployment deployment, DateTimeOffset now, CancellationToken ct)
    {
        var images = ImageDigests.Images(revision);
        var timeout = TimeSpan.FromTicks(Math.Max(1, deployment.DigestResolutionTimeout.Nanoseconds / 100));
        var tasks = images.Distinct(StringComparer.Ordinal).ToDictionary(i => i, i => ResolveOneAsync(i, deployment.RegistriesSkippingTagResolving, timeout, ct), StringComparer.Ordinal);
        try { await Task.WhenAll(tasks.Values).ConfigureAwait(false); }
        catch (ImageResolutionException) { /* reported below, in spec order */ }
        foreach (var image in images)
        {
            if (tasks[image].Exception?.InnerException is ImageResolutionException e)
            {
                var message = ImageDigests.ContainerMissingMessage(image, "failed to resolve image to digest") + ": " + e.Message;
                LogDigestFailed(_log, Meta.Namespace(revision), Meta.Name(revision), image, e.Failure.ToString(), e.Message);
                RevisionStatus.MarkContainerMissing(revision, now, message);
                throw new InvalidOperationException(message, e);
            }
        }
        ImageDigests.SetStatuses(revision, tasks.ToDictionary(kv => kv.Key, kv => kv.Value.Result, StringComparer.Ordinal));
    }

    private async Task<string> ResolveOneAsync(string image, IReadOnlySet<string> skip, TimeSpan timeout, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            return await ctx.ImageDigests.ResolveAsync(image, skip, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            // Go's context error text, as upstream's resolver reports a timeout.
            throw new ImageResolutionException(ImageResolutionFailure.Timeout, "context deadline exceeded", e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revision {namespace}/{name}: image {image} not resolved to a digest ({failure}): {error}")]
    private static partial void LogDigestFailed(ILogger logger, string @namespace, string name, string image, string failure, string error);

    /// <summary>The first Pod of the Deployment's selector, listed live with limit 1 as upstream does (pods are not
    /// cached: only a Deployment with no available replica needs one). A failed list is logged and skipped.</summary>
    private async Task<JsonObject?> FirstPodAsync(JsonObject deployment, CancellationToken ct)
    {
        var match = Json.Map(Json.Obj(Json.Obj(deployment, "spec"), "selector"), "matchLabels");
        if (match.Count == 0) return null;
        var selector = string.Join(",", match.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
        try
        {
            var pods = await ctx.For(ResourceDescriptor.Pods).ListAsync(Meta.Namespace(deployment), new ListOptions(LabelSelector: selector, Limit: 1), ct).ConfigureAwait(false);
            return pods.Items.FirstOrDefault();
        }
        catch (KubeApiException e)
        {
            LogPodListFailed(_log, Meta.Namespace(deployment), Meta.Name(deployment), e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Error getting pods of Deployment {namespace}/{name}: {error}")]
    private static partial void LogPodListFailed(ILogger logger, string @namespace, string name, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Revision {namespace}/{name} became ready")]
    private static partial void LogBecameReady(ILogger logger, string @namespace, string name);
}
