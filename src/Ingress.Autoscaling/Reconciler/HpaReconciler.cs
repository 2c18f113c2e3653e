using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Api.Autoscaling.V1Alpha1;
using Ingress.Api.K8sAutoscaling.V2;
using Ingress.Api.Knative;
using Ingress.Api.Networking.V1Alpha1;
using Ingress.Autoscaling.Configuration;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Kube.Typed;
using Microsoft.Extensions.Logging;

namespace Ingress.Autoscaling.Reconciler;

/// <summary>
/// The hpa-class PodAutoscaler reconciler (class <c>hpa.autoscaling.knative.dev</c>): creates/updates an
/// autoscaling/v2 HorizontalPodAutoscaler from <see cref="HpaPlan"/>, keeps an SKS in Serve mode (an HPA never
/// scales to zero, so the activator is never needed in the path) and mirrors the HPA's status onto the PA:
/// desiredScale/actualScale from the HPA's desired/current replicas; always Active; the scale target is
/// initialized once the SKS is ready and current replicas reach max(min-scale, 1).
/// </summary>
public sealed class HpaReconciler : IKindReconciler<PodAutoscaler>
{
    public const string ControllerName = "hpa-class-podautoscaler-controller";

    private readonly PodAutoscalerContext _ctx;
    private readonly ILogger _logger;

    public HpaReconciler(PodAutoscalerContext context)
    {
        _ctx = context ?? throw new ArgumentNullException(nameof(context));
        _logger = (context.LoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("Ingress.Autoscaling.Hpa");
    }

    public async Task<ReconcileResult> ReconcileKindAsync(PodAutoscaler pa, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pa);
        var config = _ctx.Config();
        if (PodAutoscalerResources.ClassOf(pa, config) != AutoscalingAnnotations.HpaClass) return ReconcileResult.Done;
        var ns = pa.Metadata.Namespace ?? "";
        var name = pa.Metadata.Name ?? "";
        var settings = PodAutoscalerResources.SettingsOf(pa, config);
        var reachability = PodAutoscalerResources.ReachabilityOf(pa);

        pa.Status ??= new PodAutoscalerStatus();
        var conditions = pa.Status.Manage(_ctx.Time);
        conditions.InitializeConditions();

        var hpa = await ReconcileHpaAsync(pa, HpaPlan.From(pa.Metadata.Annotations, settings, reachability), conditions, ct).ConfigureAwait(false);
        var sks = await ReconcileSksAsync(pa, conditions, ct).ConfigureAwait(false);

        pa.Status.MetricsServiceName = sks.Status?.PrivateServiceName;
        pa.Status.ServiceName = sks.Status?.ServiceName;
        var current = hpa.Status?.CurrentReplicas ?? 0;
        if (sks.Status?.Manage(_ctx.Time).IsHappy() == true)
        {
            conditions.MarkTrue(PodAutoscalerStatus.SKSReady);
            var (min, _) = settings.ScaleBounds(reachability);
            if (conditions.GetCondition(PodAutoscalerStatus.ScaleTargetInitialized)?.IsTrue != true && current >= Math.Max(min, 1))
                conditions.MarkTrue(PodAutoscalerStatus.ScaleTargetInitialized);
        }
        else
        {
            conditions.MarkUnknown(PodAutoscalerStatus.SKSReady, "NotReady", "SKS Services are not ready yet");
        }
        conditions.MarkTrue(PodAutoscalerStatus.Active); // an HPA-scaled target is always active
        pa.Status.DesiredScale = hpa.Status?.DesiredReplicas ?? 0;
        pa.Status.ActualScale = current;
        return ReconcileResult.Done;
    }

    private async Task<HorizontalPodAutoscaler> ReconcileHpaAsync(PodAutoscaler pa, HpaPlan plan, ConditionManager conditions, CancellationToken ct)
    {
        var desired = PodAutoscalerResources.MakeHorizontalPodAutoscaler(pa, plan);
        var client = _ctx.Client.For<HorizontalPodAutoscaler>();
        var existing = _ctx.HorizontalPodAutoscalers.Get(pa.Metadata.Namespace, pa.Metadata.Name ?? "");
        if (existing is null)
        {
            var created = await client.CreateAsync(desired, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false);
            ReconcilerLog.Created(_logger, "HorizontalPodAutoscaler", pa.Metadata.Namespace ?? "", pa.Metadata.Name ?? "");
            return created;
        }
        if (!PodAutoscalerResources.IsControlledBy(existing.Metadata, pa))
        {
            conditions.MarkFalse(PodAutoscalerStatus.Active, "NotOwned", $"There is an existing HorizontalPodAutoscaler \"{pa.Metadata.Name}\" that we do not own.");
            throw new InvalidOperationException($"PA: {pa.Metadata.Name} does not own HPA: {pa.Metadata.Name}");
        }
        if (SpecEquals(existing.Spec, desired.Spec)) return existing;
        var copy = KpaReconciler.Copy(existing);
        copy.Spec = desired.Spec;
        var updated = await client.UpdateAsync(copy, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false);
        ReconcilerLog.HpaUpdated(_logger, pa.Metadata.Namespace ?? "", pa.Metadata.Name ?? "");
        return updated;
    }

    private async Task<ServerlessService> ReconcileSksAsync(PodAutoscaler pa, ConditionManager conditions, CancellationToken ct)
    {
        var existing = _ctx.ServerlessServices.Get(pa.Metadata.Namespace, pa.Metadata.Name ?? "");
        var desired = PodAutoscalerResources.MakeServerlessService(pa, ServerlessServiceMode.Serve, KpaDecisions.MinActivators);
        var client = _ctx.Client.For<ServerlessService>();
        if (existing is null)
        {
            var created = await client.CreateAsync(desired, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false);
            ReconcilerLog.Created(_logger, "ServerlessService", pa.Metadata.Namespace ?? "", pa.Metadata.Name ?? "");
            return created;
        }
        if (!PodAutoscalerResources.IsControlledBy(existing.Metadata, pa))
        {
            conditions.MarkFalse(PodAutoscalerStatus.SKSReady, "NotOwned", $"There is an existing ServerlessService \"{pa.Metadata.Name}\" that we do not own.");
            throw new InvalidOperationException($"PA: {pa.Metadata.Name} does not own SKS: {pa.Metadata.Name}");
        }
        if (existing.Spec is { } spec && spec.Mode == desired.Spec!.Mode && spec.NumActivators == desired.Spec.NumActivators) return existing;
        var copy = KpaReconciler.Copy(existing);
        copy.Spec = desired.Spec;
        return await client.UpdateAsync(copy, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false);
    }

    private static bool SpecEquals(HorizontalPodAutoscalerSpec? a, HorizontalPodAutoscalerSpec? b)
    {
        var info = KubeJson.GetTypeInfo<HorizontalPodAutoscalerSpec>();
        return JsonNode.DeepEquals(
            a is null ? null : JsonSerializer.SerializeToNode(a, info),
            b is null ? null : JsonSerializer.SerializeToNode(b, info));
    }
}
