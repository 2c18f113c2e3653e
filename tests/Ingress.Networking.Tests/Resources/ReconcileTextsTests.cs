using Ingress.Api;
using Ingress.Networking.Resources;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;

namespace Ingress.Networking.Tests.Resources;

public class ReconcileTextsTests
{
    [Fact]
    public void FinalizerPatchesKeepOtherFinalizersAndCarryResourceVersion()
    {
        var ing = KubeJson.Deserialize<IngressModel>("""{"metadata":{"name":"ing","namespace":"ns","resourceVersion":"42","finalizers":["other"]}}""");
        Assert.Equal("""{"metadata":{"finalizers":["other","ingresses.networking.internal.knative.dev"],"resourceVersion":"42"}}""", FinalizerPatches.Add(ing));
        Assert.Null(FinalizerPatches.Remove(ing));
        ing.Metadata.Finalizers = ["other", "ingresses.networking.internal.knative.dev"];
        Assert.Null(FinalizerPatches.Add(ing));
        Assert.Equal("""{"metadata":{"finalizers":["other"],"resourceVersion":"42"}}""", FinalizerPatches.Remove(ing));
        ing.Metadata.Finalizers = null;
        ing.Metadata.DeletionTimestamp = DateTimeOffset.UnixEpoch;
        Assert.Null(FinalizerPatches.Add(ing));
    }

    [Fact]
    public void EventTextsMatchUpstream()
    {
        Assert.Equal(new IngressEvent("Normal", "FinalizerUpdate", "Updated \"ing\" finalizers"), IngressEvents.FinalizerUpdated("ing"));
        Assert.Equal(new IngressEvent("Normal", "Created", "Created VirtualService \"ing-ingress\""), IngressEvents.VirtualServiceCreated("ing-ingress"));
        Assert.Equal(new IngressEvent("Warning", "CreationFailed", "Failed to create VirtualService ns/ing-ingress: boom"), IngressEvents.VirtualServiceCreateFailed("ns", "ing-ingress", "boom"));
        Assert.Equal(new IngressEvent("Normal", "Updated", "Updated VirtualService ns/ing-ingress"), IngressEvents.VirtualServiceUpdated("ns", "ing-ingress"));
        Assert.Equal(new IngressEvent("Normal", "Updated", "Updated Gateway knative-serving/knative-ingress-gateway"), IngressEvents.GatewayUpdated("knative-serving", "knative-ingress-gateway"));
        Assert.Equal("failed to update VirtualService: conflict", IngressEvents.UpdateVirtualServiceError("conflict"));
    }
}
