using Ingress.Api.Apps.V1;
using Ingress.Api.Autoscaling.V1Alpha1;
using Ingress.Api.Core.V1;
using Ingress.Api.K8sAutoscaling.V2;
using Ingress.Api.Knative;
using Ingress.Api.Networking.V1Alpha1;
using Ingress.Autoscaling.Configuration;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Kube.Typed;
using Microsoft.Extensions.Logging;

namespace Ingress.Autoscaling.Reconciler;

/// <summary>Options of <see cref="AutoscalingControllers.Register"/>.</summary>
public sealed class AutoscalingControllerOptions
{
    /// <summary>config-autoscaler as currently known. Null (default): follow the <c>config-autoscaler</c>
    /// ConfigMap in <see cref="SystemNamespace"/> through an informer (<see cref="AutoscalingControllers.ConfigStore"/>),
    /// as upstream does; a change re-reconciles every PA.</summary>
    public Func<AutoscalerConfig>? Config { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>See <see cref="PodAutoscalerContext.DefaultProgressDeadline"/>.</summary>
    public TimeSpan DefaultProgressDeadline { get; init; } = TimeSpan.FromSeconds(600);
    /// <summary>Activator probe URL builder (namespace, public service, h2c); default the in-cluster DNS name.</summary>
    public Func<string, string, bool, Uri>? ActivatorProbeUrl { get; init; }
    /// <summary>See <see cref="PodAutoscalerContext.PrivateServiceMetricsUrl"/>; null keeps the in-cluster default.</summary>
    public Func<string, string, Uri?>? PrivateServiceMetricsUrl { get; init; }
    /// <summary>Queue-proxy's metrics port on pods (9090 upstream).</summary>
    public int PodMetricsPort { get; init; } = Api.Metrics.StatWire.MetricsPort;
    /// <summary>Workers per controller; default 2, Knative's threads per controller.</summary>
    public int Workers { get; init; } = 2;
    /// <summary>Resync period of the PA handlers; default 10 h, Knative's controller resync.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromHours(10);
    public AutoscalerTelemetry? Telemetry { get; init; }
    public HttpClient? HttpClient { get; init; }
    /// <summary>Also run the ServerlessService controller (upstream runs it in the serving controller process);
    /// default true, so one call wires everything an SKS needs.</summary>
    public bool IncludeServerlessServices { get; init; } = true;
    /// <summary>Namespace of the activator's Service; default <c>knative-serving</c>, upstream's system namespace.</summary>
    public string SystemNamespace { get; init; } = "knative-serving";
    /// <summary>The activator's Service name (its Endpoints list the activators); upstream's.</summary>
    public string ActivatorService { get; init; } = "activator-service";
}

/// <summary>
/// The autoscaler's controllers wired onto shared informers: the KPA and HPA PodAutoscaler controllers plus the
/// autoscaler runtime (collector + multiscaler) they feed. A host starts the informers, waits for sync and
/// calls <see cref="RunAsync"/>.
/// </summary>
public sealed class AutoscalingControllers : IDisposable
{
    private AutoscalingControllers(PodAutoscalerContext context, AutoscalerRuntime runtime, ActivatorProber prober, Controller kpa, Controller hpa, KpaReconciler kpaReconciler, Controller? sks)
    {
        ServerlessServices = sks;
        Context = context;
        Runtime = runtime;
        Prober = prober;
        Kpa = kpa;
        Hpa = hpa;
        KpaReconciler = kpaReconciler;
    }

    /// <summary>What the reconcilers read (listers, config, clock) and the client they write with.</summary>
    public PodAutoscalerContext Context { get; }
    public AutoscalerRuntime Runtime { get; }
    public ActivatorProber Prober { get; }
    public Controller Kpa { get; }
    public Controller Hpa { get; }
    public KpaReconciler KpaReconciler { get; }
    /// <summary>The followed config-autoscaler, when <see cref="AutoscalingControllerOptions.Config"/> was null.</summary>
    public AutoscalerConfigStore? ConfigStore { get; private init; }
    /// <summary>The ServerlessService controller, when <see cref="AutoscalingControllerOptions.IncludeServerlessServices"/>.</summary>
    public Controller? ServerlessServices { get; }

    /// <summary>The controllers to run.</summary>
    public IReadOnlyList<Controller> Controllers => ServerlessServices is null ? [Kpa, Hpa] : [Kpa, Hpa, ServerlessServices];

    /// <summary>Creates the controllers and registers their informer handlers on <paramref name="informers"/>
    /// (PodAutoscalers, ServerlessServices, Metrics, HorizontalPodAutoscalers, Deployments, Pods in all namespaces).</summary>
    public static AutoscalingControllers Register(SharedInformerFactory informers, KubeClient client,
        AutoscalingControllerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(informers);
        ArgumentNullException.ThrowIfNull(client);
        options ??= new AutoscalingControllerOptions();
        var pas = informers.For<PodAutoscaler>();
        var skss = informers.For<ServerlessService>();
        var metrics = informers.For<Metric>();
        var hpas = informers.For<HorizontalPodAutoscaler>();
        var deployments = informers.For<Deployment>();
        var pods = informers.For<Pod>();

        var readyPods = new KubeReadyPods(pods.Lister, options.PodMetricsPort);
        AutoscalerConfigStore? store = null;
        var config = options.Config;
        if (config is null)
        {
            store = new AutoscalerConfigStore(informers.For<ConfigMap>(new InformerScope(options.SystemNamespace)), options.SystemNamespace,
                loggerFactory?.CreateLogger("Ingress.Autoscaling.Config"));
            config = () => store.Current;
        }
        var context = new PodAutoscalerContext
        {
            Client = client,
            ServerlessServices = skss.Lister,
            Deployments = deployments.Lister,
            Metrics = metrics.Lister,
            HorizontalPodAutoscalers = hpas.Lister,
            Pods = readyPods,
            Config = config,
            Time = options.Time,
            DefaultProgressDeadline = options.DefaultProgressDeadline,
            PrivateServiceMetricsUrl = options.PrivateServiceMetricsUrl ?? PodAutoscalerContext.ClusterMetricsUrl,
            LoggerFactory = loggerFactory,
        };
        var runtime = new AutoscalerRuntime(options.Time, loggerFactory, options.Telemetry, options.HttpClient);
        var prober = new ActivatorProber(null, options.ActivatorProbeUrl, options.Time);
        var kpaReconciler = new KpaReconciler(context, runtime, prober, options.Telemetry);
        var kpa = new Controller(new ControllerOptions { Name = KpaReconciler.ControllerName, Workers = options.Workers, Time = options.Time },
            informers.ReconcilerHost<PodAutoscaler>(kpaReconciler), loggerFactory);
        var hpa = new Controller(new ControllerOptions { Name = HpaReconciler.ControllerName, Workers = options.Workers, Time = options.Time },
            informers.ReconcilerHost<PodAutoscaler>(new HpaReconciler(context)), loggerFactory);
        kpaReconciler.EnqueueAfter = kpa.EnqueueAfter;

        // Each class's controller hears only its own PodAutoscalers (upstream's AnnotationFilterFunc on the class
        // annotation; here with config-autoscaler's default class for a PA without one, as the reconcilers decide).
        // Before, every PA went to both queues and the other class's reconciler returned at once: with 1,000
        // KPA-class Services, ~4,700 empty HPA reconciles in one render.
        pas.AddEventHandler(ClassFiltered(kpa, AutoscalingAnnotations.KpaClass, config), options.ResyncPeriod);
        pas.AddEventHandler(ClassFiltered(hpa, AutoscalingAnnotations.HpaClass, config), options.ResyncPeriod);
        pas.AddEventHandler(new ResourceEventHandler<PodAutoscaler>
        {
            // The decider and windows of a deleted PA go with it (upstream's FinalizeKind, without a finalizer:
            // the runtime is in-memory, so nothing can be left behind if this process misses the delete).
            Delete = (_, h) =>
            {
                var key = new RevisionKey(h.Namespace ?? "", h.Name);
                runtime.Remove(key);
                readyPods.Forget(key);
            },
        });
        const string group = "autoscaling.internal.knative.dev";
        // An SKS change goes to the controller of its PA's class only (the PA looked up in the cache).
        bool PaOfClass(string? ns, string name, string cls) => pas.Lister.Get(ns, name) is { } pa && PodAutoscalerResources.ClassOf(pa, config()) == cls;
        skss.AddEventHandler(kpa.EnqueueControllerOfHandler<ServerlessService>(PodAutoscaler.KindValue, group, (ns, n) => PaOfClass(ns, n, AutoscalingAnnotations.KpaClass)));
        skss.AddEventHandler(hpa.EnqueueControllerOfHandler<ServerlessService>(PodAutoscaler.KindValue, group, (ns, n) => PaOfClass(ns, n, AutoscalingAnnotations.HpaClass)));
        metrics.AddEventHandler(kpa.EnqueueControllerOfHandler<Metric>(PodAutoscaler.KindValue, group));
        hpas.AddEventHandler(hpa.EnqueueControllerOfHandler<HorizontalPodAutoscaler>(PodAutoscaler.KindValue, group));
        // Pods carry their revision's name, which is also the PA's name: a readiness change re-reconciles the PA.
        pods.AddEventHandler(new ResourceEventHandler<Pod>
        {
            Add = (_, h, _) => EnqueueRevision(kpa, h),
            Update = (_, _, h, resync) => { if (!resync) EnqueueRevision(kpa, h); },
            Delete = (_, h) => EnqueueRevision(kpa, h),
        });
        // A new decision re-reconciles the PA so that it is applied.
        runtime.Scaler.Changed += key => kpa.Enqueue(ObjectKey.Of(key.Namespace, key.Name));
        if (store is not null)
        {
            store.Changed += () =>
            {
                var keys = pas.Indexer.Keys();
                kpa.EnqueueAllSlow(keys);
                hpa.EnqueueAllSlow(keys);
            };
        }
        var sks = options.IncludeServerlessServices ? RegisterServerlessServices(informers, client, options, loggerFactory) : null;
        return new AutoscalingControllers(context, runtime, prober, kpa, hpa, kpaReconciler, sks) { ConfigStore = store };
    }

    /// <summary>Enqueues a PodAutoscaler when it (or, on a change, its previous version) is of class <paramref name="podAutoscalerClass"/>.</summary>
    public static IResourceEventHandler<PodAutoscaler> ClassFiltered(Controller controller, string podAutoscalerClass, Func<AutoscalerConfig> config)
    {
        bool Of(PodAutoscaler pa) => PodAutoscalerResources.ClassOf(pa, config()) == podAutoscalerClass;
        return new ResourceEventHandler<PodAutoscaler>
        {
            Add = (pa, h, _) => { if (Of(pa)) controller.Enqueue(h.Key); },
            Update = (old, pa, h, resync) =>
            {
                if (!Of(pa) && !Of(old)) return;
                if (resync) controller.EnqueueSlow(h.Key);
                else controller.Enqueue(h.Key);
            },
            Delete = (pa, h) => { if (Of(pa)) controller.Enqueue(h.Key); },
        };
    }

    private static Controller RegisterServerlessServices(SharedInformerFactory informers, KubeClient client, AutoscalingControllerOptions options, ILoggerFactory? loggerFactory)
    {
        var skss = informers.For<ServerlessService>();
        var services = informers.For<Service>();
        var endpoints = informers.For<Endpoints>();
        var deployments = informers.For<Deployment>();
        var reconciler = new ServerlessServiceReconciler(client, services.Lister, endpoints.Lister, deployments.Lister, options.Time,
            options.SystemNamespace, options.ActivatorService);
        var controller = new Controller(new ControllerOptions { Name = ServerlessServiceReconciler.ControllerName, Workers = options.Workers, Time = options.Time },
            informers.ReconcilerHost(reconciler), loggerFactory);
        const string group = "networking.internal.knative.dev";
        skss.AddEventHandler(controller.EnqueueHandler<ServerlessService>(), options.ResyncPeriod);
        services.AddEventHandler(controller.EnqueueControllerOfHandler<Service>(ServerlessService.KindValue, group));
        endpoints.AddEventHandler(controller.EnqueueControllerOfHandler<Endpoints>(ServerlessService.KindValue, group));
        void OnEndpoints(ObjectHeader h)
        {
            if (h.Namespace == options.SystemNamespace && h.Name == options.ActivatorService)
            {
                foreach (var key in skss.Indexer.Keys()) controller.Enqueue(key); // every SKS may route to activators
            }
            else if (h.Name.EndsWith("-private", StringComparison.Ordinal))
            {
                controller.Enqueue(ObjectKey.Of(h.Namespace, h.Name[..^"-private".Length]));
            }
        }
        endpoints.AddEventHandler(new ResourceEventHandler<Endpoints>
        {
            Add = (_, h, _) => OnEndpoints(h),
            Update = (_, _, h, resync) => { if (!resync) OnEndpoints(h); },
            Delete = (_, h) => OnEndpoints(h),
        });
        // The SKS is named after the revision, which labels its Deployment (whose selector the private service copies).
        deployments.AddEventHandler(new ResourceEventHandler<Deployment>
        {
            Add = (_, h, _) => EnqueueRevision(controller, h),
            Update = (_, _, h, resync) => { if (!resync) EnqueueRevision(controller, h); },
        });
        return controller;
    }

    private static void EnqueueRevision(Controller controller, ObjectHeader header)
    {
        if (header.Labels.TryGetValue(ServingKeys.Revision, out var revision) && !string.IsNullOrEmpty(revision))
            controller.Enqueue(ObjectKey.Of(header.Namespace, revision));
    }

    /// <summary>Runs the autoscaler loops and both controllers until cancelled (informers must be started).</summary>
    public Task RunAsync(CancellationToken ct) =>
        Task.WhenAll(Controllers.Select(c => c.RunAsync(ct)).Append(Runtime.RunAsync(ct)));

    public void Dispose() => Prober.Dispose();
}
