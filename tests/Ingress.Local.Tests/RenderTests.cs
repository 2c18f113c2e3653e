using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Local.Hosting;

namespace Ingress.Local.Tests;

/// <summary><see cref="Renderer"/> and <see cref="Ingress.ApiServer.ApiServerHost.LoadAsIs"/>.</summary>
public sealed class RenderTests
{
    [Fact]
    public async Task LoadAsIs_keeps_system_metadata_and_status()
    {
        await using var cluster = await EmbeddedCluster.StartAsync();
        var input = Renderer.ReadInputs([EmbeddedCluster.TestData("as-is.yaml")], TextReader.Null).Single();
        cluster.Server.LoadAsIs(input);
        var stored = await cluster.Client.Dynamic(EmbeddedCluster.PodAutoscalers).GetAsync("kept", "kept-00001");
        Assert.Equal("11111111-2222-3333-4444-555555555555", stored.Str("metadata", "uid"));
        Assert.Equal("7", stored.Str("metadata", "generation"));
        Assert.Equal("4242", stored.Str("metadata", "resourceVersion"));
        Assert.Equal("2026-01-02T03:04:05Z", stored.Str("metadata", "deletionTimestamp"));
        Assert.Equal("example.dev/keep", stored["metadata"]!["finalizers"]![0]!.ToString());
        Assert.Equal("99999999-2222-3333-4444-555555555555", stored["metadata"]!["ownerReferences"]![0]!.Str("uid"));
        Assert.Equal("3", stored.Str("status", "desiredScale"));
        Assert.Equal("6", stored.Str("status", "observedGeneration"));
        Assert.False(string.IsNullOrEmpty(stored.Str("metadata", "creationTimestamp")));
        // Later writes are newer than anything loaded.
        Assert.True(cluster.Server.ResourceVersion >= 4242);
        var cm = await cluster.Client.Dynamic(Ingress.Kube.Client.ResourceDescriptor.ConfigMaps).CreateAsync(new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "after", ["namespace"] = "default" },
        });
        Assert.True(long.Parse(cm.Str("metadata", "resourceVersion")!) > 4242);
    }

    [Fact]
    public async Task LoadAsIs_fills_only_a_missing_uid_and_creation_timestamp()
    {
        await using var cluster = await EmbeddedCluster.StartAsync();
        var loaded = cluster.Server.LoadAsIs(new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "bare", ["namespace"] = "default" },
            ["data"] = new JsonObject { ["k"] = "v" },
        });
        Assert.False(string.IsNullOrEmpty(loaded.Str("metadata", "uid")));
        Assert.False(string.IsNullOrEmpty(loaded.Str("metadata", "creationTimestamp")));
        Assert.Null(loaded.Str("metadata", "generation"));
        Assert.Throws<ArgumentException>(() => cluster.Server.LoadAsIs(new JsonObject
        {
            ["apiVersion"] = "example.dev/v1", ["kind"] = "Nothing", ["metadata"] = new JsonObject { ["name"] = "x" },
        }));
    }

    [Fact]
    public async Task Render_runs_the_autoscaler_and_prints_the_store_sorted()
    {
        var inputs = Renderer.ReadInputs([EmbeddedCluster.TestData("pa.yaml")], TextReader.Null);
        var errors = new StringWriter();
        var objects = await Renderer.RenderAsync(inputs, new RenderOptions { Controllers = ControllerNames.Parse("autoscaler") }, errors);
        var ids = objects.Select(o => (o.Str("apiVersion")!, o.Str("kind")!, o.Str("metadata", "namespace") ?? "", o.Str("metadata", "name")!)).ToList();
        Assert.Contains(("networking.internal.knative.dev/v1alpha1", "ServerlessService", "default", "hello-00001"), ids);
        Assert.Contains(("autoscaling.internal.knative.dev/v1alpha1", "PodAutoscaler", "default", "hello-00001"), ids);
        Assert.Contains(("apps/v1", "Deployment", "default", "hello-00001-deployment"), ids);
        Assert.DoesNotContain(ids, i => i.Item2 is "CustomResourceDefinition" or "Event" or "Lease" or "Namespace");
        var sorted = ids.OrderBy(i => i.Item1, StringComparer.Ordinal).ThenBy(i => i.Item2, StringComparer.Ordinal)
            .ThenBy(i => i.Item3, StringComparer.Ordinal).ThenBy(i => i.Item4, StringComparer.Ordinal).ToList();
        Assert.Equal(sorted, ids);
        // The PA was reconciled (status written by the KPA controller).
        var pa = objects.Single(o => o.Str("kind") == "PodAutoscaler");
        Assert.NotNull(pa["status"]?["conditions"]);

        var yaml = Renderer.ToYaml(objects);
        var reparsed = KubeYaml.ParseDocuments(yaml);
        Assert.Equal(ids.Count, reparsed.Count);
        var json = JsonNode.Parse(Renderer.ToJson(objects))!;
        Assert.Equal("List", json.Str("kind"));
        Assert.Equal(ids.Count, json["items"]!.AsArray().Count);
    }

    [Fact]
    public void Unreadable_inputs_are_reported()
    {
        Assert.Contains("no such file", Assert.Throws<RenderInputException>(() => Renderer.ReadInputs(["/nonexistent/x.yaml"], TextReader.Null)).Message, StringComparison.Ordinal);
        Assert.Throws<RenderInputException>(() => Renderer.ReadInputs(["-"], new StringReader("a: [unclosed")));
        Assert.Throws<RenderInputException>(() => Renderer.ReadInputs(["-"], new StringReader("kind: ConfigMap\nmetadata: {name: x}\n")));
        var listed = Renderer.ReadInputs(["-"], new StringReader("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n"));
        Assert.Equal("a", listed.Single().Str("metadata", "name"));
    }

    [Fact]
    public async Task Unknown_kinds_cannot_be_loaded()
    {
        var inputs = Renderer.ReadInputs(["-"], new StringReader("apiVersion: example.dev/v1\nkind: Widget\nmetadata: {name: w}\n"));
        await Assert.ThrowsAsync<RenderInputException>(() => Renderer.RenderAsync(inputs, new RenderOptions(), TextWriter.Null));
    }

    [Fact]
    public void Every_crd_is_embedded()
    {
        var names = Renderer.EmbeddedCrds().Select(c => c.Str("metadata", "name")).ToHashSet();
        Assert.Contains("services.serving.knative.dev", names);
        Assert.Contains("podautoscalers.autoscaling.internal.knative.dev", names);
        Assert.Contains(names, n => n!.EndsWith("networking.istio.io", StringComparison.Ordinal));
    }
}
