using System.Text.Json.Nodes;
using Ingress.Serving.Resources;

namespace Ingress.Serving.Tests.Unit;

public class LabelerTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_000_000_000);

    private static JsonObject Rev(string? routes, string? state) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["name"] = "r-00001",
            ["labels"] = state is null ? null : new JsonObject { ["serving.knative.dev/routingState"] = state },
            ["annotations"] = routes is null
                ? new JsonObject { ["serving.knative.dev/routingStateModified"] = "2000-01-01T00:00:00Z" }
                : new JsonObject { ["serving.knative.dev/routes"] = routes, ["serving.knative.dev/routingStateModified"] = "2000-01-01T00:00:00Z" },
        },
    };

    [Theory]
    [InlineData(null, "b", true, "b")]
    [InlineData("c,a", "b", true, "a,b,c")]
    [InlineData("a,b", "b", false, "a")]
    [InlineData("b", "b", false, null)]
    [InlineData("a", "a", true, "a")]
    public void RoutesAnnotation(string? current, string route, bool add, string? expected) =>
        Assert.Equal(expected, Labeler.UpdateRoutes(current, route, add));

    [Fact]
    public void PendingRevisionBecomesActiveWithNewTimestamp()
    {
        var m = Labeler.ForRevision(Rev(null, "pending"), "route", true, Now);
        Assert.Equal(("route", "active", "2001-09-09T01:46:40Z", true), (m.Routes, m.RoutingState, m.RoutingStateModified, m.Changed));
    }

    [Fact]
    public void LastRouteGoneMakesReserve()
    {
        var m = Labeler.ForRevision(Rev("route", "active"), "route", false, Now);
        Assert.Equal((null, "reserve", "2001-09-09T01:46:40Z", true), (m.Routes, m.RoutingState, m.RoutingStateModified, m.Changed));
        var applied = Labeler.Apply(Rev("route", "active"), m);
        Assert.Null(applied["metadata"]!["annotations"]!["serving.knative.dev/routes"]);
        Assert.Equal("reserve", applied["metadata"]!["labels"]!["serving.knative.dev/routingState"]!.GetValue<string>());
    }

    [Fact]
    public void StillRoutedByOtherKeepsStateAndTime()
    {
        var m = Labeler.ForRevision(Rev("other,route", "active"), "route", false, Now);
        Assert.Equal(("other", "active", "2000-01-01T00:00:00Z", true), (m.Routes, m.RoutingState, m.RoutingStateModified, m.Changed));
        var unchanged = Labeler.ForRevision(Rev("route", "active"), "route", true, Now);
        Assert.False(unchanged.Changed);
    }

    [Fact]
    public void APendingRevisionThatLosesItsLastRouteGoesToReserve()
    {
        var m = Labeler.ForRevision(Rev("route", "pending"), "route", false, Now);
        Assert.Equal((null, "reserve", "2001-09-09T01:46:40Z", true), (m.Routes, m.RoutingState, m.RoutingStateModified, m.Changed));
    }

    private static JsonObject Cfg(string latestCreated) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "c" },
        ["status"] = new JsonObject { ["latestCreatedRevisionName"] = latestCreated, ["latestReadyRevisionName"] = "c-00001" },
    };

    private static JsonObject Revision(string name) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["ownerReferences"] = new JsonArray(new JsonObject { ["kind"] = "Configuration", ["name"] = "c", ["controller"] = true }),
        },
    };

    private static JsonObject Route(string spec, string status, long observed, string ready) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "r", ["generation"] = 2 },
        ["spec"] = new JsonObject { ["traffic"] = JsonNode.Parse(spec) },
        ["status"] = new JsonObject
        {
            ["observedGeneration"] = observed,
            ["traffic"] = JsonNode.Parse(status),
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready }),
        },
    };

    [Fact]
    public void A_latest_target_lists_the_latest_created_revision_before_it_is_ready()
    {
        var route = Route("""[{"configurationName":"c","latestRevision":true,"percent":100}]""",
            """[{"revisionName":"c-00001","latestRevision":true,"percent":100}]""", 2, "True");
        var revisions = new Dictionary<string, JsonObject> { ["c-00001"] = Revision("c-00001"), ["c-00002"] = Revision("c-00002") };
        var t = Labeler.Targets(route, n => n == "c" ? Cfg("c-00002") : null, revisions.GetValueOrDefault);
        Assert.Equal(["c"], t.Configurations);
        Assert.Equal(["c-00001", "c-00002"], t.Revisions);
        Assert.True(t.ClearUnlisted);
    }

    [Fact]
    public void A_pinned_revision_brings_its_configuration_and_an_unresolved_route_clears_nothing()
    {
        var route = Route("""[{"revisionName":"c-00001","percent":100},{"revisionName":"missing","percent":0}]""", "[]", 1, "True");
        var t = Labeler.Targets(route, n => n == "c" ? Cfg("c-00002") : null, n => n == "c-00001" ? Revision(n) : null);
        Assert.Equal(["c"], t.Configurations);
        Assert.Equal(["c-00001"], t.Revisions); // pinned: the latest created one is not added
        Assert.False(t.ClearUnlisted);
    }
}
