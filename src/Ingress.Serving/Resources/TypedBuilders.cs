using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Serving.Config;
using Ingress.Serving.Domains;
using Ingress.Serving.Status;
using Deployment = Ingress.Api.Apps.V1.Deployment;
using DomainMapping = Ingress.Api.Serving.V1Beta1.DomainMapping;
using KIngress = Ingress.Api.Networking.V1Alpha1.Ingress;
using KService = Ingress.Api.Serving.V1.Service;
using PodAutoscaler = Ingress.Api.Autoscaling.V1Alpha1.PodAutoscaler;
using ServerlessService = Ingress.Api.Networking.V1Alpha1.ServerlessService;
using CoreService = Ingress.Api.Core.V1.Service;
using Configuration = Ingress.Api.Serving.V1.Configuration;
using Revision = Ingress.Api.Serving.V1.Revision;
using Route = Ingress.Api.Serving.V1.Route;

namespace Ingress.Serving.Resources;

/// <summary>The builders and status functions over the generated models, for the reconcilers. They delegate
/// to the JSON builders (the object as the API server stores it, unknown fields preserved) through
/// <see cref="KubeJson"/>, so both forms always agree.</summary>
public static class TypedBuilders
{
    public static JsonObject ToJson<T>(T value) => (JsonObject)KubeJson.ToNode(value);
    public static T FromJson<T>(JsonObject node) => KubeJson.FromNode<T>(node);

    public static Configuration MakeConfiguration(KService service, Configuration? existing) =>
        FromJson<Configuration>(ServiceResources.MakeConfiguration(ToJson(service), existing is null ? null : ToJson(existing)));

    public static Route MakeRoute(KService service) => FromJson<Route>(ServiceResources.MakeRoute(ToJson(service)));

    public static Revision MakeRevision(Configuration configuration, DateTimeOffset now) =>
        FromJson<Revision>(RevisionResources.MakeRevision(ToJson(configuration), now));

    public static (TrafficConfig Config, TrafficTargetError? Error) BuildTraffic(Route route,
        Func<string, Configuration?> getConfiguration, Func<string, Revision?> getRevision) =>
        TrafficBuilder.Build(ToJson(route),
            n => getConfiguration(n) is { } c ? ToJson(c) : null,
            n => getRevision(n) is { } r ? ToJson(r) : null);

    public static SortedDictionary<string, Visibility> Visibilities(ServingConfig config, Route route, TrafficConfig tc,
        Func<string, CoreService?> getPlaceholder) =>
        TrafficBuilder.Visibilities(config, ToJson(route), tc, host => getPlaceholder(host)?.Metadata.Labels);

    public static KIngress MakeIngress(ServingConfig config, Route route, TrafficConfig tc,
        IReadOnlyDictionary<string, Visibility> visibility, Rollout? rollout = null) =>
        FromJson<KIngress>(IngressResources.MakeIngress(config, ToJson(route), tc, visibility, null, rollout));

    public static List<CoreService> MakePlaceholderServices(ServingConfig config, Route route, TrafficConfig tc) =>
        PlaceholderServices.Make(config, ToJson(route), tc).Select(FromJson<CoreService>).ToList();

    public static Deployment MakeDeployment(ServingConfig config, Revision revision, int initialScale = 1, string systemNamespace = "knative-serving") =>
        FromJson<Deployment>(DeploymentResources.MakeDeployment(config, ToJson(revision), initialScale, systemNamespace));

    public static PodAutoscaler MakePodAutoscaler(Revision revision, string defaultClass = "kpa.autoscaling.knative.dev") =>
        FromJson<PodAutoscaler>(DeploymentResources.MakePodAutoscaler(ToJson(revision), defaultClass));

    public static ServerlessService MakeServerlessService(PodAutoscaler pa, string mode = "Proxy", int numActivators = 2) =>
        FromJson<ServerlessService>(DeploymentResources.MakeServerlessService(ToJson(pa), mode, numActivators));

    /// <summary>Computes the Route status; returns the Route with its new status and the decision.</summary>
    public static (Route Route, RouteStatus.Result Result) ComputeRouteStatus(ServingConfig config, Route route, DateTimeOffset now,
        TrafficConfig tc, TrafficTargetError? error, IReadOnlyDictionary<string, Visibility> visibility, KIngress? ingress)
    {
        var json = ToJson(route);
        var result = RouteStatus.Compute(config, json, now, tc, error, visibility, ingress is null ? null : ToJson(ingress));
        return (FromJson<Route>(json), result);
    }

    /// <summary>DomainMapping status and its KIngress (null when the reconcile stops before it).</summary>
    public static (DomainMapping DomainMapping, KIngress? Ingress, string? Error) ComputeDomainMapping(ServingConfig config,
        DomainMapping dm, DateTimeOffset now, JsonObject? claim, string? resolvedUrl, string? resolveError, KIngress? existing)
    {
        var json = ToJson(dm);
        var (ingress, error) = DomainMappingStatus.Compute(config, json, now, claim, resolvedUrl, resolveError, existing is null ? null : ToJson(existing));
        return (FromJson<DomainMapping>(json), ingress is null ? null : FromJson<KIngress>(ingress), error);
    }
}
