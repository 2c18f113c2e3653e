using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Resources;
using Ingress.Serving.Validation;

namespace Ingress.Serving.Webhook;

/// <summary>One object read from a file, with where it came from.</summary>
public sealed record SourcedObject(string Source, JsonObject Object);

/// <summary>Outcome of validating one object.</summary>
public enum ValidationOutcome { Valid, Invalid, Skipped }

public sealed record ObjectValidationResult(string Source, string Kind, string Namespace, string Name, ValidationOutcome Outcome, string? Errors)
{
    public string Describe() => Namespace.Length > 0 ? $"{Kind} {Namespace}/{Name}" : $"{Kind} {Name}";
}

/// <summary>What `ingress validate` does, without the CLI: reads the config maps of the system namespace among
/// the inputs (validating them), then applies Knative's defaulting and validation to every serving object with
/// that configuration. Autoscaling pieces (config-autoscaler, autoscaling annotations) are supplied by the
/// caller because they belong to the autoscaling project.</summary>
public sealed class OfflineValidator
{
    public const string ConfigAutoscalerName = "config-autoscaler";

    /// <summary>Validates config-autoscaler data: null when valid, else the error text.</summary>
    public Func<IReadOnlyDictionary<string, string>, string?>? ValidateAutoscalerConfig { get; init; }

    /// <summary>Builds the annotation validator from the config-autoscaler data found (null = none given).</summary>
    public Func<IReadOnlyDictionary<string, string>?, AutoscalingAnnotationValidator>? AnnotationValidatorFactory { get; init; }

    public string SystemNamespace { get; init; } = "knative-serving";

    public IReadOnlyList<ObjectValidationResult> Validate(IEnumerable<SourcedObject> inputs)
    {
        var objects = inputs.SelectMany(Flatten).ToList();
        var results = new List<ObjectValidationResult>();
        var store = new ConfigStore();
        IReadOnlyDictionary<string, string>? autoscalerData = null;

        // Config maps first: every object is validated with the configuration the files provide.
        foreach (var so in objects.Where(o => IsSystemConfigMap(o.Object)))
        {
            var name = Meta.Name(so.Object);
            var data = Json.Map(so.Object, "data");
            string? error;
            if (name == ConfigAutoscalerName)
            {
                error = ValidateAutoscalerConfig?.Invoke(data);
                if (error is null) autoscalerData = data;
            }
            else error = store.Apply(name, data).Error;
            results.Add(Result(so, error is null ? ValidationOutcome.Valid : ValidationOutcome.Invalid, error));
        }

        var validator = new ServingValidation(store.Current, AnnotationValidatorFactory?.Invoke(autoscalerData));
        foreach (var so in objects.Where(o => !IsSystemConfigMap(o.Object)))
        {
            if (!ServingValidation.Handles(so.Object))
            {
                results.Add(Result(so, ValidationOutcome.Skipped, null));
                continue;
            }
            var obj = (JsonObject)so.Object.DeepClone();
            ServingDefaulting.Apply(obj, store.Current);
            var err = validator.Validate(obj);
            results.Add(Result(so, err is null ? ValidationOutcome.Valid : ValidationOutcome.Invalid, err?.ToString()));
        }
        return results;
    }

    private bool IsSystemConfigMap(JsonObject o) =>
        Json.Str(o, "apiVersion") == "v1" && Json.Str(o, "kind") == "ConfigMap" && Meta.Namespace(o) == SystemNamespace
        && (ConfigStore.WatchedNames.Contains(Meta.Name(o)) || Meta.Name(o) == ConfigAutoscalerName);

    /// <summary>Expands <c>kind: List</c> (kubectl's multi-object form).</summary>
    private static IEnumerable<SourcedObject> Flatten(SourcedObject so)
    {
        if (Json.Str(so.Object, "kind") == "List" && Json.Arr(so.Object, "items") is { } items)
        {
            foreach (var item in items.OfType<JsonObject>()) yield return so with { Object = item };
            yield break;
        }
        yield return so;
    }

    private static ObjectValidationResult Result(SourcedObject so, ValidationOutcome outcome, string? errors) =>
        new(so.Source, Json.Str(so.Object, "kind"), Meta.Namespace(so.Object), Meta.Name(so.Object), outcome, errors);
}
