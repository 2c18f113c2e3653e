using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using KnativeService = Ingress.Api.Serving.V1.Service;

namespace Ingress.Kube.Tests;

/// <summary>What keeps the informer cache small: shared strings in typed objects and compact index values.</summary>
public sealed class CacheMemoryTests
{
    private static string Ksvc(int i) => $$$$"""
        {"apiVersion":"serving.knative.dev/v1","kind":"Service",
         "metadata":{"name":"svc-{{{{i}}}}","namespace":"ns-{{{{i % 2}}}}","labels":{"app":"svc-{{{{i}}}}","team":"blue"},
           "annotations":{"serving.knative.dev/creator":"dev@example.com"}},
         "spec":{"template":{"spec":{"containers":[{"image":"registry.example.com/app/svc-{{{{i}}}}:latest","env":[{"name":"LOG_LEVEL","value":"info"},{"name":"ESCAPED","value":"tab\there"}]}]}}},
         "status":{"conditions":[{"type":"Ready","status":"True"}]}}
        """;

    [Fact]
    public void Typed_decode_through_the_pool_shares_equal_strings_and_keeps_every_value()
    {
        // A pool of the test's own: the shared one may start again at any time under other tests' decodes.
        var typeInfo = StringPool.Interning(KubeJson.GetTypeInfo<KnativeService>(), new StringPool());
        var a = System.Text.Json.JsonSerializer.Deserialize(Ksvc(1), typeInfo)!;
        var b = System.Text.Json.JsonSerializer.Deserialize(Ksvc(3), typeInfo)!;

        // Values and dictionary keys repeated across objects are one instance.
        Assert.Same(a.Metadata.Labels!["team"], b.Metadata.Labels!["team"]);
        Assert.Same(a.Metadata.Labels.Keys.First(k => k == "team"), b.Metadata.Labels.Keys.First(k => k == "team"));
        Assert.Same(a.Metadata.Namespace, b.Metadata.Namespace);
        Assert.Same(a.Status!.Conditions![0].Type, b.Status!.Conditions![0].Type);
        var envA = a.Spec!.Template!.Spec!.Containers![0].Env!;
        var envB = b.Spec!.Template!.Spec!.Containers![0].Env!;
        Assert.Same(envA[0].Value, envB[0].Value);
        // Escaped strings are read as usual (not pooled) and stay exact.
        Assert.Equal("tab\there", envA[1].Value);
        // Unique values are exact too, and the result is equal to a plain decode, field for field.
        Assert.Equal("svc-3", b.Metadata.Name);
        Assert.Equal(KubeJson.Serialize(KubeJson.Deserialize<KnativeService>(Ksvc(3))), KubeJson.Serialize(b));
    }

    [Fact]
    public void The_pool_starts_again_when_full_so_unique_values_cannot_grow_it()
    {
        var pool = new StringPool();
        var first = pool.Get("repeated");
        Assert.Same(first, pool.Get("repeated".AsSpan()));
        for (var i = 0; i < StringPool.Capacity; i++) pool.Get($"unique-{i}");
        Assert.True(pool.Count <= StringPool.Capacity);
        // After the restart the value is admitted again; earlier holders keep their instance.
        var again = pool.Get("repeated");
        Assert.Equal(first, again);
        Assert.Same(again, pool.Get("repeated"));
    }

    [Fact]
    public void Index_values_held_by_one_key_and_by_many_answer_the_same()
    {
        var indexer = new Indexer<JsonObject>();
        CacheEntry<JsonObject> Entry(string ns, string name, string app)
        {
            var o = new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["app"] = app } } };
            return new CacheEntry<JsonObject>(o, ObjectHeader.From(o));
        }
        indexer.Upsert(Entry("a", "one", "x"));
        Assert.Equal(["a/one"], indexer.ByIndex(Indexer<JsonObject>.LabelIndex, "app=x").Select(e => e.Key));
        indexer.Upsert(Entry("a", "two", "x"));
        indexer.Upsert(Entry("b", "three", "x"));
        Assert.Equal(["a/one", "a/two", "b/three"], indexer.ByIndex(Indexer<JsonObject>.LabelIndex, "app=x").Select(e => e.Key).Order());
        Assert.Equal(["a/one", "a/two"], indexer.Select("a", LabelSelector.Parse("app=x")).Select(e => e.Key).Order());
        Assert.Equal(["b/three"], indexer.Select("b", null).Select(e => e.Key));

        // Moving an object to another label value and removing others shrinks the sets back to one key, then to none.
        indexer.Upsert(Entry("a", "two", "y"));
        indexer.Remove("b/three");
        Assert.Equal(["a/one"], indexer.ByIndex(Indexer<JsonObject>.LabelIndex, "app=x").Select(e => e.Key));
        Assert.Equal(["a/two"], indexer.Select(null, LabelSelector.Parse("app=y")).Select(e => e.Key));
        indexer.Remove("a/one");
        Assert.Empty(indexer.ByIndex(Indexer<JsonObject>.LabelIndex, "app=x"));
        Assert.Empty(indexer.Select(null, LabelSelector.Parse("app=x")));
        Assert.Empty(indexer.Select("b", null));
        // The entry's key is computed once and shared.
        var e = indexer.Get("a/two")!;
        Assert.Same(e.Key, e.Key);
        Assert.Same(e.Header.Key, e.Header.Key);
    }
}
