using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Resources;

namespace Ingress.Serving.Webhook;

/// <summary>The admission hooks the embedded API server registers for Serving: defaulting (mutating) and
/// validation for <c>serving.knative.dev</c> kinds, and validation of the system namespace's config maps.
/// <paramref name="config"/> is read per request so hooks follow live config map changes.</summary>
public sealed class ServingAdmission(Func<ServingConfig> config, AutoscalingAnnotationValidator? autoscaling = null,
    string systemNamespace = "knative-serving")
{
    /// <summary>True for objects these hooks act on.</summary>
    public bool Handles(JsonObject obj) => ServingValidation.Handles(obj) || IsSystemConfigMap(obj);

    private bool IsSystemConfigMap(JsonObject obj) =>
        Json.Str(obj, "apiVersion") == "v1" && Json.Str(obj, "kind") == "ConfigMap"
        && Meta.Namespace(obj) == systemNamespace && ConfigStore.WatchedNames.Contains(Meta.Name(obj));

    /// <summary>Mutating hook: a defaulted copy (unchanged copy for kinds it does not default).</summary>
    public JsonObject Default(JsonObject obj, JsonObject? old = null, UserInfo? user = null)
    {
        var copy = (JsonObject)obj.DeepClone();
        if (ServingValidation.Handles(copy)) ServingDefaulting.Apply(copy, config(), old, user);
        return copy;
    }

    /// <summary>Validating hook: null when allowed, else the denial text in Knative's format.</summary>
    public string? Validate(JsonObject obj, JsonObject? old = null)
    {
        if (IsSystemConfigMap(obj)) return ConfigStore.Validate(Meta.Name(obj), Json.Map(obj, "data"));
        if (!ServingValidation.Handles(obj)) return null;
        return new ServingValidation(config(), autoscaling).Validate(obj, old)?.Filter(Validation.DiagnosticLevel.Error)?.ToString();
    }
}
