using System.Globalization;
using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Naming;

namespace Ingress.Serving.Webhook;

/// <summary>Who is making an admission request (sets the creator/lastModifier annotations).</summary>
public sealed record UserInfo(string Username);

/// <summary>Knative's SetDefaults for Service, Configuration, Route, Revision and DomainMapping (§1.1, §3.4,
/// §7.1), applied in place to the object as sent. <paramref name="old"/> is the stored object on update.</summary>
public static class ServingDefaulting
{
    public const string CreatorAnnotation = "serving.knative.dev/creator";
    public const string UpdaterAnnotation = "serving.knative.dev/lastModifier";

    /// <summary>Applies the defaults of the object's kind; unknown kinds are left untouched.</summary>
    public static void Apply(JsonObject obj, ServingConfig config, JsonObject? old = null, UserInfo? user = null)
    {
        var kind = Json.Str(obj, "kind");
        switch (kind)
        {
            case "Service": DefaultService(obj, config, old, user); break;
            case "Configuration": DefaultConfiguration(obj, config, old, user); break;
            case "Route": DefaultRoute(obj, old, user); break;
            case "Revision": if (old is null) DefaultRevisionSpec(Json.EnsureObj(obj, "spec"), config, Json.Obj(obj, "metadata"), creating: true); break;
            case "DomainMapping": DefaultDomainMapping(obj, old, user); break;
        }
    }

    public static void DefaultService(JsonObject svc, ServingConfig config, JsonObject? old, UserInfo? user)
    {
        var spec = Json.EnsureObj(svc, "spec");
        DefaultConfigurationSpec(spec, config, Json.Obj(svc, "metadata"), Json.Obj(old, "spec"), creating: old is null);
        DefaultTraffic(spec, withDefaultConfigurationName: true);
        SetUserInfo(svc, old, user);
    }

    public static void DefaultConfiguration(JsonObject cfg, ServingConfig config, JsonObject? old, UserInfo? user)
    {
        var spec = Json.EnsureObj(cfg, "spec");
        DefaultConfigurationSpec(spec, config, Json.Obj(cfg, "metadata"), Json.Obj(old, "spec"), creating: old is null);
        if (!HasOwnerReferences(cfg)) SetUserInfo(cfg, old, user);
    }

    public static void DefaultRoute(JsonObject route, JsonObject? old, UserInfo? user)
    {
        DefaultTraffic(Json.EnsureObj(route, "spec"), withDefaultConfigurationName: false);
        if (!HasOwnerReferences(route)) SetUserInfo(route, old, user);
    }

    public static void DefaultDomainMapping(JsonObject dm, JsonObject? old, UserInfo? user)
    {
        var reference = Json.Obj(Json.Obj(dm, "spec"), "ref");
        if (reference is not null && Json.Str(reference, "namespace").Length == 0)
        {
            var ns = Json.Str(Json.Obj(dm, "metadata"), "namespace");
            if (ns.Length > 0) reference["namespace"] = ns;
        }
        SetUserInfo(dm, old, user);
    }

    private static bool HasOwnerReferences(JsonObject obj) => Json.Arr(Json.Obj(obj, "metadata"), "ownerReferences") is { Count: > 0 };

    /// <summary>§1.1: an empty KService traffic list becomes one 100% latest target; every target gets
    /// latestRevision = (revisionName empty) and percent 0 when omitted.</summary>
    public static void DefaultTraffic(JsonObject spec, bool withDefaultConfigurationName)
    {
        var traffic = Json.Arr(spec, "traffic");
        if ((traffic is null || traffic.Count == 0) && withDefaultConfigurationName)
        {
            traffic = [new JsonObject { ["percent"] = 100, ["latestRevision"] = true }];
            spec["traffic"] = traffic;
        }
        if (traffic is null) return;
        foreach (var t in traffic.OfType<JsonObject>())
        {
            if (Json.Bool(t, "latestRevision") is null) t["latestRevision"] = Json.Str(t, "revisionName").Length == 0;
            if (!Json.Has(t, "percent")) t["percent"] = 0;
        }
    }

    /// <summary>Template defaults, skipped entirely when a BYO name is unchanged across an update (§2.4).</summary>
    public static void DefaultConfigurationSpec(JsonObject spec, ServingConfig config, JsonObject? parentMeta, JsonObject? oldSpec, bool creating)
    {
        var template = Json.EnsureObj(spec, "template");
        if (oldSpec is not null)
        {
            var newName = Json.Str(Json.Obj(template, "metadata"), "name");
            var oldName = Json.Str(Json.Obj(Json.Obj(oldSpec, "template"), "metadata"), "name");
            if (newName.Length > 0 && newName == oldName) return;
        }
        DefaultRevisionSpec(Json.EnsureObj(template, "spec"), config, parentMeta, creating);
    }

    /// <summary>RevisionSpec.SetDefaults: timeouts, containerConcurrency, container names, resources,
    /// the serving container's default TCP readiness probe, enableServiceLinks on create.</summary>
    public static void DefaultRevisionSpec(JsonObject rs, ServingConfig config, JsonObject? parentMeta, bool creating)
    {
        var d = config.Defaults;
        var timeout = Json.Long(rs, "timeoutSeconds");
        if (timeout is null or 0) { timeout = d.RevisionTimeoutSeconds; rs["timeoutSeconds"] = timeout; }
        if (!Json.Has(rs, "idleTimeoutSeconds") && d.RevisionIdleTimeoutSeconds < timeout && d.RevisionIdleTimeoutSeconds != 0)
            rs["idleTimeoutSeconds"] = d.RevisionIdleTimeoutSeconds;
        if (!Json.Has(rs, "responseStartTimeoutSeconds") && d.RevisionResponseStartTimeoutSeconds < timeout && d.RevisionResponseStartTimeoutSeconds != 0)
            rs["responseStartTimeoutSeconds"] = d.RevisionResponseStartTimeoutSeconds;
        if (!Json.Has(rs, "containerConcurrency")) rs["containerConcurrency"] = d.ContainerConcurrency;

        var containers = Json.Arr(rs, "containers")?.OfType<JsonObject>().ToList() ?? [];
        var inits = Json.Arr(rs, "initContainers")?.OfType<JsonObject>().ToList() ?? [];
        var names = new HashSet<string>(containers.Concat(inits).Select(c => Json.Str(c, "name")), StringComparer.Ordinal);
        var parentName = Json.Str(parentMeta, "name");
        var parentNs = Json.Str(parentMeta, "namespace");
        ApplyDefaultContainerNames(containers, names, d.UserContainerName(parentName, parentNs, Json.Map(parentMeta, "labels"), Json.Map(parentMeta, "annotations")));
        ApplyDefaultContainerNames(inits, names, d.InitContainerName(parentName, parentNs));

        foreach (var c in containers)
        {
            var resources = Json.EnsureObj(c, "resources");
            DefaultResource(resources, "requests", "cpu", d.RevisionCpuRequest);
            DefaultResource(resources, "limits", "cpu", d.RevisionCpuLimit);
            DefaultResource(resources, "requests", "memory", d.RevisionMemoryRequest);
            DefaultResource(resources, "limits", "memory", d.RevisionMemoryLimit);
            DefaultResource(resources, "requests", "ephemeral-storage", d.RevisionEphemeralStorageRequest);
            DefaultResource(resources, "limits", "ephemeral-storage", d.RevisionEphemeralStorageLimit);

            if (containers.Count == 1 || Json.Arr(c, "ports") is { Count: > 0 })
            {
                var probe = Json.EnsureObj(c, "readinessProbe");
                if (!Json.Has(probe, "tcpSocket") && !Json.Has(probe, "httpGet") && !Json.Has(probe, "exec") && !Json.Has(probe, "grpc"))
                    probe["tcpSocket"] = new JsonObject { ["port"] = 0 };
            }
            if (Json.Obj(c, "readinessProbe") is { } rp)
            {
                if ((Json.Long(rp, "successThreshold") ?? 0) == 0) rp["successThreshold"] = 1;
                if ((Json.Long(rp, "periodSeconds") ?? 0) != 0)
                {
                    if ((Json.Long(rp, "failureThreshold") ?? 0) == 0) rp["failureThreshold"] = 3;
                    if ((Json.Long(rp, "timeoutSeconds") ?? 0) == 0) rp["timeoutSeconds"] = 1;
                }
            }
            foreach (var probeKey in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
                if (Json.Obj(Json.Obj(c, probeKey), "grpc") is { } grpc && !grpc.ContainsKey("service")) grpc["service"] = "";
            if (!Json.Has(rs, "enableServiceLinks") && creating && d.EnableServiceLinks is { } esl) rs["enableServiceLinks"] = esl;

            var writable = new HashSet<string>(StringComparer.Ordinal);
            foreach (var v in Json.Arr(rs, "volumes")?.OfType<JsonObject>() ?? [])
                if (Json.Has(v, "emptyDir") || Json.Has(v, "persistentVolumeClaim") || Json.Has(v, "ephemeral")) writable.Add(Json.Str(v, "name"));
            foreach (var vm in Json.Arr(c, "volumeMounts")?.OfType<JsonObject>() ?? [])
                if (!writable.Contains(Json.Str(vm, "name"))) vm["readOnly"] = true;
        }
    }

    private static void DefaultResource(JsonObject resources, string kind, string name, string? value)
    {
        if (value is null) return;
        var list = Json.EnsureObj(resources, kind);
        if (!list.ContainsKey(name)) list[name] = value;
    }

    private static void ApplyDefaultContainerNames(List<JsonObject> containers, HashSet<string> names, string defaultName)
    {
        if (containers.Count == 1 && Json.Str(containers[0], "name").Length == 0)
        {
            containers[0]["name"] = defaultName;
            return;
        }
        for (var idx = 0; idx < containers.Count; idx++)
        {
            if (Json.Str(containers[idx], "name").Length > 0) continue;
            string name;
            for (var i = 0; ; i++)
            {
                name = Kmeta.ChildName(defaultName, "-" + (idx + i).ToString(CultureInfo.InvariantCulture));
                if (!names.Contains(name)) break;
            }
            containers[idx]["name"] = name;
            names.Add(name);
        }
    }

    /// <summary>Creator and lastModifier: both on create; lastModifier on update only when the spec changed.</summary>
    public static void SetUserInfo(JsonObject obj, JsonObject? old, UserInfo? user)
    {
        if (user is null) return;
        var annotations = Json.EnsureObj(Json.EnsureObj(obj, "metadata"), "annotations");
        if (old is not null)
        {
            if (JsonNode.DeepEquals(old["spec"], obj["spec"])) return;
            annotations[UpdaterAnnotation] = user.Username;
        }
        else
        {
            annotations[CreatorAnnotation] = user.Username;
            annotations[UpdaterAnnotation] = user.Username;
        }
    }
}
