using System.Collections.Concurrent;
using Ingress.Api.Metrics;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Metrics;
using Ingress.Autoscaling.Scraping;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ingress.Autoscaling.Tests.Scraping;

/// <summary>A real Kestrel server on 127.0.0.1:0 that answers /metrics like queue-proxy (or misbehaves).</summary>
public sealed class FakeQueueProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ConcurrentQueue<string?> AcceptHeaders { get; } = new();
    public int Hits;

    private FakeQueueProxy(WebApplication app) => _app = app;

    public string Authority { get; private set; } = "";

    public static async Task<FakeQueueProxy> StartAsync(Func<HttpContext, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var proxy = new FakeQueueProxy(app);
        app.Map(StatWire.MetricsPath, async (HttpContext ctx) =>
        {
            Interlocked.Increment(ref proxy.Hits);
            proxy.AcceptHeaders.Enqueue(ctx.Request.Headers.Accept.ToString());
            await handler(ctx);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy.Authority = new Uri(address).Authority;
        return proxy;
    }

    public static Task<FakeQueueProxy> ServingAsync(Stat stat) => StartAsync(async ctx =>
    {
        ctx.Response.ContentType = StatWire.ContentType;
        await ctx.Response.Body.WriteAsync(StatWire.Encode(stat));
    });

    public static Task<FakeQueueProxy> FailingAsync(int status) => StartAsync(ctx =>
    {
        ctx.Response.StatusCode = status;
        return Task.CompletedTask;
    });

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

public sealed class ListPods(params ScrapePod[] pods) : IReadyPodSource
{
    public IReadOnlyList<ScrapePod> Pods { get; set; } = pods;
    public IReadOnlyList<ScrapePod> ReadyPods() => Pods;
}

public class StatScraperTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(5, 4)]
    [InlineData(10, 7)]
    [InlineData(100, 14)]
    [InlineData(1000, 16)]
    public void Sample_size(int population, int expected) => Assert.Equal(expected, StatScraper.SampleSize(population));

    [Fact]
    public async Task Sums_every_pod_when_three_or_fewer_and_subtracts_nothing_itself()
    {
        await using var a = await FakeQueueProxy.ServingAsync(new Stat { PodName = "a", AverageConcurrentRequests = 3, AverageProxiedConcurrentRequests = 1, RequestCount = 10, ProcessUptime = 100 });
        await using var b = await FakeQueueProxy.ServingAsync(new Stat { PodName = "b", AverageConcurrentRequests = 5, RequestCount = 20, ProxiedRequestCount = 2 });
        var scraper = new StatScraper(new ListPods(new ScrapePod(a.Authority, null), new ScrapePod(b.Authority, null)), null);
        var outcome = await scraper.ScrapeAsync(Window);
        Assert.Equal(ScrapeError.None, outcome.Error);
        Assert.Equal(new Stat
        {
            PodName = "service-scraper",
            AverageConcurrentRequests = 8,
            AverageProxiedConcurrentRequests = 1,
            RequestCount = 30,
            ProxiedRequestCount = 2,
        }, outcome.Stat);
        Assert.Equal("application/protobuf", Assert.Single(a.AcceptHeaders));
    }

    [Fact]
    public async Task Samples_and_extrapolates_to_all_ready_pods()
    {
        await using var pod = await FakeQueueProxy.ServingAsync(new Stat { PodName = "p", AverageConcurrentRequests = 2, RequestCount = 4 });
        // Ten ready pods (all served by one server here): sample 7, extrapolated × 10 / 7.
        var pods = Enumerable.Range(0, 10).Select(_ => new ScrapePod(pod.Authority, null)).ToArray();
        var outcome = await new StatScraper(new ListPods(pods), null).ScrapeAsync(Window);
        Assert.Equal(7, pod.Hits);
        Assert.Equal(20, outcome.Stat!.AverageConcurrentRequests, 9);
        Assert.Equal(40, outcome.Stat.RequestCount, 9);
    }

    [Fact]
    public async Task Prefers_old_pods_when_there_are_enough()
    {
        var now = DateTimeOffset.UtcNow;
        await using var old = await FakeQueueProxy.ServingAsync(new Stat { PodName = "old", AverageConcurrentRequests = 1 });
        await using var young = await FakeQueueProxy.ServingAsync(new Stat { PodName = "young", AverageConcurrentRequests = 100 });
        var pods = Enumerable.Range(0, 5).Select(_ => new ScrapePod(old.Authority, now.AddMinutes(-5)))
            .Concat(Enumerable.Range(0, 5).Select(_ => new ScrapePod(young.Authority, now.AddSeconds(-5)))).ToArray();
        var outcome = await new StatScraper(new ListPods(pods), null).ScrapeAsync(Window);
        // Sample of 7 from 10: the 5 old pods first, then 2 young ones.
        Assert.Equal(5, old.Hits);
        Assert.Equal(2, young.Hits);
        Assert.Equal((5 * 1 + 2 * 100) / 7.0 * 10, outcome.Stat!.AverageConcurrentRequests, 9);
    }

    [Fact]
    public async Task A_failing_pod_is_replaced_by_another_candidate()
    {
        await using var good = await FakeQueueProxy.ServingAsync(new Stat { PodName = "g", AverageConcurrentRequests = 4 });
        await using var bad = await FakeQueueProxy.FailingAsync(500);
        // 4 pods → sample 4; one fails, but only 4 candidates: a sampler runs out ⇒ pods exhausted.
        var four = new ListPods(new ScrapePod(good.Authority, null), new ScrapePod(good.Authority, null), new ScrapePod(good.Authority, null), new ScrapePod(bad.Authority, null));
        var exhausted = await new StatScraper(four, null).ScrapeAsync(Window);
        Assert.Equal(ScrapeError.PodsExhausted, exhausted.Error);
        Assert.Null(exhausted.Stat);

        // 5 pods → sample 4; one failure leaves enough candidates.
        var five = new ListPods(Enumerable.Range(0, 4).Select(_ => new ScrapePod(good.Authority, null)).Append(new ScrapePod(bad.Authority, null)).ToArray());
        var ok = await new StatScraper(five, null).ScrapeAsync(Window);
        Assert.Equal(ScrapeError.None, ok.Error);
        Assert.Equal(4 * 4 / 4.0 * 5, ok.Stat!.AverageConcurrentRequests, 9);
    }

    [Fact]
    public async Task Rejects_non_protobuf_answers()
    {
        await using var text = await FakeQueueProxy.StartAsync(async ctx =>
        {
            ctx.Response.ContentType = "text/plain";
            await ctx.Response.WriteAsync("queue_requests_per_second 1");
        });
        var outcome = await new StatScraper(new ListPods(new ScrapePod(text.Authority, null)), null).ScrapeAsync(Window);
        Assert.Equal(ScrapeError.PodsExhausted, outcome.Error);
    }

    [Fact]
    public async Task No_ready_pods_is_no_stat_and_no_error()
    {
        var outcome = await new StatScraper(new ListPods(), null).ScrapeAsync(Window);
        Assert.Equal(new ScrapeOutcome(null, ScrapeError.None, null), outcome);
    }

    [Fact]
    public async Task Mesh_errors_fall_back_to_the_service_and_stick()
    {
        await using var mesh = await FakeQueueProxy.FailingAsync(503);
        var counter = 0;
        await using var service = await FakeQueueProxy.StartAsync(async ctx =>
        {
            // Each request lands on a different pod behind the service; uptime over the window makes it "old".
            var n = Interlocked.Increment(ref counter);
            ctx.Response.ContentType = StatWire.ContentType;
            await ctx.Response.Body.WriteAsync(StatWire.Encode(new Stat { PodName = $"pod-{n}", AverageConcurrentRequests = 3, ProcessUptime = 120 }));
        });
        var pods = new ListPods(new ScrapePod(mesh.Authority, null), new ScrapePod(mesh.Authority, null));
        var scraper = new StatScraper(pods, new Uri($"http://{service.Authority}/metrics"));
        var outcome = await scraper.ScrapeAsync(Window);
        Assert.Equal(ScrapeError.None, outcome.Error);
        Assert.Equal(6, outcome.Stat!.AverageConcurrentRequests, 9);
        Assert.False(scraper.PodsAddressable);
        var meshHits = mesh.Hits;
        await scraper.ScrapeAsync(Window);
        Assert.Equal(meshHits, mesh.Hits); // pods are not tried again
    }

    [Fact]
    public async Task Mesh_errors_without_a_service_report_direct_scraping_unavailable()
    {
        await using var mesh = await FakeQueueProxy.FailingAsync(502);
        var outcome = await new StatScraper(new ListPods(new ScrapePod(mesh.Authority, null)), null).ScrapeAsync(Window);
        Assert.Equal(ScrapeError.DirectScrapingNotAvailable, outcome.Error);
    }

    [Fact]
    public async Task Collector_scrapes_and_records_into_the_windows()
    {
        await using var pod = await FakeQueueProxy.ServingAsync(new Stat { PodName = "p", AverageConcurrentRequests = 12, AverageProxiedConcurrentRequests = 2 });
        var collector = new MetricCollector();
        var key = new RevisionKey("default", "hello-00001");
        var spec = MetricSpec.From(RevisionAutoscaling.Resolve(null, 0, AutoscalerConfig.Default));
        var collection = collector.CreateOrUpdate(key, spec, new StatScraper(new ListPods(new ScrapePod(pod.Authority, null)), null));
        await collector.ScrapeAllAsync();
        var read = collection.StableAndPanicConcurrency(DateTimeOffset.UtcNow);
        Assert.True(read.Ok);
        Assert.Equal(10, read.Stable);
        Assert.Null(collection.LastScrapeError);
    }
}
