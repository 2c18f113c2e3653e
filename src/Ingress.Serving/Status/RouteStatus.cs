using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Domains;
using Ingress.Serving.Resources;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Status;

/// <summary>The Route reconciler's status decisions (§5.1–§5.4) as one pure function.</summary>
public static class RouteStatus
{
    public const string IngressNotConfiguredReason = "IngressNotConfigured";
    public const string IngressNotConfiguredMessage = "Ingress has not yet been reconciled.";

    /// <summary>Outcome of <see cref="Compute"/>: whether the reconciler should go on to write placeholder
    /// Services and the KIngress, and the error it must return (domain/config errors are retried).</summary>
    public sealed record Result(bool ProceedToIngress, string? ReconcileError);

    /// <summary>Updates <c>route.status</c> in place. <paramref name="trafficError"/> is the traffic builder's
    /// error; <paramref name="ingress"/> the existing or just-written KIngress (null if none).</summary>
    public static Result Compute(ServingConfig config, JsonObject route, DateTimeOffset now, TrafficConfig tc,
        TrafficTargetError? trafficError, IReadOnlyDictionary<string, Visibility> visibility, JsonObject? ingress,
        Rollout? rollout = null, RouteTlsOutcome? tls = null)
    {
        var status = Json.EnsureObj(route, "status");
        var cm = new StatusConditions(status, now, "Ready", StatusConditions.RouteDependents);
        cm.Initialize();
        var generation = Meta.Generation(route);
        if ((Json.Long(status, "observedGeneration") ?? 0) != generation)
            cm.MarkUnknown("IngressReady", IngressNotConfiguredReason, IngressNotConfiguredMessage);

        var mainVisibility = visibility.GetValueOrDefault("", Visibility.ExternalIP);
        try
        {
            var host = DomainNames.DomainsForVisibility(config, TrafficBuilder.RouteMeta(route), "", mainVisibility).Primary;
            status["url"] = DomainNames.Url(config, mainVisibility, host);
        }
        catch (DomainNameException e)
        {
            cm.MarkFalse("AllTrafficAssigned", "ErrorConfig", e.Message);
            status["observedGeneration"] = generation;
            return new Result(false, e.Message);
        }

        if (trafficError is not null)
        {
            if (trafficError.IsFailure) cm.MarkFalse("AllTrafficAssigned", trafficError.Reason, trafficError.Message);
            else cm.MarkUnknown("AllTrafficAssigned", trafficError.Reason, trafficError.Message);
            status["observedGeneration"] = generation;
            return new Result(false, null);
        }

        try
        {
            var traffic = TrafficBuilder.StatusTraffic(config, route, tc, visibility, rollout);
            if (traffic.Count > 0) status["traffic"] = traffic;
            else status.Remove("traffic");
        }
        catch (DomainNameException e)
        {
            cm.MarkFalse("AllTrafficAssigned", "ErrorConfig", e.Message);
            status["observedGeneration"] = generation;
            return new Result(false, e.Message);
        }
        cm.MarkTrue("AllTrafficAssigned");
        status["address"] = new JsonObject { ["url"] = "http://" + DomainNames.ClusterLocalHost(Meta.Name(route), Meta.Namespace(route)) };

        // TLS: with the certificates' outcome (RouteTls) its replay; without one (first pass, pure callers) only the
        // disabled / cluster-local-only outcomes, and nothing when cluster-local-domain-tls decides the condition.
        if (tls is not null) tls.Apply(cm, status);
        else if (config.Network.ClusterLocalDomainTls != EncryptionMode.Enabled) MarkTlsNotEnabled(cm, config, route, visibility, mainVisibility);

        // As upstream: while a rollout is in progress the KIngress's Ready is not copied (an observed generation still is).
        var rolling = rollout is { InProgress: true };
        if (!rolling || ingress is null || (Json.Long(Json.Obj(ingress, "status"), "observedGeneration") ?? 0) != Meta.Generation(ingress))
            PropagateIngress(cm, ingress);
        if (rolling)
            cm.MarkUnknown("IngressReady", "RolloutInProgress", "A gradual rollout of the latest revision(s) is in progress.");
        status["observedGeneration"] = generation;
        return new Result(true, null);
    }

    private static void MarkTlsNotEnabled(StatusConditions cm, ServingConfig config, JsonObject route,
        IReadOnlyDictionary<string, Visibility> visibility, Visibility mainVisibility)
    {
        var allLocal = visibility.Values.All(v => v == Visibility.ClusterLocal) && mainVisibility == Visibility.ClusterLocal;
        if (!config.Network.ExternalDomainTls || ExternalTlsDisabledByAnnotation(Meta.Annotations(route)))
            cm.MarkTrueWithReason("CertificateProvisioned", "TLSNotEnabled", "external-domain-tls is not enabled");
        else if (allLocal)
            cm.MarkTrueWithReason("CertificateProvisioned", "TLSNotEnabled", "TLS is not enabled for cluster-local");
    }

    /// <summary>The per-route opt-out of external TLS (current key and legacy aliases).</summary>
    public static bool ExternalTlsDisabledByAnnotation(IReadOnlyDictionary<string, string> annotations)
    {
        var (_, v, found) = Meta.FirstOf(annotations, "networking.knative.dev/disable-external-domain-tls",
            "networking.knative.dev/disableAutoTLS", "networking.knative.dev/disable-auto-tls");
        return found && bool.TryParse(v, out var b) && b;
    }

    /// <summary>IngressReady from the KIngress: not yet observed → Unknown/IngressNotConfigured; else its Ready.</summary>
    public static void PropagateIngress(StatusConditions cm, JsonObject? ingress)
    {
        if (ingress is null || (Json.Long(Json.Obj(ingress, "status"), "observedGeneration") ?? 0) != Meta.Generation(ingress))
        {
            cm.MarkUnknown("IngressReady", IngressNotConfiguredReason, IngressNotConfiguredMessage);
            return;
        }
        cm.Propagate("IngressReady", Conditions.Get(ingress, "Ready"), IngressNotConfiguredReason, IngressNotConfiguredMessage);
    }
}
