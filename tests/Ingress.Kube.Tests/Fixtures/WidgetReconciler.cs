using System.Text.Json.Nodes;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;

namespace Ingress.Kube.Tests.Fixtures;

/// <summary>A reconciler in the Knative shape: creates a child ConfigMap, marks conditions, finalizes by deleting the child.</summary>
public sealed class WidgetReconciler(KubeClient client, TimeProvider time) : IKindReconciler<JsonObject>, IKindFinalizer<JsonObject>
{
    public static readonly ConditionSet WidgetConditions = new(Conditions.Ready, "ChildReady");

    public int Reconciles;
    public int Finalized;
    public int FailNext;

    public async Task<ReconcileResult> ReconcileKindAsync(JsonObject obj, CancellationToken ct)
    {
        Interlocked.Increment(ref Reconciles);
        var h = ObjectHeader.From(obj);
        var status = obj["status"] as JsonObject ?? new JsonObject();
        obj["status"] = status;
        WidgetConditions.Initialize(status, time.GetUtcNow());
        if (FailNext > 0)
        {
            FailNext--;
            WidgetConditions.MarkFalse(status, "ChildReady", "ChildFailed", "injected failure", time.GetUtcNow());
            throw new InvalidOperationException("injected failure");
        }
        var child = Objects.ConfigMap(h.Namespace!, h.Name + "-child", data: new() { ["value"] = (string)obj["spec"]!["value"]! });
        child["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "example.dev/v1", ["kind"] = "Widget", ["name"] = h.Name, ["uid"] = h.Uid, ["controller"] = true });
        try
        {
            await client.Dynamic(ResourceDescriptor.ConfigMaps).CreateAsync(child, null, ct);
        }
        catch (AlreadyExistsException)
        {
            await client.Dynamic(ResourceDescriptor.ConfigMaps).PatchAsync(h.Namespace, h.Name + "-child", PatchType.Merge,
                new JsonObject { ["data"] = child["data"]!.DeepClone() }.ToJsonString(), null, ct);
        }
        WidgetConditions.MarkTrue(status, "ChildReady", time.GetUtcNow());
        return ReconcileResult.Done;
    }

    public async Task FinalizeKindAsync(JsonObject obj, CancellationToken ct)
    {
        Interlocked.Increment(ref Finalized);
        var h = ObjectHeader.From(obj);
        try { await client.Dynamic(ResourceDescriptor.ConfigMaps).DeleteAsync(h.Namespace, h.Name + "-child", null, ct); }
        catch (NotFoundException) { }
    }
}
