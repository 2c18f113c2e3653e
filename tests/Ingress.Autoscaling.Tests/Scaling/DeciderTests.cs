using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Scaling;

namespace Ingress.Autoscaling.Tests.Scaling;

public class DeciderTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    // Defaults, concurrency metric, cc = 0 (target 70, total 100, TBC 211, panic ×2, stable 60 s).
    private static readonly DeciderSpec Defaults = RevisionAutoscaling.Resolve(null, 0, AutoscalerConfig.Default).ToDeciderSpec(Reachability.Reachable);

    [Fact]
    public void Worked_example_of_the_spec_section_9()
    {
        Assert.Equal(70, Defaults.TargetValue, 9);
        Assert.Equal(100, Defaults.TotalValue);
        var decider = new Decider(Defaults, T0, readyPodsAtCreation: 1);
        Assert.False(decider.Panicking);

        // 3 ready pods, stable 150, panic 400: dS = 3, dP = 6, 6/3 = 2 ≥ 2 ⇒ panic; desired 6; EBC −311.
        var first = decider.Scale(T0, 3, 150, 400);
        Assert.Equal(new ScaleResult(6, -311, true), first);
        Assert.True(decider.Panicking);
        Assert.Equal(6, decider.MaxPanicPods);
        Assert.Equal(6, KpaDecisions.ActivatorCount(Defaults, readyPods: 3));
        Assert.Equal(ServerlessServiceMode.Proxy, KpaDecisions.ChooseMode(want: 6, first.ExcessBurstCapacity));

        // Later: 6 ready pods, stable 300, panic 120: dP = 2, 2/6 < 2, panic continues; desired stays 6
        // (dS = 5); EBC = floor(600 − 211 − 120) = 269 ⇒ Serve.
        var later = decider.Scale(T0.AddSeconds(2), 6, 300, 120);
        Assert.Equal(new ScaleResult(6, 269, true), later);
        Assert.True(decider.Panicking);
        Assert.Equal(ServerlessServiceMode.Serve, KpaDecisions.ChooseMode(want: 6, later.ExcessBurstCapacity));

        // Until 60 s after the last over-threshold tick (T0), strictly: at T0 + 60 s still panicking.
        Assert.Equal(6, decider.Scale(T0.AddSeconds(60), 6, 300, 120).DesiredPodCount);
        Assert.True(decider.Panicking);
        var after = decider.Scale(T0.AddSeconds(62), 6, 300, 120);
        Assert.False(decider.Panicking);
        Assert.Equal(0, decider.MaxPanicPods);
        Assert.Equal(5, after.DesiredPodCount);
    }

    [Fact]
    public void Starts_in_panic_when_more_than_one_pod_exists_at_creation()
    {
        var decider = new Decider(Defaults, T0, readyPodsAtCreation: 4);
        Assert.True(decider.Panicking);
        Assert.Equal(4, decider.MaxPanicPods);
        // No traffic: stable wants 2 (rate-limited from 4), but the ratchet holds 4 during the stable window.
        Assert.Equal(4, decider.Scale(T0.AddSeconds(2), 4, 0, 0).DesiredPodCount);
        Assert.Equal(2, decider.Scale(T0.AddSeconds(62), 4, 0, 0).DesiredPodCount);

        Assert.False(new Decider(Defaults, T0, readyPodsAtCreation: null).Panicking);
        Assert.False(new Decider(Defaults, T0, readyPodsAtCreation: 1).Panicking);
    }

    public static TheoryData<string, DeciderSpec, int, double, double, int, int> Table => new()
    {
        // name, spec, ready, stable, panic → desired, ebc
        { "no traffic, one pod scales to zero", Defaults, 1, 0, 0, 0, -111 },
        { "no traffic, zero pods", Defaults, 0, 0, 0, 0, -211 },
        { "scale down limited to ready/2", Defaults, 10, 0, 0, 5, 789 },
        { "unreachable: no scale-down limit", Defaults with { Reachable = false }, 10, 0, 0, 0, 789 },
        { "stable within target", Defaults, 2, 100, 100, 2, -111 },
        { "scale up capped at ceil(rate × ready)", Defaults with { MaxScaleUpRate = 1.1, PanicThreshold = 1000 }, 2, 1000, 0, 3, -11 },
        { "zero ready counts as one for rates", Defaults with { MaxScaleUpRate = 2, PanicThreshold = 1000 }, 0, 700, 0, 2, -211 },
        { "activation scale lifts a non-zero decision", Defaults with { ActivationScale = 3 }, 1, 1, 1, 3, -112 },
        { "activation scale does not block zero", Defaults with { ActivationScale = 3 }, 1, 0, 0, 0, -111 },
        { "activation scale applies after the rate cap", Defaults with { ActivationScale = 5, MaxScaleUpRate = 1.5 }, 1, 1, 1, 5, -112 },
        { "TBC 0 gives EBC 0", Defaults with { TargetBurstCapacity = 0 }, 3, 100, 100, 2, 0 },
        { "TBC -1 gives EBC -1", Defaults with { TargetBurstCapacity = -1 }, 3, 100, 100, 2, -1 },
        { "EBC floors", Defaults with { TotalValue = 10.5, TargetValue = 7 }, 2, 0, 0.5, 1, -191 },
        { "rps uses the same arithmetic", Defaults with { ScalingMetric = "rps", TargetValue = 140, TotalValue = 200 }, 1, 250, 250, 2, -261 },
        { "panic entered at exactly the threshold", Defaults, 2, 0, 280, 4, -291 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Decisions(string name, DeciderSpec spec, int ready, double stable, double panic, int desired, int ebc)
    {
        var decider = new Decider(spec, T0, readyPodsAtCreation: 0);
        var result = decider.Scale(T0, ready, stable, panic);
        Assert.True(result.Valid, name);
        Assert.Equal((desired, ebc), (result.DesiredPodCount, result.ExcessBurstCapacity));
    }

    [Fact]
    public void Panic_uses_unclamped_desired_over_ready()
    {
        // Rate cap 1.1 keeps panicPods at 2, but dP = 10 ≥ 2 × 1 pod ⇒ panic still triggers.
        var decider = new Decider(Defaults with { MaxScaleUpRate = 1.1 }, T0, 0);
        decider.Scale(T0, 1, 0, 700);
        Assert.True(decider.Panicking);
    }

    [Fact]
    public void Panic_ratchet_never_decreases_while_panicking()
    {
        var decider = new Decider(Defaults, T0, 0);
        Assert.Equal(10, decider.Scale(T0, 5, 0, 700).DesiredPodCount);
        Assert.Equal(10, decider.Scale(T0.AddSeconds(2), 10, 70, 70).DesiredPodCount);
        // An over-threshold tick extends the panic.
        Assert.Equal(20, decider.Scale(T0.AddSeconds(30), 10, 70, 1400).DesiredPodCount);
        Assert.Equal(20, decider.Scale(T0.AddSeconds(90), 20, 70, 70).DesiredPodCount);
        Assert.Equal(10, decider.Scale(T0.AddSeconds(92), 20, 70, 70).DesiredPodCount); // stable 1, rate-limited to 20/2
    }

    [Fact]
    public void Scale_down_delay_is_a_sliding_max_over_two_second_slots()
    {
        var decider = new Decider(Defaults with { ScaleDownDelay = TimeSpan.FromSeconds(10), MaxScaleDownRate = 1000 }, T0, 0);
        Assert.Equal(10, decider.Scale(T0, 1, 700, 0).DesiredPodCount);
        Assert.Equal(10, decider.Scale(T0.AddSeconds(2), 10, 70, 70).DesiredPodCount);
        Assert.Equal(10, decider.Scale(T0.AddSeconds(8), 10, 70, 70).DesiredPodCount);
        // Five slots later the 10 has left the window.
        Assert.Equal(1, decider.Scale(T0.AddSeconds(10), 10, 70, 70).DesiredPodCount);
    }

    [Fact]
    public void Scale_down_delay_is_ignored_when_unreachable_and_not_resized_by_update()
    {
        var decider = new Decider(Defaults with { ScaleDownDelay = TimeSpan.FromSeconds(10), MaxScaleDownRate = 1000, Reachable = false }, T0, 0);
        Assert.Equal(10, decider.Scale(T0, 1, 700, 0).DesiredPodCount);
        Assert.Equal(1, decider.Scale(T0.AddSeconds(2), 10, 70, 70).DesiredPodCount);

        var noDelay = new Decider(Defaults with { MaxScaleDownRate = 1000 }, T0, 0);
        noDelay.Update(noDelay.Spec with { ScaleDownDelay = TimeSpan.FromSeconds(30) });
        Assert.Equal(10, noDelay.Scale(T0, 1, 700, 0).DesiredPodCount);
        Assert.Equal(1, noDelay.Scale(T0.AddSeconds(2), 10, 70, 70).DesiredPodCount);
    }

    [Fact]
    public void Sliding_max_window_keeps_larger_value_within_one_slot()
    {
        var w = new SlidingMaxWindow(3);
        w.Record(1, 5);
        w.Record(1, 2);
        Assert.Equal(5, w.Current);
        w.Record(2, 7);
        w.Record(3, 1);
        Assert.Equal(7, w.Current);
        w.Record(5, 0);
        Assert.Equal(1, w.Current); // slot 2 left at 5 (5 − 2 ≥ 3); slot 3 (value 1) is still in
        w.Record(6, 0);
        Assert.Equal(0, w.Current);
    }
}
