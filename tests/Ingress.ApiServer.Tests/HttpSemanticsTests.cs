using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Ingress.ApiServer.Tests;

/// <summary>The API server's semantics over plain HTTP. One server for the class; each test uses its own names.</summary>
public sealed class HttpSemanticsTests(TestServer server) : IClassFixture<TestServer>
{
    private static string Meta(JsonObject o, string field) => o["metadata"]![field]!.ToString();

    [Fact]
    public async Task CreateSetsSystemMetadataAndDuplicateIsAlreadyExists()
    {
        var (code, body) = await server.PostAsync(TestServer.Ksvc, TestServer.KsvcObject("sem-create"));
        Assert.Equal(201, code);
        Assert.True(Guid.TryParse(Meta(body, "uid"), out _));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", Meta(body, "creationTimestamp"));
        Assert.Equal("1", Meta(body, "generation"));
        Assert.True(long.Parse(Meta(body, "resourceVersion")) > 0);
        var (dup, status) = await server.PostAsync(TestServer.Ksvc, TestServer.KsvcObject("sem-create"));
        Assert.Equal(409, dup);
        Assert.Equal("Status", status["kind"]!.ToString());
        Assert.Equal("AlreadyExists", status["reason"]!.ToString());
        Assert.Equal("services.serving.knative.dev \"sem-create\" already exists", status["message"]!.ToString());
    }

    [Fact]
    public async Task GenerateNameAppendsASuffix()
    {
        var obj = TestServer.ConfigMapObject("");
        obj["metadata"] = new JsonObject { ["generateName"] = "gen-" };
        var (code, body) = await server.PostAsync(TestServer.ConfigMaps, obj);
        Assert.Equal(201, code);
        Assert.Matches("^gen-[a-z0-9]{5}$", Meta(body, "name"));
    }

    [Fact]
    public async Task StaleResourceVersionIsConflictAndVersionsIncrease()
    {
        var (_, created) = await server.PostAsync(TestServer.ConfigMaps, TestServer.ConfigMapObject("sem-cas", ("a", "1")));
        var stale = (JsonObject)created.DeepClone();
        created["data"]!["a"] = "2";
        var (code, updated) = await server.PutAsync(TestServer.ConfigMaps + "/sem-cas", created);
        Assert.Equal(200, code);
        Assert.True(long.Parse(Meta(updated, "resourceVersion")) > long.Parse(Meta(stale, "resourceVersion")));
        stale["data"]!["a"] = "3";
        var (conflict, status) = await server.PutAsync(TestServer.ConfigMaps + "/sem-cas", stale);
        Assert.Equal(409, conflict);
        Assert.Equal("Conflict", status["reason"]!.ToString());
        Assert.Contains("the object has been modified", status["message"]!.ToString());
        var (patchConflict, _) = await server.PatchAsync(TestServer.ConfigMaps + "/sem-cas",
            new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = Meta(stale, "resourceVersion") }, ["data"] = new JsonObject { ["a"] = "4" } });
        Assert.Equal(409, patchConflict);
        Assert.Equal("2", (await server.GetAsync(TestServer.ConfigMaps + "/sem-cas")).Body["data"]!["a"]!.ToString());
    }

    [Fact]
    public async Task GenerationBumpsOnSpecChangesOnlyAndStatusIsASeparateSubresource()
    {
        var obj = TestServer.KsvcObject("sem-gen");
        obj["status"] = new JsonObject { ["url"] = "ignored-on-create" };
        var (_, created) = await server.PostAsync(TestServer.Ksvc, obj);
        Assert.Null(created["status"]);
        var path = TestServer.Ksvc + "/sem-gen";
        await server.PatchAsync(path, JsonNode.Parse("""{"metadata":{"labels":{"x":"y"}}}""")!);
        Assert.Equal("1", Meta((await server.GetAsync(path)).Body, "generation"));
        var (code, withStatus) = await server.PatchAsync(path + "/status", JsonNode.Parse("""{"status":{"url":"http://x"},"spec":{"ignored":true}}""")!);
        Assert.Equal(200, code);
        Assert.Equal("http://x", withStatus["status"]!["url"]!.ToString());
        Assert.Null(withStatus["spec"]!["ignored"]);
        Assert.Equal("1", Meta(withStatus, "generation"));
        // A main-resource write cannot change status.
        var (_, afterSpec) = await server.PatchAsync(path, JsonNode.Parse("""{"spec":{"template":{"spec":{"containers":[{"image":"new"}]}}},"status":{"url":"http://changed"}}""")!);
        Assert.Equal("2", Meta(afterSpec, "generation"));
        Assert.Equal("http://x", afterSpec["status"]!["url"]!.ToString());
        Assert.Equal("http://x", (await server.GetAsync(path + "/status")).Body["status"]!["url"]!.ToString());
    }

    [Fact]
    public async Task LabelAndFieldSelectorsFilterLists()
    {
        foreach (var (name, tier) in new[] { ("sel-a", "web"), ("sel-b", "db"), ("sel-c", "cache") })
        {
            var o = TestServer.ConfigMapObject(name);
            o["metadata"]!["labels"] = new JsonObject { ["tier"] = tier, ["suite"] = "sel" };
            await server.PostAsync(TestServer.ConfigMaps, o);
        }
        async Task<string[]> Names(string query) =>
            (await server.GetAsync(TestServer.ConfigMaps + "?" + query)).Body["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.ToString()).ToArray();
        Assert.Equal(["sel-a"], await Names("labelSelector=" + Uri.EscapeDataString("suite=sel,tier=web")));
        Assert.Equal(["sel-a", "sel-b"], await Names("labelSelector=" + Uri.EscapeDataString("suite=sel,tier in (web,db)")));
        Assert.Equal(["sel-c"], await Names("labelSelector=" + Uri.EscapeDataString("suite==sel,tier notin (web,db)")));
        Assert.Equal(["sel-b", "sel-c"], await Names("labelSelector=" + Uri.EscapeDataString("suite,tier!=web")));
        Assert.Empty(await Names("labelSelector=" + Uri.EscapeDataString("suite=sel,!tier")));
        Assert.Equal(["sel-b"], await Names("labelSelector=suite%3Dsel&fieldSelector=metadata.name%3Dsel-b"));
        Assert.Equal(["sel-b"], await Names("labelSelector=suite%3Dsel&fieldSelector=metadata.namespace%3Ddefault,metadata.name!%3Dsel-a,metadata.name!%3Dsel-c"));
        var (bad, status) = await server.GetAsync(TestServer.ConfigMaps + "?labelSelector=" + Uri.EscapeDataString("tier in web"));
        Assert.Equal(400, bad);
        Assert.Equal("BadRequest", status["reason"]!.ToString());
    }

    [Fact]
    public async Task PaginationFollowsContinueTokens()
    {
        for (var i = 0; i < 7; i++)
        {
            var o = TestServer.ConfigMapObject($"page-{i}");
            o["metadata"]!["labels"] = new JsonObject { ["suite"] = "page" };
            await server.PostAsync(TestServer.ConfigMaps, o);
        }
        var names = new List<string>();
        var cont = "";
        var pages = 0;
        do
        {
            var (_, body) = await server.GetAsync($"{TestServer.ConfigMaps}?labelSelector=suite%3Dpage&limit=3&continue={Uri.EscapeDataString(cont)}");
            names.AddRange(body["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.ToString()));
            cont = body["metadata"]!["continue"]?.ToString() ?? "";
            pages++;
        } while (cont.Length > 0);
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"page-{i}"), names);
    }

    private async Task<List<JsonObject>> ReadWatchAsync(string url, int count, Func<Task> trigger)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<JsonObject>();
        await trigger();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (events.Count < count)
        {
            var line = await reader.ReadLineAsync(cts.Token);
            if (line is null) break;
            events.Add(JsonNode.Parse(line)!.AsObject());
        }
        return events;
    }

    [Fact]
    public async Task WatchFromAResourceVersionStreamsAddedModifiedDeleted()
    {
        var (_, list) = await server.GetAsync(TestServer.ConfigMaps);
        var rv = list["metadata"]!["resourceVersion"]!.ToString();
        var events = await ReadWatchAsync($"{TestServer.ConfigMaps}?watch=true&resourceVersion={rv}&fieldSelector=metadata.name%3Dwatch-cm", 3, async () =>
        {
            await server.PostAsync(TestServer.ConfigMaps, TestServer.ConfigMapObject("watch-cm", ("a", "1")));
            await server.PatchAsync(TestServer.ConfigMaps + "/watch-cm", JsonNode.Parse("""{"data":{"a":"2"}}""")!);
            await server.DeleteAsync(TestServer.ConfigMaps + "/watch-cm");
        });
        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], events.Select(e => e["type"]!.ToString()));
        Assert.Equal("2", events[1]["object"]!["data"]!["a"]!.ToString());
        Assert.Equal("ConfigMap", events[2]["object"]!["kind"]!.ToString());
        var versions = events.Select(e => long.Parse(e["object"]!["metadata"]!["resourceVersion"]!.ToString())).ToList();
        Assert.Equal(versions.Order(), versions);
    }

    [Fact]
    public async Task WatchWithTimeoutEndsAndSendsBookmarks()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{TestServer.ConfigMaps}?watch=true&allowWatchBookmarks=true&timeoutSeconds=2&fieldSelector=metadata.name%3Dnobody");
        using var response = await server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        // Ends by itself (timeoutSeconds); the default bookmark interval is longer than 2 s, so no events.
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("", text.Trim());
    }

    [Fact]
    public async Task DryRunDoesNotPersist()
    {
        var (code, body) = await server.PostAsync(TestServer.ConfigMaps + "?dryRun=All", TestServer.ConfigMapObject("dry-cm"));
        Assert.Equal(201, code);
        Assert.Equal("dry-cm", Meta(body, "name"));
        Assert.Equal(404, (await server.GetAsync(TestServer.ConfigMaps + "/dry-cm")).Code);
    }

    [Fact]
    public async Task FinalizersHoldDeletionUntilRemoved()
    {
        var o = TestServer.ConfigMapObject("fin-cm");
        o["metadata"]!["finalizers"] = new JsonArray("test.dev/hold");
        await server.PostAsync(TestServer.ConfigMaps, o);
        var (code, deleting) = await server.DeleteAsync(TestServer.ConfigMaps + "/fin-cm");
        Assert.Equal(200, code);
        Assert.NotNull(deleting["metadata"]!["deletionTimestamp"]);
        Assert.Equal(200, (await server.GetAsync(TestServer.ConfigMaps + "/fin-cm")).Code);
        Assert.Equal(200, (await server.PatchAsync(TestServer.ConfigMaps + "/fin-cm", JsonNode.Parse("""{"metadata":{"finalizers":null}}""")!)).Code);
        Assert.Equal(404, (await server.GetAsync(TestServer.ConfigMaps + "/fin-cm")).Code);
    }

    private async Task<(string OwnerUid, string Child)> OwnerWithChildAsync(string prefix)
    {
        var (_, owner) = await server.PostAsync(TestServer.ConfigMaps, TestServer.ConfigMapObject(prefix + "-owner"));
        var child = TestServer.ConfigMapObject(prefix + "-child");
        child["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["name"] = prefix + "-owner", ["uid"] = Meta(owner, "uid"), ["blockOwnerDeletion"] = true,
        });
        Assert.Equal(201, (await server.PostAsync(TestServer.ConfigMaps, child)).Code);
        return (Meta(owner, "uid"), prefix + "-child");
    }

    [Fact]
    public async Task ForegroundDeletionWaitsForDependents()
    {
        var (_, child) = await OwnerWithChildAsync("fg");
        var (code, owner) = await server.DeleteAsync(TestServer.ConfigMaps + "/fg-owner", JsonNode.Parse("""{"propagationPolicy":"Foreground"}""")!);
        Assert.Equal(200, code);
        Assert.Contains("foregroundDeletion", owner["metadata"]!["finalizers"]!.AsArray().Select(f => f!.ToString()));
        await TestServer.Eventually(async () => (await server.GetAsync(TestServer.ConfigMaps + "/" + child)).Code == 404, "child deleted");
        await TestServer.Eventually(async () => (await server.GetAsync(TestServer.ConfigMaps + "/fg-owner")).Code == 404, "owner deleted after child");
    }

    [Fact]
    public async Task OrphanDeletionKeepsDependentsWithoutTheReference()
    {
        var (_, child) = await OwnerWithChildAsync("orphan");
        Assert.Equal(200, (await server.DeleteAsync(TestServer.ConfigMaps + "/orphan-owner", JsonNode.Parse("""{"propagationPolicy":"Orphan"}""")!)).Code);
        await TestServer.Eventually(() => Task.FromResult(server.Host.PendingGarbageCollection == 0), "GC idle");
        var (code, body) = await server.GetAsync(TestServer.ConfigMaps + "/" + child);
        Assert.Equal(200, code);
        Assert.Null(body["metadata"]!["ownerReferences"]);
    }

    [Fact]
    public async Task BackgroundDeletionCollectsDependents()
    {
        var (_, child) = await OwnerWithChildAsync("bg");
        Assert.Equal(200, (await server.DeleteAsync(TestServer.ConfigMaps + "/bg-owner", JsonNode.Parse("""{"propagationPolicy":"Background"}""")!)).Code);
        Assert.Equal(404, (await server.GetAsync(TestServer.ConfigMaps + "/bg-owner")).Code);
        await TestServer.Eventually(async () => (await server.GetAsync(TestServer.ConfigMaps + "/" + child)).Code == 404, "child collected");
    }

    [Fact]
    public async Task StrategicMergePatchMergesListsByKeyAndHonoursDirectives()
    {
        var dep = new JsonObject
        {
            ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["metadata"] = new JsonObject { ["name"] = "smp-dep" },
            ["spec"] = JsonNode.Parse("""{"template":{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}]}}}"""),
        };
        Assert.Equal(201, (await server.PostAsync("/apis/apps/v1/namespaces/default/deployments", dep)).Code);
        var (code, patched) = await server.PatchAsync("/apis/apps/v1/namespaces/default/deployments/smp-dep",
            JsonNode.Parse("""{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"b:2"},{"name":"a","$patch":"delete"},{"name":"c","image":"c:1"}]}}}}""")!,
            "application/strategic-merge-patch+json");
        Assert.Equal(200, code);
        var containers = patched["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal(["b:2", "c:1"], containers.Select(c => c!["image"]!.ToString()));
        var (_, cm) = await server.PostAsync(TestServer.ConfigMaps, TestServer.ConfigMapObject("smp-cm", ("a", "1"), ("b", "2")));
        (code, cm) = await server.PatchAsync(TestServer.ConfigMaps + "/smp-cm", JsonNode.Parse("""{"data":{"a":null,"c":"3"}}""")!, "application/strategic-merge-patch+json");
        Assert.Equal(200, code);
        Assert.Equal("""{"b":"2","c":"3"}""", cm["data"]!.ToJsonString());
    }

    [Fact]
    public async Task JsonPatchTestFailureIsRejected()
    {
        await server.PostAsync(TestServer.ConfigMaps, TestServer.ConfigMapObject("jp-cm", ("a", "1")));
        var (code, status) = await server.PatchAsync(TestServer.ConfigMaps + "/jp-cm",
            JsonNode.Parse("""[{"op":"test","path":"/data/a","value":"9"},{"op":"replace","path":"/data/a","value":"2"}]""")!, "application/json-patch+json");
        Assert.Equal(422, code);
        Assert.Equal("Status", status["kind"]!.ToString());
        Assert.Equal("1", (await server.GetAsync(TestServer.ConfigMaps + "/jp-cm")).Body["data"]!["a"]!.ToString());
    }

    [Fact]
    public async Task ServerSideApplyConflictsWithAnotherManagerUnlessForced()
    {
        var applyA = JsonNode.Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa-conf"},"data":{"k":"a"}}""")!;
        var (code, _) = await server.SendAsync(HttpMethod.Patch, TestServer.ConfigMaps + "/ssa-conf?fieldManager=alpha", applyA, "application/apply-patch+yaml");
        Assert.Equal(201, code);
        var applyB = JsonNode.Parse("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa-conf"},"data":{"k":"b"}}""")!;
        var (conflict, status) = await server.SendAsync(HttpMethod.Patch, TestServer.ConfigMaps + "/ssa-conf?fieldManager=beta", applyB, "application/apply-patch+yaml");
        Assert.Equal(409, conflict);
        Assert.Contains("conflict with \"alpha\"", status["message"]!.ToString());
        var (forced, body) = await server.SendAsync(HttpMethod.Patch, TestServer.ConfigMaps + "/ssa-conf?fieldManager=beta&force=true", applyB, "application/apply-patch+yaml");
        Assert.Equal(200, forced);
        Assert.Equal("b", body["data"]!["k"]!.ToString());
        var yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-yaml\ndata:\n  n: \"1\"\n  flag: \"true\"\n";
        using var request = new HttpRequestMessage(HttpMethod.Patch, TestServer.ConfigMaps + "/ssa-yaml?fieldManager=yaml") { Content = new StringContent(yaml, Encoding.UTF8) };
        request.Content.Headers.ContentType = new("application/apply-patch+yaml");
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("true", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!["flag"]!.ToString());
    }

    [Fact]
    public async Task AdmissionHooksDefaultAndDeny()
    {
        var (code, body) = await server.PostAsync(TestServer.Ksvc, TestServer.KsvcObject("adm-ok"));
        Assert.Equal(201, code);
        Assert.Equal("true", body["metadata"]!["annotations"]!["test.dev/defaulted"]!.ToString());
        var (denied, status) = await server.PostAsync(TestServer.Ksvc, TestServer.KsvcObject("adm-bad", "invalid"));
        Assert.Equal(400, denied);
        Assert.Equal("BadRequest", status["reason"]!.ToString());
        Assert.StartsWith("admission webhook \"validation.webhook.serving.knative.dev\" denied the request: validation failed", status["message"]!.ToString());
        var (updateDenied, _) = await server.PatchAsync(TestServer.Ksvc + "/adm-ok", JsonNode.Parse("""{"spec":{"template":{"spec":{"containers":[{"image":"invalid"}]}}}}""")!);
        Assert.Equal(400, updateDenied);
    }

    [Fact]
    public async Task BadInputGetsStatusBodies()
    {
        using (var malformed = new HttpRequestMessage(HttpMethod.Post, TestServer.ConfigMaps) { Content = new StringContent("{\"metadata\": {", Encoding.UTF8, "application/json") })
        using (var r = await server.Http.SendAsync(malformed))
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            var status = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
            Assert.Contains("json parse error", status["message"]!.ToString());
        }
        var (unknown, notFound) = await server.GetAsync("/apis/nope.example.com/v1/namespaces/default/widgets");
        Assert.Equal(404, unknown);
        Assert.Equal("NotFound", notFound["reason"]!.ToString());
        var big = TestServer.ConfigMapObject("too-big", ("x", new string('x', 3 * 1024 * 1024 + 10)));
        var (tooLarge, large) = await server.PostAsync(TestServer.ConfigMaps, big);
        Assert.Equal(413, tooLarge);
        Assert.Equal("RequestEntityTooLarge", large["reason"]!.ToString());
        var (noNs, _) = await server.PostAsync("/api/v1/namespaces/missing/configmaps", TestServer.ConfigMapObject("x"));
        Assert.Equal(404, noNs);
        var (wrongKind, _) = await server.PostAsync(TestServer.ConfigMaps, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "k" } });
        Assert.Equal(400, wrongKind);
        var (badName, invalid) = await server.PostAsync(TestServer.ConfigMaps, TestServer.ConfigMapObject("Bad_Name"));
        Assert.Equal(422, badName);
        Assert.Equal("Invalid", invalid["reason"]!.ToString());
        // Nothing stored was harmed and the server still answers.
        Assert.Equal(200, (await server.GetAsync("/api/v1/namespaces/default")).Code);
    }

    [Fact]
    public async Task CustomResourceDefinitionsRegisterKindsLive()
    {
        var crd = TestServer.YamlJson("""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: widgets.example.com
            spec:
              group: example.com
              names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
              scope: Cluster
              versions:
              - name: v1
                served: true
                storage: true
            """);
        Assert.Equal(201, (await server.PostAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)).Code);
        var (_, resources) = await server.GetAsync("/apis/example.com/v1");
        Assert.Equal("Widget", resources["resources"]![0]!["kind"]!.ToString());
        var (code, _) = await server.PostAsync("/apis/example.com/v1/widgets", new JsonObject { ["apiVersion"] = "example.com/v1", ["kind"] = "Widget", ["metadata"] = new JsonObject { ["name"] = "w1" } });
        Assert.Equal(201, code);
        var (_, agg) = await server.GetAsync("/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
        Assert.Contains(agg["items"]!.AsArray(), g => g!["metadata"]!["name"]!.ToString() == "example.com");
        Assert.Equal(200, (await server.DeleteAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")).Code);
        Assert.Equal(404, (await server.GetAsync("/apis/example.com/v1/widgets")).Code);
    }

    [Fact]
    public async Task DiscoveryNegotiatesAggregatedVersionsAndServesOpenApi()
    {
        using (var r = new HttpRequestMessage(HttpMethod.Get, "/apis"))
        {
            r.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json");
            using var response = await server.Http.SendAsync(r);
            Assert.Equal("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList", response.Content.Headers.GetValues("Content-Type").Single().Replace(" ", ""));
        }
        var (_, legacy) = await server.GetAsync("/apis");
        Assert.Equal("APIGroupList", legacy["kind"]!.ToString());
        var (_, core) = await server.GetAsync("/api/v1");
        var cm = core["resources"]!.AsArray().First(r => r!["name"]!.ToString() == "configmaps")!;
        Assert.Equal("cm", cm["shortNames"]![0]!.ToString());
        var (_, version) = await server.GetAsync("/version");
        Assert.True(int.Parse(version["minor"]!.ToString()) >= 29);
        var (_, index) = await server.GetAsync("/openapi/v3");
        var url = index["paths"]!["apis/serving.knative.dev/v1"]!["serverRelativeURL"]!.ToString();
        var (_, doc) = await server.GetAsync(url);
        var patch = doc["paths"]!["/apis/serving.knative.dev/v1/namespaces/{namespace}/services/{name}"]!["patch"]!;
        Assert.Equal("Service", patch["x-kubernetes-group-version-kind"]!["kind"]!.ToString());
        Assert.Contains(patch["parameters"]!.AsArray(), p => p!["name"]!.ToString() == "fieldValidation");
    }

    [Fact]
    public async Task TablesUsePrinterColumns()
    {
        await server.PostAsync(TestServer.ConfigMaps, TestServer.ConfigMapObject("table-cm", ("a", "1"), ("b", "2")));
        var (_, table) = await server.GetAsync(TestServer.ConfigMaps + "/table-cm", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        Assert.Equal("Table", table["kind"]!.ToString());
        Assert.Equal(["Name", "Data", "Age"], table["columnDefinitions"]!.AsArray().Select(c => c!["name"]!.ToString()));
        Assert.Equal("table-cm", table["rows"]![0]!["cells"]![0]!.ToString());
        Assert.Equal(2, table["rows"]![0]!["cells"]![1]!.GetValue<int>());
        Assert.Equal("PartialObjectMetadata", table["rows"]![0]!["object"]!["kind"]!.ToString());
    }

    [Fact]
    public async Task ProtobufIsEncodedWhenAskedForAndDecodesBack()
    {
        await server.PostAsync(TestServer.ConfigMaps, TestServer.ConfigMapObject("pb-enc", ("k", "v")));
        using var get = new HttpRequestMessage(HttpMethod.Get, TestServer.ConfigMaps + "/pb-enc");
        get.Headers.TryAddWithoutValidation("Accept", "application/vnd.kubernetes.protobuf,application/json");
        using var response = await server.Http.SendAsync(get);
        Assert.Equal("application/vnd.kubernetes.protobuf", response.Content.Headers.ContentType!.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("k8s\0"u8.ToArray(), bytes[..4]);
        // Post the same bytes back under another name: the server must decode what it encodes.
        var text = Encoding.Latin1.GetString(bytes).Replace("pb-enc", "pb-dec");
        using var post = new HttpRequestMessage(HttpMethod.Post, TestServer.ConfigMaps) { Content = new ByteArrayContent(Encoding.Latin1.GetBytes(text)) };
        post.Content.Headers.ContentType = new("application/vnd.kubernetes.protobuf");
        // Stored metadata (uid, resourceVersion) is in the bytes; resourceVersion must be dropped on create.
        using var created = await server.Http.SendAsync(post);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var (_, body) = await server.GetAsync(TestServer.ConfigMaps + "/pb-dec");
        Assert.Equal("v", body["data"]!["k"]!.ToString());
        using var garbage = new HttpRequestMessage(HttpMethod.Post, TestServer.ConfigMaps) { Content = new ByteArrayContent([1, 2, 3, 4, 5]) };
        garbage.Content.Headers.ContentType = new("application/vnd.kubernetes.protobuf");
        Assert.Equal(HttpStatusCode.BadRequest, (await server.Http.SendAsync(garbage)).StatusCode);
    }

    [Fact]
    public async Task NamespaceDeletionRemovesItsContents()
    {
        Assert.Equal(201, (await server.PostAsync("/api/v1/namespaces", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "doomed" } })).Code);
        Assert.Equal(201, (await server.PostAsync("/api/v1/namespaces/doomed/configmaps", TestServer.ConfigMapObject("inside"))).Code);
        Assert.Equal(200, (await server.DeleteAsync("/api/v1/namespaces/doomed")).Code);
        await TestServer.Eventually(async () => (await server.GetAsync("/api/v1/namespaces/doomed")).Code == 404, "namespace gone");
        Assert.Equal(404, (await server.GetAsync("/api/v1/namespaces/doomed/configmaps/inside")).Code);
    }
}

/// <summary>Servers with non-default options.</summary>
public sealed class ServerOptionsTests
{
    [Fact]
    public async Task BearerTokenIsRequiredWhenConfigured()
    {
        await using var host = new ApiServerHost(new ApiServerOptions { BearerToken = "s3cret" });
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseUri };
        var denied = await http.GetAsync("/api/v1/namespaces");
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Equal("Unauthorized", JsonNode.Parse(await denied.Content.ReadAsStringAsync())!["reason"]!.ToString());
        http.DefaultRequestHeaders.Authorization = new("Bearer", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/namespaces")).StatusCode);
    }

    [Fact]
    public async Task WatchFromAVersionOlderThanTheHistoryGetsGone()
    {
        await using var host = new ApiServerHost(new ApiServerOptions { WatchHistorySize = 16 });
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseUri };
        for (var i = 0; i < 40; i++)
            await http.PostAsync("/api/v1/namespaces/default/configmaps", new StringContent(TestServer.ConfigMapObject($"h{i}").ToJsonString(), Encoding.UTF8, "application/json"));
        var response = await http.GetAsync("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=2");
        var line = (await response.Content.ReadAsStringAsync()).Trim();
        var e = JsonNode.Parse(line)!;
        Assert.Equal("ERROR", e["type"]!.ToString());
        Assert.Equal(410, e["object"]!["code"]!.GetValue<int>());
        Assert.Equal("Expired", e["object"]!["reason"]!.ToString());
    }

    [Fact]
    public async Task WatchBookmarksCarryTheCurrentVersion()
    {
        await using var host = new ApiServerHost(new ApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) });
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseUri };
        var text = await http.GetStringAsync("/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&timeoutSeconds=2&resourceVersion=" + host.ResourceVersion);
        var events = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.NotEmpty(events);
        Assert.All(events, e => Assert.Equal("BOOKMARK", e["type"]!.ToString()));
        Assert.Equal(host.ResourceVersion.ToString(), events[^1]["object"]!["metadata"]!["resourceVersion"]!.ToString());
    }
}
