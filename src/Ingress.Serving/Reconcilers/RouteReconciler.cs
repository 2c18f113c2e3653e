using System.Text.Json.Nodes;
using Ingress.Kube.Cache;
using Ingress.Kube.Controller;
using Ingress.Serving.Domains;
using Ingress.Serving.Resources;
using Ingress.Serving.Status;
using Ingress.Serving.Webhook;
using Microsoft.Extensions.Logging;

namespace Ingress.Serving.Reconcilers;

/// <summary>Route → placeholder Services + KIngress (§3, §5): traffic resolution, tags, status.traffic with
/// per-tag URLs, address and URL; IngressReady follows the KIngress's Ready written by the networking reconciler.</summary>
public sealed class RouteReconciler(ServingContext ctx) : IKindReconciler<JsonObject>
{
    public const string ControllerName = "route";
    private readonly ILogger _log = ctx.LoggerFactory.CreateLogger("Ingress.Serving.Route");

    public async Task<ReconcileResult> ReconcileKindAsync(JsonObject route, CancellationToken ct)
    {
        var config = ctx.Config();
        var now = ctx.Time.GetUtcNow();
        var ns = Meta.Namespace(route);
        var name = Meta.Name(route);

        // The labeler first, on the Route as read: upstream runs it as its own controller, whatever the traffic's state.
        await LabelAsync(route, now, ct).ConfigureAwait(false);

        var (tc, trafficError) = TrafficBuilder.Build(route, n => ctx.Configurations.Get(ns, n), n => ctx.Revisions.Get(ns, n));
        var visibility = TrafficBuilder.Visibilities(config, route, tc, host => ctx.CoreServices.Get(ns, host) is { } s ? Meta.Labels(s) : null);
        var existingIngress = ctx.Ingresses.Get(ns, name);
        // Gradual rollout (§6.4): the previous state travels in the KIngress's rollout annotation; with
        // rollout-duration 0 (the default) this is the plain split and no requeue.
        var (rollout, requeueAfter) = trafficError is null
            ? RolloutStepper.Reconcile(config, route, tc, existingIngress, (now - DateTimeOffset.UnixEpoch).Ticks * 100)
            : (null, null);
        var decision = RouteStatus.Compute(config, route, now, tc, trafficError, visibility, existingIngress, rollout);
        if (!decision.ProceedToIngress)
        {
            if (decision.ReconcileError is not null) throw new InvalidOperationException(decision.ReconcileError);
            return ReconcileResult.Done; // waiting for a Configuration/Revision: their events re-enqueue this Route
        }

        // Placeholder Services: one per traffic name, so the cluster DNS names resolve.
        var desiredServices = PlaceholderServices.Make(config, route, tc, existingIngress);
        foreach (var desired in desiredServices)
        {
            var existing = ctx.CoreServices.Get(ns, Meta.Name(desired));
            if (PlaceholderServices.NotOwnedMessage(route, existing) is { } notOwned)
            {
                var cm = new StatusConditions(Json.EnsureObj(route, "status"), now, "Ready", StatusConditions.RouteDependents);
                cm.MarkFalse("IngressReady", "NotOwned", notOwned);
                throw new PermanentReconcileException(notOwned);
            }
            await Children.EnsureAsync(ctx, ServingKinds.CoreServices, existing, desired, _log, ct).ConfigureAwait(false);
        }
        var owned = ctx.CoreServices.List(ns, LabelSelector.FromEquality(new Dictionary<string, string> { [Keys.RouteLabel] = name }))
            .Where(s => Meta.IsControlledBy(s, Meta.Uid(route)));
        foreach (var stale in PlaceholderServices.Stale(owned, desiredServices))
            await ctx.For(ServingKinds.CoreServices).DeleteAsync(ns, stale, ct: ct).ConfigureAwait(false);

        JsonObject desiredIngress;
        try
        {
            desiredIngress = IngressResources.MakeIngress(config, route, tc, visibility, rollout: rollout);
        }
        catch (Exception e) when (e is DomainNameException or HttpOptionException)
        {
            var cm = new StatusConditions(Json.EnsureObj(route, "status"), now, "Ready", StatusConditions.RouteDependents);
            cm.MarkFalse("AllTrafficAssigned", "ErrorConfig", e.Message);
            throw new InvalidOperationException(e.Message, e);
        }
        if (existingIngress is not null && !Meta.IsControlledBy(existingIngress, Meta.Uid(route)))
        {
            var cm = new StatusConditions(Json.EnsureObj(route, "status"), now, "Ready", StatusConditions.RouteDependents);
            cm.MarkFalse("IngressReady", "NotOwned", Meta.NotOwnedMessage("Ingress", name));
            throw new PermanentReconcileException($"route: \"{name}\" does not own ingress: \"{name}\"");
        }
        var ingress = await Children.EnsureAsync(ctx, ServingKinds.Ingresses, existingIngress, desiredIngress, _log, ct).ConfigureAwait(false);
        // Status again against the KIngress as written: a spec change bumps its generation, so IngressReady
        // waits for the networking reconciler to observe it.
        RouteStatus.Compute(config, route, now, tc, trafficError, visibility, ingress, rollout);
        return requeueAfter is { } after ? ReconcileResult.After(after) : ReconcileResult.Done;
    }

    /// <summary>The labeler (§0, upstream's labeler controller): Configurations and Revisions the Route's traffic
    /// names list it in their routes annotation (Revisions turn routingState active); once the Route is resolved,
    /// active ones no longer named drop it (Revisions go reserve). Reads the Route as it came from the lister.</summary>
    private async Task LabelAsync(JsonObject route, DateTimeOffset now, CancellationToken ct)
    {
        var ns = Meta.Namespace(route);
        var name = Meta.Name(route);
        var targets = Labeler.Targets(route, n => ctx.Configurations.Get(ns, n), n => ctx.Revisions.Get(ns, n));
        foreach (var cfg in ctx.Configurations.List(ns))
        {
            var listed = targets.Configurations.Contains(Meta.Name(cfg));
            if (!listed && !(targets.ClearUnlisted && Labeler.Lists(cfg, name))) continue;
            var m = Labeler.ForConfiguration(cfg, name, listed);
            if (m.Changed) await ctx.For(ServingKinds.Configurations).UpdateAsync(Labeler.Apply(cfg, m), ct: ct).ConfigureAwait(false);
        }
        foreach (var rev in ctx.Revisions.List(ns))
        {
            var listed = targets.Revisions.Contains(Meta.Name(rev));
            var clear = targets.ClearUnlisted && Labeler.Lists(rev, name) && Meta.Labels(rev).GetValueOrDefault(Keys.RoutingStateLabel) == "active";
            if (!listed && !clear) continue;
            var m = Labeler.ForRevision(rev, name, listed, now);
            if (m.Changed) await ctx.For(ServingKinds.Revisions).UpdateAsync(Labeler.Apply(rev, m), ct: ct).ConfigureAwait(false);
        }
    }
}
