using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Diagnostics;
using Ingress.Kube.Tests.Fixtures;

namespace Ingress.Kube.Tests;

/// <summary>Dynamic objects as informer caches keep them: frozen compact JSON without managedFields, read through views.</summary>
public sealed class CompactJsonTests : IAsyncLifetime
{
    private const string Deployment = """
        {"apiVersion":"apps/v1","kind":"Deployment",
         "metadata":{"name":"rev-1-deployment","namespace":"default","generation":3,
           "labels":{"serving.knative.dev/revision":"rev-1","app":"rev-1"},
           "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Deployment\"}"},
           "managedFields":[{"manager":"kubectl","operation":"Update","fieldsType":"FieldsV1","subresource":"","fieldsV1":{"f:spec":{"f:replicas":{}}},"x-count":7,"x-flag":true}],
           "ownerReferences":[{"apiVersion":"serving.knative.dev/v1","kind":"Revision","name":"rev-1","uid":"u-1","controller":true,"blockOwnerDeletion":true}]},
         "spec":{"replicas":3,"progressDeadlineSeconds":600,"paused":false,"big":9007199254740993,"ratio":0.5,"exp":1e3,
           "template":{"spec":{"containers":[{"name":"user-container","image":"gcr.io/x/y@sha256:abc","ports":[{"containerPort":8080,"protocol":"TCP"}],
             "env":[{"name":"TARGET","value":"tab\there \u00e9"},{"name":"EMPTY","value":""}],"args":[]}],"nodeSelector":null}}},
         "status":{"observedGeneration":3,"conditions":[{"type":"Available","status":"False"}]}}
        """;

    private static JsonElement Element(string json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void Freeze_keeps_every_value_in_order_without_whitespace()
    {
        var indented = JsonNode.Parse(Deployment)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var frozen = CompactJson.Freeze(Element(indented));
        Assert.Equal(JsonNode.Parse(Deployment)!.ToJsonString(), frozen.GetRawText());
        // A view of it converts numbers and reads strings as the source does.
        var view = JsonObject.Create(frozen)!;
        Assert.Equal(3, view["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(9007199254740993L, view["spec"]!["big"]!.GetValue<long>());
        Assert.Equal(0.5, view["spec"]!["ratio"]!.GetValue<double>());
        Assert.Equal("tab\there \u00e9", view["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]![0]!["value"]!.GetValue<string>());
        Assert.Null(view["spec"]!["template"]!["spec"]!["nodeSelector"]);
    }

    [Fact]
    public void Freeze_owns_its_memory_after_the_source_document_is_gone()
    {
        JsonElement frozen;
        using (var doc = JsonDocument.Parse(Deployment)) frozen = CompactJson.Freeze(doc.RootElement, dropManagedFields: true);
        Assert.Equal("rev-1-deployment", frozen.GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal(600, frozen.GetProperty("spec").GetProperty("progressDeadlineSeconds").GetInt32());
    }

    [Fact]
    public void Freeze_drops_managedFields_of_the_metadata_only()
    {
        var json = JsonNode.Parse(Deployment)!.AsObject();
        // A managedFields key elsewhere (a spec field of a custom resource) is data, not metadata.
        json["spec"]!["managedFields"] = new JsonArray(1, true);
        var frozen = JsonObject.Create(CompactJson.Freeze(Element(json.ToJsonString()), dropManagedFields: true))!;

        Assert.False(frozen["metadata"]!.AsObject().ContainsKey("managedFields"));
        Assert.Equal("[1,true]", frozen["spec"]!["managedFields"]!.ToJsonString());
        // kubectl's last-applied annotation stays: a reconciler that updates the object must not erase it.
        Assert.Equal("""{"kind":"Deployment"}""", frozen["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]!.GetValue<string>());
        json["metadata"]!.AsObject().Remove("managedFields");
        Assert.True(JsonNode.DeepEquals(json, frozen));
        // Without the flag they stay.
        Assert.True(JsonObject.Create(CompactJson.Freeze(Element(Deployment)))!["metadata"]!.AsObject().ContainsKey("managedFields"));
    }

    [Fact]
    public void Freeze_names_the_kind_of_a_list_item_that_omits_it()
    {
        var frozen = CompactJson.Freeze(Element("""{"metadata":{"name":"a"},"data":{"k":"v"}}"""), "v1", "ConfigMap");
        Assert.Equal("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v"}}""", frozen.GetRawText());
        var kept = CompactJson.Freeze(Element("""{"kind":"Other","metadata":{"name":"a"}}"""), "v1", "ConfigMap");
        Assert.Equal("""{"kind":"Other","metadata":{"name":"a"}}""", kept.GetRawText());
    }

    [Fact]
    public void Freeze_rejects_what_is_not_an_object() =>
        Assert.Throws<ArgumentException>(() => CompactJson.Freeze(Element("[1,2]")));

    [Fact]
    public void A_frozen_entry_hands_out_one_view_while_it_is_held_and_a_fresh_equal_one_after()
    {
        var frozen = CompactJson.Freeze(Element(Deployment));
        var entry = NewFrozenEntry(frozen);
        Assert.True(entry.IsFrozen);
        SameViewWhileHeld(entry);

        // Once no reader holds the view, the entry is back to its JSON alone; the next read is an equal new view.
        var weak = DropViewsAndCollect(entry);
        Assert.False(IsAlive(weak));
        var next = entry.Object;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Deployment), next));
        Assert.Equal("default/rev-1-deployment", entry.Key);

        // An entry made from an object holds that object.
        var plain = JsonNode.Parse(Deployment)!.AsObject();
        var held = new CacheEntry<JsonObject>(plain, ObjectHeader.From(plain));
        Assert.False(held.IsFrozen);
        Assert.Same(plain, held.Object);
        // Frozen JSON is for dynamic objects only.
        Assert.Throws<InvalidOperationException>(() => new CacheEntry<string>(frozen, null, ObjectHeader.From(plain)));
    }

    // Not inlined: in a debug build a local of the test method would hold the view until the method returns.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void SameViewWhileHeld(CacheEntry<JsonObject> entry)
    {
        var first = entry.Object;
        Assert.Same(first, entry.Object);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Deployment), first));
    }

    [Fact]
    public void Headers_read_through_a_pool_share_repeated_strings_and_keep_every_value()
    {
        var pool = new StringPool();
        var a = ObjectHeader.From(Element(Deployment), pool);
        var b = ObjectHeader.From(Element(Deployment.Replace("rev-1", "rev-2", StringComparison.Ordinal)), pool);
        Assert.Same(a.Labels.Keys.First(k => k == "app"), b.Labels.Keys.First(k => k == "app"));
        Assert.Same(a.Namespace, b.Namespace);
        Assert.Same(a.OwnerReferences[0].Kind, b.OwnerReferences[0].Kind);
        Assert.Equal("rev-2", b.Labels["app"]);
        Assert.Equal("rev-2-deployment", b.Name);
        // The same values as without a pool.
        var plain = ObjectHeader.From(Element(Deployment));
        Assert.Equal(plain.Labels, a.Labels);
        Assert.Equal(plain.OwnerReferences, a.OwnerReferences);
        Assert.Equal((plain.Key, plain.Generation, plain.Uid), (a.Key, a.Generation, a.Uid));
    }

    private static CacheEntry<JsonObject> NewFrozenEntry(JsonElement frozen) => new(frozen, null, ObjectHeader.From(frozen));

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference<JsonObject> DropViewsAndCollect(CacheEntry<JsonObject> entry)
    {
        var weak = ViewOf(entry);
        for (var i = 0; i < 3 && IsAlive(weak); i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
            GC.WaitForPendingFinalizers();
        }
        return weak;
    }

    // Not inlined, for the same reason: TryGetTarget's result would stay in a hidden local of the caller.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static bool IsAlive(WeakReference<JsonObject> weak) => weak.TryGetTarget(out _);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference<JsonObject> ViewOf(CacheEntry<JsonObject> entry) => new(entry.Object);

    // ---- against an API server: what the informer caches and what a plain read returns ----

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

    private static JsonObject WidgetWithManagedFields(string name, int size)
    {
        var w = Objects.Widget("default", name);
        w["metadata"]!["labels"] = new JsonObject { ["app"] = name, ["tier"] = "web" };
        w["metadata"]!["managedFields"] = new JsonArray(new JsonObject { ["manager"] = "kubectl", ["operation"] = "Update", ["fieldsV1"] = new JsonObject { ["f:spec"] = new JsonObject() } });
        w["spec"]!["size"] = size;
        return w;
    }

    [Fact]
    public async Task Dynamic_informer_caches_objects_without_managedFields_and_plain_reads_keep_them()
    {
        _server.Put("example.dev/v1", "widgets", WidgetWithManagedFields("one", 1));
        var informer = new SharedInformer<JsonObject>(_client.Dynamic(Objects.Widgets));
        var run = Task.Run(() => informer.RunAsync(_stop.Token));
        await informer.WaitForSyncAsync(_stop.Token);

        Assert.True(informer.Indexer.Get("default/one")!.IsFrozen);
        var listed = informer.Lister.Get("default", "one")!;
        Assert.False(listed["metadata"]!.AsObject().ContainsKey("managedFields"));
        Assert.Equal(1, listed["spec"]!["size"]!.GetValue<int>());
        Assert.Equal("web", listed["metadata"]!["labels"]!["tier"]!.GetValue<string>());

        // Watch events are kept the same way.
        await _client.Dynamic(Objects.Widgets).CreateAsync(WidgetWithManagedFields("two", 2));
        await Eventually.HoldsAsync(() => informer.Lister.Get("default", "two") is not null, "watched add");
        var watched = informer.Lister.Get("default", "two")!;
        Assert.False(watched["metadata"]!.AsObject().ContainsKey("managedFields"));
        Assert.Equal(2, watched["spec"]!["size"]!.GetValue<long>());
        Assert.True(informer.Indexer.Get("default/two")!.IsFrozen);
        Assert.Equal("web", watched["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.Equal(["default/one", "default/two"], informer.Indexer.ByIndex(Indexer<JsonObject>.LabelIndex, "tier=web").Select(e => e.Key).Order());
        // Their headers share the strings that repeat (label keys and values, namespace).
        var (h1, h2) = (informer.Indexer.Get("default/one")!.Header, informer.Indexer.Get("default/two")!.Header);
        Assert.Same(h1.Labels["tier"], h2.Labels["tier"]);
        Assert.Same(h1.Labels.Keys.First(k => k == "tier"), h2.Labels.Keys.First(k => k == "tier"));
        Assert.Same(h1.Namespace, h2.Namespace);

        // A read outside the cache returns the object as the server has it.
        var read = (await _client.Dynamic(Objects.Widgets).ListAllAsync("default")).Items.Single(o => (string?)o["metadata"]!["name"] == "one");
        Assert.True(read["metadata"]!.AsObject().ContainsKey("managedFields"));

        // The memory report counts what each informer caches, after a full collection.
        var report = MemoryReport.Collect([informer]);
        var counted = Assert.Single(report.Informers);
        Assert.Equal("widgets.example.dev", counted.Resource);
        Assert.Equal(nameof(JsonObject), counted.ObjectType);
        Assert.Equal(2, counted.Objects);
        Assert.True(report.After.GcHeapBytes > 0);
        Assert.Contains("\"afterFullCompactingGc\"", report.ToJson(), StringComparison.Ordinal);
        _stop.Cancel();
        await run;
    }
}
