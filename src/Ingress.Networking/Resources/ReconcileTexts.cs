using System.Text.Json.Nodes;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;

namespace Ingress.Networking.Resources;

/// <summary>An event the reconciler records: type (Normal/Warning), reason and message, as upstream (spec §11).</summary>
public sealed record IngressEvent(string Type, string Reason, string Message);

/// <summary>Upstream's event and error texts (spec §11), so the reconciler formats nothing itself.</summary>
public static class IngressEvents
{
    public static IngressEvent FinalizerUpdated(string ingressName) => new("Normal", "FinalizerUpdate", $"Updated \"{ingressName}\" finalizers");
    public static IngressEvent VirtualServiceCreated(string name) => new("Normal", "Created", $"Created VirtualService \"{name}\"");
    public static IngressEvent VirtualServiceCreateFailed(string ns, string name, string error) => new("Warning", "CreationFailed", $"Failed to create VirtualService {ns}/{name}: {error}");
    public static IngressEvent VirtualServiceUpdated(string ns, string name) => new("Normal", "Updated", $"Updated VirtualService {ns}/{name}");
    public static IngressEvent SecretCreated(string ns, string name) => new("Normal", "Created", $"Created Secret {ns}/{name}");
    public static IngressEvent SecretUpdated(string ns, string name) => new("Normal", "Updated", $"Updated Secret {ns}/{name}");
    public static IngressEvent GatewayUpdated(string ns, string name) => new("Normal", "Updated", $"Updated Gateway {ns}/{name}");
    public static IngressEvent InternalError(string error) => new("Warning", "InternalError", error);

    public static string CreateVirtualServiceError(string error) => $"failed to create VirtualService: {error}";
    public static string UpdateVirtualServiceError(string error) => $"failed to update VirtualService: {error}";
    public static string DeleteVirtualServiceError(string error) => $"failed to delete VirtualService: {error}";
    public static string CreateSecretError(string error) => $"failed to create Secret: {error}";
    public static string UpdateSecretError(string error) => $"failed to update Secret: {error}";
    public static string GetGatewayError(string error) => $"failed to get Gateway: {error}";
    public static string UpdateGatewayError(string error) => $"failed to update Gateway: {error}";
}

/// <summary>The JSON merge patches that add and remove the finalizer (spec §4 step 1, §8.2 step 3).</summary>
public static class FinalizerPatches
{
    /// <summary>The add patch, or null when the finalizer is present or the Ingress is being deleted.</summary>
    public static string? Add(IngressModel ingress)
    {
        var finalizers = ingress.Metadata.Finalizers ?? [];
        if (ingress.Metadata.DeletionTimestamp is not null || finalizers.Contains(NetworkingConstants.Finalizer)) return null;
        return Patch([.. finalizers, NetworkingConstants.Finalizer], ingress.Metadata.ResourceVersion);
    }

    /// <summary>The remove patch, or null when the finalizer is absent.</summary>
    public static string? Remove(IngressModel ingress)
    {
        var finalizers = ingress.Metadata.Finalizers ?? [];
        if (!finalizers.Contains(NetworkingConstants.Finalizer)) return null;
        return Patch(finalizers.Where(f => f != NetworkingConstants.Finalizer).ToList(), ingress.Metadata.ResourceVersion);
    }

    private static string Patch(List<string> finalizers, string? resourceVersion) =>
        new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode)f).ToArray()),
                ["resourceVersion"] = resourceVersion ?? "",
            },
        }.ToJsonString();
}
