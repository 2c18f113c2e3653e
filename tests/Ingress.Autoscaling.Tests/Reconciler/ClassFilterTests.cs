using Ingress.Api;
using Ingress.Api.Autoscaling.V1Alpha1;
using Ingress.Api.Knative;
using Ingress.Api.Meta.V1;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Reconciler;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;

namespace Ingress.Autoscaling.Tests.Reconciler;

/// <summary>Each class's controller hears only its own PodAutoscalers: a table of events → what each queue holds.</summary>
public sealed class ClassFilterTests
{
    private sealed class NoReconcile : IReconciler
    {
        public Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct) => Task.FromResult(ReconcileResult.Done);
    }

    private static PodAutoscaler Pa(string? cls)
    {
        var pa = new PodAutoscaler { Metadata = new ObjectMeta { Name = "rev-00001", Namespace = "ns" } };
        if (cls is not null) pa.Metadata.Annotations = new Dictionary<string, string> { [AutoscalingKeys.Class] = cls };
        return pa;
    }

    private static readonly ObjectHeader Header = new() { Name = "rev-00001", Namespace = "ns" };

    public static TheoryData<string, string?, string?, string, int, int> Cases() => new()
    {
        // event, old class, new class, config default class → keys in the KPA queue, in the HPA queue
        { "add", null, AutoscalingAnnotations.KpaClass, AutoscalingAnnotations.KpaClass, 1, 0 },
        { "add", null, AutoscalingAnnotations.HpaClass, AutoscalingAnnotations.KpaClass, 0, 1 },
        { "add", null, null, AutoscalingAnnotations.KpaClass, 1, 0 },                  // no annotation: config's default
        { "add", null, null, AutoscalingAnnotations.HpaClass, 0, 1 },
        { "add", null, "other.example.com", AutoscalingAnnotations.KpaClass, 0, 0 },   // a class nobody here owns
        { "update", AutoscalingAnnotations.KpaClass, AutoscalingAnnotations.KpaClass, AutoscalingAnnotations.KpaClass, 1, 0 },
        { "update", AutoscalingAnnotations.HpaClass, AutoscalingAnnotations.KpaClass, AutoscalingAnnotations.KpaClass, 1, 1 }, // both see a class change
        { "resync", AutoscalingAnnotations.HpaClass, AutoscalingAnnotations.HpaClass, AutoscalingAnnotations.KpaClass, 0, 1 },
        { "delete", null, AutoscalingAnnotations.HpaClass, AutoscalingAnnotations.KpaClass, 0, 1 },
        { "delete", null, AutoscalingAnnotations.KpaClass, AutoscalingAnnotations.KpaClass, 1, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pod_autoscaler_events_reach_the_controller_of_their_class(string evt, string? oldClass, string? newClass, string defaultClass, int kpaKeys, int hpaKeys)
    {
        var config = new AutoscalerConfig { PodAutoscalerClass = defaultClass };
        var kpa = new Controller(new ControllerOptions { Name = "kpa" }, new NoReconcile());
        var hpa = new Controller(new ControllerOptions { Name = "hpa" }, new NoReconcile());
        foreach (var (controller, cls) in new[] { (kpa, AutoscalingAnnotations.KpaClass), (hpa, AutoscalingAnnotations.HpaClass) })
        {
            var handler = AutoscalingControllers.ClassFiltered(controller, cls, () => config);
            switch (evt)
            {
                case "add": handler.OnAdd(Pa(newClass), Header, false); break;
                case "update": handler.OnUpdate(Pa(oldClass), Pa(newClass), Header, false); break;
                case "resync": handler.OnUpdate(Pa(oldClass), Pa(newClass), Header, true); break;
                case "delete": handler.OnDelete(Pa(newClass), Header); break;
            }
        }
        Assert.Equal(kpaKeys, kpa.Queue.Count);
        Assert.Equal(hpaKeys, hpa.Queue.Count);
    }
}
