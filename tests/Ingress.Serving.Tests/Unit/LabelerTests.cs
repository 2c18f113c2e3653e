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
}
