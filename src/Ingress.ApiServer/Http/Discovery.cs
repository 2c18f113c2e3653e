using System.Text.Json.Nodes;

namespace Ingress.ApiServer.Http;

/// <summary>Discovery documents: legacy (APIVersions, APIGroupList, APIResourceList) and aggregated
/// (APIGroupDiscoveryList v2 and v2beta1), built from the registry on each request.</summary>
internal static class Discovery
{
    public const string AggregatedV2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    public const string AggregatedV2Beta1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

    /// <summary>Which aggregated version the Accept header lists first, or null for legacy.</summary>
    public static string? NegotiateAggregated(string accept)
    {
        foreach (var part in accept.Split(','))
        {
            var p = part.Replace(" ", "");
            if (!p.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal) || !p.Contains("g=apidiscovery.k8s.io", StringComparison.Ordinal)) continue;
            if (p.Contains("v=v2beta1", StringComparison.Ordinal)) return "v2beta1";
            if (p.Contains("v=v2;", StringComparison.Ordinal) || p.EndsWith("v=v2", StringComparison.Ordinal)) return "v2";
        }
        return null;
    }

    public static JsonObject Version() => new()
    {
        ["major"] = "1", ["minor"] = "32", ["gitVersion"] = "v1.32.0-ingress", ["gitCommit"] = "ingress",
        ["gitTreeState"] = "clean", ["buildDate"] = "2026-01-01T00:00:00Z", ["goVersion"] = "go1.23",
        ["compiler"] = "gc", ["platform"] = "linux/amd64",
    };

    public static JsonObject ApiVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions", ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    private static IEnumerable<IGrouping<string, ResourceType>> Groups(ResourceRegistry registry) =>
        registry.All.Where(t => t.Group.Length > 0).GroupBy(t => t.Group).OrderBy(g => g.Key, StringComparer.Ordinal);

    private static List<string> VersionsOf(IEnumerable<ResourceType> types)
    {
        var versions = types.Select(t => t.Version).Distinct().ToList();
        // Preferred version first: the storage version's.
        var storage = types.FirstOrDefault(t => t.Storage)?.Version;
        if (storage is not null) { versions.Remove(storage); versions.Insert(0, storage); }
        return versions;
    }

    public static JsonObject GroupList(ResourceRegistry registry)
    {
        var groups = new JsonArray();
        foreach (var g in Groups(registry)) groups.Add(Group(g.Key, g));
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public static JsonObject? Group(ResourceRegistry registry, string group)
    {
        var types = registry.All.Where(t => t.Group == group).ToList();
        if (types.Count == 0) return null;
        var g = Group(group, types);
        g["kind"] = "APIGroup";
        g["apiVersion"] = "v1";
        return g;
    }

    private static JsonObject Group(string name, IEnumerable<ResourceType> types)
    {
        var versions = VersionsOf(types);
        return new JsonObject
        {
            ["name"] = name,
            ["versions"] = new JsonArray(versions.Select(v => (JsonNode?)new JsonObject { ["groupVersion"] = name + "/" + v, ["version"] = v }).ToArray()),
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = name + "/" + versions[0], ["version"] = versions[0] },
        };
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    public static JsonObject? ResourceList(ResourceRegistry registry, string group, string version)
    {
        var types = registry.All.Where(t => t.Group == group && t.Version == version).OrderBy(t => t.Plural, StringComparer.Ordinal).ToList();
        if (types.Count == 0) return null;
        var resources = new JsonArray();
        foreach (var t in types)
        {
            var r = new JsonObject
            {
                ["name"] = t.Plural, ["singularName"] = t.Singular, ["namespaced"] = t.Namespaced, ["kind"] = t.Kind,
                ["verbs"] = Strings(ResourceType.AllVerbs),
            };
            if (t.ShortNames.Count > 0) r["shortNames"] = Strings(t.ShortNames);
            if (t.Categories.Count > 0) r["categories"] = Strings(t.Categories);
            resources.Add(r);
            if (t.HasStatusSubresource)
                resources.Add(new JsonObject
                {
                    ["name"] = t.Plural + "/status", ["singularName"] = "", ["namespaced"] = t.Namespaced, ["kind"] = t.Kind,
                    ["verbs"] = Strings(["get", "patch", "update"]),
                });
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList", ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : group + "/" + version, ["resources"] = resources,
        };
    }

    public static JsonObject Aggregated(ResourceRegistry registry, bool core, string version)
    {
        var items = new JsonArray();
        if (core) items.Add(AggregatedGroup("", registry.All.Where(t => t.Group.Length == 0)));
        else foreach (var g in Groups(registry)) items.Add(AggregatedGroup(g.Key, g));
        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList", ["apiVersion"] = "apidiscovery.k8s.io/" + version,
            ["metadata"] = new JsonObject(), ["items"] = items,
        };
    }

    private static JsonObject AggregatedGroup(string name, IEnumerable<ResourceType> types)
    {
        var list = types.ToList();
        var versions = new JsonArray();
        foreach (var v in VersionsOf(list))
        {
            var resources = new JsonArray();
            foreach (var t in list.Where(t => t.Version == v).OrderBy(t => t.Plural, StringComparer.Ordinal))
            {
                var kind = new JsonObject { ["group"] = t.Group, ["version"] = t.Version, ["kind"] = t.Kind };
                var r = new JsonObject
                {
                    ["resource"] = t.Plural, ["singularResource"] = t.Singular,
                    ["scope"] = t.Namespaced ? "Namespaced" : "Cluster", ["responseKind"] = kind,
                    ["verbs"] = Strings(ResourceType.AllVerbs),
                };
                if (t.ShortNames.Count > 0) r["shortNames"] = Strings(t.ShortNames);
                if (t.Categories.Count > 0) r["categories"] = Strings(t.Categories);
                if (t.HasStatusSubresource)
                    r["subresources"] = new JsonArray(new JsonObject
                    {
                        ["subresource"] = "status", ["verbs"] = Strings(["get", "patch", "update"]), ["responseKind"] = kind.DeepClone(),
                    });
                resources.Add(r);
            }
            versions.Add(new JsonObject { ["version"] = v, ["freshness"] = "Current", ["resources"] = resources });
        }
        return new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["versions"] = versions };
    }
}
