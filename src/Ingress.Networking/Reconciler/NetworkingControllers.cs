using Ingress.Api.Core.V1;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Kube.Typed;
using Ingress.Networking.Config;
using Ingress.Networking.Probing;
using Ingress.Networking.Resources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;
using GatewayModel = Ingress.Api.Istio.Networking.V1Beta1.Gateway;

namespace Ingress.Networking.Reconciler;

/// <summary>Options of <see cref="NetworkingControllers.Register"/>. Every default says why.</summary>
public sealed class NetworkingControllerOptions
{
    /// <summary>Where config-istio and config-network live. Default knative-serving, where Knative installs (upstream reads SYSTEM_NAMESPACE).</summary>
    public string SystemNamespace { get; init; } = NetworkingConstants.DefaultSystemNamespace;

    /// <summary>Cluster domain for the default gateway URLs and mesh hosts. Default cluster.local, Kubernetes' default.</summary>
    public string ClusterDomain { get; init; } = NetworkingConstants.DefaultClusterDomain;

    /// <summary>
    /// Namespaces whose Services and Endpoints are watched to find gateway pods and gateway Services. Default
    /// istio-system, where both default gateway Services (istio-ingressgateway, knative-local-gateway) live; a
    /// config-istio pointing at Services elsewhere needs that namespace listed here (only these are cached, not every Service).
    /// </summary>
    public IReadOnlyList<string> GatewayServiceNamespaces { get; init; } = [IstioConfig.IstioNamespace];

    /// <summary>Null (the default): probe the gateway pods. True/false: answer every probe with this instead (render).</summary>
    public bool? FixedProbeAnswer { get; init; }

    public ProberOptions? Prober { get; init; }

    /// <summary>Workers of the controller; default 2, Knative's threads per controller.</summary>
    public int Workers { get; init; } = 2;

    /// <summary>Resync of the KIngress handler; default 10 h, Knative's controller resync.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromHours(10);

    /// <summary>Where events go; null creates one with component <see cref="NetworkingControllers.Component"/>.</summary>
    public EventRecorder? Events { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// The Istio KIngress controller wired onto shared informers: KIngresses, VirtualServices, Gateways, label-scoped
/// Secrets, the system namespace's ConfigMaps, and Services/Endpoints in the gateway namespaces. A host starts the
/// informers, waits for sync and runs <see cref="Controllers"/>.
/// </summary>
public sealed partial class NetworkingControllers : IAsyncDisposable
{
    /// <summary>The controller's name (knative.dev/controller in logs, queue metrics).</summary>
    public const string ControllerName = "ingress";
    public const string Component = "istio-ingress-controller";
    public const string FieldManager = "istio-ingress-controller";
    /// <summary>Reason of the Warning event recorded on a rejected config-istio / config-network.</summary>
    public const string InvalidConfigReason = "InvalidConfiguration";

    private readonly bool _ownsEvents;

    private NetworkingControllers(Controller controller, IngressReconciler reconciler, IngressConfigStore config,
        IIngressReadiness readiness, EventRecorder events, bool ownsEvents, InformerGatewayPodLookups lookups)
    {
        Ingress = controller;
        Reconciler = reconciler;
        Config = config;
        Readiness = readiness;
        Events = events;
        _ownsEvents = ownsEvents;
        GatewayPods = lookups;
    }

    public Controller Ingress { get; }
    public IngressReconciler Reconciler { get; }
    public IngressConfigStore Config { get; }
    public IIngressReadiness Readiness { get; }
    public EventRecorder Events { get; }
    public IGatewayPodLookups GatewayPods { get; }

    /// <summary>The controllers to run.</summary>
    public IReadOnlyList<Controller> Controllers => [Ingress];

    public static NetworkingControllers Register(KubeClient client, SharedInformerFactory informers,
        NetworkingControllerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(informers);
        options ??= new NetworkingControllerOptions();
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger("Ingress.Networking.Controllers");

        var ingresses = informers.For<IngressModel>();
        var virtualServices = informers.For<VirtualService>();
        var gateways = informers.For<GatewayModel>();
        // Only Secrets carrying the certificate-uid label (Knative certificates' Secrets and our copies, which keep it):
        // caching every Secret of the cluster would be a memory and security cost (upstream filters the same way).
        var secrets = informers.For<Secret>(new InformerScope(LabelSelector: NetworkingConstants.CertificateUidLabel));
        var configMaps = informers.For<ConfigMap>(new InformerScope(Namespace: options.SystemNamespace));
        var services = options.GatewayServiceNamespaces.Distinct(StringComparer.Ordinal)
            .ToDictionary(ns => ns, ns => informers.For<Service>(new InformerScope(Namespace: ns)), StringComparer.Ordinal);
        var endpoints = options.GatewayServiceNamespaces.Distinct(StringComparer.Ordinal)
            .ToDictionary(ns => ns, ns => informers.For<Endpoints>(new InformerScope(Namespace: ns)), StringComparer.Ordinal);

        var events = options.Events ?? new EventRecorder(client, Component);
        var config = new IngressConfigStore(options.SystemNamespace, options.ClusterDomain, loggerFactory.CreateLogger<IngressConfigStore>());
        var lookups = new InformerGatewayPodLookups(gateways.Lister,
            services.ToDictionary(kv => kv.Key, kv => kv.Value.Lister, StringComparer.Ordinal),
            endpoints.ToDictionary(kv => kv.Key, kv => kv.Value.Lister, StringComparer.Ordinal));

        Controller? controller = null;
        IIngressReadiness readiness = options.FixedProbeAnswer is { } answer
            ? new FixedReadiness(answer)
            : new ProberReadiness(new IngressProber(new LookupProbeTargetSource(lookups),
                subject => controller?.Enqueue(subject.Key), options.Prober, loggerFactory.CreateLogger<IngressProber>()));

        var reconciler = new IngressReconciler(new IngressReconcilerContext
        {
            Client = client,
            VirtualServices = virtualServices.Lister,
            Gateways = gateways.Lister,
            Secrets = secrets.Lister,
            ServicesByNamespace = services.ToDictionary(kv => kv.Key, kv => kv.Value.Lister, StringComparer.Ordinal),
            Config = config,
            Readiness = readiness,
            Events = events,
            SystemNamespace = options.SystemNamespace,
            ClusterDomain = options.ClusterDomain,
            Time = options.Time,
            LoggerFactory = loggerFactory,
        });
        var host = informers.ReconcilerHost<IngressModel>(reconciler, events,
            new KindReconcilerOptions { FinalizerName = NetworkingConstants.Finalizer, FieldManager = FieldManager });
        controller = new Controller(new ControllerOptions { Name = ControllerName, Workers = options.Workers, Time = options.Time },
            new IstioClassGate(ingresses.Lister, host), loggerFactory);

        ingresses.AddEventHandler(controller.EnqueueHandler<IngressModel>(), options.ResyncPeriod);
        ingresses.AddEventHandler(new ResourceEventHandler<IngressModel>
        {
            Delete = (_, h) => readiness.Forget(h.Key),
        });
        const string ingressGroup = "networking.internal.knative.dev";
        virtualServices.AddEventHandler(controller.EnqueueControllerOfHandler<VirtualService>(NetworkingConstants.IngressKind, ingressGroup));
        gateways.AddEventHandler(controller.EnqueueControllerOfHandler<GatewayModel>(NetworkingConstants.IngressKind, ingressGroup));

        // A changed ConfigMap: the store keeps the last good value; a rejected one is an Event on the ConfigMap.
        void OnConfigMap(ConfigMap cm, ObjectHeader header)
        {
            if (header.Name is not (NetworkingConstants.IstioConfigMapName or NetworkingConstants.NetworkConfigMapName)) return;
            var error = config.Update(header.Name, cm.Data ?? new Dictionary<string, string>());
            if (error is not null)
                events.Record(TypedKinds.Descriptor<ConfigMap>(), header, EventType.Warning, InvalidConfigReason,
                    $"{header.Name} rejected, keeping the last good value: {error.Message}");
        }
        configMaps.AddEventHandler(new ResourceEventHandler<ConfigMap>
        {
            Add = (cm, h, _) => OnConfigMap(cm, h),
            Update = (_, cm, h, resync) => { if (!resync) OnConfigMap(cm, h); },
        });
        // Global resync (§3.1): every Istio-class KIngress is reconciled with the new configuration.
        config.Changed += _ => controller!.EnqueueAllSlow(ingresses.Lister.List()
            .Where(IngressSpecs.IsIstioClass).Select(TypedKinds.KeyOf));

        if (readiness is ProberReadiness real)
        {
            // Gateway pods joined or left: probe the new ones and count the vanished ones done, at once.
            foreach (var informer in endpoints.Values)
            {
                informer.AddEventHandler(new ResourceEventHandler<Endpoints>
                {
                    Add = (_, _, initial) => { if (!initial) TargetsChanged(real.Prober, logger); },
                    Update = (_, _, _, resync) => { if (!resync) TargetsChanged(real.Prober, logger); },
                    Delete = (_, _) => TargetsChanged(real.Prober, logger),
                });
            }
        }
        return new NetworkingControllers(controller, reconciler, config, readiness, events, options.Events is null, lookups);
    }

    private static void TargetsChanged(IngressProber prober, ILogger logger) =>
        _ = prober.TargetsChangedAsync().ContinueWith(t => LogTargetsChangedFailed(logger, t.Exception!),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    /// <summary>Runs the controller until cancelled (informers must be started and synced).</summary>
    public Task RunAsync(CancellationToken ct) => Ingress.RunAsync(ct);

    public async ValueTask DisposeAsync()
    {
        if (Readiness is ProberReadiness real) await real.Prober.DisposeAsync().ConfigureAwait(false);
        if (_ownsEvents) await Events.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Warning, Message = "Re-resolving gateway probe targets failed")]
    private static partial void LogTargetsChangedFailed(ILogger logger, Exception error);
}

/// <summary>
/// Drops keys of KIngresses of another class before the generic host sees them, so that such objects are never
/// touched (no finalizer, no observedGeneration). One that still carries our finalizer while being deleted (its class
/// changed after we adopted it) goes through, so its finalizer can be removed.
/// </summary>
internal sealed class IstioClassGate(Lister<IngressModel> ingresses, IReconciler inner) : IReconciler
{
    public Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct)
    {
        var entry = ingresses.GetEntry(key);
        if (entry is not null && !IngressSpecs.IsIstioClass(entry.Object)
            && !(entry.Header.IsBeingDeleted && entry.Header.Finalizers.Contains(NetworkingConstants.Finalizer)))
            return Task.FromResult(ReconcileResult.Done);
        return inner.ReconcileAsync(key, ct);
    }
}

/// <summary><see cref="IGatewayPodLookups"/> over the informers' caches.</summary>
public sealed class InformerGatewayPodLookups(Lister<GatewayModel> gateways,
    IReadOnlyDictionary<string, Lister<Service>> services, IReadOnlyDictionary<string, Lister<Endpoints>> endpoints) : IGatewayPodLookups
{
    public GatewayModel? GetGateway(string ns, string name) => gateways.Get(ns, name);

    public IEnumerable<Service> ServicesMatching(IReadOnlyDictionary<string, string> selector) =>
        services.Values.SelectMany(l => l.List()).Where(s => GatewayProbeTargets.SelectorMatches(selector, s.Metadata.Labels));

    public Endpoints? GetEndpoints(string ns, string name) => endpoints.TryGetValue(ns, out var l) ? l.Get(ns, name) : null;
}
