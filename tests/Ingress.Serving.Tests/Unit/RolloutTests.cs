using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Domains;
using Ingress.Serving.Resources;
using Ingress.Serving.Status;

namespace Ingress.Serving.Tests.Unit;

public class RolloutTests
{
    private const long S = 1_000_000_000L;
    private const long T = 1_600_000_000L * S;

    private static Rollout One(string rev, long percent = 100, string cfg = "foo", string tag = "") =>
        new([new ConfigurationRollout(cfg, tag, percent, [new RevisionRollout(rev, percent)])]);

    [Fact]
    public void NewRevisionStartsAtOnePercentThenStepsAfterReady()
    {
        var (started, next) = RolloutStepper.Step(One("foo-2"), One("foo-1"), T);
        Assert.Equal(0, next);
        var c = Assert.Single(started.Configurations);
        Assert.Equal([new RevisionRollout("foo-1", 99), new RevisionRollout("foo-2", 1)], c.Revisions);
        Assert.Equal(T, c.StartTime);

        // The KIngress became Ready 2 s later: 60 s duration → steps of round(99 / 29) = 3 every 2 s.
        var observed = RolloutStepper.ObserveReady(started, T + 2 * S, 60);
        var o = observed.Configurations[0];
        Assert.Equal((3L, 2 * S, T + 4 * S), (o.StepSize, o.StepDuration, o.NextStepTime));

        // Too early: nothing moves.
        var (early, earlyNext) = RolloutStepper.Step(One("foo-2"), observed, T + 3 * S);
        Assert.Equal([new RevisionRollout("foo-1", 99), new RevisionRollout("foo-2", 1)], early.Configurations[0].Revisions);
        Assert.Equal(T + 4 * S, earlyNext);

        var (stepped, steppedNext) = RolloutStepper.Step(One("foo-2"), observed, T + 4 * S);
        Assert.Equal([new RevisionRollout("foo-1", 96), new RevisionRollout("foo-2", 4)], stepped.Configurations[0].Revisions);
        Assert.Equal(T + 6 * S, steppedNext);

        // JSON survives the KIngress annotation round trip.
        Assert.Equal(stepped.ToJson(), RolloutStepper.Parse(stepped.ToJson())!.ToJson());
    }

    [Fact]
    public void FinalStepLeavesOnlyTheNewRevision()
    {
        var state = new Rollout([new ConfigurationRollout("foo", "", 100,
            [new RevisionRollout("foo-1", 2), new RevisionRollout("foo-2", 98)], T, T + S, S, 3)]);
        var (done, next) = RolloutStepper.Step(One("foo-2"), state, T + S);
        Assert.Equal([new RevisionRollout("foo-2", 100)], done.Configurations[0].Revisions);
        Assert.Equal((0L, 0L, 0L), (done.Configurations[0].StepSize, done.Configurations[0].NextStepTime, next));
        Assert.Equal("{\"configurations\":[{\"configurationName\":\"foo\",\"percent\":100,\"revisions\":[{\"revisionName\":\"foo-2\",\"percent\":100}],\"stepParams\":{}}]}", done.ToJson());
    }

    [Fact]
    public void OnePercentTargetsAreNeverStepped()
    {
        var (r, _) = RolloutStepper.Step(One("foo-2", 1), One("foo-1", 1), T);
        Assert.Equal([new RevisionRollout("foo-2", 1)], r.Configurations[0].Revisions);
    }

    [Fact]
    public void DurationFromAnnotationElseConfig()
    {
        var cfg = new ServingConfig { Network = ConfigNetwork.Parse(new Dictionary<string, string> { ["rollout-duration"] = "120" }) };
        Assert.Equal(120, RolloutStepper.DurationSeconds(cfg, new Dictionary<string, string>()));
        Assert.Equal(300, RolloutStepper.DurationSeconds(cfg, new Dictionary<string, string> { ["serving.knative.dev/rolloutDuration"] = "5m" }));
        Assert.Null(RolloutStepper.Parse("not json"));
    }

    [Fact]
    public void RollingRevisionsExpandIngressSplitsAndStatusTraffic()
    {
        var config = new ServingConfig { Domain = ConfigDomain.Parse(new Dictionary<string, string> { ["example.com"] = "" }) };
        var route = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "r", ["namespace"] = "ns", ["uid"] = "u" },
            ["spec"] = new JsonObject { ["traffic"] = new JsonArray(new JsonObject { ["configurationName"] = "foo", ["percent"] = 100, ["latestRevision"] = true }) },
        };
        var rev = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "foo-2", ["labels"] = new JsonObject { ["serving.knative.dev/configuration"] = "foo" } },
            ["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }) },
        };
        var cfg = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "foo" }, ["status"] = new JsonObject { ["latestReadyRevisionName"] = "foo-2" } };
        var (tc, err) = TrafficBuilder.Build(route, _ => cfg, _ => rev);
        Assert.Null(err);
        var rollout = new Rollout([new ConfigurationRollout("foo", "", 100, [new RevisionRollout("foo-1", 96), new RevisionRollout("foo-2", 4)])]);
        var vis = new Dictionary<string, Visibility> { [""] = Visibility.ExternalIP };
        var ingress = IngressResources.MakeIngress(config, route, tc, vis, null, rollout);
        var splits = ingress["spec"]!["rules"]![0]!["http"]!["paths"]![0]!["splits"]!.AsArray();
        Assert.Equal(["foo-1:96", "foo-2:4"], splits.Select(s => $"{s!["serviceName"]}:{s["percent"]}"));
        var status = TrafficBuilder.StatusTraffic(config, route, tc, vis, rollout);
        Assert.Equal(["foo-1:96", "foo-2:4"], status.Select(s => $"{s!["revisionName"]}:{s["percent"]}"));
    }
}

public class RouteRolloutStatusTests
{
    [Fact]
    public void RolloutInProgressKeepsIngressReadyUnknown()
    {
        var config = new ServingConfig { Domain = ConfigDomain.Parse(new Dictionary<string, string> { ["example.com"] = "" }) };
        var route = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "r", ["namespace"] = "ns", ["generation"] = 1 },
            ["spec"] = new JsonObject { ["traffic"] = new JsonArray(new JsonObject { ["configurationName"] = "foo", ["percent"] = 100, ["latestRevision"] = true }) },
        };
        var rev = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "foo-2", ["labels"] = new JsonObject { ["serving.knative.dev/configuration"] = "foo" } },
            ["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }) },
        };
        var cfg = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "foo" }, ["status"] = new JsonObject { ["latestReadyRevisionName"] = "foo-2" } };
        var ingress = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "r", ["generation"] = 1 },
            ["status"] = new JsonObject { ["observedGeneration"] = 1, ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }) },
        };
        var (tc, _) = TrafficBuilder.Build(route, _ => cfg, _ => rev);
        var rollout = new Rollout([new ConfigurationRollout("foo", "", 100, [new RevisionRollout("foo-1", 99), new RevisionRollout("foo-2", 1)])]);
        RouteStatus.Compute(config, route, DateTimeOffset.UnixEpoch, tc, null,
            new Dictionary<string, Visibility> { [""] = Visibility.ExternalIP }, ingress, rollout);
        var conditions = route["status"]!["conditions"]!.AsArray();
        var ready = conditions.Single(c => c!["type"]!.GetValue<string>() == "IngressReady")!;
        Assert.Equal(("Unknown", "RolloutInProgress"), (ready["status"]!.GetValue<string>(), ready["reason"]!.GetValue<string>()));
        Assert.Equal(2, route["status"]!["traffic"]!.AsArray().Count);
    }
}

/// <summary>status.traffic's share of a rolling split (§3.5): the main host's split scaled to one target's percent.</summary>
public class StatusTrafficSplitTests
{
    private static RevisionRollout R(string name, long percent) => new(name, percent);

    [Fact]
    public void A_split_that_already_sums_to_the_percent_is_kept()
    {
        IReadOnlyList<RevisionRollout> split = [R("a", 99), R("b", 1)];
        Assert.Same(split, TrafficBuilder.ScaleSplit(split, 100));
    }

    [Fact]
    public void Scaled_parts_sum_exactly_to_the_percent_and_zero_parts_are_dropped()
    {
        Assert.Equal([R("a", 79), R("b", 1)], TrafficBuilder.ScaleSplit([R("a", 99), R("b", 1)], 80));
        Assert.Equal([R("a", 20)], TrafficBuilder.ScaleSplit([R("a", 99), R("b", 1)], 20));
        Assert.Equal([R("a", 17), R("b", 16), R("c", 17)], TrafficBuilder.ScaleSplit([R("a", 34), R("b", 33), R("c", 33)], 50));
    }

    [Fact]
    public void Ties_give_the_extra_point_to_the_newer_revision()
    {
        Assert.Equal([R("a", 1), R("b", 2)], TrafficBuilder.ScaleSplit([R("a", 50), R("b", 50)], 3));
    }
}
