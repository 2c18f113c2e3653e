using System.Xml.Linq;
using Ingress.Autoscaling.Simulation;

namespace Ingress.Autoscaling.Tests.Simulation;

public class SimulatorTests
{
    private static string Example(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Simulation", "scenarios", name));

    [Fact]
    public void Worked_example_scenario_reproduces_the_spec_exactly()
    {
        var steps = Simulator.Run(Scenario.Parse(Example("worked-example.yaml")));
        Assert.Equal("""
            - t: 0
              desiredPodCount: 6
              excessBurstCapacity: -311
              panicking: true
              scaleValid: true
            - t: 2
              desiredPodCount: 6
              excessBurstCapacity: 269
              panicking: true
              scaleValid: true
            - t: 60
              desiredPodCount: 6
              excessBurstCapacity: 269
              panicking: true
              scaleValid: true
            - t: 62
              desiredPodCount: 5
              excessBurstCapacity: 269
              panicking: false
              scaleValid: true

            """.Replace("\r", ""), Simulator.ToYaml(steps, includeReadyPods: false));
    }

    [Fact]
    public void Explicit_decider_spec_and_missing_observations()
    {
        var scenario = Scenario.Parse("""
            decider:
              scalingMetric: rps
              targetValue: 10
              totalValue: 20
              targetBurstCapacity: 0
              panicThreshold: 2
              maxScaleUpRate: 2
              maxScaleDownRate: 2
              activatorCapacity: 100
              stableWindow: 60s
              scaleDownDelay: 4s
              reachable: true
              activationScale: 3
              initialScale: 1
            readyPodsAtCreation: 0
            steps:
              - {t: 0, readyPods: 0}
              - {t: 2, readyPods: 1, observedStable: 5, observedPanic: 5}
              - {t: 4, readyPods: 3, observedStable: 100, observedPanic: 100}
              - {t: 6, readyPods: 6, observedStable: 10, observedPanic: 10}
            """);
        var steps = Simulator.Run(scenario);
        Assert.Equal(
        [
            new SimulationStep(0, 0, 0, false, false),
            new SimulationStep(2, 3, 0, false, true),   // activation scale lifts 1 to 3 (beyond the 2× rate cap)
            new SimulationStep(4, 6, 0, true, true),    // 10 wanted, capped at ceil(2 × 3); 10/3 ≥ 2 ⇒ panic
            new SimulationStep(6, 6, 0, true, true),    // panic ratchet
        ], steps.Select(s => s with { ReadyPods = 0, Traffic = 0 }).ToArray());
    }

    [Fact]
    public void Trace_mode_starts_pods_after_the_startup_delay_and_returns_to_zero()
    {
        var scenario = Scenario.Parse("""
            config:
              scale-to-zero-grace-period: "30s"
            containerConcurrency: 10
            podStartup: 4s
            readyPodsAtCreation: 1
            trace:
              - {t: 0, concurrency: 35, rps: 0}
              - {t: 10, concurrency: 0, rps: 0}
              - {t: 300, concurrency: 0, rps: 0}
            """);
        var steps = Simulator.Run(scenario);
        Assert.Equal(151, steps.Count); // a decision every 2 s from 0 to 300
        // t = 0: 35 / 7 = 5 pods wanted; they are ready 4 s later.
        Assert.Equal((5, 1), (steps[0].DesiredPodCount, steps[0].ReadyPods));
        Assert.Equal(1, steps[1].ReadyPods);
        Assert.Equal(5, steps[2].ReadyPods);
        // Long after the traffic stopped everything is at zero.
        Assert.Equal((0, 0), (steps[^1].DesiredPodCount, steps[^1].ReadyPods));
        Assert.All(steps, s => Assert.True(s.ScaleValid));
    }

    [Theory]
    [InlineData("steps: []\ntrace: []", "give exactly one of steps or trace")]
    [InlineData("bogus: 1\nsteps: []", "unknown field \"bogus\"")]
    [InlineData("config:\n  stable-window: \"5s\"\nsteps: []", "config: stable-window = 5s, must be in [6s; 1h0m0s] range")]
    [InlineData("annotations:\n  autoscaling.knative.dev/target: \"0\"\nsteps: []", "annotations: target 0 should be at least 0.01: autoscaling.knative.dev/target")]
    [InlineData("decider: {targetValue: 10}\nconfig: {}\nsteps: []", "give either decider or config/annotations, not both")]
    [InlineData("decider: {nope: 1}\nsteps: []", "decider: unknown field \"nope\"")]
    [InlineData("steps:\n  - {readyPods: 1}", "steps: every entry needs \"t\"")]
    [InlineData("steps:\n  - {t: 2, readyPods: 1}\n  - {t: 1, readyPods: 1}", "steps[1].t goes back in time")]
    [InlineData("- a\n- b", "scenario must be a YAML mapping")]
    public void Bad_scenarios_are_reported(string yaml, string message) =>
        Assert.Equal(message, Assert.Throws<ScenarioException>(() => Scenario.Parse(yaml)).Message);

    [Fact]
    public void Svg_plot_has_the_three_series()
    {
        var steps = Simulator.Run(Scenario.Parse(Example("burst-trace.yaml")));
        var svg = XDocument.Parse(Plot.Svg(steps));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var lines = svg.Descendants(ns + "polyline").ToDictionary(e => (string)e.Attribute("id")!, e => ((string)e.Attribute("points")!).Split(' '));
        Assert.Equal(["traffic", "ready-pods", "desired-pods"], lines.Keys);
        Assert.All(lines.Values, points => Assert.Equal(steps.Count * 2, points.Length));
    }

    [Fact]
    public void Png_plot_is_a_valid_png()
    {
        var steps = Simulator.Run(Scenario.Parse(Example("burst-trace.yaml")));
        var png = Plot.Png(steps);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        // IHDR: 900 × 420, 8-bit RGB, and its CRC matches.
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        Assert.Equal(900, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(420, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.Equal(Plot.Crc32(png[12..29]), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(29)));
        // Decompress IDAT and check a desired-pods (red) pixel exists.
        var idatLength = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(33));
        Assert.Equal("IDAT", System.Text.Encoding.ASCII.GetString(png, 37, 4));
        using var z = new System.IO.Compression.ZLibStream(new MemoryStream(png, 41, idatLength), System.IO.Compression.CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var data = raw.ToArray();
        Assert.Equal(420 * (1 + 900 * 3), data.Length);
        var red = false;
        for (var i = 0; i + 2 < data.Length; i++) red |= data[i] == 0xd3 && data[i + 1] == 0x2f && data[i + 2] == 0x2f;
        Assert.True(red);
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value() =>
        Assert.Equal(0xCBF43926u, Plot.Crc32("123456789"u8.ToArray()));
}
