using System.Text.Json.Nodes;
using Ingress.ApiServer;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Kube.Tests;

/// <summary>The client over <c>ApiServerHost.CreateInProcessHandler</c> (no socket) against the real embedded API
/// server, next to a client over loopback HTTP on the same store.</summary>
public sealed class InProcessTransportTests : IAsyncLifetime
{
    private ApiServerHost _server = null!;
    private KubeClient _inProcess = null!;
    private KubeClient _socket = null!;

    public async Task InitializeAsync()
    {
        _server = new ApiServerHost(new ApiServerOptions(), NullLoggerFactory.Instance);
        await _server.StartAsync();
        _inProcess = new KubeClient(new KubeConnection { Server = _server.BaseUri, Transport = _server.CreateInProcessHandler });
        _socket = new KubeClient(KubeConnection.FromServer(_server.BaseUri));
    }

    public async Task DisposeAsync()
    {
        _inProcess.Dispose();
        _socket.Dispose();
        await _server.DisposeAsync();
    }

    private static JsonObject ConfigMap(string name, string value) => new()
    {
        ["apiVersion"] = "v1", ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
        ["data"] = new JsonObject { ["k"] = value },
    };

    [Fact]
    public async Task Writes_reads_errors_and_pages_go_through_the_handler()
    {
        var cms = _inProcess.Dynamic(ResourceDescriptor.ConfigMaps);
        var created = await cms.CreateAsync(ConfigMap("a", "1"));
        Assert.NotNull(created["metadata"]!["uid"]);

        // The socket client sees what the in-process one wrote, and the other way round.
        Assert.Equal("1", (await _socket.Dynamic(ResourceDescriptor.ConfigMaps).GetAsync("default", "a"))["data"]!["k"]!.ToString());
        await _socket.Dynamic(ResourceDescriptor.ConfigMaps).CreateAsync(ConfigMap("b", "2"));
        Assert.Equal("2", (await cms.GetAsync("default", "b"))["data"]!["k"]!.ToString());

        // API errors arrive as the server's Status: 404 and 409 (a stale resourceVersion).
        Assert.Null(await cms.TryGetAsync("default", "missing"));
        var stale = (JsonObject)created.DeepClone();
        var current = await cms.GetAsync("default", "a");
        current["data"]!["k"] = "2";
        await cms.UpdateAsync(current);
        stale["data"]!["k"] = "3";
        var conflict = await Assert.ThrowsAnyAsync<KubeApiException>(() => cms.UpdateAsync(stale));
        Assert.Equal(409, conflict.StatusCode);
        Assert.Equal(KubeErrorReason.Conflict, conflict.Reason);

        // Request bodies of any size and paged lists.
        for (var i = 0; i < 120; i++) await cms.CreateAsync(ConfigMap($"page-{i:000}", new string('x', 10_000)));
        var all = await cms.ListAllAsync("default", new ListOptions { Limit = 50 });
        Assert.Equal(122, all.Items.Count);
        Assert.All(all.Items.Where(o => o["metadata"]!["name"]!.ToString().StartsWith("page-", StringComparison.Ordinal)),
            o => Assert.Equal(10_000, o["data"]!["k"]!.ToString().Length));
    }

    [Fact]
    public async Task An_informer_over_the_handler_sees_every_change_and_its_watch_ends_when_it_stops()
    {
        var seen = new List<string>();
        var deleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using (var informers = new SharedInformerFactory(_inProcess))
        {
            var informer = informers.Dynamic(ResourceDescriptor.ConfigMaps);
            informer.AddEventHandler(new ResourceEventHandler<JsonObject>
            {
                Add = (o, _, _) => { lock (seen) seen.Add("add " + o["metadata"]!["name"]); },
                Update = (_, o, _, _) => { lock (seen) seen.Add("update " + o["data"]!["k"]); },
                Delete = (o, _) => { lock (seen) seen.Add("delete " + o["metadata"]!["name"]); deleted.TrySetResult(); },
            });
            informers.Start(stop.Token);
            await informers.WaitForCacheSyncAsync(stop.Token);
            // The watch follows the list (from its resourceVersion, so nothing written meanwhile is missed).
            for (var i = 0; i < 200 && _server.OpenWatches == 0; i++) await Task.Delay(20);
            Assert.True(_server.OpenWatches >= 1);

            var cms = _socket.Dynamic(ResourceDescriptor.ConfigMaps);
            var w = await cms.CreateAsync(ConfigMap("watched", "1"));
            w["data"]!["k"] = "2";
            await cms.UpdateAsync(w);
            await cms.DeleteAsync("default", "watched");
            await deleted.Task.WaitAsync(stop.Token);
            lock (seen) Assert.Equal(["add watched", "update 2", "delete watched"], seen);
            await stop.CancelAsync();
        }
        // The stopped informer disposed its response body: the handler's watch ended and left the store.
        for (var i = 0; i < 100 && _server.OpenWatches > 0; i++) await Task.Delay(50);
        Assert.Equal(0, _server.OpenWatches);
    }

    [Fact]
    public async Task A_cancelled_watch_ends_the_handlers_stream()
    {
        using var cts = new CancellationTokenSource();
        var cms = _inProcess.Dynamic(ResourceDescriptor.ConfigMaps);
        var events = 0;
        var reading = Task.Run(async () =>
        {
            await foreach (var _ in cms.WatchAsync("default", ct: cts.Token)) events++;
        });
        for (var i = 0; i < 100 && _server.OpenWatches == 0; i++) await Task.Delay(20);
        Assert.Equal(1, _server.OpenWatches);
        await _socket.Dynamic(ResourceDescriptor.ConfigMaps).CreateAsync(ConfigMap("c", "1"));
        for (var i = 0; i < 100 && events == 0; i++) await Task.Delay(20);
        Assert.Equal(1, events);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
        for (var i = 0; i < 100 && _server.OpenWatches > 0; i++) await Task.Delay(50);
        Assert.Equal(0, _server.OpenWatches);
    }
}
