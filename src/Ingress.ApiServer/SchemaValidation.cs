using System.Text.Json.Nodes;

namespace Ingress.ApiServer;

/// <summary>
/// Strict field validation against a CRD's openAPIV3Schema: lists fields the schema does not declare
/// (objects with <c>properties</c> and neither <c>x-kubernetes-preserve-unknown-fields</c> nor
/// <c>additionalProperties</c>). metadata, apiVersion and kind are the server's own and are skipped.
/// Used only when the client asks for fieldValidation=Strict, as kubectl does; unknown fields are not
/// pruned otherwise (documented in docs/apiserver.md).
/// </summary>
internal static class SchemaValidation
{
    public static List<string> UnknownFields(JsonObject obj, JsonObject schema)
    {
        var unknown = new List<string>();
        if (schema["properties"] is not JsonObject props) return unknown;
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind" or "metadata") continue;
            if (props[key] is JsonObject sub) Walk(value, sub, key, unknown);
            else if (!Open(schema)) unknown.Add(key);
        }
        return unknown;
    }

    private static bool Open(JsonObject schema) =>
        schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true || schema["additionalProperties"] is not null ||
        schema["properties"] is not JsonObject;

    private static void Walk(JsonNode? node, JsonObject schema, string path, List<string> unknown)
    {
        switch (node)
        {
            case JsonObject o:
                if (schema["additionalProperties"] is JsonObject ap)
                {
                    foreach (var (k, v) in o) Walk(v, ap, path + "." + k, unknown);
                    return;
                }
                if (schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true && schema["properties"] is not JsonObject) return;
                if (schema["properties"] is not JsonObject props) return;
                var open = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
                foreach (var (k, v) in o)
                {
                    if (props[k] is JsonObject sub) Walk(v, sub, path + "." + k, unknown);
                    else if (!open) unknown.Add(path + "." + k);
                }
                break;
            case JsonArray a when schema["items"] is JsonObject items:
                for (var i = 0; i < a.Count; i++) Walk(a[i], items, $"{path}[{i}]", unknown);
                break;
        }
    }
}
