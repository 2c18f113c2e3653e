using System.Globalization;
using System.Text.Json.Nodes;
using Ingress.Serving.Resources;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Status;

/// <summary>How the Configuration reconciler obtains the Revision of the current generation (§2.1).</summary>
public enum LatestCreatedAction { Create, UseExisting, Conflict }

/// <summary>The Configuration reconciler's decisions (§2.1, §2.3) as pure functions.</summary>
public static class ConfigurationStatus
{
    /// <summary>§2.1: given the Revision found by BYO name (or by labels), decide what to do.</summary>
    public static LatestCreatedAction DecideLatestCreated(JsonObject configuration, JsonObject? found)
    {
        if (found is null) return LatestCreatedAction.Create;
        var byo = RevisionResources.TemplateName(configuration);
        if (byo.Length == 0) return LatestCreatedAction.UseExisting;
        if (!Meta.IsControlledBy(found, Meta.Uid(configuration))) return LatestCreatedAction.Conflict;
        var gen = Meta.Generation(configuration).ToString(CultureInfo.InvariantCulture);
        if (Meta.Labels(found).GetValueOrDefault(Keys.ConfigurationGenerationLabel, "") == gen) return LatestCreatedAction.UseExisting;
        var sameSpec = JsonNode.DeepEquals(found["spec"], Json.Obj(Json.Obj(configuration, "spec"), "template")?["spec"]);
        return sameSpec ? LatestCreatedAction.UseExisting : LatestCreatedAction.Conflict;
    }

    /// <summary>Label selector for the non-BYO lookup: configuration=name, configurationGeneration=generation.</summary>
    public static IReadOnlyDictionary<string, string> GenerationSelector(JsonObject configuration) => new Dictionary<string, string>
    {
        [Keys.ConfigurationLabel] = Meta.Name(configuration),
        [Keys.ConfigurationGenerationLabel] = Meta.Generation(configuration).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>§2.1 conflict status.</summary>
    public static void MarkRevisionCreationFailed(JsonObject configuration, DateTimeOffset now, string error)
    {
        var cm = new StatusConditions(Json.EnsureObj(configuration, "status"), now, "Ready");
        cm.Initialize();
        cm.MarkFalse("Ready", "RevisionFailed", $"Revision creation failed with message: {error}.");
        Json.EnsureObj(configuration, "status")["observedGeneration"] = Meta.Generation(configuration);
    }

    /// <summary>The AlreadyExists text used when a BYO name is held by a conflicting Revision.</summary>
    public static string AlreadyExists(string revisionName) => $"revisions.serving.knative.dev \"{revisionName}\" already exists";

    /// <summary>§2.3: sets latestCreated/latestReady and Ready from the latest created Revision and the
    /// Revisions labelled with this Configuration (<paramref name="candidates"/>).</summary>
    public static void Compute(JsonObject configuration, DateTimeOffset now, JsonObject latestCreated, IEnumerable<JsonObject> candidates)
    {
        var status = Json.EnsureObj(configuration, "status");
        var cm = new StatusConditions(status, now, "Ready");
        cm.Initialize();
        var createdName = Meta.Name(latestCreated);
        status["latestCreatedRevisionName"] = createdName;
        var previousReady = Json.Str(status, "latestReadyRevisionName");
        if (createdName != previousReady) cm.MarkUnknown("Ready", "", "");

        var createdReady = Conditions.Get(latestCreated, "Ready");
        if (Json.Str(createdReady, "status") == "False")
            cm.MarkFalse("Ready", "RevisionFailed", $"Revision \"{createdName}\" failed with message: {Json.Str(createdReady, "message")}.");

        var byo = RevisionResources.TemplateName(configuration);
        var list = candidates.Where(r => Meta.Labels(r).GetValueOrDefault(Keys.ConfigurationLabel) == Meta.Name(configuration)).ToList();
        long Gen(JsonObject r) => long.TryParse(Meta.Labels(r).GetValueOrDefault(Keys.ConfigurationGenerationLabel, "0"), out var g) ? g : 0;
        var current = Meta.Generation(configuration);
        var prev = list.FirstOrDefault(r => Meta.Name(r) == previousReady);
        if (prev is not null)
        {
            var from = Gen(prev);
            list = list.Where(r => (Gen(r) >= from && Gen(r) <= current) || (byo.Length > 0 && Meta.Name(r) == byo)).ToList();
        }
        var ordered = list.OrderByDescending(r => byo.Length > 0 && Meta.Name(r) == byo).ThenByDescending(Gen).ToList();
        var ready = ordered.FirstOrDefault(TrafficBuilder.IsReady);
        if (ready is not null) status["latestReadyRevisionName"] = Meta.Name(ready);
        if (Json.Str(status, "latestReadyRevisionName") == createdName && TrafficBuilder.IsReady(latestCreated)) cm.MarkTrue("Ready");
        status["observedGeneration"] = current;
    }
}
