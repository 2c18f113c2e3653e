using System.Text.Json.Nodes;
using Ingress.Kube.Client;
using Ingress.Kube.Tests.Fixtures;

namespace Ingress.Kube.Tests;

public sealed class ClientTests : IAsyncLifetime
{
    private FakeApiServer _server = null!;
    private KubeClient _client = null!;
    private ResourceClient<JsonObject> _cms = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync();
        _client = new KubeClient(KubeConnection.FromServer(_server.Url), new KubeClientOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(20), RequestTimeout = TimeSpan.FromSeconds(5) });
        _cms = _client.Dynamic(ResourceDescriptor.ConfigMaps);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Create_get_update_and_status_round_trip_with_resource_versions()
    {
        var created = await _cms.CreateAsync(Objects.ConfigMap("default", "a", data: new() { ["k"] = "v" }));
        var rv1 = (string)created["metadata"]!["resourceVersion"]!;
        Assert.False(string.IsNullOrEmpty((string?)created["metadata"]!["uid"]));

        var got = await _cms.GetAsync("default", "a");
        Assert.Equal("v", (string?)got["data"]!["k"]);

        got["data"]!["k"] = "w";
        var updated = await _cms.UpdateAsync(got);
        Assert.NotEqual(rv1, (string?)updated["metadata"]!["resourceVersion"]);
        Assert.Equal("w", (string?)(await _cms.GetAsync("default", "a"))["data"]!["k"]);

        updated["status"] = new JsonObject { ["phase"] = "Done" };
        await _cms.UpdateStatusAsync(updated);
        Assert.Equal("Done", (string?)(await _cms.GetAsync("default", "a"))["status"]!["phase"]);
        Assert.Contains(_server.Requests, r => r.StartsWith("PUT /api/v1/namespaces/default/configmaps/a/status", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Typed_errors_for_not_found_already_exists_and_stale_update()
    {
        var nf = await Assert.ThrowsAsync<NotFoundException>(() => _cms.GetAsync("default", "missing"));
        Assert.Equal(404, nf.StatusCode);
        Assert.Equal(KubeErrorReason.NotFound, nf.Reason);
        Assert.Contains("missing", nf.Message);
        Assert.Null(await _cms.TryGetAsync("default", "missing"));

        var first = await _cms.CreateAsync(Objects.ConfigMap("default", "dup"));
        await Assert.ThrowsAsync<AlreadyExistsException>(() => _cms.CreateAsync(Objects.ConfigMap("default", "dup")));

        var stale = first.DeepClone().AsObject();
        first["data"] = new JsonObject { ["x"] = "1" };
        await _cms.UpdateAsync(first);
        stale["data"] = new JsonObject { ["x"] = "2" };
        var conflict = await Assert.ThrowsAsync<ConflictException>(() => _cms.UpdateAsync(stale));
        Assert.Equal(409, conflict.StatusCode);
    }

    [Theory]
    [InlineData(401, "Unauthorized", typeof(UnauthorizedException))]
    [InlineData(403, "Forbidden", typeof(ForbiddenException))]
    [InlineData(410, "Expired", typeof(GoneException))]
    [InlineData(400, "BadRequest", typeof(KubeApiException))]
    public async Task Status_answers_map_to_typed_exceptions(int code, string reason, Type expected)
    {
        _server.AddFault(new FaultRule { Match = r => r.Method == "GET", Status = code, Reason = reason });
        var ex = await Assert.ThrowsAnyAsync<KubeApiException>(() => _cms.GetAsync("default", "x"));
        Assert.IsType(expected, ex);
        Assert.Equal(code, ex.StatusCode);
    }

    [Fact]
    public async Task Invalid_carries_its_causes()
    {
        var details = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["field"] = "spec.replicas", ["reason"] = "FieldValueInvalid", ["message"] = "must be >= 0" }) };
        _server.AddFault(new FaultRule { Match = r => r.Method == "POST", Status = 422, Reason = "Invalid", Details = details });
        var ex = await Assert.ThrowsAsync<InvalidException>(() => _cms.CreateAsync(Objects.ConfigMap("default", "bad")));
        var cause = Assert.Single(ex.Causes);
        Assert.Equal("spec.replicas", cause.Field);
        Assert.Equal("FieldValueInvalid", cause.Reason);
    }

    [Fact]
    public async Task Plain_text_404_is_still_not_found()
    {
        var ex = await Assert.ThrowsAsync<NotFoundException>(() => _client.Dynamic(new ResourceDescriptor("", "v1", "x", true, "X")).GetAsync("default", "y"));
        Assert.Equal(404, ex.StatusCode);
        Assert.Equal(KubeErrorReason.NotFound, KubeApiException.Classify(404, null));
    }

    [Fact]
    public async Task List_with_label_selector_and_pagination()
    {
        for (var i = 0; i < 7; i++)
        {
            await _cms.CreateAsync(Objects.ConfigMap("default", $"cm{i}", labels: new() { ["app"] = i % 2 == 0 ? "even" : "odd" }));
        }
        await _cms.CreateAsync(Objects.ConfigMap("other", "cmx", labels: new() { ["app"] = "even" }));

        var even = await _cms.ListAllAsync("default", new ListOptions(LabelSelector: "app=even"));
        Assert.Equal(["cm0", "cm2", "cm4", "cm6"], even.Items.Select(i => (string)i["metadata"]!["name"]!).Order().ToArray());
        Assert.Equal("ConfigMap", (string?)even.Items[0]["kind"]); // list items get kind back

        var page = await _cms.ListAsync("default", new ListOptions(Limit: 3));
        Assert.Equal(3, page.Items.Count);
        Assert.NotNull(page.Continue);
        var all = await _cms.ListAllAsync("default", new ListOptions(Limit: 3));
        Assert.Equal(7, all.Items.Count);
        Assert.Equal(7, all.Headers.Select(h => h.Name).Distinct().Count());
        Assert.Contains(_server.Requests, r => r.Contains("continue=3", StringComparison.Ordinal));

        var everywhere = await _cms.ListAllAsync(null, new ListOptions(LabelSelector: "app in (even)"));
        Assert.Equal(5, everywhere.Items.Count);
    }

    [Fact]
    public async Task Patches_merge_json_and_server_side_apply()
    {
        await _cms.CreateAsync(Objects.ConfigMap("default", "p", data: new() { ["a"] = "1", ["b"] = "2" }));
        var merged = await _cms.PatchAsync("default", "p", PatchType.Merge, """{"data":{"a":null,"c":"3"}}""");
        Assert.Null(merged["data"]!["a"]);
        Assert.Equal("3", (string?)merged["data"]!["c"]);

        var jp = await _cms.PatchAsync("default", "p", PatchType.Json, """[{"op":"replace","path":"/data/b","value":"22"}]""");
        Assert.Equal("22", (string?)jp["data"]!["b"]);

        var applied = await _cms.PatchAsync("default", "new", PatchType.Apply, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"new","namespace":"default"},"data":{"z":"9"}}""",
            new PatchOptions("test-manager", Force: true));
        Assert.Equal("9", (string?)applied["data"]!["z"]);
        Assert.Contains(_server.Requests, r => r.StartsWith("PATCH /api/v1/namespaces/default/configmaps/new?fieldManager=test-manager&force=true", StringComparison.Ordinal));
        await Assert.ThrowsAsync<ArgumentException>(() => _cms.PatchAsync("default", "new", PatchType.Apply, "{}"));
    }

    [Fact]
    public async Task Delete_sends_propagation_policy_and_preconditions()
    {
        var created = await _cms.CreateAsync(Objects.ConfigMap("default", "d"));
        await Assert.ThrowsAsync<ConflictException>(() => _cms.DeleteAsync("default", "d", new DeleteOptions(PreconditionUid: "not-the-uid")));
        await _cms.DeleteAsync("default", "d", new DeleteOptions(PropagationPolicy.Foreground, PreconditionUid: (string)created["metadata"]!["uid"]!));
        Assert.Null(await _cms.TryGetAsync("default", "d"));
        var body = JsonNode.Parse(_server.DeleteBodies.Last())!;
        Assert.Equal("Foreground", (string?)body["propagationPolicy"]);
        Assert.Equal((string?)created["metadata"]!["uid"], (string?)body["preconditions"]!["uid"]);
        await Assert.ThrowsAsync<NotFoundException>(() => _cms.DeleteAsync("default", "d"));
    }

    [Fact]
    public async Task Reads_are_retried_on_500_and_succeed()
    {
        await _cms.CreateAsync(Objects.ConfigMap("default", "r"));
        var rule = _server.AddFault(new FaultRule { Match = r => r.Method == "GET", Status = 500, Times = 2, Reason = "InternalError" });
        var got = await _cms.GetAsync("default", "r");
        Assert.Equal("r", (string?)got["metadata"]!["name"]);
        Assert.Equal(2, rule.Hits);
    }

    [Fact]
    public async Task Writes_are_not_retried_on_a_plain_500()
    {
        var rule = _server.AddFault(new FaultRule { Match = r => r.Method == "POST", Status = 500, Times = 5, Reason = "InternalError" });
        var ex = await Assert.ThrowsAsync<ServerErrorException>(() => _cms.CreateAsync(Objects.ConfigMap("default", "w")));
        Assert.Equal(KubeErrorReason.InternalError, ex.Reason);
        Assert.Equal(1, rule.Hits);
    }

    [Fact]
    public async Task Writes_are_retried_on_429_honouring_retry_after()
    {
        var rule = _server.AddFault(new FaultRule { Match = r => r.Method == "POST", Status = 429, Times = 2, Reason = "TooManyRequests", RetryAfter = TimeSpan.FromSeconds(1) });
        var created = await _cms.CreateAsync(Objects.ConfigMap("default", "t"));
        Assert.Equal("t", (string?)created["metadata"]!["name"]);
        Assert.Equal(2, rule.Hits);
    }

    [Fact]
    public async Task A_429_that_outlasts_the_retries_surfaces_with_its_retry_after()
    {
        using var client = new KubeClient(KubeConnection.FromServer(_server.Url), new KubeClientOptions { MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(1) });
        _server.AddFault(new FaultRule { Match = r => r.Method == "GET", Status = 429, Times = 10, Reason = "TooManyRequests", RetryAfter = TimeSpan.FromSeconds(1) });
        var ex = await Assert.ThrowsAsync<TooManyRequestsException>(() => client.Dynamic(ResourceDescriptor.ConfigMaps).GetAsync("default", "x"));
        Assert.Equal(TimeSpan.FromSeconds(1), ex.RetryAfter);
    }

    [Fact]
    public async Task Slow_reads_time_out_and_are_retried()
    {
        using var client = new KubeClient(KubeConnection.FromServer(_server.Url), new KubeClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(500), RetryBaseDelay = TimeSpan.FromMilliseconds(10) });
        await _cms.CreateAsync(Objects.ConfigMap("default", "slow"));
        var rule = _server.AddFault(new FaultRule { Match = r => r.Method == "GET", Delay = TimeSpan.FromSeconds(5), Times = 1 });
        var got = await client.Dynamic(ResourceDescriptor.ConfigMaps).GetAsync("default", "slow");
        Assert.Equal("slow", (string?)got["metadata"]!["name"]);
        Assert.Equal(1, rule.Hits);
    }

    [Fact]
    public async Task A_write_to_a_server_that_is_down_is_retried_until_it_is_back()
    {
        var port = _server.Url.Port;
        await _server.StopAsync();
        var restart = Task.Run(async () =>
        {
            await Task.Delay(300);
            await _server.RestartAsync();
        });
        using var client = new KubeClient(KubeConnection.FromServer(new Uri($"http://127.0.0.1:{port}")),
            new KubeClientOptions { MaxRetries = 10, RetryBaseDelay = TimeSpan.FromMilliseconds(100), RetryMaxDelay = TimeSpan.FromSeconds(1) });
        var created = await client.Dynamic(ResourceDescriptor.ConfigMaps).CreateAsync(Objects.ConfigMap("default", "after-restart"));
        await restart;
        Assert.Equal("after-restart", (string?)created["metadata"]!["name"]);
        Assert.Single(_server.List("v1", "configmaps", "default"));
    }

    [Fact]
    public async Task Cluster_scoped_and_namespaced_paths()
    {
        var ns = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "team-a" } };
        await _client.Dynamic(ResourceDescriptor.Namespaces).CreateAsync(ns);
        Assert.Contains("POST /api/v1/namespaces", _server.Requests);
        await _client.Dynamic(ResourceDescriptor.Leases).CreateAsync(new JsonObject
        {
            ["apiVersion"] = "coordination.k8s.io/v1", ["kind"] = "Lease", ["metadata"] = new JsonObject { ["name"] = "l", ["namespace"] = "team-a" },
        });
        Assert.Contains("POST /apis/coordination.k8s.io/v1/namespaces/team-a/leases", _server.Requests);
        Assert.Throws<ArgumentException>(() => ResourceDescriptor.ConfigMaps.ItemPath(null, "x"));
    }

    [Fact]
    public async Task Watch_streams_events_and_an_error_event_throws_gone()
    {
        await _cms.CreateAsync(Objects.ConfigMap("default", "w1"));
        var rv = _server.CurrentResourceVersion;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var seen = new List<(WatchEventType, string)>();
        var watching = Task.Run(async () =>
        {
            await foreach (var ev in _cms.WatchAsync("default", new WatchOptions(rv), cts.Token))
            {
                seen.Add((ev.Type, ev.Header.Name));
                if (seen.Count == 3) break;
            }
        });
        await Eventually.HoldsAsync(() => _server.WatchRequests > 0, "watch open");
        await _cms.CreateAsync(Objects.ConfigMap("default", "w2"));
        await _cms.PatchAsync("default", "w2", PatchType.Merge, """{"data":{"a":"b"}}""");
        await _cms.DeleteAsync("default", "w1");
        await watching;
        Assert.Equal([(WatchEventType.Added, "w2"), (WatchEventType.Modified, "w2"), (WatchEventType.Deleted, "w1")], seen);

        _server.Compact();
        await Assert.ThrowsAsync<GoneException>(async () =>
        {
            await foreach (var _ in _cms.WatchAsync("default", new WatchOptions(rv), cts.Token)) { }
        });
    }

    [Fact]
    public async Task Bearer_token_is_sent()
    {
        using var client = new KubeClient(new KubeConnection { Server = _server.Url, BearerToken = "s3cret" });
        await client.Dynamic(ResourceDescriptor.ConfigMaps).TryGetAsync("default", "x");
        Assert.Contains("Bearer s3cret", _server.AuthorizationHeaders);
    }
}
