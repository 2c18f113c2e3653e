using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Domains;
using Ingress.Serving.Reconcilers;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>A placeholder Service as it should be once the KIngress has a load balancer, and the Endpoints that go
/// with it (only for a load balancer IP).</summary>
public sealed record PlaceholderPair(JsonObject Service, JsonObject? Endpoints);

/// <summary>How an existing placeholder Service reaches its desired form (upstream updatePlaceholderServices).</summary>
public enum PlaceholderChange
{
    /// <summary>Already as desired.</summary>
    None,
    /// <summary>Update in place (spec replaced, labels and annotations merged).</summary>
    Update,
    /// <summary>Delete and create: a ClusterIP Service cannot become ExternalName, and clusterIP is immutable.</summary>
    Recreate,
}

/// <summary>What to do with a placeholder's Endpoints.</summary>
public enum EndpointsChange { None, Create, Update, Delete }

/// <summary>The Route's placeholder K8s Services (§5.1 step 5), one per traffic name: first ExternalName to the
/// name's host rendered with the Route's own labels; once the KIngress has a load balancer, pointed at it
/// (IP → headless Service + Endpoints, domainInternal/domain → ExternalName, meshOnly → ClusterIP port 80).</summary>
public static class PlaceholderServices
{
    public const string H2cPortName = "http2";
    public const string H2cAppProtocol = "kubernetes.io/h2c";

    /// <summary>The traffic names in placeholder order: "" first, then tags sorted.</summary>
    public static IEnumerable<string> Names(TrafficConfig tc) =>
        tc.Targets.Keys.Append("").Distinct().OrderBy(n => n.Length == 0 ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal);

    /// <summary>Upstream MakeK8sService: the Service (and Endpoints) for traffic name <paramref name="tag"/> from the
    /// KIngress load balancer; the private load balancer when <paramref name="isPrivate"/> (the existing Service is
    /// labelled cluster-local) or when it has entries. Null when there is no usable load balancer yet (none, more
    /// than one entry, or an entry with nothing set): the Service is then left as it is.</summary>
    public static PlaceholderPair? ForLoadBalancer(ServingConfig config, JsonObject route, string tag, JsonObject ingress, bool isPrivate)
    {
        var status = Json.Obj(ingress, "status");
        var privateEntries = Json.Arr(Json.Obj(status, "privateLoadBalancer"), "ingress");
        var entries = Json.Arr(Json.Obj(status, "publicLoadBalancer"), "ingress");
        if (isPrivate || privateEntries is { Count: > 0 }) entries = privateEntries;
        if (entries is not { Count: 1 } || entries[0] is not JsonObject balancer) return null;

        var meta = TrafficBuilder.RouteMeta(route);
        var hostname = DomainNames.HostnameFromTemplate(config.Network, meta.Name, tag);
        var metadata = ObjectMeta(route, meta, hostname);
        var spec = new JsonObject { ["ports"] = new JsonArray(H2cPort()) };
        JsonObject? endpoints = null;
        if (Json.Str(balancer, "ip") is { Length: > 0 } ip)
        {
            spec["clusterIP"] = "None";
            spec["type"] = "ClusterIP";
            endpoints = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Endpoints",
                ["metadata"] = metadata.DeepClone(),
                ["subsets"] = new JsonArray(new JsonObject
                {
                    ["addresses"] = new JsonArray(new JsonObject { ["ip"] = ip }),
                    ["ports"] = new JsonArray(new JsonObject { ["name"] = H2cPortName, ["appProtocol"] = H2cAppProtocol, ["port"] = 80 }),
                }),
            };
        }
        else if (Json.Str(balancer, "domainInternal") is { Length: > 0 } internalName)
        {
            spec["type"] = "ExternalName";
            spec["externalName"] = internalName;
            spec["sessionAffinity"] = "None";
        }
        else if (Json.Str(balancer, "domain") is { Length: > 0 } domain)
        {
            spec["type"] = "ExternalName";
            spec["externalName"] = domain;
        }
        else if (Json.Bool(balancer, "meshOnly") == true)
        {
            // Load-balanced by the mesh: no address to point at, but the name must resolve inside the mesh.
            spec["type"] = "ClusterIP";
            spec["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 80 });
        }
        else return null;
        return new PlaceholderPair(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Service", ["metadata"] = metadata, ["spec"] = spec }, endpoints);
    }

    /// <summary>Upstream IsClusterLocalService: the existing Service carries visibility=cluster-local exactly.</summary>
    public static bool IsClusterLocalService(JsonObject service) =>
        Meta.Labels(service).GetValueOrDefault(Keys.VisibilityLabel) == "cluster-local";

    /// <summary>How <paramref name="existing"/> becomes <paramref name="desired"/>, and the object to write (for an
    /// update: a copy of the existing one with the desired spec, a kept clusterIP, merged labels and annotations).</summary>
    public static (PlaceholderChange Change, JsonObject Write) DecideServiceChange(JsonObject existing, JsonObject desired)
    {
        var fromSpec = Json.Obj(existing, "spec");
        var toSpec = (JsonObject)desired["spec"]!.DeepClone();
        var fromType = Json.Str(fromSpec, "type") is { Length: > 0 } ft ? ft : "ClusterIP";
        var toType = Json.Str(toSpec, "type") is { Length: > 0 } tt ? tt : "ClusterIP";
        var canUpdate = true;
        if (fromType != toType) canUpdate = fromType == "ExternalName";
        else if (fromType == "ClusterIP")
        {
            var fromIp = Json.Str(fromSpec, "clusterIP");
            var toIp = Json.Str(toSpec, "clusterIP");
            if (fromIp == toIp) canUpdate = true;
            else if (fromIp != "None" && toIp.Length == 0) toSpec["clusterIP"] = fromIp;
            else canUpdate = false;
        }
        if (!canUpdate) return (PlaceholderChange.Recreate, desired);

        var labels = Meta.Union(Meta.Labels(existing), Meta.Labels(desired));
        var annotations = Meta.Union(Meta.Annotations(existing), Meta.Annotations(desired));
        var existingLabels = Meta.Labels(existing);
        var existingAnnotations = Meta.Annotations(existing);
        if (Children.Covers(fromSpec, toSpec) && !HasLeftover(fromSpec, toSpec)
            && labels.All(kv => existingLabels.GetValueOrDefault(kv.Key) == kv.Value)
            && annotations.All(kv => existingAnnotations.GetValueOrDefault(kv.Key) == kv.Value))
            return (PlaceholderChange.None, existing);
        var copy = (JsonObject)existing.DeepClone();
        copy["spec"] = toSpec;
        var meta = (JsonObject)copy["metadata"]!;
        meta["labels"] = Meta.StringMap(labels);
        meta["annotations"] = Meta.StringMap(annotations);
        return (PlaceholderChange.Update, copy);
    }

    /// <summary>A field only another form sets (externalName, headless clusterIP) is still there. Fields an API
    /// server defaults (sessionAffinity, ports' protocol, an allocated clusterIP) are not leftovers, so they never
    /// force an update loop.</summary>
    private static bool HasLeftover(JsonObject? from, JsonObject to) =>
        from is not null && from.Any(kv => !to.ContainsKey(kv.Key)
            && (kv.Key == "externalName" || (kv.Key == "clusterIP" && Json.Str(from, "clusterIP") == "None")));

    /// <summary>Endpoints: created, updated (subsets differ), deleted, or left alone.</summary>
    public static EndpointsChange DecideEndpointsChange(JsonObject? existing, JsonObject? desired) => (existing, desired) switch
    {
        (null, null) => EndpointsChange.None,
        (null, _) => EndpointsChange.Create,
        (_, null) => EndpointsChange.Delete,
        _ => JsonNode.DeepEquals(existing["subsets"], desired["subsets"]) ? EndpointsChange.None : EndpointsChange.Update,
    };

    /// <summary>"There is an existing placeholder Endpoint ..." when Endpoints of that name are not ours.</summary>
    public static string? EndpointsNotOwnedMessage(JsonObject route, JsonObject? existing) =>
        existing is not null && !Meta.IsControlledBy(existing, Meta.Uid(route))
            ? $"There is an existing placeholder Endpoint \"{Meta.Name(existing)}\" that we do not own." : null;

    private static JsonObject H2cPort() => new() { ["name"] = H2cPortName, ["appProtocol"] = H2cAppProtocol, ["port"] = 80, ["targetPort"] = 80 };

    private static JsonObject ObjectMeta(JsonObject route, MetaView meta, string hostname)
    {
        var labels = Meta.Without(meta.Labels ?? new Dictionary<string, string>(), Keys.VisibilityLabel);
        labels[Keys.RouteLabel] = meta.Name;
        return Meta.NewMetadata(hostname, meta.Namespace, labels, meta.Annotations ?? new Dictionary<string, string>(),
            Meta.ControllerRef(route, Keys.ServingV1, "Route"));
    }

    public static List<JsonObject> Make(ServingConfig config, JsonObject route, TrafficConfig tc, JsonObject? ingress = null)
    {
        var loadBalancer = LoadBalancerDomain(ingress);
        var meta = TrafficBuilder.RouteMeta(route);
        var names = tc.Targets.Keys.Append("").Distinct().OrderBy(n => n.Length == 0 ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal);
        var result = new List<JsonObject>();
        foreach (var name in names)
        {
            var hostname = DomainNames.HostnameFromTemplate(config.Network, meta.Name, name);
            var externalName = DomainNames.DomainNameFromTemplate(config, meta, hostname);
            var labels = Meta.Without(meta.Labels ?? new Dictionary<string, string>(), Keys.VisibilityLabel);
            labels[Keys.RouteLabel] = meta.Name;
            result.Add(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Service",
                ["metadata"] = Meta.NewMetadata(hostname, meta.Namespace, labels, meta.Annotations ?? new Dictionary<string, string>(),
                    Meta.ControllerRef(route, Keys.ServingV1, "Route")),
                ["spec"] = new JsonObject
                {
                    ["type"] = "ExternalName",
                    ["externalName"] = loadBalancer ?? externalName,
                    ["sessionAffinity"] = "None",
                    ["ports"] = new JsonArray(new JsonObject
                    {
                        ["name"] = "http2", ["appProtocol"] = "kubernetes.io/h2c", ["port"] = 80, ["targetPort"] = 80,
                    }),
                },
            });
        }
        return result;
    }

    /// <summary>§5.1 step 5, after the KIngress has a load balancer: its <c>domainInternal</c>, else its
    /// <c>domain</c>, the private load balancer preferred. (An IP or meshOnly load balancer is not handled yet: the
    /// Service keeps the route's own host.)</summary>
    public static string? LoadBalancerDomain(JsonObject? ingress)
    {
        foreach (var lb in new[] { "privateLoadBalancer", "publicLoadBalancer" })
        {
            if (ingress?["status"]?[lb]?["ingress"] is JsonArray { Count: > 0 } entries && entries[0] is JsonObject first)
            {
                if (first["domainInternal"]?.GetValue<string>() is { Length: > 0 } internalName) return internalName;
                if (first["domain"]?.GetValue<string>() is { Length: > 0 } domain) return domain;
            }
        }
        return null;
    }

    /// <summary>Placeholder Services labelled with this route that are no longer needed.</summary>
    public static IEnumerable<string> Stale(IEnumerable<JsonObject> existing, IEnumerable<JsonObject> desired)
    {
        var keep = desired.Select(Meta.Name).ToHashSet(StringComparer.Ordinal);
        return existing.Select(Meta.Name).Where(n => !keep.Contains(n));
    }

    /// <summary>"There is an existing placeholder Service ..." when a Service of that name is not ours.</summary>
    public static string? NotOwnedMessage(JsonObject route, JsonObject? existing) =>
        existing is not null && !Meta.IsControlledBy(existing, Meta.Uid(route))
            ? $"There is an existing placeholder Service \"{Meta.Name(existing)}\" that we do not own." : null;
}
