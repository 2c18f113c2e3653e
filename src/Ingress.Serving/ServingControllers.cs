using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Ingress.ApiServer;
using Ingress.ApiServer.Admission;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Serving.Config;
using Ingress.Serving.Images;
using Ingress.Serving.Reconcilers;
using Ingress.Serving.Resources;
using Ingress.Serving.Webhook;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Serving;

/// <summary>Options of <see cref="ServingControllers.Register"/>.</summary>
public sealed class ServingControllerOptions
{
    /// <summary>Where the config maps live. Default <c>knative-serving</c>, Knative's system namespace.</summary>
    public string SystemNamespace { get; init; } = "knative-serving";
    /// <summary>The cluster's DNS domain; default <c>cluster.local</c> (Kubernetes' default). Set globally through
    /// <see cref="ClusterDomain.Override"/> because the host builders read it there.</summary>
    public string? ClusterDomainName { get; init; } = "cluster.local";
    /// <summary>Workers per controller; default 2, Knative's threads per controller.</summary>
    public int Workers { get; init; } = 2;
    /// <summary>Resync period of the primary kinds; default 10 h, Knative's controller resync.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromHours(10);
    /// <summary>The Revision reconciler creates a missing ServerlessService (owned by the PodAutoscaler). Upstream the
    /// KPA creates it; default true so a host without the autoscaler still gets one. The KPA updates it either way.</summary>
    public bool CreateServerlessServices { get; init; } = true;
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>How Revisions resolve image tags to digests. Default <see cref="ImageDigestResolvers.None"/> (render, up,
    /// tests): resolution needs a registry, which only a cluster host has; <c>ingress controller</c> passes a
    /// <see cref="RegistryDigestResolver"/>.</summary>
    public IImageDigestResolver ImageDigests { get; init; } = ImageDigestResolvers.None;
    /// <summary>Component name on recorded Events.</summary>
    public string EventComponent { get; init; } = "serving-controller";
}

/// <summary>
/// The serving controllers (service, configuration, revision, route, domainmapping) wired onto shared informers,
/// plus live config maps: a ConfigMap informer scoped to the system namespace feeds <see cref="ConfigStore"/>;
/// a good change re-enqueues every object of every controller, a bad one keeps the last good value and records a
/// Warning Event on the ConfigMap. A host starts the informers and runs <see cref="Controllers"/>.
/// </summary>
public sealed partial class ServingControllers : IAsyncDisposable
{
    private ServingControllers(ServingContext context, ConfigStore store, EventRecorder events, IReadOnlyList<Controller> controllers)
    {
        Context = context;
        ConfigStore = store;
        Events = events;
        Controllers = controllers;
    }

    public ServingContext Context { get; }
    public ConfigStore ConfigStore { get; }
    public EventRecorder Events { get; }
    /// <summary>service, configuration, revision, route, domainmapping, namespace-wildcard-cert.</summary>
    public IReadOnlyList<Controller> Controllers { get; }
    public Controller Controller(string name) => Controllers.Single(c => c.Name == name);

    public static ServingControllers Register(KubeClient client, SharedInformerFactory informers,
        ServingControllerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(informers);
        options ??= new ServingControllerOptions();
        loggerFactory ??= NullLoggerFactory.Instance;
        if (options.ClusterDomainName is { Length: > 0 } cd) ClusterDomain.Override(cd);
        var log = loggerFactory.CreateLogger("Ingress.Serving.Controllers");

        SharedInformer<JsonObject> I(ResourceDescriptor r) => informers.Dynamic(r);
        var services = I(ServingKinds.Services);
        var configurations = I(ServingKinds.Configurations);
        var revisions = I(ServingKinds.Revisions);
        var routes = I(ServingKinds.Routes);
        var domainMappings = I(ServingKinds.DomainMappings);
        var ingresses = I(ServingKinds.Ingresses);
        var skss = I(ServingKinds.ServerlessServices);
        var claims = I(ServingKinds.ClusterDomainClaims);
        var pas = I(ServingKinds.PodAutoscalers);
        var deployments = I(ServingKinds.Deployments);
        var coreServices = I(ServingKinds.CoreServices);
        var configMaps = informers.Dynamic(ResourceDescriptor.ConfigMaps, new InformerScope(options.SystemNamespace));
        var certificates = I(ServingKinds.Certificates);
        // Only Endpoints a Route made (its placeholder for a load balancer IP carries the route label): never all of them.
        var endpoints = informers.Dynamic(ServingKinds.Endpoints, new InformerScope(LabelSelector: Keys.RouteLabel));
        // Namespaces: the namespace wildcard certificate controller's primary kind (needs list/watch on namespaces).
        var namespaces = I(ResourceDescriptor.Namespaces);

        RouteIndexes.AddTrafficReferences(routes.Lister.Indexer);
        RouteIndexes.AddListedRoutes(configurations.Lister.Indexer);
        RouteIndexes.AddListedRoutes(revisions.Lister.Indexer);

        var store = new ConfigStore(loggerFactory.CreateLogger<ConfigStore>());
        var events = new EventRecorder(client, options.EventComponent);
        var ctx = new ServingContext
        {
            Client = client,
            Config = () => store.Current,
            Time = options.Time,
            Events = events,
            SystemNamespace = options.SystemNamespace,
            CreateServerlessServices = options.CreateServerlessServices,
            LoggerFactory = loggerFactory,
            ImageDigests = options.ImageDigests,
            Services = services.Lister,
            Configurations = configurations.Lister,
            Revisions = revisions.Lister,
            Routes = routes.Lister,
            DomainMappings = domainMappings.Lister,
            Ingresses = ingresses.Lister,
            ServerlessServices = skss.Lister,
            ClusterDomainClaims = claims.Lister,
            PodAutoscalers = pas.Lister,
            Deployments = deployments.Lister,
            CoreServices = coreServices.Lister,
            Certificates = certificates.Lister,
            PlaceholderEndpoints = endpoints.Lister,
        };

        Controller Make(string name, SharedInformer<JsonObject> informer, ResourceDescriptor resource, IKindReconciler<JsonObject> reconciler)
        {
            var host = new KindReconcilerHost<JsonObject>(informer, client.Dynamic(resource), reconciler, events);
            var c = new Controller(new ControllerOptions { Name = name, Workers = options.Workers, Time = options.Time }, host, loggerFactory);
            informer.AddEventHandler(c.EnqueueHandler<JsonObject>(), options.ResyncPeriod);
            return c;
        }
        var service = Make(ServiceReconciler.ControllerName, services, ServingKinds.Services, new ServiceReconciler(ctx));
        var configuration = Make(ConfigurationReconciler.ControllerName, configurations, ServingKinds.Configurations, new ConfigurationReconciler(ctx));
        var revision = Make(RevisionReconciler.ControllerName, revisions, ServingKinds.Revisions, new RevisionReconciler(ctx));
        var route = Make(RouteReconciler.ControllerName, routes, ServingKinds.Routes, new RouteReconciler(ctx));
        var domainMapping = Make(DomainMappingReconciler.ControllerName, domainMappings, ServingKinds.DomainMappings, new DomainMappingReconciler(ctx));
        // A Namespace has no status of ours: no observedGeneration is written onto it.
        var nsCertHost = new KindReconcilerHost<JsonObject>(namespaces, client.Dynamic(ResourceDescriptor.Namespaces),
            new NamespaceWildcardCertReconciler(ctx), events, new KindReconcilerOptions { SetObservedGeneration = false });
        var namespaceCert = new Controller(new ControllerOptions { Name = NamespaceWildcardCertReconciler.ControllerName, Workers = options.Workers, Time = options.Time }, nsCertHost, loggerFactory);
        namespaces.AddEventHandler(namespaceCert.EnqueueHandler<JsonObject>(), options.ResyncPeriod);

        const string serving = "serving.knative.dev";
        configurations.AddEventHandler(service.EnqueueControllerOfHandler<JsonObject>("Service", serving));
        routes.AddEventHandler(service.EnqueueControllerOfHandler<JsonObject>("Service", serving));
        revisions.AddEventHandler(configuration.EnqueueControllerOfHandler<JsonObject>("Configuration", serving));
        deployments.AddEventHandler(revision.EnqueueControllerOfHandler<JsonObject>("Revision", serving));
        pas.AddEventHandler(revision.EnqueueControllerOfHandler<JsonObject>("Revision", serving));
        ingresses.AddEventHandler(route.EnqueueControllerOfHandler<JsonObject>("Route", serving));
        coreServices.AddEventHandler(route.EnqueueControllerOfHandler<JsonObject>("Route", serving));
        ingresses.AddEventHandler(domainMapping.EnqueueControllerOfHandler<JsonObject>("DomainMapping", serving));
        certificates.AddEventHandler(route.EnqueueControllerOfHandler<JsonObject>("Route", serving));
        certificates.AddEventHandler(domainMapping.EnqueueControllerOfHandler<JsonObject>("DomainMapping", serving));
        endpoints.AddEventHandler(route.EnqueueControllerOfHandler<JsonObject>("Route", serving));
        // A namespace wildcard Certificate appearing or turning Ready changes which certificate the namespace's Routes use.
        // A Namespace's Certificate changing or going away re-reconciles the Namespace (its key is its bare name).
        certificates.AddEventHandler(OnChange(h =>
        {
            foreach (var o in h.OwnerReferences)
                if (o.Controller && o.Kind == "Namespace" && o.ApiVersion == "v1") namespaceCert.Enqueue(o.Name);
        }));
        certificates.AddEventHandler(OnChange(h =>
        {
            if (!h.Labels.ContainsKey(Resources.CertificateKeys.WildcardDomainLabel)) return;
            foreach (var r in routes.Lister.List(h.Namespace)) route.Enqueue(ObjectKeyOf(r));
        }));

        // Routes track the Configurations and Revisions their traffic names (upstream's tracker), found through
        // an index of the Routes' traffic rather than a scan of the namespace (N² with many Routes).
        configurations.AddEventHandler(OnChange(h => EnqueueRoutesReferencing(route, routes.Lister, h.Namespace, "configurationName", h.Name)));
        revisions.AddEventHandler(OnChange(h =>
        {
            EnqueueRoutesReferencing(route, routes.Lister, h.Namespace, "revisionName", h.Name);
            if (h.Labels.TryGetValue(Keys.ConfigurationLabel, out var cfg))
                EnqueueRoutesReferencing(route, routes.Lister, h.Namespace, "configurationName", cfg);
        }));
        // DomainMappings track what they reference and their claim.
        void EnqueueMappings(ObjectHeader h, string kind)
        {
            foreach (var dm in domainMappings.Lister.List(h.Namespace))
            {
                var r = Json.Obj(Json.Obj(dm, "spec"), "ref");
                if (Json.Str(r, "kind") == kind && Json.Str(r, "name") == h.Name) domainMapping.Enqueue(ObjectKeyOf(dm));
            }
        }
        services.AddEventHandler(OnChange(h => EnqueueMappings(h, "Service")));
        routes.AddEventHandler(OnChange(h => EnqueueMappings(h, "Route")));
        claims.AddEventHandler(OnChange(h =>
        {
            foreach (var dm in domainMappings.Lister.List().Where(d => Meta.Name(d) == h.Name)) domainMapping.Enqueue(ObjectKeyOf(dm));
        }));

        var controllers = new List<Controller> { service, configuration, revision, route, domainMapping, namespaceCert };
        // Live config maps.
        configMaps.AddEventHandler(new ResourceEventHandler<JsonObject>
        {
            Add = (cm, h, _) => ApplyConfigMap(store, events, log, cm, h),
            Update = (_, cm, h, resync) => { if (!resync) ApplyConfigMap(store, events, log, cm, h); },
            Delete = (_, h) => store.Apply(h.Name, null),
        });
        store.Changed += (_, name) =>
        {
            LogReenqueue(log, name);
            service.EnqueueAllSlow(services.Lister.List().Select(ObjectKeyOf));
            configuration.EnqueueAllSlow(configurations.Lister.List().Select(ObjectKeyOf));
            revision.EnqueueAllSlow(revisions.Lister.List().Select(ObjectKeyOf));
            // Routes and mappings go in the fast lane: host changes must show within seconds.
            foreach (var r in routes.Lister.List()) route.Enqueue(ObjectKeyOf(r));
            foreach (var d in domainMappings.Lister.List()) domainMapping.Enqueue(ObjectKeyOf(d));
            // config-network (selector, template, class) and config-domain (domains) decide the wildcard Certificates.
            if (name is ConfigNetwork.Name or ConfigDomain.Name)
                foreach (var n in namespaces.Lister.List()) namespaceCert.Enqueue(Meta.Name(n));
        };
        return new ServingControllers(ctx, store, events, controllers);
    }

    private static void ApplyConfigMap(ConfigStore store, EventRecorder events, ILogger log, JsonObject cm, ObjectHeader header)
    {
        if (!ConfigStore.WatchedNames.Contains(header.Name)) return;
        var result = store.Apply(header.Name, Json.Map(cm, "data"));
        if (result.Outcome == ConfigUpdateOutcome.Rejected)
            events.Record(ResourceDescriptor.ConfigMaps, header, EventType.Warning, "InvalidConfigMap",
                $"Failed to parse ConfigMap \"{header.Name}\", keeping the last good value: {result.Error}");
    }

    private static ResourceEventHandler<JsonObject> OnChange(Action<ObjectHeader> action) => new()
    {
        Add = (_, h, _) => action(h),
        Update = (_, _, h, resync) => { if (!resync) action(h); },
        Delete = (_, h) => action(h),
    };

    private static void EnqueueRoutesReferencing(Controller route, Lister<JsonObject> routes, string? ns, string field, string name)
    {
        foreach (var r in routes.Indexer.ByIndex(RouteIndexes.TrafficReferences, RouteIndexes.TrafficReference(field, ns, name)))
            route.Enqueue(r.Key);
    }

    private static string ObjectKeyOf(JsonObject o) => ObjectKey.Of(Meta.Namespace(o), Meta.Name(o));

    /// <summary>Runs every controller until cancelled (informers must be started and synced).</summary>
    public Task RunAsync(CancellationToken ct) => Task.WhenAll(Controllers.Select(c => c.RunAsync(ct)));

    public ValueTask DisposeAsync() => Events.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "ConfigMap {knative_dev_key} changed: re-enqueueing every serving object")]
    private static partial void LogReenqueue(ILogger logger, string knative_dev_key);
}

/// <summary>Registers <see cref="ServingAdmission"/> on the embedded API server as a mutating (defaulting) and
/// validating hook for serving.knative.dev kinds and the system namespace's config maps.</summary>
public static class ServingAdmissionHooks
{
    public const string HookName = "webhook.serving.knative.dev";
    private static readonly ConditionalWeakTable<ApiServerHost, object> Registered = new();

    /// <summary>Adds the hooks once per server (before it starts); returns false when they were already added.
    /// <paramref name="configMaps"/> false leaves the system namespace's ConfigMaps unchecked at admission (then only
    /// the controllers' ConfigStore judges them, keeping the last good value).</summary>
    public static bool Register(ApiServerHost server, ServingAdmission admission, bool configMaps = true)
    {
        ArgumentNullException.ThrowIfNull(server);
        lock (Registered)
        {
            if (Registered.TryGetValue(server, out _)) return false;
            server.AddAdmissionHook(new Hook(admission, configMaps));
            Registered.Add(server, admission);
            return true;
        }
    }

    /// <summary>The same hook as a standalone object, for hosts that serve it elsewhere (the HTTPS admission webhook).</summary>
    public static IAdmissionHook Create(ServingAdmission admission, bool configMaps = true) => new Hook(admission, configMaps);

    private sealed class Hook(ServingAdmission admission, bool configMaps) : IAdmissionHook
    {
        public string Name => HookName;

        public bool Handles(string group, string kind) => group == "serving.knative.dev" || (configMaps && group.Length == 0 && kind == "ConfigMap");

        public AdmissionResult Mutate(AdmissionRequest request)
        {
            if (request.Subresource is not null || request.Operation == AdmissionOperation.Delete || !admission.Handles(request.Object))
                return AdmissionResult.Allow;
            var defaulted = admission.Default(request.Object, request.OldObject);
            foreach (var key in request.Object.Select(p => p.Key).ToList()) request.Object.Remove(key);
            foreach (var (k, v) in defaulted.ToList())
            {
                defaulted.Remove(k);
                request.Object[k] = v;
            }
            return AdmissionResult.Allow;
        }

        public AdmissionResult Validate(AdmissionRequest request)
        {
            if (request.Subresource is not null || request.Operation == AdmissionOperation.Delete || !admission.Handles(request.Object))
                return AdmissionResult.Allow;
            return admission.Validate(request.Object, request.OldObject) is { } denial ? AdmissionResult.Deny(denial) : AdmissionResult.Allow;
        }
    }
}
