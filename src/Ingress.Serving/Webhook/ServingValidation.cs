using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Go;
using Ingress.Serving.Validation;

namespace Ingress.Serving.Webhook;

/// <summary>Validates the annotations of a Revision template against config-autoscaler (owned by the
/// autoscaling project). Returns errors with paths relative to the annotations map.</summary>
public delegate FieldError? AutoscalingAnnotationValidator(IReadOnlyDictionary<string, string> annotations);

/// <summary>Knative's webhook validation for Service, Configuration, Route, Revision and DomainMapping, with
/// upstream's exact messages. Operates on the object as sent (untyped JSON) so `ingress validate` and the
/// admission hook see the same thing. <c>old</c> is the stored object on update (null on create).</summary>
public sealed class ServingValidation(ServingConfig config, AutoscalingAnnotationValidator? autoscaling = null)
{
    public const string ServiceLabel = "serving.knative.dev/service";
    public const string ConfigurationLabel = "serving.knative.dev/configuration";
    public const string RolloutDurationKey = "serving.knative.dev/rollout-duration";
    public const string RolloutDurationLegacyKey = "serving.knative.dev/rolloutDuration";
    public const string ProgressDeadlineKey = "serving.knative.dev/progress-deadline";

    /// <summary>The networking annotations a Revision template may carry (networking.ValidateAnnotations).</summary>
    public static readonly IReadOnlySet<string> AllowedTemplateNetworkingAnnotations = new HashSet<string>(StringComparer.Ordinal)
    {
        "networking.knative.dev/ingress.class", "networking.knative.dev/ingress-class",
        "networking.knative.dev/certificate.class", "networking.knative.dev/certificate-class",
        "networking.knative.dev/disableAutoTLS", "networking.knative.dev/disable-auto-tls",
        "networking.knative.dev/disable-external-domain-tls",
        "networking.knative.dev/httpOption", "networking.knative.dev/http-protocol",
    };

    private static readonly string[] QueueSidecarResourceAnnotations =
    [
        "queue.sidecar.serving.knative.dev/cpu-resource-request", "queue.sidecar.serving.knative.dev/cpu-resource-limit",
        "queue.sidecar.serving.knative.dev/memory-resource-request", "queue.sidecar.serving.knative.dev/memory-resource-limit",
        "queue.sidecar.serving.knative.dev/ephemeral-storage-resource-request", "queue.sidecar.serving.knative.dev/ephemeral-storage-resource-limit",
    ];

    /// <summary>True for the kinds this validator handles (apiVersion group serving.knative.dev).</summary>
    public static bool Handles(JsonObject obj) =>
        Json.Str(obj, "apiVersion").StartsWith("serving.knative.dev/", StringComparison.Ordinal)
        && Json.Str(obj, "kind") is "Service" or "Configuration" or "Route" or "Revision" or "DomainMapping";

    public FieldError? Validate(JsonObject obj, JsonObject? old = null) => Json.Str(obj, "kind") switch
    {
        "Service" => ValidateService(obj, old),
        "Configuration" => ValidateConfiguration(obj, old),
        "Route" => ValidateRoute(obj, old),
        "Revision" => ValidateRevision(obj, old),
        "DomainMapping" => ValidateDomainMapping(obj, old),
        _ => null,
    };

    public FieldError? ValidateService(JsonObject svc, JsonObject? old)
    {
        var meta = Json.Obj(svc, "metadata");
        var errs = FieldError.Also(ValidateObjectMetadata(meta, allowAutoscaling: false),
            ValidateRolloutDurationAnnotation(Json.Map(meta, "annotations"))?.ViaField("annotations"));
        errs = errs?.ViaField("metadata");
        var spec = Json.Obj(svc, "spec");
        var specErrs = FieldError.Also(ValidateTemplate(Json.Obj(spec, "template"), meta)?.ViaField("template"),
            ValidateTrafficList(Json.Arr(spec, "traffic"), withDefaultConfigurationName: true)?.ViaField("traffic"));
        errs = FieldError.Also(errs, specErrs?.ViaField("spec"));
        if (old is not null)
        {
            errs = FieldError.Also(errs,
                ValidateCreatorAndModifier(old["spec"], svc["spec"], Json.Map(Json.Obj(old, "metadata"), "annotations"), Json.Map(meta, "annotations"))?.ViaField("metadata.annotations"),
                VerifyNameChange(Json.Obj(spec, "template"), Json.Obj(Json.Obj(old, "spec"), "template"))?.ViaField("spec.template"));
        }
        return errs;
    }

    public FieldError? ValidateConfiguration(JsonObject cfg, JsonObject? old)
    {
        var meta = Json.Obj(cfg, "metadata");
        var errs = FieldError.Also(ValidateObjectMetadata(meta, allowAutoscaling: false),
            VerifyLabelOwnerRef(meta, ServiceLabel, "Service")?.ViaField("labels"));
        errs = errs?.ViaField("metadata");
        errs = FieldError.Also(errs, ValidateTemplate(Json.Obj(Json.Obj(cfg, "spec"), "template"), meta)?.ViaField("spec.template"));
        if (old is not null)
        {
            if (!HasOwnerRefs(meta))
                errs = FieldError.Also(errs, ValidateCreatorAndModifier(old["spec"], cfg["spec"], Json.Map(Json.Obj(old, "metadata"), "annotations"), Json.Map(meta, "annotations"))?.ViaField("metadata.annotations"));
            errs = FieldError.Also(errs, VerifyNameChange(Json.Obj(Json.Obj(cfg, "spec"), "template"), Json.Obj(Json.Obj(old, "spec"), "template"))?.ViaField("spec.template"));
        }
        return errs;
    }

    public FieldError? ValidateRoute(JsonObject route, JsonObject? old)
    {
        var meta = Json.Obj(route, "metadata");
        var errs = FieldError.Also(ValidateObjectMetadata(meta, allowAutoscaling: false),
            VerifyLabelOwnerRef(meta, ServiceLabel, "Service")?.ViaField("labels"),
            ValidateRolloutDurationAnnotation(Json.Map(meta, "annotations"))?.ViaField("annotations"));
        errs = errs?.ViaField("metadata");
        errs = FieldError.Also(errs, ValidateTrafficList(Json.Arr(Json.Obj(route, "spec"), "traffic"), withDefaultConfigurationName: false)?.ViaField("spec.traffic"));
        if (old is not null && !HasOwnerRefs(meta))
            errs = FieldError.Also(errs, ValidateCreatorAndModifier(old["spec"], route["spec"], Json.Map(Json.Obj(old, "metadata"), "annotations"), Json.Map(meta, "annotations"))?.ViaField("metadata.annotations"));
        return errs;
    }

    public FieldError? ValidateRevision(JsonObject rev, JsonObject? old)
    {
        var meta = Json.Obj(rev, "metadata");
        var errs = FieldError.Also(ValidateObjectMetadata(meta, allowAutoscaling: true),
            VerifyLabelOwnerRef(meta, ConfigurationLabel, "Configuration")?.ViaField("labels"))?.ViaField("metadata");
        if (old is not null)
        {
            var diff = JsonDiff.Describe(old["spec"], rev["spec"]);
            return diff is null ? errs : new FieldError("Immutable fields changed (-old +new)", ["spec"], diff);
        }
        return FieldError.Also(errs, ValidateRevisionSpec(Json.Obj(rev, "spec"))?.ViaField("spec"));
    }

    public FieldError? ValidateDomainMapping(JsonObject dm, JsonObject? old)
    {
        var meta = Json.Obj(dm, "metadata");
        var name = Json.Str(meta, "name");
        FieldError? errs = null;
        if (Json.Str(meta, "generateName").Length > 0) errs = FieldError.DisallowedFields("generateName");
        if (K8sNames.FullyQualifiedDomainNameError("name", name) is { } fq)
            errs = FieldError.Also(errs, FieldError.Generic($"invalid name {GoFormat.Quote(name)}: {fq}", "name"));
        var cd = ClusterDomain.Name;
        if (name.EndsWith("." + cd, StringComparison.Ordinal))
            errs = FieldError.Also(errs, FieldError.Generic($"invalid name {GoFormat.Quote(name)}: must not be a subdomain of cluster local domain {GoFormat.Quote(cd)}", "name"));
        if (old is not null)
            errs = FieldError.Also(errs, ValidateCreatorAndModifier(old["spec"], dm["spec"], Json.Map(Json.Obj(old, "metadata"), "annotations"), Json.Map(meta, "annotations"))?.ViaField("annotations"));
        errs = errs?.ViaField("metadata");

        var reference = Json.Obj(Json.Obj(dm, "spec"), "ref");
        FieldError? refErrs = null;
        if (Json.Str(reference, "name").Length == 0) refErrs = FieldError.Also(refErrs, FieldError.MissingField("name"));
        if (Json.Str(reference, "apiVersion").Length == 0) refErrs = FieldError.Also(refErrs, FieldError.MissingField("apiVersion"));
        if (Json.Str(reference, "kind").Length == 0) refErrs = FieldError.Also(refErrs, FieldError.MissingField("kind"));
        var refNs = Json.Str(reference, "namespace");
        var parentNs = Json.Str(meta, "namespace");
        if (refNs.Length > 0 && parentNs.Length > 0 && refNs != parentNs)
            refErrs = FieldError.Also(refErrs, new FieldError("mismatched namespaces", ["namespace"],
                $"parent namespace: {GoFormat.Quote(parentNs)} does not match ref: {GoFormat.Quote(refNs)}"));
        return FieldError.Also(errs, refErrs?.ViaField("spec.ref"));
    }

    // ---------------- metadata ----------------

    /// <summary>apis.ValidateObjectMetadata plus the autoscaling-annotation rule; only the first name problem is reported.</summary>
    public FieldError? ValidateObjectMetadata(JsonObject? meta, bool allowAutoscaling)
    {
        var errs = ValidateName(Json.Str(meta, "name"), Json.Str(meta, "generateName"));
        var annotations = Json.Map(meta, "annotations");
        if (allowAutoscaling)
            errs = FieldError.Also(errs, autoscaling?.Invoke(annotations)?.ViaField("annotations"));
        else
            foreach (var key in annotations.Keys.Where(k => k.StartsWith("autoscaling.knative.dev", StringComparison.Ordinal)))
                errs = FieldError.Also(errs, FieldError.InvalidKeyName(key, FieldError.CurrentField,
                    "autoscaling annotations must be put under \"spec.template.metadata.annotations\" to work").ViaField("annotations"));
        return errs;
    }

    private static FieldError? ValidateName(string name, string generateName)
    {
        if (generateName.Length > 0)
        {
            var msgs = K8sNames.IsDns1035Label(MaskTrailingDash(generateName));
            if (msgs.Count > 0) return FieldError.Generic("not a DNS 1035 label prefix: " + GoSlice(msgs), "generateName");
        }
        if (name.Length > 0)
        {
            var msgs = K8sNames.IsDns1035Label(name);
            if (msgs.Count > 0) return FieldError.Generic("not a DNS 1035 label: " + GoSlice(msgs), "name");
        }
        if (generateName.Length == 0 && name.Length == 0) return FieldError.Generic("name or generateName is required", "name");
        return null;
    }

    private static string MaskTrailingDash(string s) => s.Length > 1 && s.EndsWith('-') ? s[..^1] + "a" : s;

    /// <summary>Go's <c>fmt.Sprint([]string)</c>: <c>[a b]</c>.</summary>
    internal static string GoSlice(IEnumerable<string> items) => "[" + string.Join(" ", items) + "]";

    private static bool HasOwnerRefs(JsonObject? meta) => Json.Arr(meta, "ownerReferences") is { Count: > 0 };

    private static FieldError? VerifyLabelOwnerRef(JsonObject? meta, string label, string kind)
    {
        var labels = Json.Map(meta, "labels");
        if (!labels.TryGetValue(label, out var val)) return null;
        foreach (var r in Json.Arr(meta, "ownerReferences")?.OfType<JsonObject>() ?? [])
            if (Json.Str(r, "kind") == kind && Json.Str(r, "name") == val) return null;
        return FieldError.MissingField(label);
    }

    /// <summary>Rollout-duration annotation (first of the alias keys present wins).</summary>
    public static FieldError? ValidateRolloutDurationAnnotation(IReadOnlyDictionary<string, string> annotations) =>
        ValidateDurationAnnotation(annotations, [RolloutDurationKey, RolloutDurationLegacyKey], "rollout-duration");

    private static FieldError? ValidateDurationAnnotation(IReadOnlyDictionary<string, string> annotations, string[] keys, string label)
    {
        foreach (var k in keys)
        {
            if (!annotations.TryGetValue(k, out var v)) continue;
            if (v.Length == 0) return null;
            if (!GoFormat.TryParseDuration(v, out var d, out _)) return FieldError.InvalidValue(v, k);
            if (!d.IsWholeSeconds) return FieldError.Generic($"{label}={v} is not at second precision", k);
            if (d.Nanoseconds < 0) return FieldError.Generic($"{label}={v} must be positive", k);
            return null;
        }
        return null;
    }

    private static FieldError? ValidateCreatorAndModifier(JsonNode? oldSpec, JsonNode? newSpec,
        IReadOnlyDictionary<string, string> oldAnn, IReadOnlyDictionary<string, string> newAnn)
    {
        FieldError? errs = null;
        var c = ServingDefaulting.CreatorAnnotation;
        var u = ServingDefaulting.UpdaterAnnotation;
        if (oldAnn.GetValueOrDefault(c, "") != newAnn.GetValueOrDefault(c, ""))
            errs = FieldError.Generic("annotation value is immutable", c);
        if (JsonNode.DeepEquals(oldSpec, newSpec) && oldAnn.GetValueOrDefault(u, "") != newAnn.GetValueOrDefault(u, ""))
            errs = FieldError.Also(errs, FieldError.InvalidValue(newAnn.GetValueOrDefault(u, ""), u));
        return errs;
    }

    private static FieldError? VerifyNameChange(JsonObject? template, JsonObject? oldTemplate)
    {
        var name = Json.Str(Json.Obj(template, "metadata"), "name");
        if (name.Length == 0 || name != Json.Str(Json.Obj(oldTemplate, "metadata"), "name")) return null;
        var diff = JsonDiff.Describe(oldTemplate, template);
        return diff is null ? null : new FieldError("Saw the following changes without a name change (-old +new)", ["metadata.name"], diff);
    }

    // ---------------- traffic (§3.2) ----------------

    public static FieldError? ValidateTrafficList(JsonArray? traffic, bool withDefaultConfigurationName)
    {
        FieldError? errs = null;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        long sum = 0;
        var list = traffic?.ToList() ?? [];
        for (var i = 0; i < list.Count; i++)
        {
            var tt = list[i] as JsonObject;
            errs = FieldError.Also(errs, ValidateTarget(tt, withDefaultConfigurationName)?.ViaIndex(i));
            if (Json.Long(tt, "percent") is { } p) sum += p;
            var tag = Json.Str(tt, "tag");
            if (tag.Length == 0) continue;
            var msgs = K8sNames.IsDns1035Label(tag);
            if (msgs.Count > 0)
                errs = FieldError.Also(errs, FieldError.InvalidArrayValue("not a DNS 1035 label: " + GoSlice(msgs), "tag", i));
            if (seen.TryGetValue(tag, out var idx))
                errs = FieldError.Also(errs, FieldError.Generic($"Multiple definitions for {GoFormat.Quote(tag)}", $"[{i}].tag", $"[{idx}].tag"));
            else seen[tag] = i;
        }
        if (sum != 100) errs = FieldError.Also(errs, FieldError.Generic($"Traffic targets sum to {sum}, want 100", FieldError.CurrentField));
        return errs;
    }

    private static FieldError? ValidateTarget(JsonObject? tt, bool withDefaultConfigurationName)
    {
        FieldError? errs = null;
        var rev = Json.Str(tt, "revisionName");
        var cfg = Json.Str(tt, "configurationName");
        if (Json.Bool(tt, "latestRevision") is { } lr && (rev.Length > 0) == lr)
            errs = FieldError.Generic($"may not set revisionName {GoFormat.Quote(rev)} when latestRevision is {(lr ? "true" : "false")}", "latestRevision");
        if (withDefaultConfigurationName && cfg.Length > 0) errs = FieldError.Also(errs, FieldError.DisallowedFields("configurationName"));
        else if (rev.Length > 0 && cfg.Length > 0) errs = FieldError.Also(errs, FieldError.MultipleOneOf("revisionName", "configurationName"));
        else if (rev.Length > 0)
        {
            var el = K8sNames.IsQualifiedName(rev);
            if (el.Count > 0) errs = FieldError.Also(errs, FieldError.InvalidKeyName(rev, "revisionName", [.. el]));
        }
        else if (cfg.Length > 0)
        {
            var el = K8sNames.IsQualifiedName(cfg);
            if (el.Count > 0) errs = FieldError.Also(errs, FieldError.InvalidKeyName(cfg, "configurationName", [.. el]));
        }
        else if (!withDefaultConfigurationName) errs = FieldError.Also(errs, FieldError.MissingOneOf("revisionName", "configurationName"));
        if (Json.Long(tt, "percent") is { } p && (p < 0 || p > 100)) errs = FieldError.Also(errs, FieldError.OutOfBoundsValue(p, 0, 100, "percent"));
        if (Json.Str(tt, "url").Length > 0)
        {
            errs = FieldError.Also(errs, FieldError.DisallowedFields("url"));
            if (Json.Str(tt, "tag").Length == 0) errs = FieldError.Also(errs, FieldError.DisallowedFields("url"));
        }
        return errs;
    }

    // ---------------- revision template ----------------

    /// <summary>RevisionTemplateSpec.Validate for a template under a parent (Service/Configuration).</summary>
    public FieldError? ValidateTemplate(JsonObject? template, JsonObject? parentMeta)
    {
        var tmeta = Json.Obj(template, "metadata");
        var annotations = Json.Map(tmeta, "annotations");
        var errs = ValidateRevisionSpec(Json.Obj(template, "spec"))?.ViaField("spec");
        errs = FieldError.Also(errs, autoscaling?.Invoke(annotations)?.ViaField("metadata.annotations"));
        foreach (var key in annotations.Keys.Where(k => k.StartsWith("networking.knative.dev", StringComparison.Ordinal) && !AllowedTemplateNetworkingAnnotations.Contains(k)))
            errs = FieldError.Also(errs, FieldError.InvalidKeyName(key, FieldError.CurrentField).ViaField("metadata.annotations"));
        errs = FieldError.Also(errs, ValidateRevisionName(Json.Str(tmeta, "name"), Json.Str(tmeta, "generateName"), parentMeta));
        errs = FieldError.Also(errs, ValidateQueueSidecarAnnotations(annotations)?.ViaField("metadata.annotations"));
        errs = FieldError.Also(errs, ValidateDurationAnnotation(annotations, [ProgressDeadlineKey], "progress-deadline")?.ViaField("metadata.annotations"));
        return errs;
    }

    private static FieldError? ValidateRevisionName(string name, string generateName, JsonObject? parentMeta)
    {
        if (generateName.Length > 0)
        {
            var msgs = K8sNames.IsDns1035Label(MaskTrailingDash(generateName));
            if (msgs.Count > 0) return FieldError.InvalidValue("not a DNS 1035 label prefix: " + GoSlice(msgs), "metadata.generateName");
        }
        if (name.Length == 0) return null;
        var nameMsgs = K8sNames.IsDns1035Label(name);
        if (nameMsgs.Count > 0) return FieldError.InvalidValue("not a DNS 1035 label: " + GoSlice(nameMsgs), "metadata.name");
        var parentName = Json.Str(parentMeta, "name");
        if (parentName.Length == 0 && Json.Str(parentMeta, "generateName").Length > 0) return FieldError.DisallowedFields("metadata.name");
        var prefix = parentName + "-";
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
            return FieldError.InvalidValue($"{GoFormat.Quote(name)} must have prefix {GoFormat.Quote(prefix)}", "metadata.name");
        return null;
    }

    private static FieldError? ValidateQueueSidecarAnnotations(IReadOnlyDictionary<string, string> annotations)
    {
        FieldError? errs = null;
        foreach (var k in QueueSidecarResourceAnnotations)
            if (annotations.TryGetValue(k, out var v) && !ConfigMapReader.IsQuantity(v))
                errs = FieldError.Also(errs, FieldError.InvalidValue(v, FieldError.CurrentField).ViaKey(k));
        return errs;
    }

    private static readonly HashSet<long> ReservedPorts = [8012, 8013, 8022, 9090, 9091];
    private static readonly HashSet<string> ReservedContainerNames = new(StringComparer.Ordinal) { "queue-proxy" };

    /// <summary>RevisionSpec.Validate: the pod-spec checks that matter for serving (containers, the single
    /// serving port, images, reserved names/ports), timeoutSeconds and containerConcurrency.</summary>
    public FieldError? ValidateRevisionSpec(JsonObject? rs)
    {
        FieldError? errs = null;
        var containers = Json.Arr(rs, "containers")?.OfType<JsonObject>().ToList() ?? [];

        var portCount = 0;
        foreach (var c in containers) portCount += Json.Arr(c, "ports")?.Count ?? 0;
        if (portCount == 0 && containers.Count > 1) errs = FieldError.Also(errs, FieldError.MissingField("ports").ViaField("containers[*]"));
        if (portCount > 1)
            errs = FieldError.Also(errs, new FieldError("more than one container port is set", ["ports"], "Only a single port is allowed across all containers").ViaField("containers[*]"));

        if (containers.Count == 0) errs = FieldError.Also(errs, FieldError.MissingField("containers"));
        else if (containers.Count == 1) errs = FieldError.Also(errs, ValidateContainer(containers[0])?.ViaFieldIndex("containers", 0));
        else if (config.Features["multi-container"] != FeatureFlag.Enabled)
            errs = FieldError.Also(errs, new FieldError($"multi-container is off, but found {containers.Count} containers", []));
        else
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < containers.Count; i++)
            {
                var n = Json.Str(containers[i], "name");
                if (!names.Add(n)) errs = FieldError.Also(errs, FieldError.Generic($"duplicate container name {GoFormat.Quote(n)}", "name").ViaFieldIndex("containers", i));
                errs = FieldError.Also(errs, ValidateContainer(containers[i])?.ViaFieldIndex("containers", i));
            }
        }
        var sa = Json.Str(rs, "serviceAccountName");
        if (sa.Length > 0)
            foreach (var e in K8sNames.IsDns1123Subdomain(sa)) errs = FieldError.Also(errs, FieldError.InvalidValue(sa, "serviceAccountName", e));

        if (Json.Long(rs, "timeoutSeconds") is { } ts && ts != 0 && (ts > config.Defaults.MaxRevisionTimeoutSeconds || ts < 0))
            errs = FieldError.Also(errs, FieldError.OutOfBoundsValue(ts, 0, config.Defaults.MaxRevisionTimeoutSeconds, "timeoutSeconds"));
        if (Json.Long(rs, "containerConcurrency") is { } cc)
        {
            var min = config.Defaults.AllowContainerConcurrencyZero ? 0 : 1;
            if (cc < min || cc > config.Defaults.ContainerConcurrencyMaxLimit)
                errs = FieldError.Also(errs, FieldError.OutOfBoundsValue(cc, min, config.Defaults.ContainerConcurrencyMaxLimit, "containerConcurrency"));
        }
        return errs;
    }

    private static FieldError? ValidateContainer(JsonObject c)
    {
        if (c.Count == 0) return FieldError.MissingField(FieldError.CurrentField);
        FieldError? errs = null;
        var name = Json.Str(c, "name");
        if (ReservedContainerNames.Contains(name))
            errs = FieldError.Generic($"{GoFormat.Quote(name)} is a reserved container name", "name");
        if (Json.Str(c, "image").Length == 0) errs = FieldError.Also(errs, FieldError.MissingField("image"));
        if (Json.Arr(c, "ports")?.FirstOrDefault() is JsonObject port)
        {
            FieldError? perrs = null;
            var cp = Json.Long(port, "containerPort") ?? 0;
            if (ReservedPorts.Contains(cp))
                perrs = FieldError.InvalidValue($"{cp} is a reserved port", "containerPort", $"{cp} is a reserved port, please use a different value");
            if (cp < 0 || cp > 65535) perrs = FieldError.Also(perrs, FieldError.OutOfBoundsValue(cp, 0, 65535, "containerPort"));
            var proto = Json.Str(port, "protocol");
            if (proto.Length > 0 && proto != "TCP") perrs = FieldError.Also(perrs, FieldError.InvalidValue(proto, "protocol"));
            var pn = Json.Str(port, "name");
            if (pn is not ("" or "h2c" or "http1"))
                perrs = FieldError.Also(perrs, new FieldError($"Port name {pn} is not allowed", [FieldError.CurrentField], "Name must be empty, or one of: 'h2c', 'http1'"));
            errs = FieldError.Also(errs, perrs?.ViaField("ports"));
        }
        var tmp = Json.Str(c, "terminationMessagePolicy");
        if (tmp is not ("" or "File" or "FallbackToLogsOnError")) errs = FieldError.Also(errs, FieldError.InvalidValue(tmp, "terminationMessagePolicy"));
        return errs;
    }
}
