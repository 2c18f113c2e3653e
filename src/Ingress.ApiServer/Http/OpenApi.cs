using System.Text.Json.Nodes;

namespace Ingress.ApiServer.Http;

/// <summary>
/// OpenAPI v3: an index of group-versions and, per group-version, a document whose PATCH operations
/// carry x-kubernetes-group-version-kind and a fieldValidation parameter. That is what makes kubectl
/// trust the server to validate fields, so plain <c>kubectl apply</c> works without --validate=false.
/// CRD schemas are included as component schemas when the CRD declares one.
/// </summary>
internal static class OpenApi
{
    public static JsonObject Index(ResourceRegistry registry)
    {
        var paths = new JsonObject();
        var hash = registry.Generation.ToString("X8");
        foreach (var gv in registry.All.Select(t => (t.Group, t.Version)).Distinct())
        {
            var key = gv.Group.Length == 0 ? "api/" + gv.Version : $"apis/{gv.Group}/{gv.Version}";
            paths[key] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{key}?hash={hash}" };
        }
        return new JsonObject { ["paths"] = paths };
    }

    public static JsonObject? GroupVersion(ResourceRegistry registry, string group, string version, IReadOnlyDictionary<string, JsonObject> schemas)
    {
        var types = registry.All.Where(t => t.Group == group && t.Version == version).ToList();
        if (types.Count == 0) return null;
        var paths = new JsonObject();
        var components = new JsonObject();
        foreach (var t in types)
        {
            var prefix = group.Length == 0 ? "/api/" + version : $"/apis/{group}/{version}";
            var item = t.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{t.Plural}/{{name}}" : $"{prefix}/{t.Plural}/{{name}}";
            var gvk = new JsonObject { ["group"] = t.Group, ["version"] = t.Version, ["kind"] = t.Kind };
            JsonArray Params() => new(
                new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                new JsonObject { ["name"] = "dryRun", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } },
                new JsonObject { ["name"] = "fieldManager", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } });
            JsonObject Op(string action) => new()
            {
                ["x-kubernetes-action"] = action, ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
                ["parameters"] = Params(), ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
            };
            paths[item] = new JsonObject { ["get"] = Op("get"), ["put"] = Op("put"), ["patch"] = Op("patch"), ["delete"] = Op("delete") };
            var schemaName = $"{ReverseDomain(t.Group)}.{t.Version}.{t.Kind}";
            if (schemas.TryGetValue(t.StorageKey + "/" + t.Version, out var schema))
            {
                var s = (JsonObject)schema.DeepClone();
                s["x-kubernetes-group-version-kind"] = new JsonArray(gvk.DeepClone());
                components[schemaName] = s;
            }
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0", ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths, ["components"] = new JsonObject { ["schemas"] = components },
        };
    }

    public const string V2ProtobufContentType = "application/octet-stream"; // what the real server answers; Go rejects the "@" media type

    /// <summary>
    /// A minimal OpenAPI v2 document in gnostic's protobuf form (swagger "2.0", info, empty paths and
    /// definitions). kubectl 1.27 and 1.28 fetch only this for client-side validation; with no schema for
    /// a kind they skip validating it, so plain <c>kubectl apply</c> works for them too.
    /// </summary>
    public static byte[] V2Protobuf()
    {
        using var ms = new MemoryStream();
        var o = new Google.Protobuf.CodedOutputStream(ms);
        o.WriteTag(1, Google.Protobuf.WireFormat.WireType.LengthDelimited);
        o.WriteString("2.0");
        using var info = new MemoryStream();
        var io = new Google.Protobuf.CodedOutputStream(info);
        io.WriteTag(1, Google.Protobuf.WireFormat.WireType.LengthDelimited);
        io.WriteString("Kubernetes");
        io.WriteTag(2, Google.Protobuf.WireFormat.WireType.LengthDelimited);
        io.WriteString("v1.32.0");
        io.Flush();
        o.WriteTag(2, Google.Protobuf.WireFormat.WireType.LengthDelimited);
        o.WriteBytes(Google.Protobuf.ByteString.CopyFrom(info.ToArray()));
        o.WriteTag(8, Google.Protobuf.WireFormat.WireType.LengthDelimited);
        o.WriteBytes(Google.Protobuf.ByteString.Empty);
        o.Flush();
        return ms.ToArray();
    }

    private static string ReverseDomain(string group) =>
        group.Length == 0 ? "io.k8s.api.core" : string.Join('.', group.Split('.').Reverse());
}
