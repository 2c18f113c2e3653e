using System.Text.Json.Nodes;
using Ingress.Api.Autoscaling.V1Alpha1;
using Ingress.Api.Core.V1;
using Ingress.Api.K8sAutoscaling.V2;
using Ingress.Api.Meta.V1;
using Ingress.Api.Networking.V1Alpha1;
using Ingress.Autoscaling.Configuration;

namespace Ingress.Autoscaling.Reconciler;

/// <summary>
/// Pure builders of what a PodAutoscaler owns (upstream <c>pkg/reconciler/autoscaling/resources</c>): the
/// ServerlessService, the Metric and, for the hpa class, the autoscaling/v2 HorizontalPodAutoscaler. Each child
/// has the PA's name and namespace, copies its labels and annotations and is controlled by it.
/// </summary>
public static class PodAutoscalerResources
{
    /// <summary>SKS <c>spec.mode</c> values.</summary>
    public const string ModeServe = "Serve";
    public const string ModeProxy = "Proxy";

    /// <summary>The PA's class: its <c>autoscaling.knative.dev/class</c> annotation, else config-autoscaler's default.</summary>
    public static string ClassOf(PodAutoscaler pa, AutoscalerConfig config)
    {
        ArgumentNullException.ThrowIfNull(pa);
        ArgumentNullException.ThrowIfNull(config);
        return AutoscalingAnnotations.TryGet(pa.Metadata.Annotations, AutoscalingAnnotations.Class, out _, out var c) ? c : config.PodAutoscalerClass;
    }

    /// <summary>The PA's effective autoscaling settings (annotations over config, containerConcurrency).</summary>
    public static RevisionAutoscaling SettingsOf(PodAutoscaler pa, AutoscalerConfig config) =>
        RevisionAutoscaling.Resolve(pa.Metadata.Annotations, pa.Spec?.ContainerConcurrency ?? 0, config);

    /// <summary><c>spec.reachability</c>: <c>Reachable</c>, <c>Unreachable</c>, anything else (incl. empty) Unknown.</summary>
    public static Reachability ReachabilityOf(PodAutoscaler pa) => pa.Spec?.Reachability switch
    {
        "Reachable" => Reachability.Reachable,
        "Unreachable" => Reachability.Unreachable,
        _ => Reachability.Unknown,
    };

    public static string ModeText(ServerlessServiceMode mode) => mode == ServerlessServiceMode.Serve ? ModeServe : ModeProxy;

    public static ServerlessServiceMode ParseMode(string? mode) => mode == ModeServe ? ServerlessServiceMode.Serve : ServerlessServiceMode.Proxy;

    /// <summary>The controller owner reference pointing at <paramref name="pa"/>.</summary>
    public static OwnerReference OwnerOf(PodAutoscaler pa) => new()
    {
        ApiVersion = PodAutoscaler.ApiVersionValue,
        Kind = PodAutoscaler.KindValue,
        Name = pa.Metadata.Name,
        Uid = pa.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    /// <summary>True when <paramref name="meta"/> is controlled by <paramref name="pa"/> (same uid).</summary>
    public static bool IsControlledBy(ObjectMeta meta, PodAutoscaler pa) =>
        meta.OwnerReferences?.Any(o => o.Controller == true && o.Uid == pa.Metadata.Uid) == true;

    private static ObjectMeta ChildMeta(PodAutoscaler pa) => new()
    {
        Name = pa.Metadata.Name,
        Namespace = pa.Metadata.Namespace,
        Labels = pa.Metadata.Labels is null ? null : new Dictionary<string, string>(pa.Metadata.Labels),
        Annotations = pa.Metadata.Annotations is null ? null : new Dictionary<string, string>(pa.Metadata.Annotations),
        OwnerReferences = [OwnerOf(pa)],
    };

    /// <summary>Upstream <c>MakeSKS</c>: the SKS fronting the PA's scale target in <paramref name="mode"/>.</summary>
    public static ServerlessService MakeServerlessService(PodAutoscaler pa, ServerlessServiceMode mode, int numActivators) => new()
    {
        Metadata = ChildMeta(pa),
        Spec = new ServerlessServiceSpec
        {
            Mode = ModeText(mode),
            ObjectRef = pa.Spec?.ScaleTargetRef is { } r
                ? new ObjectReference { ApiVersion = r.ApiVersion, Kind = r.Kind, Name = r.Name }
                : null,
            ProtocolType = pa.Spec?.ProtocolType,
            NumActivators = numActivators,
        },
    };

    /// <summary>Upstream <c>MakeMetric</c>: the windows (Go durations in nanoseconds) and the scrape target,
    /// which is the SKS private service, or empty when TBC = -1 (the activator stays in the path and reports
    /// every request, so pods need not be scraped).</summary>
    public static Metric MakeMetric(PodAutoscaler pa, RevisionAutoscaling settings, string privateServiceName)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new Metric
        {
            Metadata = ChildMeta(pa),
            Spec = new Api.Autoscaling.V1Alpha1.MetricSpec
            {
                StableWindow = settings.StableWindow.Ticks * 100,
                PanicWindow = settings.PanicWindow.Ticks * 100,
                ScrapeTarget = settings.TargetBurstCapacity == -1 ? "" : privateServiceName,
            },
        };
    }

    /// <summary>Upstream <c>MakeHPA</c>: an autoscaling/v2 HorizontalPodAutoscaler from <see cref="HpaPlan"/>.</summary>
    public static HorizontalPodAutoscaler MakeHorizontalPodAutoscaler(PodAutoscaler pa, HpaPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var target = pa.Spec?.ScaleTargetRef;
        var spec = new HorizontalPodAutoscalerSpec
        {
            ScaleTargetRef = new HorizontalPodAutoscalerSpecScaleTargetRef { ApiVersion = target?.ApiVersion, Kind = target?.Kind, Name = target?.Name },
            MinReplicas = plan.MinReplicas,
            MaxReplicas = plan.MaxReplicas,
        };
        if (plan.Metric is { } m)
        {
            var metricTarget = new MetricTarget { Type = m.TargetType, AverageUtilization = m.AverageUtilization, AverageValue = m.AverageValue is { } v ? Api.Quantity.Parse(v) : (Api.Quantity?)null };
            spec.Metrics = [m.SourceType == "Resource"
                ? new HorizontalPodAutoscalerSpecMetric { Type = "Resource", Resource = new HorizontalPodAutoscalerSpecMetricResource { Name = m.Name, Target = metricTarget } }
                : new HorizontalPodAutoscalerSpecMetric
                {
                    Type = "Pods",
                    Pods = new JsonObject
                    {
                        ["metric"] = new JsonObject { ["name"] = m.Name },
                        ["target"] = new JsonObject { ["type"] = m.TargetType, ["averageValue"] = m.AverageValue },
                    },
                }];
        }
        if (plan.StabilizationWindowSeconds is { } window)
        {
            spec.Behavior = new JsonObject
            {
                ["scaleDown"] = new JsonObject { ["stabilizationWindowSeconds"] = window },
                ["scaleUp"] = new JsonObject { ["stabilizationWindowSeconds"] = window },
            };
        }
        return new HorizontalPodAutoscaler { Metadata = ChildMeta(pa), Spec = spec };
    }
}
