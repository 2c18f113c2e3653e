using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Resources;

namespace Ingress.Serving.Tests.Unit;

/// <summary>config-gc parsing (upstream's texts) and the collection rules on small revision sets.</summary>
public class RevisionGcTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2001-09-09T02:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Defaults_are_upstreams()
    {
        var c = ConfigGc.Parse(new Dictionary<string, string>());
        Assert.Equal(TimeSpan.FromHours(48), c.RetainSinceCreateTime);
        Assert.Equal(TimeSpan.FromHours(15), c.RetainSinceLastActiveTime);
        Assert.Equal(20, c.MinNonActiveRevisions);
        Assert.Equal(1000, c.MaxNonActiveRevisions);
    }

    [Fact]
    public void Disabled_is_case_insensitive_and_empty_keeps_the_default()
    {
        var c = ConfigGc.Parse(new Dictionary<string, string>
        {
            ["retain-since-create-time"] = "Disabled", ["retain-since-last-active-time"] = "", ["max-non-active-revisions"] = "DISABLED",
            ["min-non-active-revisions"] = "3",
        });
        Assert.Null(c.RetainSinceCreateTime);
        Assert.Equal(TimeSpan.FromHours(15), c.RetainSinceLastActiveTime);
        Assert.Null(c.MaxNonActiveRevisions);
        Assert.Equal(3, c.MinNonActiveRevisions);
    }

    [Theory]
    [InlineData("min-non-active-revisions", "x", "failed to parse data: failed to parse \"min-non-active-revisions\": strconv.ParseInt: parsing \"x\": invalid syntax")]
    [InlineData("min-non-active-revisions", "-1", "min-non-active-revisions must be non-negative, was: -1")]
    [InlineData("retain-since-create-time", "2d", "failed to parse retain-since-create-time: time: unknown unit \"d\" in duration \"2d\"")]
    [InlineData("retain-since-last-active-time", "-1h", "failed to parse retain-since-last-active-time: must be non-negative")]
    [InlineData("max-non-active-revisions", "-1", "failed to parse max-non-active-revisions: strconv.ParseUint: parsing \"-1\": invalid syntax")]
    [InlineData("max-non-active-revisions", "99999999999999999999", "failed to parse max-non-active-revisions: strconv.ParseUint: parsing \"99999999999999999999\": value out of range")]
    [InlineData("max-non-active-revisions", "9223372036854775808", "failed to parse max-non-active-revisions: value should be lower than 9223372036854775807")]
    [InlineData("max-non-active-revisions", "5", "min-non-active-revisions(20) must be <= max-non-active-revisions(5)")]
    public void Bad_values_are_rejected_with_upstreams_text(string key, string value, string message)
    {
        var e = Assert.Throws<ConfigMapParseException>(() => ConfigGc.Parse(new Dictionary<string, string> { [key] = value }));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void The_store_keeps_the_last_good_config_gc()
    {
        var store = new ConfigStore();
        Assert.Equal(ConfigUpdateOutcome.Applied, store.Apply(ConfigGc.Name, new Dictionary<string, string> { ["min-non-active-revisions"] = "2" }).Outcome);
        Assert.Equal(ConfigUpdateOutcome.Rejected, store.Apply(ConfigGc.Name, new Dictionary<string, string> { ["min-non-active-revisions"] = "y" }).Outcome);
        Assert.Equal(2, store.Current.Gc.MinNonActiveRevisions);
        Assert.NotNull(ConfigStore.Validate(ConfigGc.Name, new Dictionary<string, string> { ["max-non-active-revisions"] = "z" }));
    }

    private static JsonObject Rev(string name, string state, string? modified, string created = "2001-09-01T00:00:00Z", bool noGc = false)
    {
        var annotations = new JsonObject();
        if (modified is not null) annotations[Keys.RoutingStateModifiedAnnotation] = modified;
        if (noGc) annotations[Keys.NoGcAnnotation] = "true";
        return new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = name, ["creationTimestamp"] = created, ["annotations"] = annotations,
                ["labels"] = new JsonObject { [Keys.ConfigurationLabel] = "c", [Keys.RoutingStateLabel] = state },
            },
        };
    }

    private static JsonObject Config(string latestReady) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "c" },
        ["status"] = new JsonObject { ["latestReadyRevisionName"] = latestReady },
    };

    private static ConfigGc Hour(long min, long? max) => new()
    {
        RetainSinceCreateTime = TimeSpan.FromHours(1), RetainSinceLastActiveTime = TimeSpan.FromHours(1), MinNonActiveRevisions = min, MaxNonActiveRevisions = max,
    };

    [Fact]
    public void Stale_reserve_revisions_go_oldest_first_while_more_than_min_remain()
    {
        var revs = new[]
        {
            Rev("c-3", "reserve", "2001-09-09T00:30:00Z"), Rev("c-1", "reserve", "2001-09-09T00:00:00Z"),
            Rev("c-2", "reserve", "2001-09-09T00:10:00Z"), Rev("c-4", "active", "2001-09-09T00:00:00Z"),
        };
        var plan = RevisionGc.Collect(Hour(1, null), Config("c-4"), revs, Now);
        Assert.Equal(["c-1", "c-2"], plan.Deletions.Select(d => d.RevisionName));
        Assert.All(plan.Deletions, d => Assert.Equal(GcReason.Stale, d.Reason));
    }

    [Fact]
    public void A_recently_routed_revision_is_kept_and_its_stale_time_is_the_next_check()
    {
        var revs = new[] { Rev("c-1", "reserve", "2001-09-09T01:30:00Z"), Rev("c-2", "active", null) };
        var plan = RevisionGc.Collect(Hour(0, null), Config("c-2"), revs, Now);
        Assert.Empty(plan.Deletions);
        Assert.Equal(DateTimeOffset.Parse("2001-09-09T02:30:00Z", System.Globalization.CultureInfo.InvariantCulture), plan.NextCheck);
    }

    [Fact]
    public void Without_routing_state_modified_the_creation_time_counts()
    {
        var revs = new[] { Rev("c-1", "reserve", null, created: "2001-09-09T01:30:00Z"), Rev("c-0", "reserve", null, created: "2001-09-09T00:00:00Z") };
        var plan = RevisionGc.Collect(Hour(0, null), Config("c-9"), revs, Now);
        Assert.Equal(["c-0"], plan.Deletions.Select(d => d.RevisionName));
    }

    [Fact]
    public void Max_deletes_the_oldest_non_stale_revisions_over_the_bound()
    {
        var cfg = new ConfigGc { RetainSinceCreateTime = null, RetainSinceLastActiveTime = null, MinNonActiveRevisions = 0, MaxNonActiveRevisions = 1 };
        var revs = new[] { Rev("c-1", "reserve", "2001-09-09T01:50:00Z"), Rev("c-2", "reserve", "2001-09-09T01:40:00Z"), Rev("c-3", "reserve", "2001-09-09T01:55:00Z") };
        var plan = RevisionGc.Collect(cfg, Config("c-9"), revs, Now);
        Assert.Equal(["c-2", "c-1"], plan.Deletions.Select(d => d.RevisionName));
        Assert.All(plan.Deletions, d => Assert.Equal(GcReason.OverMax, d.Reason));
    }

    [Fact]
    public void Latest_ready_no_gc_pending_and_active_revisions_are_never_collected()
    {
        var revs = new[]
        {
            Rev("c-1", "reserve", "2001-01-01T00:00:00Z"), Rev("c-2", "reserve", "2001-01-01T00:00:00Z", noGc: true),
            Rev("c-3", "pending", null), Rev("c-4", "active", null),
        };
        var plan = RevisionGc.Collect(Hour(0, 0), Config("c-1"), revs, Now);
        Assert.Empty(plan.Deletions);
    }

    [Fact]
    public void All_bounds_disabled_collects_nothing()
    {
        var cfg = new ConfigGc { RetainSinceCreateTime = null, RetainSinceLastActiveTime = null, MinNonActiveRevisions = 0, MaxNonActiveRevisions = null };
        var plan = RevisionGc.Collect(cfg, Config("c-9"), [Rev("c-1", "reserve", "2001-01-01T00:00:00Z")], Now);
        Assert.Empty(plan.Deletions);
        Assert.Null(plan.NextCheck);
    }
}
