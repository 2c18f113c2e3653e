using System.Text.Json.Nodes;
using Ingress.Serving.Validation;

namespace Ingress.Serving.Tests.Unit;

public class ConditionAndFieldErrorTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_000_000_000);

    private static (string Status, string Reason) Cond(JsonObject status, string type)
    {
        var c = status["conditions"]!.AsArray().OfType<JsonObject>().Single(c => c["type"]!.GetValue<string>() == type);
        return (c["status"]!.GetValue<string>(), c["reason"]?.GetValue<string>() ?? "");
    }

    [Fact]
    public void InitializeMarksDependentsUnknownOrTrueWhenReady()
    {
        var status = new JsonObject();
        new StatusConditions(status, T0, "Ready", "A", "B").Initialize();
        Assert.Equal(("Unknown", ""), Cond(status, "A"));
        Assert.Equal(["A", "B", "Ready"], status["conditions"]!.AsArray().Select(c => c!["type"]!.GetValue<string>()));

        var ready = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }) };
        new StatusConditions(ready, T0, "Ready", "A").Initialize();
        Assert.Equal(("True", ""), Cond(ready, "A"));
    }

    [Fact]
    public void ReadyFollowsMostRecentUnhappyDependent()
    {
        var status = new JsonObject();
        var cm = new StatusConditions(status, T0, "Ready", "A", "B", "C");
        cm.Initialize();
        cm.MarkUnknown("A", "Waiting", "a");
        cm.MarkFalse("B", "Broken", "b");
        Assert.Equal(("False", "Broken"), Cond(status, "Ready"));
        cm.MarkTrue("C");
        // False trumps Unknown even though A changed earlier.
        Assert.Equal(("False", "Broken"), Cond(status, "Ready"));
        cm.MarkTrue("B");
        Assert.Equal(("Unknown", "Waiting"), Cond(status, "Ready"));
        cm.MarkTrue("A");
        Assert.Equal(("True", ""), Cond(status, "Ready"));
    }

    [Fact]
    public void MarkUnknownKeepsReadyFalseWhileAnotherDependentIsFalse()
    {
        var status = new JsonObject();
        var cm = new StatusConditions(status, T0, "Ready", "A", "B");
        cm.Initialize();
        cm.MarkFalse("A", "Bad", "a");
        cm.MarkUnknown("B", "Pending", "b");
        Assert.Equal(("False", "Bad"), Cond(status, "Ready"));
        Assert.Equal(("Unknown", "Pending"), Cond(status, "B"));
    }

    [Fact]
    public void TransitionTimeOnlyChangesOnRealTransition()
    {
        var status = new JsonObject();
        new StatusConditions(status, T0, "Ready", "A").MarkTrue("A");
        new StatusConditions(status, T0.AddHours(1), "Ready", "A").MarkTrue("A");
        var a = status["conditions"]!.AsArray().OfType<JsonObject>().Single(c => c["type"]!.GetValue<string>() == "A");
        Assert.Equal("2001-09-09T01:46:40Z", a["lastTransitionTime"]!.GetValue<string>());
    }

    [Fact]
    public void TransitionOrderSurvivesAcrossHelpersOfOneReconcile()
    {
        // Each status helper opens its own StatusConditions; at one `now` the order of marks still decides which
        // unhappy dependent Ready reports, because the typed view of the same JSON status is kept between them
        // (re-read from JSON, A and B would tie on time and A, first by type, would win).
        var status = new JsonObject();
        StatusConditions M() => new(status, T0, "Ready", "A", "B", "C");
        M().Initialize();
        M().MarkFalse("A", "First", "a");
        M().MarkFalse("B", "Second", "b");
        M().MarkTrue("C");
        Assert.Equal(("False", "Second"), Cond(status, "Ready"));
    }

    [Fact]
    public void EditingTheJsonOutsideTheHelpersIsSeenByTheNextOne()
    {
        var status = new JsonObject();
        new StatusConditions(status, T0, "Ready", "A").MarkFalse("A", "Bad", "a");
        status["conditions"] = JsonNode.Parse("""[{"type":"A","status":"True"},{"type":"Ready","status":"True"}]""");
        new StatusConditions(status, T0, "Ready", "A").MarkUnknown("A", "Again", "a");
        Assert.Equal(("Unknown", "Again"), Cond(status, "Ready"));
        Assert.Equal(("Unknown", "Again"), Cond(status, "A"));
    }

    [Fact]
    public void FieldErrorFormattingMergesAndSorts()
    {
        var err = FieldError.Also(
            FieldError.MissingField("b"),
            FieldError.MissingField("a"),
            FieldError.Generic("Zebra", "z"),
            FieldError.InvalidKeyName("k", "x", "detail one", "detail two").ViaField("spec"),
            FieldError.InvalidValue(42, "").ViaFieldIndex("items", 3).ViaField("spec"));
        Assert.Equal(
            "Zebra: z\n" +
            "invalid key name \"k\": spec.x\ndetail one, detail two\n" +
            "invalid value: 42: spec.items[3]\n" +
            "missing field(s): a, b", err!.ToString());
        Assert.Null(FieldError.Also(null, (FieldError?)null));
        Assert.Equal("x: y", FieldError.Also(null, FieldError.Generic("x", "y"))!.ToString());
    }

    [Fact]
    public void WarningsFilterSeparately()
    {
        var err = FieldError.Also(FieldError.Generic("w", "a").At(DiagnosticLevel.Warning), FieldError.Generic("e", "b"));
        Assert.Equal("w: a", err!.Filter(DiagnosticLevel.Warning)!.ToString());
        Assert.Equal("e: b", err.Filter(DiagnosticLevel.Error)!.ToString());
    }
}

public class ObserveGenerationTests
{
    [Fact]
    public void NewGenerationWithoutStatusChangeIsUnknown()
    {
        var obj = new JsonObject
        {
            ["metadata"] = new JsonObject { ["generation"] = 2 },
            ["status"] = new JsonObject
            {
                ["observedGeneration"] = 1,
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }),
            },
        };
        var before = Conditions.Get(obj, "Ready")?.DeepClone() as JsonObject;
        StatusConditions.ObserveGeneration(obj, before, DateTimeOffset.UnixEpoch, "Ready");
        var ready = Conditions.Get(obj, "Ready")!;
        Assert.Equal("NewObservedGenFailure", ready["reason"]!.GetValue<string>());
        Assert.Equal(2, obj["status"]!["observedGeneration"]!.GetValue<long>());

        // Same generation again: nothing is forced.
        var before2 = Conditions.Get(obj, "Ready")?.DeepClone() as JsonObject;
        new StatusConditions((JsonObject)obj["status"]!, DateTimeOffset.UnixEpoch, "Ready").MarkTrue("Ready");
        StatusConditions.ObserveGeneration(obj, before2, DateTimeOffset.UnixEpoch, "Ready");
        Assert.Equal("True", Conditions.Get(obj, "Ready")!["status"]!.GetValue<string>());
    }
}
