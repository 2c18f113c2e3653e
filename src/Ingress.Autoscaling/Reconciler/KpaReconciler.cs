using System.Text.Json;
using Ingress.Api;
using Ingress.Api.Apps.V1;
using Ingress.Api.Autoscaling.V1Alpha1;
using Ingress.Api.Knative;
using Ingress.Api.Networking.V1Alpha1;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Scaling;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Kube.Typed;
using Microsoft.Extensions.Logging;

namespace Ingress.Autoscaling.Reconciler;

/// <summary>What the PodAutoscaler reconcilers read and write; built by <see cref="AutoscalingControllers.Register"/>.</summary>
public sealed class PodAutoscalerContext
{
    public required KubeClient Client { get; init; }
    public required Lister<ServerlessService> ServerlessServices { get; init; }
    public required Lister<Deployment> Deployments { get; init; }
    public required Lister<Metric> Metrics { get; init; }
    public required Lister<Api.K8sAutoscaling.V2.HorizontalPodAutoscaler> HorizontalPodAutoscalers { get; init; }
    public required KubeReadyPods Pods { get; init; }
    /// <summary>The current config-autoscaler (read at every reconcile, so a changed ConfigMap applies at the next one).</summary>
    public required Func<AutoscalerConfig> Config { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>config-deployment's progress-deadline, used when the revision has no annotation. Default 600 s: upstream's.</summary>
    public TimeSpan DefaultProgressDeadline { get; init; } = TimeSpan.FromSeconds(600);
    /// <summary>(namespace, private service) → the metrics URL of the scraper's mesh fallback; null: no fallback.
    /// Default: the in-cluster DNS name on queue-proxy's metrics port.</summary>
    public Func<string, string, Uri?> PrivateServiceMetricsUrl { get; init; } = ClusterMetricsUrl;

    /// <summary>The in-cluster metrics URL of a private service.</summary>
    public static Uri? ClusterMetricsUrl(string @namespace, string service) =>
        new($"http://{service}.{@namespace}.svc.cluster.local:{Api.Metrics.StatWire.MetricsPort}{Api.Metrics.StatWire.MetricsPath}");
    public ILoggerFactory? LoggerFactory { get; init; }
    public string FieldManager { get; init; } = "autoscaler";
}

/// <summary>
/// The KPA PodAutoscaler reconciler (class <c>kpa.autoscaling.knative.dev</c>, spec §6): reads the PA's SKS,
/// Deployment and ready pods from listers, configures the decider and the Metric, asks
/// <see cref="KpaDecisions.Reconcile"/> what to do, and writes the SKS (mode, activators), the Deployment's
/// replicas and the PA status. PAs of other classes are left alone.
/// </summary>
public sealed class KpaReconciler : IKindReconciler<PodAutoscaler>
{
    public const string ControllerName = "kpa-class-podautoscaler-controller";

    /// <summary>Delay before a PA is reconciled again after its async activator probe finished (upstream's).</summary>
    public static readonly TimeSpan ProbeDoneRequeue = TimeSpan.FromSeconds(1);

    private readonly PodAutoscalerContext _ctx;
    private readonly AutoscalerRuntime _runtime;
    private readonly ActivatorProber _prober;
    private readonly AutoscalerTelemetry? _telemetry;
    private readonly ILogger _logger;

    public KpaReconciler(PodAutoscalerContext context, AutoscalerRuntime runtime, ActivatorProber prober, AutoscalerTelemetry? telemetry = null)
    {
        _ctx = context ?? throw new ArgumentNullException(nameof(context));
        _runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
        _prober = prober ?? throw new ArgumentNullException(nameof(prober));
        _telemetry = telemetry;
        _logger = (context.LoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("Ingress.Autoscaling.Kpa");
    }

    /// <summary>How the reconciler asks for a key to be processed later (set to the controller's
    /// <c>EnqueueAfter</c> by the wiring); used when an asynchronous activator probe completes.</summary>
    public Action<string, TimeSpan>? EnqueueAfter { get; set; }

    public async Task<ReconcileResult> ReconcileKindAsync(PodAutoscaler pa, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pa);
        var config = _ctx.Config();
        if (PodAutoscalerResources.ClassOf(pa, config) != AutoscalingAnnotations.KpaClass) return ReconcileResult.Done;

        var ns = pa.Metadata.Namespace ?? "";
        var name = pa.Metadata.Name ?? "";
        var key = new RevisionKey(ns, name);
        var now = _ctx.Time.GetUtcNow();
        var settings = PodAutoscalerResources.SettingsOf(pa, config);
        var reachability = PodAutoscalerResources.ReachabilityOf(pa);
        var h2c = pa.Spec?.ProtocolType == "h2c";

        pa.Status ??= new PodAutoscalerStatus();
        var conditions = pa.Status.Manage(_ctx.Time);
        conditions.InitializeConditions();
        var active = ReadActive(pa, now);
        var initialized = conditions.GetCondition(PodAutoscalerStatus.ScaleTargetInitialized)?.IsTrue == true;

        var sks = _ctx.ServerlessServices.Get(ns, name);
        if (sks is null)
        {
            sks = await _ctx.Client.For<ServerlessService>().CreateAsync(
                PodAutoscalerResources.MakeServerlessService(pa, ServerlessServiceMode.Proxy, KpaDecisions.MinActivators),
                new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false);
            ReconcilerLog.Created(_logger, "ServerlessService", ns, name);
        }
        else if (!PodAutoscalerResources.IsControlledBy(sks.Metadata, pa))
        {
            conditions.MarkFalse(PodAutoscalerStatus.SKSReady, "NotOwned", $"There is an existing ServerlessService \"{name}\" that we do not own.");
            throw new InvalidOperationException($"PA: {name} does not own SKS: {name}");
        }

        var privateService = sks.Status?.PrivateServiceName;
        var decider = new DeciderStatus(-1, 0);
        if (!string.IsNullOrEmpty(privateService))
        {
            decider = _runtime.Apply(key, settings, reachability, _ctx.Pods.For(key), _ctx.PrivateServiceMetricsUrl(ns, privateService));
            await ReconcileMetricAsync(pa, settings, privateService, ct).ConfigureAwait(false);
            decider = _runtime.Scaler.Get(key) ?? decider;
        }

        var target = pa.Spec?.ScaleTargetRef?.Name;
        var deployment = target is null ? null : _ctx.Deployments.Get(ns, target);
        var sksConditions = sks.Status is null ? null : sks.Status.Manage(_ctx.Time);
        var publicService = sks.Status?.ServiceName;

        // The synchronous activator probe is only needed on the Inactive path with a 0 decision (and TBC ≠ -1).
        bool? probed = null;
        if (active.State == ActiveState.Inactive && decider.DesiredScale == 0 && settings.TargetBurstCapacity != -1 && !string.IsNullOrEmpty(publicService))
        {
            probed = await _prober.ProbeAsync(ns, publicService, h2c, ct).ConfigureAwait(false);
        }

        var inputs = new KpaInputs
        {
            Now = now,
            Settings = settings,
            Reachability = reachability,
            SksPrivateServiceName = privateService,
            SksSpecMode = PodAutoscalerResources.ParseMode(sks.Spec?.Mode),
            SksServiceName = publicService,
            SksReady = sksConditions?.IsHappy() == true,
            ActivatorEndpointsPopulatedSince = sksConditions?.GetCondition(ServerlessServiceStatus.ActivatorEndpointsPopulated) is { IsTrue: true } populated
                ? populated.LastTransitionTime ?? now : null,
            Active = active,
            ScaleTargetInitialized = initialized,
            StatusDesiredScale = pa.Status.DesiredScale,
            DeciderDesiredScale = decider.DesiredScale,
            DeciderExcessBurstCapacity = decider.ExcessBurstCapacity,
            DeploymentReplicas = deployment?.Spec?.Replicas,
            ReadyPods = _ctx.Pods.ReadyCount(key),
            DefaultProgressDeadline = _ctx.DefaultProgressDeadline,
            ProbeActivator = () => probed ?? false,
        };
        var decision = KpaDecisions.Reconcile(inputs);
        if (_telemetry is not null)
        {
            _telemetry.RecordReconcile(key, decision);
            var (notReady, pending, terminating) = _ctx.Pods.CountStates(key);
            _telemetry.RecordPodStates(key, notReady, pending, terminating);
        }

        if (decision.PatchReplicas is { } replicas)
        {
            if (deployment is null) throw new InvalidOperationException($"error scaling target: deployment \"{target}\" not found");
            await ScaleDeploymentAsync(ns, target!, deployment.Spec?.Replicas is not null, replicas, ct).ConfigureAwait(false);
            ReconcilerLog.Scaled(_logger, ns, target!, deployment.Spec?.Replicas ?? 1, replicas);
        }
        await UpdateServerlessServiceAsync(sks, decision.SksMode, decision.NumActivators, ct).ConfigureAwait(false);
        if (decision.StartActivatorProbe && !string.IsNullOrEmpty(publicService))
        {
            _prober.StartAsyncProbe(TypedKinds.KeyOf(pa), ns, publicService, h2c, k => EnqueueAfter?.Invoke(k, ProbeDoneRequeue));
        }

        ApplyStatus(pa, conditions, decision, sks);
        return decision.RequeueAfter is { } after ? ReconcileResult.After(after) : ReconcileResult.Done;
    }

    /// <summary>The PA's Active condition as a state and the time it entered it (a new PA: Activating since creation).</summary>
    internal static ConditionSince<ActiveState> ReadActive(PodAutoscaler pa, DateTimeOffset now)
    {
        var condition = pa.Status?.Conditions?.FirstOrDefault(c => c.Type == PodAutoscalerStatus.Active);
        var state = condition?.Status switch
        {
            Api.Knative.ConditionStatus.True => ActiveState.Active,
            Api.Knative.ConditionStatus.False => ActiveState.Inactive,
            _ => ActiveState.Activating,
        };
        return new ConditionSince<ActiveState>(state, condition?.LastTransitionTime ?? pa.Metadata.CreationTimestamp ?? now);
    }

    private static void ApplyStatus(PodAutoscaler pa, ConditionManager conditions, KpaDecision decision, ServerlessService sks)
    {
        var s = decision.Status;
        var status = pa.Status!;
        status.ActualScale = s.ActualScale;
        status.DesiredScale = s.DesiredScale;
        status.ServiceName = string.IsNullOrEmpty(s.ServiceName) ? status.ServiceName : s.ServiceName;
        status.MetricsServiceName = string.IsNullOrEmpty(s.MetricsServiceName) ? status.MetricsServiceName : s.MetricsServiceName;

        if (decision.WaitingForPrivateService)
        {
            conditions.MarkUnknown(PodAutoscalerStatus.SKSReady, "NotReady", "No Private Service Name");
        }
        else if (s.SksReady)
        {
            conditions.MarkTrue(PodAutoscalerStatus.SKSReady);
        }
        else
        {
            var message = sks.Status?.Conditions?.FirstOrDefault(c => c.Type == ConditionTypes.Ready)?.Message;
            conditions.MarkUnknown(PodAutoscalerStatus.SKSReady, "NotReady", message);
        }
        if (s.ScaleTargetInitialized) conditions.MarkTrue(PodAutoscalerStatus.ScaleTargetInitialized);
        switch (s.Active)
        {
            case ActiveState.Active:
                conditions.MarkTrue(PodAutoscalerStatus.Active);
                break;
            case ActiveState.Activating:
                conditions.MarkUnknown(PodAutoscalerStatus.Active, s.ActiveReason, s.ActiveMessage);
                break;
            case ActiveState.Inactive when s.ActiveReason is not null:
                conditions.MarkFalse(PodAutoscalerStatus.Active, s.ActiveReason, s.ActiveMessage);
                break;
        }
    }

    private async Task ReconcileMetricAsync(PodAutoscaler pa, RevisionAutoscaling settings, string privateService, CancellationToken ct)
    {
        var desired = PodAutoscalerResources.MakeMetric(pa, settings, privateService);
        var existing = _ctx.Metrics.Get(pa.Metadata.Namespace, pa.Metadata.Name ?? "");
        var client = _ctx.Client.For<Metric>();
        if (existing is null)
        {
            await client.CreateAsync(desired, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false);
            ReconcilerLog.Created(_logger, "Metric", desired.Metadata.Namespace ?? "", desired.Metadata.Name ?? "");
            return;
        }
        if (!PodAutoscalerResources.IsControlledBy(existing.Metadata, pa))
            throw new InvalidOperationException($"PA: {pa.Metadata.Name} does not own Metric: {pa.Metadata.Name}");
        var spec = existing.Spec;
        if (spec is not null && spec.StableWindow == desired.Spec!.StableWindow && spec.PanicWindow == desired.Spec.PanicWindow && spec.ScrapeTarget == desired.Spec.ScrapeTarget)
            return;
        var copy = Copy(existing);
        copy.Spec = desired.Spec;
        await client.UpdateAsync(copy, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false);
    }

    private async Task UpdateServerlessServiceAsync(ServerlessService sks, ServerlessServiceMode mode, int numActivators, CancellationToken ct)
    {
        var modeText = PodAutoscalerResources.ModeText(mode);
        if (sks.Spec?.Mode == modeText && sks.Spec.NumActivators == numActivators) return;
        var copy = Copy(sks);
        copy.Spec ??= new ServerlessServiceSpec();
        copy.Spec.Mode = modeText;
        copy.Spec.NumActivators = numActivators;
        await _ctx.Client.For<ServerlessService>().UpdateAsync(copy, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false);
        ReconcilerLog.SksMode(_logger, sks.Metadata.Namespace ?? "", sks.Metadata.Name ?? "", modeText, numActivators);
    }

    /// <summary>JSON-patches <c>/spec/replicas</c>. Upstream goes through the scale subresource; the Deployment
    /// itself is patched here because the embedded API server has no scale subresource (same effect).</summary>
    private Task ScaleDeploymentAsync(string ns, string name, bool hasReplicas, int replicas, CancellationToken ct)
    {
        var patch = $"[{{\"op\":\"{(hasReplicas ? "replace" : "add")}\",\"path\":\"/spec/replicas\",\"value\":{replicas}}}]";
        return _ctx.Client.For<Deployment>().PatchAsync(ns, name, PatchType.Json, patch, new PatchOptions(_ctx.FieldManager), ct);
    }

    internal static T Copy<T>(T obj) where T : class, IKubernetesObject<T>, new() =>
        JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(obj, KubeJson.GetTypeInfo<T>()), KubeJson.GetTypeInfo<T>())!;
}

internal static partial class ReconcilerLog
{
    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Created {Kind} {Namespace}/{Name}")]
    public static partial void Created(ILogger logger, string kind, string @namespace, string name);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Scaling Deployment {Namespace}/{Name} from {From} to {To}")]
    public static partial void Scaled(ILogger logger, string @namespace, string name, int from, int to);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "ServerlessService {Namespace}/{Name} set to mode {Mode} with {NumActivators} activators")]
    public static partial void SksMode(ILogger logger, string @namespace, string name, string mode, int numActivators);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Updated HorizontalPodAutoscaler {Namespace}/{Name}")]
    public static partial void HpaUpdated(ILogger logger, string @namespace, string name);
}
