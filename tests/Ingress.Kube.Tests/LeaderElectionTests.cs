using System.Text.Json.Nodes;
using Ingress.Kube.Client;
using Ingress.Kube.Leader;
using Ingress.Kube.Tests.Fixtures;

namespace Ingress.Kube.Tests;

public sealed class LeaderElectionTests : IAsyncLifetime
{
    private FakeApiServer _server = null!;
    private KubeClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        _client = new KubeClient(KubeConnection.FromServer(_server.Url), new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(20) });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private LeaderElector Elector(string id, bool release = true) => new(_client, new LeaderElectionOptions
    {
        LeaseName = "controller", LeaseNamespace = "knative-serving", Identity = id,
        LeaseDuration = TimeSpan.FromSeconds(2), RenewDeadline = TimeSpan.FromSeconds(1.5), RetryPeriod = TimeSpan.FromMilliseconds(200),
        ReleaseOnCancel = release,
    });

    private JsonObject? Lease() => _server.Get("coordination.k8s.io/v1", "leases", "knative-serving", "controller");

    private static Task Lead(LeaderElector e, Action<string> onLead, CancellationToken ct) =>
        e.RunAsync(async leadCt =>
        {
            onLead(e.Options.Identity);
            try { await Task.Delay(Timeout.Infinite, leadCt); } catch (OperationCanceledException) { }
        }, ct);

    [Fact]
    public void Defaults_are_client_go_and_knative_values()
    {
        var o = new LeaderElectionOptions { LeaseName = "x", LeaseNamespace = "y" };
        Assert.Equal(TimeSpan.FromSeconds(15), o.LeaseDuration);
        Assert.Equal(TimeSpan.FromSeconds(10), o.RenewDeadline);
        Assert.Equal(TimeSpan.FromSeconds(2), o.RetryPeriod);
        Assert.Throws<ArgumentException>(() => new LeaderElector(_client, new LeaderElectionOptions { LeaseName = "x", LeaseNamespace = "y", RenewDeadline = TimeSpan.FromSeconds(20) }));
    }

    [Fact]
    public async Task Only_one_of_two_leads_and_a_graceful_shutdown_hands_over_at_once()
    {
        var leaders = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var a = Elector("a");
        var b = Elector("b");
        using var ctsA = new CancellationTokenSource();
        using var ctsB = new CancellationTokenSource();
        var runA = Lead(a, leaders.Enqueue, ctsA.Token);
        await Eventually.HoldsAsync(() => a.IsLeader, "a leads");
        var runB = Lead(b, leaders.Enqueue, ctsB.Token);
        await Task.Delay(600); // several of b's retry periods
        Assert.False(b.IsLeader);
        Assert.Equal("a", (string?)Lease()!["spec"]!["holderIdentity"]);
        Assert.Equal("a", b.ObservedLeader);

        ctsA.Cancel();
        await runA;
        Assert.False(a.IsLeader);
        await Eventually.HoldsAsync(() => b.IsLeader, "b takes over after release");
        Assert.Equal(["a", "b"], leaders.ToArray());
        var spec = Lease()!["spec"]!;
        Assert.Equal("b", (string?)spec["holderIdentity"]);
        Assert.Equal(1, (int)spec["leaseTransitions"]!);
        ctsB.Cancel();
        await runB;
        Assert.True(string.IsNullOrEmpty((string?)Lease()!["spec"]!["holderIdentity"]));
    }

    [Fact]
    public async Task A_killed_leader_is_replaced_once_its_lease_expires()
    {
        var a = Elector("killed", release: false);
        var b = Elector("successor");
        using var ctsA = new CancellationTokenSource();
        using var ctsB = new CancellationTokenSource();
        var runA = Lead(a, _ => { }, ctsA.Token);
        await Eventually.HoldsAsync(() => a.IsLeader, "first leads");
        var runB = Lead(b, _ => { }, ctsB.Token);
        ctsA.Cancel(); // stops renewing without releasing, as a killed process would
        await runA;
        Assert.Equal("killed", (string?)Lease()!["spec"]!["holderIdentity"]);
        await Eventually.HoldsAsync(() => b.IsLeader, "successor leads after expiry");
        Assert.Equal("successor", (string?)Lease()!["spec"]!["holderIdentity"]);
        ctsB.Cancel();
        await runB;
    }

    [Fact]
    public async Task A_leader_that_cannot_renew_stops_leading()
    {
        var a = Elector("isolated", release: false);
        using var cts = new CancellationTokenSource();
        var lostLeadership = new TaskCompletionSource();
        var run = a.RunAsync(async leadCt =>
        {
            try { await Task.Delay(Timeout.Infinite, leadCt); } catch (OperationCanceledException) { lostLeadership.TrySetResult(); }
        }, cts.Token);
        await Eventually.HoldsAsync(() => a.IsLeader, "leads");
        _server.AddFault(new FaultRule { Match = r => r.Path.Value!.Contains("/leases", StringComparison.Ordinal), Status = 500, Reason = "InternalError", Times = int.MaxValue });
        await lostLeadership.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(a.IsLeader);
        cts.Cancel();
        await run;
    }

    [Fact]
    public async Task Conflicting_candidates_produce_exactly_one_winner()
    {
        var electors = Enumerable.Range(0, 4).Select(i => Elector($"c{i}")).ToList();
        using var cts = new CancellationTokenSource();
        var runs = electors.Select(e => Lead(e, _ => { }, cts.Token)).ToList();
        await Eventually.HoldsAsync(() => electors.Any(e => e.IsLeader), "someone leads");
        await Task.Delay(500);
        Assert.Single(electors, e => e.IsLeader);
        Assert.Equal(electors.Single(e => e.IsLeader).Options.Identity, (string?)Lease()!["spec"]!["holderIdentity"]);
        cts.Cancel();
        await Task.WhenAll(runs);
    }
}
