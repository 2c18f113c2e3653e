using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Tests.Fixtures;

namespace Ingress.Kube.Tests;

public sealed class InformerTests : IAsyncLifetime
{
    private FakeApiServer _server = null!;
    private KubeClient _client = null!;
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(2));

    public async Task InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        _client = new KubeClient(KubeConnection.FromServer(_server.Url), new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(20) });
    }

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private static readonly InformerOptions FastBackoff = new() { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(400), PageSize = 3 };

    private sealed class Recorder : IResourceEventHandler<JsonObject>
    {
        public ConcurrentQueue<string> Events { get; } = new();
        public void OnAdd(JsonObject obj, ObjectHeader h, bool initial) => Events.Enqueue($"add {h.Key}{(initial ? " initial" : "")}");
        public void OnUpdate(JsonObject o, JsonObject n, ObjectHeader h, bool resync) => Events.Enqueue($"{(resync ? "resync" : "update")} {h.Key}");
        public void OnDelete(JsonObject obj, ObjectHeader h) => Events.Enqueue($"delete {h.Key}");
    }

    private (SharedInformer<JsonObject> Informer, Recorder Recorder, Task Run) Start(InformerScope? scope = null, TimeSpan? resync = null)
    {
        var informer = new SharedInformer<JsonObject>(_client.Dynamic(ResourceDescriptor.ConfigMaps), scope, FastBackoff);
        var recorder = new Recorder();
        informer.AddEventHandler(recorder, resync);
        var run = Task.Run(() => informer.RunAsync(_stop.Token));
        return (informer, recorder, run);
    }

    [Fact]
    public async Task Lists_in_pages_then_delivers_adds_updates_and_deletes()
    {
        for (var i = 0; i < 7; i++) _server.Put("v1", "configmaps", Objects.ConfigMap("default", $"c{i}"));
        var (informer, rec, _) = Start();
        await informer.WaitForSyncAsync(_stop.Token);
        Assert.Equal(7, informer.Indexer.Count);
        Assert.Contains(_server.Requests, r => r.Contains("limit=3", StringComparison.Ordinal) && r.Contains("continue=", StringComparison.Ordinal));
        await Eventually.HoldsAsync(() => rec.Events.Count(e => e.EndsWith(" initial", StringComparison.Ordinal)) == 7, "initial adds");

        await Eventually.HoldsAsync(() => _server.WatchRequests > 0, "watching");
        var cms = _client.Dynamic(ResourceDescriptor.ConfigMaps);
        await cms.CreateAsync(Objects.ConfigMap("default", "new"));
        await cms.PatchAsync("default", "c1", PatchType.Merge, """{"data":{"x":"y"}}""");
        await cms.DeleteAsync("default", "c2");
        await Eventually.HoldsAsync(() => rec.Events.Contains("delete default/c2"), "delete seen");
        Assert.Contains("add default/new", rec.Events);
        Assert.Contains("update default/c1", rec.Events);
        Assert.Equal("y", (string?)informer.Lister.Get("default", "c1")!["data"]!["x"]);
        Assert.Null(informer.Lister.Get("default", "c2"));
        Assert.Equal(7, informer.Indexer.Count);
    }

    [Fact]
    public async Task A_dropped_watch_resumes_from_the_last_resource_version_without_relisting()
    {
        var (informer, rec, _) = Start();
        await informer.WaitForSyncAsync(_stop.Token);
        await Eventually.HoldsAsync(() => _server.WatchRequests == 1, "watching");
        _server.DropWatches();
        // Written while no watch is open: the resumed watch must replay it from history.
        _server.Put("v1", "configmaps", Objects.ConfigMap("default", "while-dropped"));
        await Eventually.HoldsAsync(() => informer.Lister.Get("default", "while-dropped") is not null, "event replayed after resume");
        Assert.Equal(1, informer.ListCount);
        Assert.True(_server.WatchRequests >= 2);
        Assert.Contains(_server.Requests, r => r.Contains("watch=true", StringComparison.Ordinal) && r.Contains("resourceVersion=1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Gone_on_resume_relists_and_reports_what_changed_meanwhile()
    {
        _server.Put("v1", "configmaps", Objects.ConfigMap("default", "stays"));
        _server.Put("v1", "configmaps", Objects.ConfigMap("default", "goes"));
        var (informer, rec, _) = Start();
        await informer.WaitForSyncAsync(_stop.Token);
        await Eventually.HoldsAsync(() => _server.WatchRequests == 1, "watching");

        await _server.StopAsync();
        _server.Remove("v1", "configmaps", "default", "goes");
        _server.Put("v1", "configmaps", Objects.ConfigMap("default", "arrived"));
        _server.Compact(); // history lost: the resume gets 410
        await _server.RestartAsync();

        await Eventually.HoldsAsync(() => informer.ListCount == 2, "relisted after 410");
        await Eventually.HoldsAsync(() => rec.Events.Contains("delete default/goes") && rec.Events.Contains("add default/arrived"), "gap reconciled");
        Assert.Equal(["arrived", "stays"], informer.Lister.List("default").Select(o => (string)o["metadata"]!["name"]!).Order().ToArray());
    }

    [Fact]
    public async Task Survives_a_server_restart_mid_watch_and_keeps_going()
    {
        var (informer, rec, _) = Start();
        await informer.WaitForSyncAsync(_stop.Token);
        await Eventually.HoldsAsync(() => _server.WatchRequests == 1, "watching");
        await _server.RestartAsync(TimeSpan.FromMilliseconds(300));
        await _client.Dynamic(ResourceDescriptor.ConfigMaps).CreateAsync(Objects.ConfigMap("default", "after"));
        await Eventually.HoldsAsync(() => informer.Lister.Get("default", "after") is not null, "event after restart");
        Assert.Equal(1, informer.ListCount);
    }

    [Fact]
    public async Task Watch_errors_back_off_and_recover()
    {
        var rule = _server.AddFault(new FaultRule { Match = r => r.Query["watch"] == "true", Status = 500, Times = 3, Reason = "InternalError" });
        var (informer, _, _) = Start();
        await informer.WaitForSyncAsync(_stop.Token);
        await Eventually.HoldsAsync(() => rule.Hits == 3 && _server.WatchRequests >= 1, "watch failures consumed");
        await _client.Dynamic(ResourceDescriptor.ConfigMaps).CreateAsync(Objects.ConfigMap("default", "late"));
        await Eventually.HoldsAsync(() => informer.Lister.Get("default", "late") is not null, "watch recovered");
    }

    [Fact]
    public async Task Bookmarks_advance_the_resource_version()
    {
        var (informer, _, _) = Start();
        await informer.WaitForSyncAsync(_stop.Token);
        await Eventually.HoldsAsync(() => _server.WatchRequests == 1, "watching");
        // Use another resource to move the server's resourceVersion without any configmap event.
        _server.Put("v1", "secrets", Objects.ConfigMap("default", "s"));
        var rv = _server.CurrentResourceVersion;
        Assert.NotEqual(rv, informer.LastResourceVersion);
        _server.SendBookmarks();
        await Eventually.HoldsAsync(() => informer.LastResourceVersion == rv, "bookmark applied");
        Assert.Contains(_server.Requests, r => r.Contains("allowWatchBookmarks=true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Label_selected_informer_caches_only_matching_objects()
    {
        _server.Put("v1", "configmaps", Objects.ConfigMap("default", "mine", labels: new() { ["owned-by"] = "us" }));
        _server.Put("v1", "configmaps", Objects.ConfigMap("default", "theirs", labels: new() { ["owned-by"] = "them" }));
        var (informer, _, _) = Start(new InformerScope(LabelSelector: "owned-by=us"));
        await informer.WaitForSyncAsync(_stop.Token);
        await Eventually.HoldsAsync(() => _server.WatchRequests == 1, "watching");
        await _client.Dynamic(ResourceDescriptor.ConfigMaps).CreateAsync(Objects.ConfigMap("default", "mine2", labels: new() { ["owned-by"] = "us" }));
        await _client.Dynamic(ResourceDescriptor.ConfigMaps).CreateAsync(Objects.ConfigMap("default", "theirs2", labels: new() { ["owned-by"] = "them" }));
        await Eventually.HoldsAsync(() => informer.Indexer.Count == 2, "second matching object cached");
        Assert.Equal(["mine", "mine2"], informer.Indexer.Keys().Select(k => k.Split('/')[1]).Order().ToArray());
        Assert.All(_server.Requests.Where(r => r.StartsWith("GET /api/v1/configmaps", StringComparison.Ordinal)), r => Assert.Contains("labelSelector=owned-by%3Dus", r));
    }

    [Fact]
    public async Task Resync_redelivers_every_object_flagged_as_resync()
    {
        _server.Put("v1", "configmaps", Objects.ConfigMap("default", "r1"));
        _server.Put("v1", "configmaps", Objects.ConfigMap("default", "r2"));
        var (informer, rec, _) = Start(resync: TimeSpan.FromMilliseconds(200));
        await informer.WaitForSyncAsync(_stop.Token);
        await Eventually.HoldsAsync(() => rec.Events.Contains("resync default/r1") && rec.Events.Contains("resync default/r2"), "resync delivered");
        Assert.DoesNotContain(rec.Events, e => e.StartsWith("update", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Late_handlers_get_the_cache_replayed()
    {
        _server.Put("v1", "configmaps", Objects.ConfigMap("default", "early"));
        var (informer, _, _) = Start();
        await informer.WaitForSyncAsync(_stop.Token);
        var late = new Recorder();
        informer.AddEventHandler(late);
        await Eventually.HoldsAsync(() => late.Events.Contains("add default/early initial"), "replayed add");
    }

    [Fact]
    public async Task Indexes_by_namespace_owner_label_and_custom()
    {
        var owned = Objects.ConfigMap("a", "child", labels: new() { ["tier"] = "web" });
        owned["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "example.dev/v1", ["kind"] = "Widget", ["name"] = "parent", ["uid"] = "uid-1", ["controller"] = true });
        _server.Put("v1", "configmaps", owned);
        _server.Put("v1", "configmaps", Objects.ConfigMap("b", "other", labels: new() { ["tier"] = "db" }, data: new() { ["color"] = "blue" }));
        var (informer, _, _) = Start();
        informer.Indexer.AddIndex("color", e => e.Object["data"]?["color"] is { } c ? [(string)c!] : []);
        await informer.WaitForSyncAsync(_stop.Token);

        Assert.Equal("child", (string?)Assert.Single(informer.Lister.List("a"))["metadata"]!["name"]);
        Assert.Equal("child", (string?)Assert.Single(informer.Lister.ListByOwner("uid-1"))["metadata"]!["name"]);
        Assert.Equal("other", (string?)Assert.Single(informer.Lister.List(null, LabelSelector.Parse("tier=db")))["metadata"]!["name"]);
        Assert.Empty(informer.Lister.List("a", LabelSelector.Parse("tier=db")));
        Assert.Equal(2, informer.Lister.List(null, LabelSelector.Parse("tier in (web,db)")).Count);
        Assert.Equal("other", (string?)Assert.Single(informer.Lister.ByIndex("color", "blue"))["metadata"]!["name"]);
    }

    [Fact]
    public async Task Factory_shares_one_informer_per_resource_and_scope()
    {
        await using var factory = new SharedInformerFactory(_client, FastBackoff);
        var a = factory.Dynamic(ResourceDescriptor.ConfigMaps);
        var b = factory.Dynamic(ResourceDescriptor.ConfigMaps);
        var scoped = factory.Dynamic(ResourceDescriptor.ConfigMaps, new InformerScope(LabelSelector: "x=y"));
        Assert.Same(a, b);
        Assert.NotSame(a, scoped);
        factory.Start(_stop.Token);
        await factory.WaitForCacheSyncAsync(_stop.Token);
        Assert.True(a.HasSynced && scoped.HasSynced);
        Assert.Equal(2, _server.Requests.Count(r => r.StartsWith("GET /api/v1/configmaps?", StringComparison.Ordinal) && !r.Contains("watch=true", StringComparison.Ordinal)));
    }
}
