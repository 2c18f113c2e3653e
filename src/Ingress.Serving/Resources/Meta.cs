using System.Text.Json.Nodes;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>Label and annotation keys of §0.</summary>
public static class Keys
{
    public const string ServiceLabel = "serving.knative.dev/service";
    public const string ServiceUidLabel = "serving.knative.dev/serviceUID";
    public const string ConfigurationLabel = "serving.knative.dev/configuration";
    public const string ConfigurationGenerationLabel = "serving.knative.dev/configurationGeneration";
    public const string ConfigurationUidLabel = "serving.knative.dev/configurationUID";
    public const string RevisionLabel = "serving.knative.dev/revision";
    public const string RevisionUidLabel = "serving.knative.dev/revisionUID";
    public const string RouteLabel = "serving.knative.dev/route";
    public const string RouteNamespaceLabel = "serving.knative.dev/routeNamespace";
    public const string RoutesAnnotation = "serving.knative.dev/routes";
    public const string RoutingStateLabel = "serving.knative.dev/routingState";
    public const string RoutingStateModifiedAnnotation = "serving.knative.dev/routingStateModified";
    public const string CreatorAnnotation = "serving.knative.dev/creator";
    public const string LastModifierAnnotation = "serving.knative.dev/lastModifier";
    public const string RolloutDurationAnnotation = "serving.knative.dev/rollout-duration";
    public const string RolloutDurationLegacyAnnotation = "serving.knative.dev/rolloutDuration";
    public const string DomainMappingUidLabel = "serving.knative.dev/domainMappingUID";
    public const string DomainMappingNamespaceLabel = "serving.knative.dev/domainMappingNamespace";
    public const string VisibilityLabel = "networking.knative.dev/visibility";
    public const string IngressClassAnnotation = "networking.knative.dev/ingress.class";
    public const string IngressClassAliasAnnotation = "networking.knative.dev/ingress-class";
    public const string CertificateClassAnnotation = "networking.knative.dev/certificate.class";
    public const string CertificateClassAliasAnnotation = "networking.knative.dev/certificate-class";
    public const string HttpOptionAnnotation = "networking.knative.dev/httpOption";
    public const string HttpOptionAliasAnnotation = "networking.knative.dev/http-protocol";
    public const string RolloutAnnotation = "networking.internal.knative.dev/rollout";
    public const string TagToHostAnnotation = "networking.internal.knative.dev/tag-to-host";
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";
    public const string DeploymentHashLabel = "serving.knative.dev/deployment-hash";
    public const string ProgressDeadlineAnnotation = "serving.knative.dev/progress-deadline";
    public const string LastPinnedAnnotation = "serving.knative.dev/lastPinned";
    public const string NoGcAnnotation = "serving.knative.dev/no-gc";

    public const string ServingV1 = "serving.knative.dev/v1";
    public const string ServingV1Beta1 = "serving.knative.dev/v1beta1";
    public const string NetworkingV1Alpha1 = "networking.internal.knative.dev/v1alpha1";
    public const string AutoscalingV1Alpha1 = "autoscaling.internal.knative.dev/v1alpha1";
}

/// <summary>Metadata helpers shared by the builders.</summary>
public static class Meta
{
    public static JsonObject Metadata(JsonObject obj) => Json.Obj(obj, "metadata") ?? new JsonObject();
    public static string Name(JsonObject obj) => Json.Str(Metadata(obj), "name");
    public static string Namespace(JsonObject obj) => Json.Str(Metadata(obj), "namespace");
    public static string Uid(JsonObject obj) => Json.Str(Metadata(obj), "uid");
    public static long Generation(JsonObject obj) => Json.Long(Metadata(obj), "generation") ?? 0;
    public static Dictionary<string, string> Labels(JsonObject obj) => Json.Map(Metadata(obj), "labels");
    public static Dictionary<string, string> Annotations(JsonObject obj) => Json.Map(Metadata(obj), "annotations");

    /// <summary>A controller owner reference (controller and blockOwnerDeletion true).</summary>
    public static JsonObject ControllerRef(JsonObject owner, string apiVersion, string kind) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["name"] = Name(owner),
        ["uid"] = Uid(owner),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    /// <summary>True if <paramref name="child"/> has a controller reference to an object with <paramref name="ownerUid"/>.</summary>
    /// <summary>Upstream's ResourceNotOwnedMessage: <c>There is an existing &lt;kind&gt; "&lt;name&gt;" that we do not own.</c></summary>
    public static string NotOwnedMessage(string kind, string name) => $"There is an existing {kind} {Go.GoFormat.Quote(name)} that we do not own.";

    public static bool IsControlledBy(JsonObject child, string ownerUid) =>
        (Json.Arr(Metadata(child), "ownerReferences")?.OfType<JsonObject>() ?? [])
        .Any(r => Json.Bool(r, "controller") == true && Json.Str(r, "uid") == ownerUid);

    public static JsonObject? StringMap(IReadOnlyDictionary<string, string> map)
    {
        if (map.Count == 0) return null;
        var o = new JsonObject();
        foreach (var (k, v) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o[k] = v;
        return o;
    }

    /// <summary>Builds a metadata object, omitting empty maps.</summary>
    public static JsonObject NewMetadata(string name, string ns, IReadOnlyDictionary<string, string> labels,
        IReadOnlyDictionary<string, string> annotations, params JsonObject[] owners)
    {
        var m = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (StringMap(labels) is { } l) m["labels"] = l;
        if (StringMap(annotations) is { } a) m["annotations"] = a;
        if (owners.Length > 0) m["ownerReferences"] = new JsonArray(owners.Select(o => (JsonNode)o).ToArray());
        return m;
    }

    public static Dictionary<string, string> Union(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b)
    {
        var r = new Dictionary<string, string>(a, StringComparer.Ordinal);
        foreach (var (k, v) in b) r[k] = v;
        return r;
    }

    public static Dictionary<string, string> Without(IReadOnlyDictionary<string, string> a, params string[] keys)
    {
        var r = new Dictionary<string, string>(a, StringComparer.Ordinal);
        foreach (var k in keys) r.Remove(k);
        return r;
    }

    /// <summary>kmap.KeyPriority.Get: the value of the first alias key present.</summary>
    public static (string Key, string Value, bool Found) FirstOf(IReadOnlyDictionary<string, string> map, params string[] keys)
    {
        foreach (var k in keys) if (map.TryGetValue(k, out var v)) return (k, v, true);
        return (keys[0], "", false);
    }
}
