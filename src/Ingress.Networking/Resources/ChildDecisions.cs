using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Api.Core.V1;
using Ingress.Api.Istio.Networking.V1Beta1;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;
using GatewayModel = Ingress.Api.Istio.Networking.V1Beta1.Gateway;

namespace Ingress.Networking.Resources;

/// <summary>What to do with one child object.</summary>
public enum ChildAction
{
    /// <summary>Absent: create the desired object.</summary>
    Create,
    /// <summary>Present and different: write <see cref="ChildDecision{T}.Object"/> (the existing object with the wanted fields).</summary>
    Update,
    /// <summary>Present and equal: nothing to write.</summary>
    None,
    /// <summary>Present but controlled by something else: never touched; the pass fails with NotOwned.</summary>
    NotOwned,
    /// <summary>Not ours to create (e.g. a VirtualService whose class annotation is not Istio's).</summary>
    Skip,
}

public sealed record ChildDecision<T>(ChildAction Action, T Object, string? Error = null);

/// <summary>The reconciler's per-child decisions (spec §6.1, §4 G, §8.1), as pure functions over desired and existing objects.</summary>
public static class ChildDecisions
{
    /// <summary>
    /// One desired VirtualService against the existing one of that name: skip if its class is not Istio's; create if
    /// missing; NotOwned if not controlled by the Ingress; update spec, labels and annotations when any differs.
    /// </summary>
    public static ChildDecision<VirtualService> ForVirtualService(IngressModel ingress, VirtualService desired, VirtualService? existing)
    {
        if (desired.Metadata.Annotations?.GetValueOrDefault(NetworkingConstants.IngressClassAnnotation) != NetworkingConstants.IstioIngressClass)
            return new(ChildAction.Skip, desired);
        if (existing is null) return new(ChildAction.Create, desired);
        if (!OwnerReferences.IsControlledBy(existing.Metadata, ingress))
            return new(ChildAction.NotOwned, existing,
                $"notowned: owner: {ingress.Metadata.Name} with Type *v1alpha1.Ingress does not own VirtualService: \"{existing.Metadata.Name}\"");
        if (JsonEquals(existing.Spec, desired.Spec) && Secrets.MapEquals(existing.Metadata.Labels, desired.Metadata.Labels)
            && Secrets.MapEquals(existing.Metadata.Annotations, desired.Metadata.Annotations))
            return new(ChildAction.None, existing);
        var updated = KubeJson.Clone(existing);
        updated.Spec = KubeJson.Clone(desired.Spec!);
        updated.Metadata.Labels = desired.Metadata.Labels is { } l ? new Dictionary<string, string>(l) : null;
        updated.Metadata.Annotations = desired.Metadata.Annotations is { } a ? new Dictionary<string, string>(a) : null;
        return new(ChildAction.Update, updated);
    }

    /// <summary>
    /// Stale VirtualServices: those listed by the ingress label and by the legacy route label (each sorted by name),
    /// not desired-and-applied, and controlled by the Ingress. Each name once.
    /// </summary>
    public static List<VirtualService> StaleVirtualServices(IngressModel ingress, IEnumerable<string> keptNames,
        IEnumerable<VirtualService> byIngressLabel, IEnumerable<VirtualService> byRouteLabel)
    {
        var kept = keptNames.ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<VirtualService>();
        foreach (var list in new[] { byIngressLabel, byRouteLabel })
        {
            foreach (var vs in list.OrderBy(v => v.Metadata.Name, StringComparer.Ordinal))
            {
                var name = vs.Metadata.Name ?? "";
                if (kept.Contains(name) || !OwnerReferences.IsControlledBy(vs.Metadata, ingress) || !seen.Add(name)) continue;
                result.Add(vs);
            }
        }
        return result;
    }

    /// <summary>Names of the desired VirtualServices that are applied (i.e. not skipped for their class).</summary>
    public static IEnumerable<string> AppliedNames(IEnumerable<VirtualService> desired) =>
        desired.Where(v => v.Metadata.Annotations?.GetValueOrDefault(NetworkingConstants.IngressClassAnnotation) == NetworkingConstants.IstioIngressClass)
            .Select(v => v.Metadata.Name ?? "");

    /// <summary>
    /// Per-Ingress and wildcard Gateways: create if missing; NotOwned when the existing one is not controlled by the
    /// desired controller (the Ingress, or the Secret for wildcard Gateways) — upstream overwrites it, the issue asks
    /// that Gateways we do not own are never touched; when the spec differs update only the spec.
    /// </summary>
    public static ChildDecision<GatewayModel> ForGateway(GatewayModel desired, GatewayModel? existing)
    {
        if (existing is null) return new(ChildAction.Create, desired);
        var controller = desired.Metadata.OwnerReferences?.FirstOrDefault(r => r.Controller == true);
        if (controller is not null && existing.Metadata.OwnerReferences?.Any(r => r.Controller == true && r.Uid == controller.Uid) != true)
            return new(ChildAction.NotOwned, existing,
                $"notowned: owner: {controller.Name} with Type *{(controller.Kind == "Secret" ? "v1.Secret" : "v1alpha1.Ingress")} does not own Gateway: \"{existing.Metadata.Name}\"");
        if (JsonEquals(existing.Spec, desired.Spec)) return new(ChildAction.None, existing);
        var updated = KubeJson.Clone(existing);
        updated.Spec = KubeJson.Clone(desired.Spec!);
        return new(ChildAction.Update, updated);
    }

    /// <summary>Secret copies: create if missing; overwrite data and labels when either differs. No ownership check.</summary>
    public static ChildDecision<Secret> ForSecretCopy(Secret desired, Secret? existing)
    {
        if (existing is null) return new(ChildAction.Create, desired);
        if (!Secrets.CopyNeedsUpdate(existing, desired)) return new(ChildAction.None, existing);
        var updated = KubeJson.Clone(existing);
        updated.Data = desired.Data is { } d ? new Dictionary<string, string>(d) : null;
        updated.Metadata.Labels = desired.Metadata.Labels is { } l ? new Dictionary<string, string>(l) : null;
        return new(ChildAction.Update, updated);
    }

    /// <summary>Mesh-only cleanup: the Gateways labelled for the Ingress and controlled by it.</summary>
    public static List<GatewayModel> GatewaysToDeleteInMeshOnly(IngressModel ingress, IEnumerable<GatewayModel> labelledGateways) =>
        labelledGateways.Where(g => g.Metadata.Labels?.GetValueOrDefault(NetworkingConstants.IngressLabel) == ingress.Metadata.Name
                                    && OwnerReferences.IsControlledBy(g.Metadata, ingress))
            .OrderBy(g => g.Metadata.Name, StringComparer.Ordinal).ToList();

    /// <summary>Whether finalization or mesh-only cleanup must delete Secret copies (any external or cluster-local TLS).</summary>
    public static bool HasTlsToClean(IngressModel defaultedIngress) =>
        IngressSpecs.TlsForVisibility(defaultedIngress, NetworkingConstants.VisibilityExternalIP).Count > 0
        || IngressSpecs.TlsForVisibility(defaultedIngress, NetworkingConstants.VisibilityClusterLocal).Count > 0;

    private static bool JsonEquals<T>(T? a, T? b) where T : class
    {
        if (a is null || b is null) return a is null && b is null;
        return JsonNode.DeepEquals(KubeJson.ToNode(a), KubeJson.ToNode(b));
    }
}
