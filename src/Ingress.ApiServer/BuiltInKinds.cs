using System.Text.Json.Nodes;

namespace Ingress.ApiServer;

/// <summary>The core kinds the server knows without any CRD.</summary>
internal static class BuiltInKinds
{
    private static PrinterColumn Age => new("Age", "date", ".metadata.creationTimestamp");

    private static int CountOf(JsonNode? node) => node is JsonObject o ? o.Count : 0;

    public static IReadOnlyList<ResourceType> Create()
    {
        ResourceType T(string group, string version, string kind, string plural, bool namespaced, bool status,
            string[]? shortNames = null, string[]? categories = null, PrinterColumn[]? columns = null) => new()
        {
            Group = group, Version = version, Kind = kind, Plural = plural, Singular = kind.ToLowerInvariant(),
            Namespaced = namespaced, HasStatusSubresource = status, ShortNames = shortNames ?? [],
            Categories = categories ?? [], BuiltIn = true, Columns = columns ?? [],
            Schema = TopLevelSchema(kind),
        };
        return
        [
            T("", "v1", "Namespace", "namespaces", false, true, ["ns"], columns:
                [new PrinterColumn("Status", "string", ".status.phase"), Age]),
            T("", "v1", "ConfigMap", "configmaps", true, false, ["cm"], columns:
                [new PrinterColumn("Data", "integer", "") { Compute = o => CountOf(o["data"]) + CountOf(o["binaryData"]) }, Age]),
            T("", "v1", "Secret", "secrets", true, false, columns:
                [new PrinterColumn("Type", "string", ".type"),
                 new PrinterColumn("Data", "integer", "") { Compute = o => CountOf(o["data"]) }, Age]),
            T("", "v1", "Service", "services", true, true, ["svc"], ["all"],
                [new PrinterColumn("Type", "string", ".spec.type"), new PrinterColumn("Cluster-IP", "string", ".spec.clusterIP"),
                 new PrinterColumn("Port(s)", "string", "") { Compute = o => PortsOf(o) }, Age]),
            T("", "v1", "Endpoints", "endpoints", true, false, ["ep"]),
            T("", "v1", "Pod", "pods", true, true, ["po"], ["all"],
                [new PrinterColumn("Status", "string", ".status.phase"), Age]),
            T("", "v1", "Event", "events", true, false, ["ev"]),
            T("", "v1", "ServiceAccount", "serviceaccounts", true, false, ["sa"]),
            T("apps", "v1", "Deployment", "deployments", true, true, ["deploy"], ["all"],
                [new PrinterColumn("Ready", "string", "") { Compute = o => $"{o["status"]?["readyReplicas"]?.GetValue<int>() ?? 0}/{o["spec"]?["replicas"]?.GetValue<int>() ?? 1}" },
                 new PrinterColumn("Up-to-date", "integer", ".status.updatedReplicas"),
                 new PrinterColumn("Available", "integer", ".status.availableReplicas"), Age]),
            T("apps", "v1", "ReplicaSet", "replicasets", true, true, ["rs"], ["all"],
                [new PrinterColumn("Desired", "integer", ".spec.replicas"), new PrinterColumn("Current", "integer", ".status.replicas"),
                 new PrinterColumn("Ready", "integer", ".status.readyReplicas"), Age]),
            T("coordination.k8s.io", "v1", "Lease", "leases", true, false, columns:
                [new PrinterColumn("Holder", "string", ".spec.holderIdentity"), Age]),
            T("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, false, columns:
                [new PrinterColumn("AddressType", "string", ".addressType"), Age]),
            T("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, true, ["hpa"], ["all"]),
            T("events.k8s.io", "v1", "Event", "events", true, false, ["ev"]),
            // Served so that a cluster install (manifests/: RBAC, disruption budgets, webhook registrations)
            // loads into this server too; stored as plain objects, not enforced.
            T("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, false),
            T("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, false),
            T("rbac.authorization.k8s.io", "v1", "Role", "roles", true, false),
            T("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, false),
            T("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, true, ["pdb"]),
            T("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false, false),
            T("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false, false),
            T("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false, true,
                ["crd", "crds"], ["api-extensions"], [new PrinterColumn("Created At", "date", ".metadata.creationTimestamp") { Format = "" }]),
        ];
    }

    /// <summary>Top-level fields of each built-in kind, for fieldValidation=Strict. Nested content
    /// (spec, status, data values) is left open: a typo at the top level is what a hand-written
    /// manifest usually gets wrong, and a full schema per kind would be a copy of k8s.io/api.</summary>
    private static readonly Dictionary<string, string[]> TopLevelFields = new()
    {
        ["ConfigMap"] = ["data", "binaryData", "immutable"],
        ["Secret"] = ["data", "stringData", "type", "immutable"],
        ["ServiceAccount"] = ["secrets", "imagePullSecrets", "automountServiceAccountToken"],
        ["Endpoints"] = ["subsets"],
        ["Event"] = ["involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "type",
            "eventTime", "series", "action", "related", "reportingComponent", "reportingInstance", "regarding", "note",
            "reportingController", "deprecatedSource", "deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount"],
        ["EndpointSlice"] = ["addressType", "endpoints", "ports"],
        ["ClusterRole"] = ["rules", "aggregationRule"],
        ["Role"] = ["rules"],
        ["ClusterRoleBinding"] = ["subjects", "roleRef"],
        ["RoleBinding"] = ["subjects", "roleRef"],
        ["MutatingWebhookConfiguration"] = ["webhooks"],
        ["ValidatingWebhookConfiguration"] = ["webhooks"],
    };

    private static JsonObject TopLevelSchema(string kind)
    {
        var fields = TopLevelFields.GetValueOrDefault(kind) ?? ["spec", "status"];
        var props = new JsonObject();
        foreach (var f in fields) props[f] = new JsonObject { ["x-kubernetes-preserve-unknown-fields"] = true };
        return new JsonObject { ["type"] = "object", ["properties"] = props };
    }

    private static string PortsOf(JsonObject o)
    {
        if (o["spec"]?["ports"] is not JsonArray ports || ports.Count == 0) return "<none>";
        return string.Join(",", ports.OfType<JsonObject>().Select(p =>
            $"{p["port"]}/{p["protocol"]?.GetValue<string>() ?? "TCP"}"));
    }

    /// <summary>List fields whose elements are merged by a key under strategic merge patch, by field name.
    /// Why by name: the built-in kinds we serve use these names consistently (containers by name, ports by
    /// containerPort, ...), which is what kubectl's compiled-in patch metadata says for them.</summary>
    public static readonly IReadOnlyDictionary<string, string> MergeKeys = new Dictionary<string, string>
    {
        ["containers"] = "name", ["initContainers"] = "name", ["ephemeralContainers"] = "name",
        ["env"] = "name", ["volumes"] = "name", ["volumeMounts"] = "mountPath", ["volumeDevices"] = "devicePath",
        ["imagePullSecrets"] = "name", ["conditions"] = "type", ["ownerReferences"] = "uid",
        ["hostAliases"] = "ip", ["tolerations"] = "key", ["secrets"] = "name", ["envFrom"] = "",
    };

    /// <summary>Primitive lists merged as sets under strategic merge patch.</summary>
    public static readonly IReadOnlySet<string> SetLists = new HashSet<string> { "finalizers" };

    /// <summary>Container port lists are merged by containerPort, service ports by port.</summary>
    public static string? MergeKeyFor(string field, JsonArray? sample)
    {
        if (field == "ports")
        {
            var first = sample?.OfType<JsonObject>().FirstOrDefault();
            return first is not null && first.ContainsKey("containerPort") ? "containerPort" : "port";
        }
        return MergeKeys.TryGetValue(field, out var key) && key.Length > 0 ? key : null;
    }
}
