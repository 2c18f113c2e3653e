using Ingress.Networking.Probing;

namespace Ingress.Networking.Tests.Probing;

public class IngressProberTests
{
    private const string OldHash = "1111111111111111111111111111111111111111111111111111111111111111";
    private const string NewHash = "2222222222222222222222222222222222222222222222222222222222222222";
    private const string Url = "http://foo.bar:80";

    private static ProbeSubject Subject(string hash, long generation = 1, string name = "ing") =>
        new("ns", name, generation, hash, [new GatewayProbeHosts("knative-serving/knative-local-gateway", ["foo.bar"])]);

    private static ProberOptions Fast => new() { Workers = 4 };

    [Fact]
    public async Task NoTargetsMeansReadyAtOnceWithoutCallback()
    {
        var source = new TestTargetSource();
        var ready = new ReadyRecorder();
        await using var prober = new IngressProber(source, ready.OnReady, Fast);
        Assert.True(await prober.IsReadyAsync(Subject(NewHash)));
        Assert.Empty(ready.Seen);
        Assert.True(prober.Snapshot("ns/ing")!.Ready);
    }

    [Fact]
    public async Task OldHashThenNewHashTurnsReadyOnlyAfterEveryPodServesTheNewOne()
    {
        await using var pod1 = await FakeGatewayPod.StartAsync("127.0.0.1", OldHash);
        await using var pod2 = await FakeGatewayPod.StartAsync("127.0.0.2", OldHash);
        await using var pod3 = await FakeGatewayPod.StartAsync("127.0.0.3", OldHash);
        var source = new TestTargetSource();
        source.Set(TestTargetSource.PerPod(Url, pod1, pod2, pod3));
        var ready = new ReadyRecorder();
        await using var prober = new IngressProber(source, ready.OnReady, Fast);

        Assert.False(await prober.IsReadyAsync(Subject(NewHash)));
        await WaitUntil(() => pod1.RequestCount >= 2 && pod2.RequestCount >= 2 && pod3.RequestCount >= 2);
        Assert.Equal(3, prober.Snapshot("ns/ing")!.PendingPods);
        Assert.Contains(prober.Snapshot("ns/ing")!.Items, i => i.LastError == $"unexpected hash: want \"{NewHash}\", got \"{OldHash}\"");

        pod1.Hash = NewHash;
        pod2.Hash = NewHash;
        await WaitUntil(() => prober.Snapshot("ns/ing")!.PendingPods == 1);
        Assert.Empty(ready.Seen);
        Assert.False(await prober.IsReadyAsync(Subject(NewHash)));

        pod3.Hash = NewHash;
        var subject = await ready.NextAsync();
        Assert.Equal(NewHash, subject.Hash);
        Assert.True(await prober.IsReadyAsync(Subject(NewHash)));
        Assert.Equal(1, source.Calls); // the same hash is never re-listed
        Assert.All(prober.Snapshot("ns/ing")!.Items, i => Assert.True(i.Done));
    }

    [Fact]
    public async Task TimingOutPodKeepsIngressPendingUntilItAnswers()
    {
        await using var fast = await FakeGatewayPod.StartAsync("127.0.0.1", NewHash);
        await using var slow = await FakeGatewayPod.StartAsync("127.0.0.4", NewHash);
        slow.Delay = TimeSpan.FromSeconds(30);
        var source = new TestTargetSource();
        source.Set(TestTargetSource.PerPod(Url, fast, slow));
        var ready = new ReadyRecorder();
        await using var prober = new IngressProber(source, ready.OnReady, Fast with { ProbeTimeout = TimeSpan.FromMilliseconds(200) });

        Assert.False(await prober.IsReadyAsync(Subject(NewHash)));
        await WaitUntil(() => prober.Snapshot("ns/ing")!.Items.Any(i => i.PodIP == "127.0.0.4" && i.LastError == "probe timed out after 200 ms"));
        Assert.Equal(1, prober.Snapshot("ns/ing")!.PendingPods);
        Assert.Empty(ready.Seen);

        slow.Delay = TimeSpan.Zero;
        await ready.NextAsync();
        Assert.True(await prober.IsReadyAsync(Subject(NewHash)));
    }

    [Fact]
    public async Task DisappearingPodCountsAsDoneOnceDeleted()
    {
        await using var live = await FakeGatewayPod.StartAsync("127.0.0.1", NewHash);
        var gone = await FakeGatewayPod.StartAsync("127.0.0.5", OldHash);
        var source = new TestTargetSource();
        source.Set(TestTargetSource.PerPod(Url, live, gone));
        var ready = new ReadyRecorder();
        await using var prober = new IngressProber(source, ready.OnReady, Fast);

        Assert.False(await prober.IsReadyAsync(Subject(NewHash)));
        await gone.StopAsync();
        await gone.DisposeAsync();
        await WaitUntil(() => prober.Snapshot("ns/ing")!.Items.Any(i => i.PodIP == "127.0.0.5" && i.Failures >= 2 && !i.LastError!.Contains("hash")));
        Assert.Empty(ready.Seen);

        prober.PodDeleted("127.0.0.5");
        await ready.NextAsync();
        Assert.True(await prober.IsReadyAsync(Subject(NewHash)));
    }

    [Fact]
    public async Task PodLeavingEndpointsCountsAsDoneOnTargetsChanged()
    {
        await using var live = await FakeGatewayPod.StartAsync("127.0.0.1", NewHash);
        await using var leaving = await FakeGatewayPod.StartAsync("127.0.0.6", OldHash);
        var source = new TestTargetSource();
        source.Set(TestTargetSource.PerPod(Url, live, leaving));
        var ready = new ReadyRecorder();
        await using var prober = new IngressProber(source, ready.OnReady, Fast);

        Assert.False(await prober.IsReadyAsync(Subject(NewHash)));
        await WaitUntil(() => leaving.RequestCount >= 2);
        source.Set(TestTargetSource.PerPod(Url, live));
        await prober.TargetsChangedAsync();
        await ready.NextAsync();
        Assert.True(await prober.IsReadyAsync(Subject(NewHash)));
    }

    [Fact]
    public async Task NewGenerationDropsWorkOfTheSupersededOne()
    {
        await using var pod = await FakeGatewayPod.StartAsync("127.0.0.1", NewHash);
        var source = new TestTargetSource();
        source.Set(TestTargetSource.PerPod(Url, pod));
        var ready = new ReadyRecorder();
        await using var prober = new IngressProber(source, ready.OnReady, Fast);

        // Generation 1 wants a hash the pod never serves: it would retry forever.
        Assert.False(await prober.IsReadyAsync(Subject(OldHash, generation: 1)));
        await WaitUntil(() => pod.RequestCount >= 2);

        Assert.False(await prober.IsReadyAsync(Subject(NewHash, generation: 2)));
        var subject = await ready.NextAsync();
        Assert.Equal(2, subject.Generation);
        Assert.Equal(NewHash, prober.Snapshot("ns/ing")!.Hash);

        // The superseded generation's retries stopped: no further requests arrive.
        var settled = pod.RequestCount;
        Assert.True(await ready.NoneWithinAsync(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(settled, pod.RequestCount);
        Assert.Single(ready.Seen);
    }

    [Fact]
    public async Task OlderGenerationNeverReplacesNewerWork()
    {
        await using var pod = await FakeGatewayPod.StartAsync("127.0.0.1", "nothing-yet");
        var source = new TestTargetSource();
        source.Set(TestTargetSource.PerPod(Url, pod));
        var ready = new ReadyRecorder();
        await using var prober = new IngressProber(source, ready.OnReady, Fast);

        Assert.False(await prober.IsReadyAsync(Subject(NewHash, generation: 5)));
        Assert.False(await prober.IsReadyAsync(Subject(OldHash, generation: 4)));
        Assert.Equal(NewHash, prober.Snapshot("ns/ing")!.Hash);
        pod.Hash = NewHash;
        Assert.Equal(5, (await ready.NextAsync()).Generation);
    }

    [Fact]
    public async Task GatewayChangeProbesPendingWorkAtOnceInsteadOfAfterBackoff()
    {
        await using var pod = await FakeGatewayPod.StartAsync("127.0.0.1", OldHash);
        var source = new TestTargetSource();
        source.Set(TestTargetSource.PerPod(Url, pod));
        var ready = new ReadyRecorder();
        // A backoff so long that only an immediate re-probe can make the Ingress ready within the wait below.
        await using var prober = new IngressProber(source, ready.OnReady,
            Fast with { BaseRetryDelay = TimeSpan.FromMinutes(5), MaxRetryDelay = TimeSpan.FromMinutes(5) });

        Assert.False(await prober.IsReadyAsync(Subject(NewHash)));
        await WaitUntil(() => prober.Snapshot("ns/ing")!.Items.Single().Failures == 1);
        pod.Hash = NewHash;
        await prober.TargetsChangedAsync();
        await ready.NextAsync();
        Assert.Equal(2, pod.RequestCount);
    }

    [Fact]
    public async Task NewPodInEndpointsIsProbedBeforeReady()
    {
        await using var first = await FakeGatewayPod.StartAsync("127.0.0.1", OldHash);
        await using var added = await FakeGatewayPod.StartAsync("127.0.0.7", OldHash);
        var source = new TestTargetSource();
        source.Set(TestTargetSource.PerPod(Url, first));
        var ready = new ReadyRecorder();
        await using var prober = new IngressProber(source, ready.OnReady, Fast);

        Assert.False(await prober.IsReadyAsync(Subject(NewHash)));
        source.Set(TestTargetSource.PerPod(Url, first, added));
        await prober.TargetsChangedAsync();
        await WaitUntil(() => added.RequestCount >= 1);
        Assert.Equal(2, prober.Snapshot("ns/ing")!.PendingPods);

        first.Hash = NewHash;
        await WaitUntil(() => prober.Snapshot("ns/ing")!.PendingPods == 1);
        Assert.Empty(ready.Seen);
        added.Hash = NewHash;
        await ready.NextAsync();
    }

    [Fact]
    public async Task OnePodWithSeveralUrlsIsDoneOnlyWhenEveryUrlAnswered()
    {
        await using var pod = await FakeGatewayPod.StartAsync("127.0.0.1", NewHash);
        await using var tlsPod = await FakeGatewayPod.StartAsync("127.0.0.1", OldHash, tls: true);
        var source = new TestTargetSource();
        // Same pod IP, two server ports (HTTP and HTTPS).
        source.Set(new ProbeTarget(["127.0.0.1"], pod.Port, 80, "http://foo.example.com:80"),
                   new ProbeTarget(["127.0.0.1"], tlsPod.Port, 443, "https://foo.example.com:443"));
        var ready = new ReadyRecorder();
        await using var prober = new IngressProber(source, ready.OnReady, Fast);

        Assert.False(await prober.IsReadyAsync(Subject(NewHash)));
        await WaitUntil(() => prober.Snapshot("ns/ing")!.Items.Count(i => i.Done) == 1);
        Assert.Equal(1, prober.Snapshot("ns/ing")!.PendingPods);
        tlsPod.Hash = NewHash;
        await ready.NextAsync();
        Assert.Equal("foo.example.com:443", tlsPod.Requests.First().Host);
    }

    [Fact]
    public async Task ForgottenIngressNeverCallsBack()
    {
        await using var pod = await FakeGatewayPod.StartAsync("127.0.0.1", OldHash);
        var source = new TestTargetSource();
        source.Set(TestTargetSource.PerPod(Url, pod));
        var ready = new ReadyRecorder();
        await using var prober = new IngressProber(source, ready.OnReady, Fast);

        Assert.False(await prober.IsReadyAsync(Subject(NewHash)));
        await WaitUntil(() => pod.RequestCount >= 1);
        prober.Forget("ns/ing");
        pod.Hash = NewHash;
        Assert.Null(prober.Snapshot("ns/ing"));
        Assert.True(await ready.NoneWithinAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task TargetListingErrorPropagatesAndLeavesNoState()
    {
        var source = new TestTargetSource();
        source.Fail("failed to get Gateway \"knative-serving/knative-ingress-gateway\": not found");
        await using var prober = new IngressProber(source, _ => { }, Fast);
        var e = await Assert.ThrowsAsync<ProbeTargetException>(async () => await prober.IsReadyAsync(Subject(NewHash)));
        Assert.Equal("failed to get Gateway \"knative-serving/knative-ingress-gateway\": not found", e.Message);
        Assert.Null(prober.Snapshot("ns/ing"));
    }

    [Fact]
    public async Task ManyIngressesShareTheWorkerPool()
    {
        await using var pod1 = await FakeGatewayPod.StartAsync("127.0.0.1", OldHash);
        await using var pod2 = await FakeGatewayPod.StartAsync("127.0.0.2", OldHash);
        var source = new PerSubjectHashSource(pod1, pod2);
        var ready = new ReadyRecorder();
        await using var prober = new IngressProber(source, ready.OnReady, Fast);
        // Each Ingress has its own hash; the pods serve them per host, one Ingress after another getting programmed.
        const int count = 40;
        static string HashOf(int i) => i.ToString("x64");
        for (var i = 0; i < count; i++)
        {
            if (i % 2 == 0) { pod1.HashesByHost[$"ing-{i}.example.com"] = HashOf(i); pod2.HashesByHost[$"ing-{i}.example.com"] = HashOf(i); }
            Assert.False(await prober.IsReadyAsync(Subject(HashOf(i), name: $"ing-{i}")));
        }
        for (var i = 1; i < count; i += 2) { pod1.HashesByHost[$"ing-{i}.example.com"] = HashOf(i); pod2.HashesByHost[$"ing-{i}.example.com"] = HashOf(i); }
        for (var i = 0; i < count; i++) await ready.NextAsync();
        Assert.Equal(count, ready.Seen.Select(s => s.Key).Distinct().Count());
    }

    private sealed class PerSubjectHashSource(params FakeGatewayPod[] pods) : IProbeTargetSource
    {
        public ValueTask<IReadOnlyList<ProbeTarget>> ListTargetsAsync(ProbeSubject subject, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<ProbeTarget>>(TestTargetSource.PerPod($"http://{subject.Name}.example.com:80", pods));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met within 30 s");
            await Task.Delay(20);
        }
    }
}
