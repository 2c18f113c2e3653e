using Ingress.Kube.Client;
using Ingress.Kube.Controller;

namespace Ingress.Kube.Tests;

/// <summary><c>Controller.EnqueueControllerOfHandler</c>: which owner keys a child's event enqueues.</summary>
public sealed class EnqueueControllerOfTests
{
    private sealed class NoReconcile : IReconciler
    {
        public Task<ReconcileResult> ReconcileAsync(string key, CancellationToken ct) => Task.FromResult(ReconcileResult.Done);
    }

    private static ObjectHeader Child(params OwnerReference[] owners) => new() { Name = "child", Namespace = "ns", OwnerReferences = owners };

    [Fact]
    public void Only_the_controlling_owner_of_the_kind_group_and_filter_is_enqueued()
    {
        var controller = new Ingress.Kube.Controller.Controller(new ControllerOptions { Name = "t" }, new NoReconcile());
        var handler = controller.EnqueueControllerOfHandler<object>("Widget", "example.dev", (ns, name) => ns == "ns" && name != "filtered");
        handler.OnAdd(new object(), Child(new OwnerReference("example.dev/v1", "Widget", "a", "u1", Controller: true)), false);
        handler.OnAdd(new object(), Child(new OwnerReference("example.dev/v1", "Widget", "filtered", "u2", Controller: true)), false);
        handler.OnAdd(new object(), Child(new OwnerReference("other.dev/v1", "Widget", "b", "u3", Controller: true)), false);
        handler.OnAdd(new object(), Child(new OwnerReference("example.dev/v1", "Gadget", "c", "u4", Controller: true)), false);
        handler.OnAdd(new object(), Child(new OwnerReference("example.dev/v1", "Widget", "d", "u5", Controller: false)), false);
        Assert.Equal(1, controller.Queue.Count);

        var unfiltered = new Ingress.Kube.Controller.Controller(new ControllerOptions { Name = "u" }, new NoReconcile());
        var all = unfiltered.EnqueueControllerOfHandler<object>("Widget", "example.dev");
        all.OnAdd(new object(), Child(new OwnerReference("example.dev/v1", "Widget", "filtered", "u2", Controller: true)), false);
        Assert.Equal(1, unfiltered.Queue.Count);
    }
}
