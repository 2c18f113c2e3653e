using System.Globalization;
using System.Text.Json.Nodes;
using Ingress.Serving.Naming;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>Revision of a Configuration generation (§2.2).</summary>
public static class RevisionResources
{
    /// <summary>The name of the Revision for the Configuration's current generation: the BYO template name
    /// or <c>&lt;config&gt;-&lt;generation, 5 digits minimum&gt;</c>.</summary>
    /// <summary>The BYO revision name of a Configuration's (or KService's) template, "" when none (§2.1).</summary>
    public static string TemplateName(JsonObject configuration) =>
        Json.Str(Json.Obj(Json.Obj(Json.Obj(configuration, "spec"), "template"), "metadata"), "name");

    public static string RevisionNameFor(JsonObject configuration)
    {
        var byo = TemplateName(configuration);
        return byo.Length > 0 ? byo : Kmeta.RevisionName(Meta.Name(configuration), Meta.Generation(configuration));
    }

    public static JsonObject MakeRevision(JsonObject configuration, DateTimeOffset now)
    {
        var template = Json.Obj(Json.Obj(configuration, "spec"), "template") ?? new JsonObject();
        var meta = (Json.Obj(template, "metadata")?.DeepClone() as JsonObject) ?? new JsonObject();
        var cfgLabels = Meta.Labels(configuration);
        var cfgAnnotations = Meta.Annotations(configuration);

        meta["namespace"] = Meta.Namespace(configuration);
        meta["name"] = RevisionNameFor(configuration);

        var labels = Json.Map(meta, "labels");
        labels[Keys.ConfigurationLabel] = Meta.Name(configuration);
        if (cfgLabels.TryGetValue(Keys.ServiceLabel, out var svc) && svc.Length > 0) labels[Keys.ServiceLabel] = svc;
        labels[Keys.ConfigurationGenerationLabel] = Meta.Generation(configuration).ToString(CultureInfo.InvariantCulture);
        labels[Keys.ConfigurationUidLabel] = Meta.Uid(configuration);
        if (cfgLabels.TryGetValue(Keys.ServiceUidLabel, out var suid) && suid.Length > 0) labels[Keys.ServiceUidLabel] = suid;
        labels[Keys.RoutingStateLabel] = cfgAnnotations.ContainsKey(Keys.RoutesAnnotation) ? "active" : "pending";
        meta["labels"] = Meta.StringMap(labels);

        var annotations = Json.Map(meta, "annotations");
        if (cfgAnnotations.TryGetValue(Keys.LastModifierAnnotation, out var modifier)) annotations[Keys.CreatorAnnotation] = modifier;
        if (cfgAnnotations.TryGetValue(Keys.RoutesAnnotation, out var routes)) annotations[Keys.RoutesAnnotation] = routes;
        annotations[Keys.RoutingStateModifiedAnnotation] = Rfc3339(now);
        meta["annotations"] = Meta.StringMap(annotations);

        var owners = Json.Arr(meta, "ownerReferences")?.DeepClone() as JsonArray ?? new JsonArray();
        owners.Add(Meta.ControllerRef(configuration, Keys.ServingV1, "Configuration"));
        meta["ownerReferences"] = owners;

        return new JsonObject
        {
            ["apiVersion"] = Keys.ServingV1,
            ["kind"] = "Revision",
            ["metadata"] = meta,
            ["spec"] = Json.Obj(template, "spec")?.DeepClone() ?? new JsonObject(),
        };
    }

    /// <summary>RFC3339 UTC with second precision, e.g. <c>2001-09-09T01:46:40Z</c>.</summary>
    public static string Rfc3339(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
