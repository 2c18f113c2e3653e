using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Domains;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>The Route's placeholder K8s Services (§5.1 step 5), one per traffic name, before the KIngress has
/// a load balancer: ExternalName to the name's host rendered with the Route's own labels.</summary>
public static class PlaceholderServices
{
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
