using System.Net;
using System.Text.Json.Nodes;
using Ingress.Local.Hosting;

namespace Ingress.Local.Tests;

/// <summary><see cref="ControllerHost"/> against our embedded API server over real sockets.</summary>
public sealed class HostingTests
{
    [Fact]
    public async Task Host_runs_the_autoscaler_serves_metrics_and_stops_on_cancel()
    {
        await using var cluster = await EmbeddedCluster.StartAsync();
        await using var host = new ControllerHost(cluster.Client, new ControllerHostOptions
        {
            Controllers = ControllerNames.Parse("autoscaler"), MetricsPort = -1, MetricsBindAddress = "127.0.0.1",
        });
        Assert.Equal([ControllerNames.Autoscaler], host.Modules.Select(m => m.Name));
        using var stop = new CancellationTokenSource();
        var run = host.RunAsync(stop.Token);
        using var http = new HttpClient();
        var metrics = await host.MetricsUriAsync();
        Assert.NotNull(metrics);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(metrics, "healthz"))).StatusCode);
        await host.Synced.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(metrics, "readyz"))).StatusCode);

        await cluster.CreateAsync("pa.yaml");
        var sks = cluster.Client.Dynamic(EmbeddedCluster.ServerlessServices);
        await EmbeddedCluster.EventuallyAsync(async () => await sks.TryGetAsync("default", "hello-00001") is not null, "SKS created by the KPA controller");
        // Leader election is on by default: the Lease in knative-serving names this process.
        var lease = await cluster.Client.Dynamic(Ingress.Kube.Client.ResourceDescriptor.Leases).GetAsync("knative-serving", "ingress-controller");
        Assert.False(string.IsNullOrEmpty(lease.Str("spec", "holderIdentity")));
        Assert.True(host.IsLeading);

        var text = await http.GetStringAsync(new Uri(metrics, "metrics"));
        Assert.Contains("# TYPE ", text, StringComparison.Ordinal);
        Assert.Contains("kpa-class-podautoscaler-controller", text, StringComparison.Ordinal);
        // Only our meters: this scrape went through Kestrel and HttpClient in this very process, whose built-in
        // meters (kestrel.*, http.client.*) record per request and are not part of docs/metrics.md.
        Assert.DoesNotContain("\nkestrel_", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\nhttp_client_", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\nhttp_server_", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(metrics, "nope"))).StatusCode);

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(host.IsLeading);
    }

    [Fact]
    public async Task Host_without_leader_election_runs_at_once_and_writes_no_lease()
    {
        await using var cluster = await EmbeddedCluster.StartAsync();
        await using var host = new ControllerHost(cluster.Client, new ControllerHostOptions
        {
            Controllers = ControllerNames.Parse("autoscaler"), MetricsPort = 0, LeaderElection = false,
        });
        Assert.Null(await host.MetricsUriAsync());
        using var stop = new CancellationTokenSource();
        var run = host.RunAsync(stop.Token);
        await cluster.CreateAsync("pa.yaml");
        var sks = cluster.Client.Dynamic(EmbeddedCluster.ServerlessServices);
        await EmbeddedCluster.EventuallyAsync(async () => await sks.TryGetAsync("default", "hello-00001") is not null, "SKS created");
        Assert.Null(await cluster.Client.Dynamic(Ingress.Kube.Client.ResourceDescriptor.Leases).TryGetAsync("knative-serving", "ingress-controller"));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Theory]
    [InlineData(null, 8)]
    [InlineData("all", 8)]
    [InlineData("route, Ingress", 2)]
    public void Controller_lists_parse(string? list, int count) => Assert.Equal(count, ControllerNames.Parse(list).Count);

    [Fact]
    public void Unknown_controller_names_are_rejected() =>
        Assert.Contains("unknown controller \"nope\"", Assert.Throws<ArgumentException>(() => ControllerNames.Parse("route,nope")).Message, StringComparison.Ordinal);

    [Fact]
    public void Exporter_renders_counters_gauges_and_histograms()
    {
        using var meter = new System.Diagnostics.Metrics.Meter("Ingress.Local.Tests.Exporter" + Guid.NewGuid().ToString("N"));
        using var exporter = new PrometheusExporter(m => m == meter);
        var counter = meter.CreateCounter<long>("test.requests", description: "Requests served.");
        var histogram = meter.CreateHistogram<double>("test.latency");
        meter.CreateObservableGauge("test.depth", () => 7);
        counter.Add(2, new KeyValuePair<string, object?>("code", "200"));
        counter.Add(3, new KeyValuePair<string, object?>("code", "200"));
        counter.Add(1, new KeyValuePair<string, object?>("code", "5\"00"));
        histogram.Record(0.02);
        histogram.Record(3);
        var text = exporter.Scrape();
        Assert.Contains("# HELP test_requests Requests served.\n# TYPE test_requests counter\n", text, StringComparison.Ordinal);
        Assert.Contains("test_requests_total{code=\"200\"} 5\n", text, StringComparison.Ordinal);
        Assert.Contains("test_requests_total{code=\"5\\\"00\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("test_depth 7\n", text, StringComparison.Ordinal);
        Assert.Contains("test_latency_bucket{le=\"0.01\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("test_latency_bucket{le=\"0.025\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("test_latency_bucket{le=\"5\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("test_latency_bucket{le=\"+Inf\"} 2\n", text, StringComparison.Ordinal);
        Assert.Contains("test_latency_sum 3.02\n", text, StringComparison.Ordinal);
        Assert.Contains("test_latency_count 2\n", text, StringComparison.Ordinal);
    }
}
