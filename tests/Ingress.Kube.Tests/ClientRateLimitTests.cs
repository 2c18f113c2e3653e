using Ingress.Kube.Client;
using Ingress.Kube.Tests.Fixtures;

namespace Ingress.Kube.Tests;

/// <summary>The client's rate limit switched off: on a clock that never moves, a client with a token bucket of burst 1
/// could send one request; an <see cref="KubeClientOptions.Unlimited"/> one sends them all (before this option, an
/// infinite QPS made the bucket compute a NaN wait and throw).</summary>
public sealed class ClientRateLimitTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly ManualTimeProvider _time = new();
    private FakeApiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeApiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_unlimited_client_sends_every_request_while_the_clock_stands_still()
    {
        using var client = new KubeClient(KubeConnection.FromServer(_server.Url),
            new KubeClientOptions { Qps = KubeClientOptions.Unlimited, Burst = 1, Time = _time });
        var cms = client.Dynamic(ResourceDescriptor.ConfigMaps);
        for (var i = 0; i < 20; i++)
            await cms.CreateAsync(Objects.ConfigMap("default", $"cm-{i}")).WaitAsync(Deadline);
        Assert.Equal(20, (await cms.ListAsync("default").WaitAsync(Deadline)).Items.Count);
    }
}
