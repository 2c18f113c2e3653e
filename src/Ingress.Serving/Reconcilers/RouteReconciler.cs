using System.Text.Json.Nodes;
using Ingress.Kube.Cache;
using Ingress.Kube.Controller;
using Ingress.Serving.Config;
using Ingress.Serving.Domains;
using Ingress.Serving.Resources;
using Ingress.Serving.Status;
using Ingress.Serving.Webhook;
using Microsoft.Extensions.Logging;

namespace Ingress.Serving.Reconcilers;

/// <summary>Route → placeholder Services + KIngress (§3, §5): traffic resolution, tags, status.traffic with
/// per-tag URLs, address and URL; IngressReady follows the KIngress's Ready written by the networking reconciler.</summary>
public sealed partial class RouteReconciler(ServingContext ctx) : IKindReconciler<JsonObject>
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

        // Placeholder Services: one per traffic name, so the cluster DNS names resolve (pointed at the load
        // balancer once the KIngress has one, below).
        var placeholders = await EnsurePlaceholdersAsync(config, route, tc, now, ct).ConfigureAwait(false);

        JsonObject desiredIngress;
        RouteTlsOutcome tls;
        try
        {
            tls = await ReconcileTlsAsync(config, route, tc, visibility, now, ct).ConfigureAwait(false);
            desiredIngress = IngressResources.MakeIngress(config, route, tc, visibility, tls.Tls, rollout, tls.Challenges);
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
        // waits for the networking reconciler to observe it. The TLS outcome is replayed on the fresh URLs.
        RouteStatus.Compute(config, route, now, tc, trafficError, visibility, ingress, rollout, tls);
        await UpdatePlaceholdersAsync(config, route, placeholders, ingress, ct).ConfigureAwait(false);
        return requeueAfter is { } after ? ReconcileResult.After(after) : ReconcileResult.Done;
    }

    /// <summary>§5.1 step 5, before the KIngress: a placeholder per traffic name is created when absent (ExternalName
    /// to the name's host); one held by an object we do not control (Service or Endpoints) stops the reconcile;
    /// placeholders no longer needed are deleted. Returns (traffic name, Service, Endpoints) for the update after
    /// the KIngress.</summary>
    private async Task<List<(string Tag, JsonObject Service, JsonObject? Endpoints)>> EnsurePlaceholdersAsync(
        ServingConfig config, JsonObject route, TrafficConfig tc, DateTimeOffset now, CancellationToken ct)
    {
        var ns = Meta.Namespace(route);
        var name = Meta.Name(route);
        var desiredServices = PlaceholderServices.Make(config, route, tc);
        var tags = PlaceholderServices.Names(tc).ToList();
        var result = new List<(string, JsonObject, JsonObject?)>();
        for (var i = 0; i < desiredServices.Count; i++)
        {
            var desired = desiredServices[i];
            var existing = ctx.CoreServices.Get(ns, Meta.Name(desired));
            if (PlaceholderServices.NotOwnedMessage(route, existing) is { } notOwned)
            {
                var cm = new StatusConditions(Json.EnsureObj(route, "status"), now, "Ready", StatusConditions.RouteDependents);
                cm.MarkFalse("IngressReady", "NotOwned", notOwned);
                throw new PermanentReconcileException(notOwned);
            }
            var service = existing ?? await Children.EnsureAsync(ctx, ServingKinds.CoreServices, null, desired, _log, ct).ConfigureAwait(false);
            var endpoints = ctx.PlaceholderEndpoints.Get(ns, Meta.Name(desired));
            if (PlaceholderServices.EndpointsNotOwnedMessage(route, endpoints) is { } endpointsNotOwned)
            {
                var cm = new StatusConditions(Json.EnsureObj(route, "status"), now, "Ready", StatusConditions.RouteDependents);
                cm.MarkFalse("IngressReady", "NotOwned", endpointsNotOwned);
                throw new PermanentReconcileException($"route: \"{name}\" does not own Endpoints: \"{Meta.Name(desired)}\"");
            }
            result.Add((tags[i], service, endpoints));
        }
        // By the owner index, not a label scan of the namespace's Services (quadratic with many Routes).
        var owned = ctx.CoreServices.ListByOwner(Meta.Uid(route))
            .Where(s => Meta.Namespace(s) == ns && Meta.Labels(s).GetValueOrDefault(Keys.RouteLabel) == name && Meta.IsControlledBy(s, Meta.Uid(route)));
        foreach (var stale in PlaceholderServices.Stale(owned, desiredServices))
            await ctx.For(ServingKinds.CoreServices).DeleteAsync(ns, stale, ct: ct).ConfigureAwait(false);
        return result;
    }

    /// <summary>§5.1 step 5, after the KIngress: each placeholder follows the load balancer (IP → headless Service and
    /// Endpoints; domain → ExternalName; meshOnly → ClusterIP). A form the API cannot update into is recreated.</summary>
    private async Task UpdatePlaceholdersAsync(ServingConfig config, JsonObject route, List<(string Tag, JsonObject Service, JsonObject? Endpoints)> placeholders,
        JsonObject ingress, CancellationToken ct)
    {
        var services = ctx.For(ServingKinds.CoreServices);
        var endpointsClient = ctx.For(ServingKinds.Endpoints);
        foreach (var (tag, from, fromEndpoints) in placeholders)
        {
            var to = PlaceholderServices.ForLoadBalancer(config, route, tag, ingress, PlaceholderServices.IsClusterLocalService(from));
            if (to is null) continue; // no load balancer yet: the Service keeps the route's own host
            var (change, write) = PlaceholderServices.DecideServiceChange(from, to.Service);
            if (change == PlaceholderChange.Update)
                await services.UpdateAsync(write, ct: ct).ConfigureAwait(false);
            else if (change == PlaceholderChange.Recreate)
            {
                await services.DeleteAsync(Meta.Namespace(from), Meta.Name(from), ct: ct).ConfigureAwait(false);
                await services.CreateAsync(write, ct: ct).ConfigureAwait(false);
            }
            switch (PlaceholderServices.DecideEndpointsChange(fromEndpoints, to.Endpoints))
            {
                case EndpointsChange.Create:
                    await endpointsClient.CreateAsync(to.Endpoints!, ct: ct).ConfigureAwait(false);
                    break;
                case EndpointsChange.Update:
                    var copy = (JsonObject)fromEndpoints!.DeepClone();
                    copy["subsets"] = to.Endpoints!["subsets"]!.DeepClone();
                    await endpointsClient.UpdateAsync(copy, ct: ct).ConfigureAwait(false);
                    break;
                case EndpointsChange.Delete:
                    await endpointsClient.DeleteAsync(Meta.Namespace(fromEndpoints!), Meta.Name(fromEndpoints!), ct: ct).ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>§5.4: external-domain Certificates (or a covering namespace wildcard Certificate) and cluster-local
    /// ones are created or updated; orphans of an enabled type are deleted; the result is the TLS outcome.
    /// A Certificate name held by an object we do not control marks CertificateNotOwned and stops the reconcile.</summary>
    private async Task<RouteTlsOutcome> ReconcileTlsAsync(ServingConfig config, JsonObject route, TrafficConfig tc,
        IReadOnlyDictionary<string, Visibility> visibility, DateTimeOffset now, CancellationToken ct)
    {
        var ns = Meta.Namespace(route);
        var wildcards = config.Network.ExternalDomainTls
            ? ctx.Certificates.List(ns, LabelSelector.FromEquality(new Dictionary<string, string>
                { [CertificateKeys.WildcardDomainLabel] = RouteTls.RouteDomain(config, route) }))
            : [];
        var plan = RouteTls.Plan(config, route, tc, visibility, wildcards);
        var external = new List<JsonObject>();
        foreach (var request in plan.External)
            external.Add(request.Wildcard ?? await EnsureCertificateAsync(route, request.Desired, now, ct).ConfigureAwait(false));
        var local = new List<JsonObject>();
        foreach (var request in plan.ClusterLocal)
            local.Add(await EnsureCertificateAsync(route, request.Desired, now, ct).ConfigureAwait(false));
        if (plan.ExternalEnabled || plan.ClusterLocalEnabled)
        {
            var labelled = ctx.Certificates.List(ns, LabelSelector.FromEquality(new Dictionary<string, string> { [Keys.RouteLabel] = Meta.Name(route) }));
            foreach (var orphan in RouteTls.Orphans(plan, labelled))
            {
                await ctx.For(ServingKinds.Certificates).DeleteAsync(ns, Meta.Name(orphan), ct: ct).ConfigureAwait(false);
                LogOrphanDeleted(_log, ns + "/" + Meta.Name(orphan));
            }
        }
        return RouteTls.Resolve(config, plan, external, local);
    }

    private async Task<JsonObject> EnsureCertificateAsync(JsonObject route, JsonObject desired, DateTimeOffset now, CancellationToken ct)
    {
        var existing = ctx.Certificates.Get(Meta.Namespace(desired), Meta.Name(desired));
        if (existing is not null && !Meta.IsControlledBy(existing, Meta.Uid(route)))
        {
            var (message, error) = RouteTls.NotOwned(route, "*v1.Route", Meta.Name(desired));
            var cm = new StatusConditions(Json.EnsureObj(route, "status"), now, "Ready", StatusConditions.RouteDependents);
            cm.MarkFalse("CertificateProvisioned", "CertificateNotOwned", message);
            throw new PermanentReconcileException(error);
        }
        return await Children.EnsureAsync(ctx, ServingKinds.Certificates, existing, desired, _log, ct).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted orphaned Knative Certificate {knative_dev_key}")]
    private static partial void LogOrphanDeleted(ILogger logger, string knative_dev_key);

    /// <summary>The labeler (§0, upstream's labeler controller): Configurations and Revisions the Route's traffic
    /// names list it in their routes annotation (Revisions turn routingState active); once the Route is resolved,
    /// active ones no longer named drop it (Revisions go reserve). Reads the Route as it came from the lister.</summary>
    private async Task LabelAsync(JsonObject route, DateTimeOffset now, CancellationToken ct)
    {
        var ns = Meta.Namespace(route);
        var name = Meta.Name(route);
        var targets = Labeler.Targets(route, n => ctx.Configurations.Get(ns, n), n => ctx.Revisions.Get(ns, n));
        // Only what the Route names plus, once resolved, what still lists it (by index, not a scan of the namespace).
        var listedRoute = RouteIndexes.ListedRoute(ns, name);
        foreach (var cfg in Candidates(ctx.Configurations, ns, targets.Configurations, targets.ClearUnlisted, listedRoute))
        {
            var listed = targets.Configurations.Contains(Meta.Name(cfg));
            if (!listed && !(targets.ClearUnlisted && Labeler.Lists(cfg, name))) continue;
            var m = Labeler.ForConfiguration(cfg, name, listed);
            if (m.Changed) await ctx.For(ServingKinds.Configurations).UpdateAsync(Labeler.Apply(cfg, m), ct: ct).ConfigureAwait(false);
        }
        foreach (var rev in Candidates(ctx.Revisions, ns, targets.Revisions, targets.ClearUnlisted, listedRoute))
        {
            var listed = targets.Revisions.Contains(Meta.Name(rev));
            var clear = targets.ClearUnlisted && Labeler.Lists(rev, name) && Meta.Labels(rev).GetValueOrDefault(Keys.RoutingStateLabel) == "active";
            if (!listed && !clear) continue;
            var m = Labeler.ForRevision(rev, name, listed, now);
            if (m.Changed) await ctx.For(ServingKinds.Revisions).UpdateAsync(Labeler.Apply(rev, m), ct: ct).ConfigureAwait(false);
        }
    }

    /// <summary>The named objects that exist, plus (when <paramref name="withListing"/>) those whose routes annotation
    /// lists the Route, in name order.</summary>
    private static IEnumerable<JsonObject> Candidates(Lister<JsonObject> lister, string ns, IReadOnlySet<string> named, bool withListing, string listedRoute)
    {
        var names = new SortedSet<string>(named, StringComparer.Ordinal);
        if (withListing)
            foreach (var e in lister.Indexer.ByIndex(RouteIndexes.ListedRoutes, listedRoute)) names.Add(e.Header.Name);
        foreach (var n in names)
            if (lister.Get(ns, n) is { } obj) yield return obj;
    }
}
