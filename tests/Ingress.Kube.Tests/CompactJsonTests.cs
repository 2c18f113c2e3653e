using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Diagnostics;
using Ingress.Kube.Tests.Fixtures;

namespace Ingress.Kube.Tests;

/// <summary>Dynamic objects as informer caches keep them: plain nodes, shared strings, no managedFields.</summary>
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
    public void Holds_every_value_of_the_source_in_order()
    {
        var compact = CompactJson.ToObject(Element(Deployment));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Deployment), compact), compact.ToJsonString());
        Assert.Equal(JsonNode.Parse(Deployment)!.ToJsonString(), compact.ToJsonString());
        Assert.Equal(["apiVersion", "kind", "metadata", "spec", "status"], compact.Select(p => p.Key));
        Assert.Null(compact["spec"]!["template"]!["spec"]!["nodeSelector"]);
        Assert.True(compact["spec"]!["template"]!["spec"]!.AsObject().ContainsKey("nodeSelector"));
        Assert.Empty(compact["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!.AsArray());
    }

    [Fact]
    public void Numbers_and_booleans_convert_as_they_did_on_a_document_backed_object()
    {
        var compact = CompactJson.ToObject(Element(Deployment));
        var view = JsonObject.Create(Element(Deployment))!;
        foreach (var o in new[] { compact, view })
        {
            var spec = o["spec"]!;
            Assert.Equal(3, spec["replicas"]!.GetValue<int>());
            Assert.Equal(3L, spec["replicas"]!.GetValue<long>());
            Assert.Equal(3.0, spec["replicas"]!.GetValue<double>());
            Assert.Equal(3, (int?)spec["replicas"]);
            Assert.False(spec["replicas"]!.AsValue().TryGetValue<string>(out _));
            Assert.Equal(9007199254740993L, spec["big"]!.GetValue<long>());
            Assert.Equal(0.5, spec["ratio"]!.GetValue<double>());
            Assert.False(spec["ratio"]!.AsValue().TryGetValue<int>(out _));
            Assert.Equal(1000.0, spec["exp"]!.GetValue<double>());
            Assert.False(spec["paused"]!.GetValue<bool>());
            Assert.True(o["metadata"]!["ownerReferences"]![0]!["controller"]!.GetValue<bool>());
            Assert.Equal(JsonValueKind.Number, spec["replicas"]!.GetValueKind());
            Assert.Equal(JsonValueKind.False, spec["paused"]!.GetValueKind());
            Assert.Equal("tab\there \u00e9", o["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]![0]!["value"]!.GetValue<string>());
        }
    }

    [Fact]
    public void Strings_are_plain_values_shared_through_the_pool()
    {
        var pool = new StringPool();
        var a = CompactJson.ToObject(Element(Deployment), pool);
        var b = CompactJson.ToObject(Element(Deployment.Replace("rev-1", "rev-2", StringComparison.Ordinal)), pool);
        // Not a view of a document: nothing keeps the source text alive.
        Assert.False(a["metadata"]!["name"]!.AsValue().TryGetValue<JsonElement>(out _));
        Assert.Equal("rev-2-deployment", b["metadata"]!["name"]!.GetValue<string>());
        // Equal keys and short values of two objects are one instance.
        Assert.Same(a["metadata"]!["namespace"]!.GetValue<string>(), b["metadata"]!["namespace"]!.GetValue<string>());
        Assert.Same(a["metadata"]!["labels"]!.AsObject().First().Key, b["metadata"]!["labels"]!.AsObject().First().Key);
        Assert.Same(a["status"]!["conditions"]![0]!["type"]!.GetValue<string>(), b["status"]!["conditions"]![0]!["type"]!.GetValue<string>());
        // Without a pool they are equal, not shared.
        var c = CompactJson.ToObject(Element(Deployment));
        Assert.Equal(a["metadata"]!["namespace"]!.GetValue<string>(), c["metadata"]!["namespace"]!.GetValue<string>());
        Assert.NotSame(a["metadata"]!["namespace"]!.GetValue<string>(), c["metadata"]!["namespace"]!.GetValue<string>());
    }

    [Fact]
    public void Drops_managedFields_of_the_metadata_only_and_keeps_later_numbers_in_place()
    {
        var json = JsonNode.Parse(Deployment)!.AsObject();
        // A managedFields key elsewhere (a spec field of a custom resource) is data, not metadata.
        json["spec"]!["managedFields"] = new JsonArray(1, true);
        var compact = CompactJson.ToObject(Element(json.ToJsonString()), new StringPool(), dropManagedFields: true);

        Assert.False(compact["metadata"]!.AsObject().ContainsKey("managedFields"));
        Assert.Equal(new JsonArray(1, true).ToJsonString(), compact["spec"]!["managedFields"]!.ToJsonString());
        // The numbers and booleans after the dropped subtree are still matched to their own properties.
        Assert.Equal(3, compact["metadata"]!["generation"]!.GetValue<int>());
        Assert.True(compact["metadata"]!["ownerReferences"]![0]!["blockOwnerDeletion"]!.GetValue<bool>());
        Assert.Equal(600, compact["spec"]!["progressDeadlineSeconds"]!.GetValue<int>());
        Assert.Equal(3, compact["status"]!["observedGeneration"]!.GetValue<int>());
        // kubectl's last-applied annotation stays: a reconciler that updates the object must not erase it.
        Assert.Equal("""{"kind":"Deployment"}""", compact["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"]!.GetValue<string>());
        json["metadata"]!.AsObject().Remove("managedFields");
        Assert.True(JsonNode.DeepEquals(json, compact));
    }

    [Fact]
    public void Rejects_what_is_not_an_object() =>
        Assert.Throws<ArgumentException>(() => CompactJson.ToObject(Element("[1,2]")));

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

        var listed = informer.Lister.Get("default", "one")!;
        Assert.False(listed["metadata"]!.AsObject().ContainsKey("managedFields"));
        Assert.Equal(1, listed["spec"]!["size"]!.GetValue<int>());
        Assert.Equal("web", listed["metadata"]!["labels"]!["tier"]!.GetValue<string>());

        // Watch events are decoded the same way, and equal strings of two cached objects are shared.
        await _client.Dynamic(Objects.Widgets).CreateAsync(WidgetWithManagedFields("two", 2));
        await Eventually.HoldsAsync(() => informer.Lister.Get("default", "two") is not null, "watched add");
        var watched = informer.Lister.Get("default", "two")!;
        Assert.False(watched["metadata"]!.AsObject().ContainsKey("managedFields"));
        Assert.Equal(2, watched["spec"]!["size"]!.GetValue<long>());
        Assert.Same(listed["metadata"]!["labels"]!["tier"]!.GetValue<string>(), watched["metadata"]!["labels"]!["tier"]!.GetValue<string>());
        Assert.Same(listed["metadata"]!["labels"]!.AsObject().Last().Key, watched["metadata"]!["labels"]!.AsObject().Last().Key);

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
