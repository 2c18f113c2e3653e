using System.Collections;
using System.Reflection;
using System.Text.Json;

namespace Ingress.Api.Tests;

/// <summary>Lists fields that fell into some model's AdditionalProperties, i.e. that the schema does not type.</summary>
internal static class Untyped
{
    public static List<string> Fields(object? model)
    {
        var found = new List<string>();
        Walk(model, "$", found);
        return found;
    }

    private static void Walk(object? value, string path, List<string> found)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value is System.Text.Json.Nodes.JsonNode || value.GetType().IsValueType)
        {
            return;
        }
        if (value is IDictionary dict)
        {
            foreach (DictionaryEntry entry in dict)
            {
                Walk(entry.Value, $"{path}.{entry.Key}", found);
            }
            return;
        }
        if (value is IList list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                Walk(list[i], $"{path}[{i}]", found);
            }
            return;
        }
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0)
            {
                continue;
            }
            var child = property.GetValue(value);
            if (property.Name == "AdditionalProperties" && child is Dictionary<string, JsonElement> extra)
            {
                found.AddRange(extra.Keys.Select(k => $"{path}.{k}"));
                continue;
            }
            Walk(child, $"{path}.{property.Name}", found);
        }
    }
}
