using System.Text.Json.Nodes;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>Children of a KService (§1.2, §1.3).</summary>
public static class ServiceResources
{
    /// <summary>The desired Configuration. <paramref name="existing"/> contributes the route names already
    /// listed in its <c>serving.knative.dev/routes</c> annotation.</summary>
    public static JsonObject MakeConfiguration(JsonObject service, JsonObject? existing = null)
    {
        var name = Meta.Name(service);
        var labels = Meta.Union(Meta.Labels(service), new Dictionary<string, string>
        {
            [Keys.ServiceLabel] = name,
            [Keys.ServiceUidLabel] = Meta.Uid(service),
        });
        var annotations = Meta.Without(Meta.Annotations(service), Keys.LastAppliedAnnotation,
            Keys.RolloutDurationAnnotation, Keys.RolloutDurationLegacyAnnotation);
        var routes = new SortedSet<string>(StringComparer.Ordinal) { name };
        if (existing is not null && Meta.Annotations(existing).TryGetValue(Keys.RoutesAnnotation, out var listed))
            foreach (var r in listed.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) routes.Add(r);
        annotations[Keys.RoutesAnnotation] = string.Join(",", routes);

        var spec = new JsonObject();
        if (Json.Obj(service, "spec")?["template"] is { } template) spec["template"] = template.DeepClone();
        return new JsonObject
        {
            ["apiVersion"] = Keys.ServingV1,
            ["kind"] = "Configuration",
            ["metadata"] = Meta.NewMetadata(name, Meta.Namespace(service), labels, annotations,
                Meta.ControllerRef(service, Keys.ServingV1, "Service")),
            ["spec"] = spec,
        };
    }

    /// <summary>The desired Route: traffic copied, targets without a revision name pinned to the KService's
    /// Configuration.</summary>
    public static JsonObject MakeRoute(JsonObject service)
    {
        var name = Meta.Name(service);
        var labels = Meta.Union(Meta.Labels(service), new Dictionary<string, string> { [Keys.ServiceLabel] = name });
        var annotations = Meta.Without(Meta.Annotations(service), Keys.LastAppliedAnnotation);
        var traffic = new JsonArray();
        foreach (var t in Json.Arr(Json.Obj(service, "spec"), "traffic")?.OfType<JsonObject>() ?? [])
        {
            var copy = (JsonObject)t.DeepClone();
            if (Json.Str(copy, "revisionName").Length == 0) copy["configurationName"] = name;
            traffic.Add(copy);
        }
        return new JsonObject
        {
            ["apiVersion"] = Keys.ServingV1,
            ["kind"] = "Route",
            ["metadata"] = Meta.NewMetadata(name, Meta.Namespace(service), labels, annotations,
                Meta.ControllerRef(service, Keys.ServingV1, "Service")),
            ["spec"] = new JsonObject { ["traffic"] = traffic },
        };
    }
}
