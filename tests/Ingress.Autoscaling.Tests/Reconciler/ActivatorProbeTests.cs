using System.Collections.Concurrent;
using Ingress.Api.Autoscaling.V1Alpha1;
using Ingress.Api.Knative;
using Ingress.Api.Metrics;
using Ingress.Autoscaling.Configuration;
using Ingress.Autoscaling.Reconciler;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Condition = Ingress.Api.Knative.Condition;

namespace Ingress.Autoscaling.Tests.Reconciler;

/// <summary>A real HTTP server playing the activator behind the SKS's public service.</summary>
public sealed class FakeActivator : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeActivator(WebApplication app) => _app = app;

    /// <summary>Whether it answers probes with 200 <c>activator</c> (else 503).</summary>
    public volatile bool Healthy;

    public ConcurrentQueue<(string Path, string UserAgent, string ProbeHeader)> Requests { get; } = new();

    public Uri BaseUri { get; private set; } = null!;

    public static async Task<FakeActivator> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeActivator(app);
        app.Run(async ctx =>
        {
            fake.Requests.Enqueue((ctx.Request.Path.Value ?? "", ctx.Request.Headers.UserAgent.ToString(), ctx.Request.Headers["K-Network-Probe"].ToString()));
            if (!fake.Healthy)
            {
                ctx.Response.StatusCode = 503;
                return;
            }
            if (ctx.Request.Headers["K-Network-Probe"] == "activator") await ctx.Response.WriteAsync("activator");
            else ctx.Response.StatusCode = 400;
        });
        await app.StartAsync();
        fake.BaseUri = new Uri(app.Urls.First());
        return fake;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed class ActivatorProbeTests
{
    private const string Rev = "probe-00001";
    private const string Deploy = Rev + "-deployment";

    [Fact]
    public async Task Inactive_pa_scales_to_zero_only_once_the_activator_answers_through_the_public_service()
    {
        await using var activator = await FakeActivator.StartAsync();
        var probed = new ConcurrentQueue<(string Ns, string Service, bool H2c)>();
        await using var c = await AutoscalingCluster.StartAsync(probeUrl: (ns, svc, h2c) =>
        {
            probed.Enqueue((ns, svc, h2c));
            return new Uri(activator.BaseUri, "/healthz");
        });
        var t0 = AutoscalingCluster.Start;
        var key = new RevisionKey(AutoscalingCluster.Ns, Rev);
        await c.CreateDeploymentAsync(Deploy, 1);
        await c.CreatePaAsync(Rev, new Dictionary<string, string> { [AutoscalingKeys.Class] = AutoscalingAnnotations.KpaClass });
        await c.ReconcileKpaAsync(Rev);
        await c.SetSksStatusAsync(Rev, ready: true, activatorEndpointsSince: t0);
        await c.SetPaStatusAsync(Rev, s => s.Conditions =
        [
            new Condition { Type = PodAutoscalerStatus.Active, Status = ConditionStatus.False, Reason = "NoTraffic", LastTransitionTime = t0 },
            new Condition { Type = PodAutoscalerStatus.ScaleTargetInitialized, Status = ConditionStatus.True, LastTransitionTime = t0 },
        ]);
        await c.SettleAsync(Rev);
        await c.ReconcileKpaAsync(Rev); // decider + Metric
        // An idle revision: a zero stat in the windows makes the decider say 0.
        c.Controllers.Runtime.Collector.Record(key, new Stat { PodName = "activator", AverageConcurrentRequests = 0 });
        c.Controllers.Runtime.Scaler.TickAll();
        Assert.Equal(0, c.Controllers.Runtime.Scaler.Get(key)!.Value.DesiredScale);
        await c.SettleAsync(Rev);

        // Grace period long over, but the activator does not answer yet: the last pod stays, an async probe starts.
        c.Time.Advance(TimeSpan.FromSeconds(40));
        await c.ReconcileKpaAsync(Rev);
        Assert.Equal(1, await c.DeploymentReplicasAsync(Deploy));
        Assert.True(c.Controllers.Prober.IsProbing(AutoscalingCluster.Ns + "/" + Rev));
        var (path, userAgent, header) = Assert.Single(activator.Requests.Take(1));
        Assert.Equal(("/healthz", "Knative-Autoscaling-Probe", "activator"), (path, userAgent, header));
        Assert.Contains((AutoscalingCluster.Ns, Rev, false), probed);

        activator.Healthy = true;
        await c.SettleAsync(Rev);
        await c.ReconcileKpaAsync(Rev);
        Assert.Equal(0, await c.DeploymentReplicasAsync(Deploy));
        var status = (await c.GetPaAsync(Rev)).Status!;
        Assert.Equal(0, status.DesiredScale);
        Assert.Equal(ConditionStatus.False, ConditionAssert.Get(status, PodAutoscalerStatus.Active).Status);
    }

    [Fact]
    public async Task Probe_succeeds_only_on_200_with_body_activator()
    {
        await using var activator = await FakeActivator.StartAsync();
        using var prober = new ActivatorProber(urlOf: (_, _, _) => new Uri(activator.BaseUri, "/healthz"));
        Assert.False(await prober.ProbeAsync("default", "svc", false, CancellationToken.None));
        activator.Healthy = true;
        Assert.True(await prober.ProbeAsync("default", "svc", false, CancellationToken.None));
        using var unreachable = new ActivatorProber(urlOf: (_, _, _) => new Uri("http://127.0.0.1:1/healthz"));
        Assert.False(await unreachable.ProbeAsync("default", "svc", false, CancellationToken.None));
        Assert.Equal(new Uri("http://rev.ns.svc.cluster.local:81/healthz"), ActivatorProber.ClusterUrl("ns", "rev", h2c: true));
        Assert.Equal(new Uri("http://rev.ns.svc.cluster.local:80/healthz"), ActivatorProber.ClusterUrl("ns", "rev", h2c: false));
    }

    [Fact]
    public async Task Async_probe_reports_completion_once_the_activator_answers()
    {
        await using var activator = await FakeActivator.StartAsync();
        using var prober = new ActivatorProber(urlOf: (_, _, _) => new Uri(activator.BaseUri, "/healthz"));
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(prober.StartAsyncProbe("default/rev", "default", "rev", false, k => done.TrySetResult(k)));
        Assert.False(prober.StartAsyncProbe("default/rev", "default", "rev", false, _ => { })); // one per PA
        await AutoscalingCluster.Eventually(() => !activator.Requests.IsEmpty, "first probe");
        Assert.False(done.Task.IsCompleted);
        activator.Healthy = true;
        Assert.Equal("default/rev", await done.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        await AutoscalingCluster.Eventually(() => !prober.IsProbing("default/rev"), "probe finished");
    }
}
