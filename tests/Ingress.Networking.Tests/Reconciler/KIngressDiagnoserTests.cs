using Ingress.Networking.Probing;
using Ingress.Networking.Reconciler;
using static Ingress.Networking.Tests.Reconciler.NetworkingCluster;

namespace Ingress.Networking.Tests.Reconciler;

/// <summary><c>ingress diagnose kingress</c>'s logic against the embedded API server and the Kestrel gateway pods.</summary>
public class KIngressDiagnoserTests
{
    [Fact]
    public async Task NamesEveryGatewayPodAndWhatItAnsweredThenNothingOnceReady()
    {
        await using var cluster = await StartAsync(fixedProbeAnswer: false);
        await cluster.CreateIngressAsync(MakeIngress("diag"));
        var vs = await cluster.EventuallyAsync(() => cluster.GetVirtualServiceAsync("diag-ingress"), v => v is not null, "diag-ingress");
        await cluster.EventuallyAsync(() => cluster.GetIngressAsync("diag"), i => i!.Status?.ObservedGeneration == 1, "a pass");
        var diagnoser = new KIngressDiagnoser(cluster.Client);

        // The pods still serve an old hash: both are probed now and both answer Retry.
        var report = await diagnoser.DiagnoseAsync(Ns, "diag", cluster.Token);
        Assert.True(report.Found);
        Assert.Equal(HashOf(vs!), report.Hash);
        Assert.Equal(cluster.Pods.Select(p => p.IP).Order(), report.Probes.Select(p => p.PodIP).Order());
        Assert.All(report.Probes, p => Assert.Equal(ProbeVerdict.Retry, p.Outcome.Verdict));
        Assert.Contains(report.Reasons, r => r.Contains("2 gateway pod(s) have not answered with hash " + report.Hash));
        Assert.Contains(report.Reasons, r => r.StartsWith("LoadBalancerReady is Unknown (Uninitialized", StringComparison.Ordinal));

        // One pod catches up: only the other is still named as pending.
        cluster.Pods[0].Hash = report.Hash;
        report = await diagnoser.DiagnoseAsync(Ns, "diag", cluster.Token);
        Assert.Equal(ProbeVerdict.Ready, report.Probes.Single(p => p.PodIP == cluster.Pods[0].IP).Outcome.Verdict);
        Assert.Contains(report.Reasons, r => r.Contains("1 gateway pod(s)"));
        Assert.Contains(report.Reasons, r => r.Contains("via " + cluster.Pods[1].IP + ":"));
        Assert.DoesNotContain(report.Reasons, r => r.Contains("via " + cluster.Pods[0].IP + ":"));
    }

    [Fact]
    public async Task MissingKIngressAndOtherClassAreReported()
    {
        await using var cluster = await StartAsync(fixedProbeAnswer: true);
        var diagnoser = new KIngressDiagnoser(cluster.Client);
        var missing = await diagnoser.DiagnoseAsync(Ns, "nope", cluster.Token);
        Assert.False(missing.Found);
        Assert.Equal("KIngress default/nope not found", Assert.Single(missing.Reasons));

        await cluster.CreateIngressAsync(MakeIngress("other", ingressClass: "kourier.ingress.networking.knative.dev"));
        var other = await diagnoser.DiagnoseAsync(Ns, "other", cluster.Token);
        Assert.Empty(other.Probes);
        Assert.Contains("has class kourier.ingress.networking.knative.dev", Assert.Single(other.Reasons));
    }
}
