using System.Text.Json.Nodes;
using Ingress.Kube.Controller;
using Ingress.Serving.Resources;
using Ingress.Serving.Status;
using Ingress.Serving.Webhook;
using Microsoft.Extensions.Logging;

namespace Ingress.Serving.Reconcilers;

/// <summary>KService → Configuration + Route (§1.4), status aggregated from both (§1.5).</summary>
public sealed class ServiceReconciler(ServingContext ctx) : IKindReconciler<JsonObject>
{
    public const string ControllerName = "service";
    private readonly ILogger _log = ctx.LoggerFactory.CreateLogger("Ingress.Serving.Service");

    public async Task<ReconcileResult> ReconcileKindAsync(JsonObject service, CancellationToken ct)
    {
        var config = ctx.Config();
        var now = ctx.Time.GetUtcNow();
        var ns = Meta.Namespace(service);
        var name = Meta.Name(service);

        // Configuration.
        var existingCfg = ctx.Configurations.Get(ns, name);
        // §1.1: the reconciler re-runs the Service's defaulting (not the user annotations) before building
        // children, so a Service stored without defaults (render's inputs, an old object) still routes 100 % to
        // its latest revision.
        var source = DefaultedSpecOf(service, config);
        var desiredCfg = ServiceResources.MakeConfiguration(source, existingCfg);
        var configuration = await EnsureOwnedAsync(service, ServingKinds.Configurations, existingCfg, desiredCfg, config, ct).ConfigureAwait(false);
        if (configuration is null)
            throw new InvalidOperationException(ServiceStatus.ComputeConfigurationPart(service, now, existingCfg!, configurationOwned: false).ReconcileError);
        var cfgPart = ServiceStatus.ComputeConfigurationPart(service, now, configuration, configurationOwned: true);
        if (!cfgPart.TouchRoute) return ReconcileResult.Done;

        // §1.4 step 3: a BYO revision name held by a conflicting Revision stops here.
        var byo = RevisionResources.RevisionNameFor(configuration);
        if (RevisionResources.TemplateName(configuration).Length > 0
            && ServiceStatus.IsRevisionNameTaken(configuration, ctx.Revisions.Get(ns, byo)))
        {
            ServiceStatus.MarkRevisionNameTaken(service, now, byo);
            return ReconcileResult.Done;
        }

        // Route.
        var existingRoute = ctx.Routes.Get(ns, name);
        var desiredRoute = ServiceResources.MakeRoute(source);
        var route = await EnsureOwnedAsync(service, ServingKinds.Routes, existingRoute, desiredRoute, config, ct).ConfigureAwait(false);
        if (route is null)
            throw new InvalidOperationException(ServiceStatus.ComputeRoutePart(service, now, configuration, existingRoute!, routeOwned: false).ReconcileError);
        ServiceStatus.ComputeRoutePart(service, now, configuration, route, routeOwned: true);
        return ReconcileResult.Done;
    }

    /// <summary>Creates or updates a child the KService controls (§1.4 steps 1 and 4); null when another owner holds the name.</summary>
    private async Task<JsonObject?> EnsureOwnedAsync(JsonObject service, Kube.Client.ResourceDescriptor kind, JsonObject? existing, JsonObject desired,
        Config.ServingConfig config, CancellationToken ct) => Decide(service, existing, desired, config) switch
        {
            ChildAction.NotOwned => null,
            ChildAction.UpToDate => existing!,
            _ => await Children.EnsureAsync(ctx, kind, existing, desired, _log, ct).ConfigureAwait(false),
        };

    private static JsonObject DefaultedSpecOf(JsonObject service, Config.ServingConfig config)
    {
        var copy = (JsonObject)service.DeepClone();
        var spec = Json.EnsureObj(copy, "spec");
        ServingDefaulting.DefaultConfigurationSpec(spec, config, Json.Obj(copy, "metadata"), oldSpec: null, creating: false);
        ServingDefaulting.DefaultTraffic(spec, withDefaultConfigurationName: true);
        return copy;
    }

    /// <summary>§1.4 step 1: the existing child is compared after defaulting, as the webhook would have stored it.</summary>
    private static ChildAction Decide(JsonObject service, JsonObject? existing, JsonObject desired, Config.ServingConfig config)
    {
        if (existing is null) return ChildAction.Create;
        var defaulted = (JsonObject)existing.DeepClone();
        ServingDefaulting.Apply(defaulted, config);
        var action = ServiceStatus.Decide(service, defaulted, desired);
        // Fields the server added (defaults) do not make a child out of date.
        return action == ChildAction.Update && Children.SpecAndMetaCover(existing, desired) ? ChildAction.UpToDate : action;
    }
}
