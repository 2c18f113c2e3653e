using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Ingress.ApiServer.Tests;

/// <summary>Creates the test CRDs (widgets: a structural schema with three versions; gadgets: conversion
/// strategy Webhook) through the API, once per server.</summary>
public sealed class SchemaServer : IAsyncLifetime
{
    public TestServer Server { get; } = new();

    public async Task InitializeAsync()
    {
        await Server.InitializeAsync();
        await PostYamlAsync(Server, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata/widget-crd.yaml")), 201);
        await PostYamlAsync(Server, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", GadgetCrd, 201);
    }

    public Task DisposeAsync() => Server.DisposeAsync();

    public static async Task<(int Code, JsonObject Body)> PostYamlAsync(TestServer server, string path, string yaml, int? expect = null)
    {
        using var content = new StringContent(yaml, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/yaml");
        using var response = await server.Http.PostAsync(path, content);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        if (expect is { } e) Assert.True((int)response.StatusCode == e, body.ToJsonString());
        return ((int)response.StatusCode, body);
    }

    public const string GadgetCrd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: gadgets.test.dev
        spec:
          group: test.dev
          names: {kind: Gadget, plural: gadgets, singular: gadget}
          scope: Namespaced
          conversion:
            strategy: Webhook
            webhook:
              conversionReviewVersions: [v1]
              clientConfig:
                service: {name: converter, namespace: default}
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
          - name: v2
            served: true
            storage: false
            schema:
              openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
        """;
}

/// <summary>CRD structural schemas (pruning and validation as the real server does them) and version
/// conversion with strategy None, over HTTP and with the real kubectl.</summary>
public sealed class SchemaTests(SchemaServer fixture) : IClassFixture<SchemaServer>
{
    private readonly TestServer _server = fixture.Server;
    private const string Widgets = "/apis/test.dev/v1/namespaces/default/widgets";
    private const string WidgetsBeta = "/apis/test.dev/v1beta1/namespaces/default/widgets";

    private static JsonObject Widget(string name, JsonObject spec, string apiVersion = "test.dev/v1") => new()
    {
        ["apiVersion"] = apiVersion, ["kind"] = "Widget",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = spec,
    };

    private static JsonObject Cause(JsonObject status, string field) =>
        status["details"]!["causes"]!.AsArray().OfType<JsonObject>().Single(c => c["field"]!.ToString() == field);

    [Fact]
    public async Task AValueOfTheWrongTypeIs422WithTheRealServersMessageAndCause()
    {
        var (code, status) = await _server.PostAsync(Widgets, Widget("typed", new JsonObject { ["replicas"] = "three" }));
        Assert.Equal(422, code);
        Assert.Equal("Invalid", status["reason"]!.ToString());
        Assert.Equal("Widget.test.dev \"typed\" is invalid: spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"",
            status["message"]!.ToString());
        Assert.Equal("Widget", status["details"]!["kind"]!.ToString());
        Assert.Equal("test.dev", status["details"]!["group"]!.ToString());
        Assert.Equal("typed", status["details"]!["name"]!.ToString());
        var cause = Cause(status, "spec.replicas");
        Assert.Equal("FieldValueTypeInvalid", cause["reason"]!.ToString());
        Assert.Equal("Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"", cause["message"]!.ToString());
        Assert.Equal(404, (await _server.GetAsync(Widgets + "/typed")).Code);
    }

    [Theory]
    [InlineData("replicas", "1.5", "spec.replicas in body must be of type integer: \"number\"")]
    [InlineData("ratio", "\"half\"", "spec.ratio in body must be of type number: \"string\"")]
    [InlineData("enabled", "\"yes\"", "spec.enabled in body must be of type boolean: \"string\"")]
    [InlineData("name", "7", "spec.name in body must be of type string: \"integer\"")]
    [InlineData("labels", "[\"a\"]", "spec.labels in body must be of type object: \"array\"")]
    [InlineData("tags", "{\"a\":\"b\"}", "spec.tags in body must be of type array: \"object\"")]
    [InlineData("settings", "\"high\"", "spec.settings in body must be of type object: \"string\"")]
    public async Task EachTypeIsChecked(string field, string json, string expected)
    {
        var spec = new JsonObject { ["replicas"] = 1, [field] = JsonNode.Parse(json) };
        var (code, status) = await _server.PostAsync(Widgets, Widget("type-" + field, spec));
        Assert.Equal(422, code);
        Assert.EndsWith(expected, Cause(status, "spec." + field)["message"]!.ToString());
    }

    [Fact]
    public async Task EnumRequiredRangePatternLengthAndItemsAreAllReportedAtOnce()
    {
        var spec = new JsonObject
        {
            ["ratio"] = 0.5, ["mode"] = "medium", ["name"] = "Not-Low", ["tags"] = new JsonArray("a", "b", "c", "d"),
            ["settings"] = new JsonObject { ["level"] = 2 },
        };
        var body = Widget("many", spec);
        body["status"] = new JsonObject(); // dropped on create (status subresource)
        var (code, status) = await _server.PostAsync(Widgets, body);
        Assert.Equal(422, code);
        var message = status["message"]!.ToString();
        Assert.StartsWith("Widget.test.dev \"many\" is invalid: [", message);
        Assert.Equal("FieldValueRequired", Cause(status, "spec.replicas")["reason"]!.ToString());
        Assert.Equal("Required value", Cause(status, "spec.replicas")["message"]!.ToString());
        Assert.Contains("spec.replicas: Required value", message);
        Assert.Equal("FieldValueNotSupported", Cause(status, "spec.mode")["reason"]!.ToString());
        Assert.Equal("Unsupported value: \"medium\": supported values: \"fast\", \"slow\"", Cause(status, "spec.mode")["message"]!.ToString());
        Assert.Equal("FieldValueInvalid", Cause(status, "spec.name")["reason"]!.ToString());
        Assert.Equal("Invalid value: \"Not-Low\": spec.name in body should match '^[a-z]+$'", Cause(status, "spec.name")["message"]!.ToString());
        Assert.Equal("FieldValueTooMany", Cause(status, "spec.tags")["reason"]!.ToString());
        Assert.Equal("Too many: 4: must have at most 3 items", Cause(status, "spec.tags")["message"]!.ToString());

        var (tooBig, big) = await _server.PostAsync(Widgets, Widget("range", new JsonObject { ["replicas"] = 11, ["name"] = "abcdefghij" }));
        Assert.Equal(422, tooBig);
        Assert.Equal("Invalid value: 11: spec.replicas in body should be less than or equal to 10", Cause(big, "spec.replicas")["message"]!.ToString());
        Assert.Equal("FieldValueTooLong", Cause(big, "spec.name")["reason"]!.ToString());
        Assert.Equal("Too long: may not be more than 8 bytes", Cause(big, "spec.name")["message"]!.ToString());
        var (tooSmall, small) = await _server.PostAsync(Widgets, Widget("range", new JsonObject { ["replicas"] = -1 }));
        Assert.Equal(422, tooSmall);
        Assert.Equal("Invalid value: -1: spec.replicas in body should be greater than or equal to 0", Cause(small, "spec.replicas")["message"]!.ToString());
        Assert.Equal(201, (await _server.PostAsync(Widgets, Widget("range", new JsonObject { ["replicas"] = 10, ["name"] = "abcdefgh", ["mode"] = "fast" }))).Code);
    }

    [Fact]
    public async Task UnknownFieldsArePrunedOnCreateAndKeptWhereTheSchemaSaysSo()
    {
        var spec = new JsonObject
        {
            ["replicas"] = 1,
            ["typo"] = "dropped",
            ["port"] = "http",
            ["note"] = null,
            ["ratio"] = null,
            ["labels"] = new JsonObject { ["any-key"] = "kept" },
            ["settings"] = new JsonObject { ["level"] = 3, ["colour"] = "dropped" },
            ["extra"] = new JsonObject { ["free"] = new JsonObject { ["form"] = 1 } },
            ["template"] = new JsonObject
            {
                ["apiVersion"] = "v1", ["kind"] = "Pod",
                ["metadata"] = new JsonObject { ["name"] = "embedded", ["labels"] = new JsonObject { ["a"] = "b" }, ["bogus"] = "dropped" },
                ["spec"] = new JsonObject { ["image"] = "img", ["unknown"] = "dropped" },
                ["other"] = "dropped",
            },
        };
        var body = Widget("pruned", spec);
        body["topLevel"] = "dropped";
        ((JsonObject)body["metadata"]!)["notMeta"] = "dropped";
        var (code, created) = await _server.PostAsync(Widgets, body);
        Assert.Equal(201, code);
        var (_, got) = await _server.GetAsync(Widgets + "/pruned");
        foreach (var o in new[] { created, got })
        {
            var s = o["spec"]!.AsObject();
            Assert.Null(o["topLevel"]);
            Assert.Null(o["metadata"]!["notMeta"]);
            Assert.NotNull(o["metadata"]!["uid"]);
            Assert.False(s.ContainsKey("typo"));
            Assert.Equal("http", s["port"]!.ToString());
            Assert.True(s.ContainsKey("note"), "a nullable null is kept");
            Assert.Null(s["note"]);
            Assert.False(s.ContainsKey("ratio"), "a non-nullable null is dropped");
            Assert.Equal("kept", s["labels"]!["any-key"]!.ToString());
            Assert.Equal("{\"level\":3}", s["settings"]!.ToJsonString());
            Assert.Equal("{\"free\":{\"form\":1}}", s["extra"]!.ToJsonString());
            var t = s["template"]!.AsObject();
            Assert.Equal("v1", t["apiVersion"]!.ToString());
            Assert.Equal("Pod", t["kind"]!.ToString());
            Assert.Equal("{\"name\":\"embedded\",\"labels\":{\"a\":\"b\"}}", t["metadata"]!.ToJsonString());
            Assert.Equal("{\"image\":\"img\"}", t["spec"]!.ToJsonString());
            Assert.Null(t["other"]);
        }
        // int-or-string takes a number too, and nothing else.
        Assert.Equal(201, (await _server.PostAsync(Widgets, Widget("port-number", new JsonObject { ["replicas"] = 1, ["port"] = 8080 }))).Code);
        var (bad, badPort) = await _server.PostAsync(Widgets, Widget("port-bool", new JsonObject { ["replicas"] = 1, ["port"] = true }));
        Assert.Equal(422, bad);
        Assert.Equal("FieldValueTypeInvalid", Cause(badPort, "spec.port")["reason"]!.ToString());
    }

    [Fact]
    public async Task PruningAndValidationApplyToEveryKindOfWrite()
    {
        Assert.Equal(201, (await _server.PostAsync(Widgets, Widget("writes", new JsonObject { ["replicas"] = 1 }))).Code);
        var path = Widgets + "/writes";

        var (merge, merged) = await _server.PatchAsync(path, new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 2, ["viaMerge"] = 1 } });
        Assert.Equal(200, merge);
        Assert.Equal(2, merged["spec"]!["replicas"]!.GetValue<int>());
        Assert.Null(merged["spec"]!["viaMerge"]);

        var (json, jsoned) = await _server.PatchAsync(path, JsonNode.Parse("""[{"op":"add","path":"/spec/viaJsonPatch","value":1},{"op":"replace","path":"/spec/replicas","value":3}]""")!, "application/json-patch+json");
        Assert.Equal(200, json);
        Assert.Equal(3, jsoned["spec"]!["replicas"]!.GetValue<int>());
        Assert.Null(jsoned["spec"]!["viaJsonPatch"]);

        var apply = Widget("writes", new JsonObject { ["replicas"] = 4, ["viaApply"] = 1 });
        var (applyCode, applied) = await _server.SendAsync(HttpMethod.Patch, path + "?fieldManager=test-apply&force=true", apply, "application/apply-patch+yaml");
        Assert.Equal(200, applyCode);
        Assert.Equal(4, applied["spec"]!["replicas"]!.GetValue<int>());
        Assert.Null(applied["spec"]!["viaApply"]);

        var put = (JsonObject)applied.DeepClone();
        put["spec"]!["viaPut"] = 1;
        put["spec"]!["replicas"] = 5;
        var (putCode, replaced) = await _server.PutAsync(path, put);
        Assert.Equal(200, putCode);
        Assert.Equal(5, replaced["spec"]!["replicas"]!.GetValue<int>());
        Assert.Null(replaced["spec"]!["viaPut"]);

        // Each kind of write is validated as well.
        Assert.Equal(422, (await _server.PatchAsync(path, new JsonObject { ["spec"] = new JsonObject { ["replicas"] = "x" } })).Code);
        Assert.Equal(422, (await _server.PatchAsync(path, JsonNode.Parse("""[{"op":"remove","path":"/spec/replicas"}]""")!, "application/json-patch+json")).Code);
        var (badPut, badPutStatus) = await _server.PutAsync(path, Widget("writes", new JsonObject { ["replicas"] = 1, ["mode"] = "warp" }));
        Assert.Equal(422, badPut);
        Assert.Equal("FieldValueNotSupported", Cause(badPutStatus, "spec.mode")["reason"]!.ToString());
        Assert.Equal(5, (await _server.GetAsync(path)).Body["spec"]!["replicas"]!.GetValue<int>());
    }

    [Fact]
    public async Task TheStatusSubresourceIsPrunedAndValidated()
    {
        Assert.Equal(201, (await _server.PostAsync(Widgets, Widget("status", new JsonObject { ["replicas"] = 1 }))).Code);
        var (_, current) = await _server.GetAsync(Widgets + "/status");
        current["status"] = new JsonObject
        {
            ["observedGeneration"] = 1, ["unknownStatus"] = "dropped",
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["extra"] = "dropped" }),
        };
        var (code, updated) = await _server.PutAsync(Widgets + "/status/status", current);
        Assert.Equal(200, code);
        Assert.Equal("""{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True"}]}""", updated["status"]!.ToJsonString());

        var (bad, status) = await _server.PatchAsync(Widgets + "/status/status",
            new JsonObject { ["status"] = new JsonObject { ["observedGeneration"] = "one", ["conditions"] = new JsonArray(new JsonObject { ["status"] = "True" }) } });
        Assert.Equal(422, bad);
        Assert.Equal("FieldValueTypeInvalid", Cause(status, "status.observedGeneration")["reason"]!.ToString());
        Assert.Equal("FieldValueRequired", Cause(status, "status.conditions[0].type")["reason"]!.ToString());
    }

    [Fact]
    public async Task UnchangedInvalidValuesStayWritableAfterTheSchemaTightens()
    {
        // A CRD of its own, so tightening its schema does not affect the other tests.
        var crd = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata/widget-crd.yaml"))
            .Replace("widgets.test.dev", "ratchets.test.dev").Replace("kind: Widget", "kind: Ratchet")
            .Replace("plural: widgets", "plural: ratchets").Replace("singular: widget", "singular: ratchet");
        await SchemaServer.PostYamlAsync(_server, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd, 201);
        const string ratchets = "/apis/test.dev/v1/namespaces/default/ratchets";
        var (created, _) = await _server.PostAsync(ratchets, new JsonObject
        {
            ["apiVersion"] = "test.dev/v1", ["kind"] = "Ratchet", ["metadata"] = new JsonObject { ["name"] = "r" },
            ["spec"] = new JsonObject { ["replicas"] = 9, ["name"] = "abcdefgh" },
        });
        Assert.Equal(201, created);
        var (_, stored) = await _server.GetAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ratchets.test.dev");
        foreach (var v in stored["spec"]!["versions"]!.AsArray())
        {
            var spec = v!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!["properties"]!;
            spec["replicas"]!["maximum"] = 5;
            spec["name"]!["maxLength"] = 4;
        }
        Assert.Equal(200, (await _server.PutAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ratchets.test.dev", stored)).Code);

        // Unchanged values that the new schema rejects do not block other changes...
        var (ok, patched) = await _server.PatchAsync(ratchets + "/r", new JsonObject { ["spec"] = new JsonObject { ["mode"] = "slow" } });
        Assert.Equal(200, ok);
        Assert.Equal("slow", patched["spec"]!["mode"]!.ToString());
        // ...but a changed value is checked against the new schema.
        var (bad, status) = await _server.PatchAsync(ratchets + "/r", new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 8 } });
        Assert.Equal(422, bad);
        Assert.Equal("Invalid value: 8: spec.replicas in body should be less than or equal to 5", Cause(status, "spec.replicas")["message"]!.ToString());
    }

    [Fact]
    public async Task ObjectsAreStoredAtTheStorageVersionAndServedAtEveryServedVersion()
    {
        var (code, created) = await _server.PostAsync(WidgetsBeta, Widget("versions", new JsonObject { ["replicas"] = 1, ["typo"] = 1 }, "test.dev/v1beta1"));
        Assert.Equal(201, code);
        Assert.Equal("test.dev/v1beta1", created["apiVersion"]!.ToString());
        Assert.Null(created["spec"]!["typo"]);
        Assert.Equal("test.dev/v1", (await _server.GetAsync(Widgets + "/versions")).Body["apiVersion"]!.ToString());
        Assert.Equal("test.dev/v1beta1", (await _server.GetAsync(WidgetsBeta + "/versions")).Body["apiVersion"]!.ToString());

        // Stored at v1: the v1 list reports it as v1, the v1beta1 list as v1beta1.
        var (_, v1List) = await _server.GetAsync(Widgets + "?fieldSelector=metadata.name=versions");
        Assert.Equal("test.dev/v1", v1List["items"]![0]!["apiVersion"]!.ToString());
        var (_, betaList) = await _server.GetAsync(WidgetsBeta + "?fieldSelector=metadata.name=versions");
        Assert.Equal("WidgetList", betaList["kind"]!.ToString());
        Assert.Equal("test.dev/v1beta1", betaList["apiVersion"]!.ToString());
        Assert.Equal("test.dev/v1beta1", betaList["items"]![0]!["apiVersion"]!.ToString());

        // A patch at v1 of an object created at v1beta1 is the same object (no spurious generation bump).
        var (_, patched) = await _server.PatchAsync(Widgets + "/versions", new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["x"] = "y" } } });
        Assert.Equal(1, patched["metadata"]!["generation"]!.GetValue<int>());
        Assert.Equal("test.dev/v1", patched["apiVersion"]!.ToString());

        // A watch at v1beta1 sees v1beta1 objects.
        using var watch = await _server.Http.GetAsync(WidgetsBeta + "?watch=true&fieldSelector=metadata.name=versions&timeoutSeconds=5",
            HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await watch.Content.ReadAsStreamAsync());
        var first = JsonNode.Parse((await reader.ReadLineAsync())!)!;
        Assert.Equal("ADDED", first["type"]!.ToString());
        Assert.Equal("test.dev/v1beta1", first["object"]!["apiVersion"]!.ToString());

        // The CRD records the storage version.
        var (_, crd) = await _server.GetAsync("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.test.dev");
        Assert.Equal("[\"v1\"]", crd["status"]!["storedVersions"]!.ToJsonString());
    }

    [Fact]
    public async Task AVersionThatIsNotServedIsNotFound()
    {
        var (code, status) = await _server.GetAsync("/apis/test.dev/v1alpha1/namespaces/default/widgets");
        Assert.Equal(404, code);
        Assert.Equal("NotFound", status["reason"]!.ToString());
        Assert.Equal(404, (await _server.PostAsync("/apis/test.dev/v1alpha1/namespaces/default/widgets",
            Widget("alpha", new JsonObject { ["replicas"] = 1 }, "test.dev/v1alpha1"))).Code);
        Assert.Equal(404, (await _server.GetAsync("/apis/test.dev/v1alpha1")).Code);
        var (_, group) = await _server.GetAsync("/apis/test.dev");
        var versions = group["versions"]!.AsArray().Select(v => v!["version"]!.ToString()).ToList();
        Assert.Contains("v1", versions);
        Assert.Contains("v1beta1", versions);
        Assert.DoesNotContain("v1alpha1", versions);
    }

    [Fact]
    public async Task AVersionNeedingAConversionWebhookAnswersAClearError()
    {
        const string v1 = "/apis/test.dev/v1/namespaces/default/gadgets";
        const string v2 = "/apis/test.dev/v2/namespaces/default/gadgets";
        var gadget = new JsonObject { ["apiVersion"] = "test.dev/v1", ["kind"] = "Gadget", ["metadata"] = new JsonObject { ["name"] = "g" }, ["spec"] = new JsonObject { ["a"] = 1 } };
        Assert.Equal(201, (await _server.PostAsync(v1, gadget)).Code); // the storage version needs no conversion
        Assert.Equal(200, (await _server.GetAsync(v1 + "/g")).Code);
        foreach (var (code, status) in new[] { await _server.GetAsync(v2 + "/g"), await _server.GetAsync(v2), await _server.PostAsync(v2, gadget) })
        {
            Assert.Equal(500, code);
            Assert.Contains("conversion webhook for test.dev/v1, Kind=Gadget failed: this API server does not call conversion webhooks", status["message"]!.ToString());
        }
    }

    [Fact]
    public async Task ACrdWithTwoStorageVersionsIsRejected()
    {
        var crd = SchemaServer.GadgetCrd.Replace("gadgets", "doubles").Replace("Gadget", "Double").Replace("gadget", "double").Replace("storage: false", "storage: true");
        var (code, status) = await SchemaServer.PostYamlAsync(_server, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
        Assert.Equal(422, code);
        Assert.Contains("must have exactly one version marked as storage version", status["message"]!.ToString());
    }

    [Fact]
    public async Task KubectlPrintsTheSchemaErrorAndServesOtherVersions()
    {
        var bad = _server.WriteFile("bad-widget.yaml", """
            apiVersion: test.dev/v1
            kind: Widget
            metadata:
              name: kubectl-bad
            spec:
              replicas: "3"
              mode: warp
            """);
        var (rc, _, err) = await _server.KubectlAsync($"apply -f {bad}");
        Assert.NotEqual(0, rc);
        Assert.Contains("The Widget \"kubectl-bad\" is invalid", err);
        Assert.Contains("spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"", err);
        Assert.Contains("spec.mode: Unsupported value: \"warp\": supported values: \"fast\", \"slow\"", err);

        var good = _server.WriteFile("good-widget.yaml", """
            apiVersion: test.dev/v1beta1
            kind: Widget
            metadata:
              name: kubectl-good
            spec:
              replicas: 2
            """);
        var (applyRc, applyOut, applyErr) = await _server.KubectlAsync($"apply -f {good}");
        Assert.True(applyRc == 0, applyErr);
        Assert.Contains("widget.test.dev/kubectl-good created", applyOut);
        var (getRc, v1, getErr) = await _server.KubectlAsync("get widgets.v1.test.dev kubectl-good -o jsonpath={.apiVersion}/{.spec.replicas}");
        Assert.True(getRc == 0, getErr);
        Assert.Equal("test.dev/v1/2", v1);
        var (_, beta, _) = await _server.KubectlAsync("get widgets.v1beta1.test.dev kubectl-good -o jsonpath={.apiVersion}");
        Assert.Equal("test.dev/v1beta1", beta);
    }
}
