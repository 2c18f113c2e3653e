using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ingress.Api.Tests;

/// <summary>
/// Compares JSON trees the way Kubernetes sees them: object key order does not matter, array order does,
/// numbers compare by value (1 == 1.0), and a property whose value is null is the same as an absent one.
/// </summary>
internal static class JsonEquivalence
{
    /// <summary>The path of the first difference, or null when equivalent.</summary>
    public static string? FirstDifference(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        switch (expected, actual)
        {
            case (null, null):
                return null;
            case (JsonObject e, JsonObject a):
                {
                    var keys = e.Where(p => p.Value is not null).Select(p => p.Key)
                        .Union(a.Where(p => p.Value is not null).Select(p => p.Key), StringComparer.Ordinal);
                    foreach (var key in keys.Order(StringComparer.Ordinal))
                    {
                        var diff = FirstDifference(e[key], a[key], $"{path}.{key}");
                        if (diff is not null)
                        {
                            return diff;
                        }
                    }
                    return null;
                }
            case (JsonArray e, JsonArray a):
                {
                    if (e.Count != a.Count)
                    {
                        return $"{path}: {e.Count} items, got {a.Count}";
                    }
                    for (var i = 0; i < e.Count; i++)
                    {
                        var diff = FirstDifference(e[i], a[i], $"{path}[{i}]");
                        if (diff is not null)
                        {
                            return diff;
                        }
                    }
                    return null;
                }
            case (JsonValue e, JsonValue a):
                {
                    var ek = e.GetValueKind();
                    var ak = a.GetValueKind();
                    if (ek != ak)
                    {
                        return $"{path}: {ek} {e.ToJsonString()}, got {ak} {a.ToJsonString()}";
                    }
                    if (ek == JsonValueKind.Number)
                    {
                        var ed = decimal.Parse(e.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
                        var ad = decimal.Parse(a.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
                        return ed == ad ? null : $"{path}: {ed}, got {ad}";
                    }
                    return e.ToJsonString() == a.ToJsonString() ? null : $"{path}: {e.ToJsonString()}, got {a.ToJsonString()}";
                }
            default:
                return $"{path}: {expected?.ToJsonString() ?? "absent"}, got {actual?.ToJsonString() ?? "absent"}";
        }
    }
}
