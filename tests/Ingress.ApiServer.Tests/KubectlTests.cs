using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Ingress.ApiServer.Tests;

/// <summary>The real kubectl against the embedded server. One server for the class; each test uses its own names.</summary>
public sealed class KubectlTests(TestServer server) : IClassFixture<TestServer>
{
    private static string KsvcYaml(string name, string image, string env = "1") => $"""
        apiVersion: serving.knative.dev/v1
        kind: Service
        metadata:
          name: {name}
        spec:
          template:
            spec:
              containers:
              - image: {image}
                env:
                - name: A
                  value: "{env}"
        """;

    private static string ConfigMapYaml(string name, string a, string b) => $"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {name}
        data:
          a: "{a}"
          b: "{b}"
        """;

    private async Task<string> Ok(string args, string? stdin = null, IDictionary<string, string>? env = null)
    {
        var (code, stdout, stderr) = await server.KubectlAsync(args, stdin, env);
        Assert.True(code == 0, $"kubectl {args} failed ({code}): {stderr}\n{stdout}");
        return stdout;
    }

    [Fact]
    public async Task ApplyCreatesKsvcThenUpdatesItWithMergePatch()
    {
        var file = server.WriteFile("apply-ksvc.yaml", KsvcYaml("apply-ksvc", "example/one"));
        Assert.Contains("service.serving.knative.dev/apply-ksvc created", await Ok($"apply -f {file}"));
        server.WriteFile("apply-ksvc.yaml", KsvcYaml("apply-ksvc", "example/two"));
        Assert.Contains("service.serving.knative.dev/apply-ksvc configured", await Ok($"apply -f {file}"));
        Assert.Contains("unchanged", await Ok($"apply -f {file}"));

        var (code, body) = await server.GetAsync(TestServer.Ksvc + "/apply-ksvc");
        Assert.Equal(200, code);
        Assert.Equal("example/two", body["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.ToString());
        Assert.Equal(2, body["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal("true", body["metadata"]!["annotations"]!["test.dev/defaulted"]!.ToString());
    }

    [Fact]
    public async Task ApplyUpdatesConfigMapWithStrategicMergePatch()
    {
        var file = server.WriteFile("apply-cm.yaml", ConfigMapYaml("apply-cm", "1", "2"));
        Assert.Contains("configmap/apply-cm created", await Ok($"apply -f {file}"));
        server.WriteFile("apply-cm.yaml", ConfigMapYaml("apply-cm", "1", "3"));
        Assert.Contains("configmap/apply-cm configured", await Ok($"apply -f {file}"));
        var (_, body) = await server.GetAsync(TestServer.ConfigMaps + "/apply-cm");
        Assert.Equal("3", body["data"]!["b"]!.ToString());
        Assert.Equal("1", body["data"]!["a"]!.ToString());
    }

    [Fact]
    public async Task ServerSideApplyCreatesUpdatesAndRecordsTheManager()
    {
        var file = server.WriteFile("ssa-cm.yaml", ConfigMapYaml("ssa-cm", "1", "2"));
        Assert.Contains("configmap/ssa-cm serverside-applied", await Ok($"apply --server-side -f {file}"));
        server.WriteFile("ssa-cm.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: ssa-cm
            data:
              a: "5"
            """);
        await Ok($"apply --server-side -f {file}");
        var (_, body) = await server.GetAsync(TestServer.ConfigMaps + "/ssa-cm");
        Assert.Equal("5", body["data"]!["a"]!.ToString());
        // b was applied before by the same manager and is no longer in its configuration: removed.
        Assert.Null(body["data"]!["b"]);
        var managers = body["metadata"]!["managedFields"]!.AsArray().Select(e => e!["manager"]!.ToString()).ToList();
        Assert.Contains("kubectl", managers);
    }

    [Fact]
    public async Task GetPrintsTablesYamlJsonAndResolvesShortNamesAndCategories()
    {
        await Ok("apply -f -", KsvcYaml("get-ksvc", "example/get"));
        var (_, _) = await server.PatchAsync(TestServer.Ksvc + "/get-ksvc/status",
            JsonNode.Parse("""{"status":{"url":"http://get-ksvc.default.example.com","conditions":[{"type":"Ready","status":"True","reason":"Fine"}]}}""")!);
        var table = await Ok("get ksvc get-ksvc");
        Assert.Matches(@"NAME\s+URL\s+READY\s+REASON", table);
        Assert.Matches(@"get-ksvc\s+http://get-ksvc.default.example.com\s+True\s+Fine", table);
        var yaml = await Ok("get kservice get-ksvc -o yaml");
        Assert.Contains("kind: Service", yaml);
        Assert.Contains("image: example/get", yaml);
        var json = JsonNode.Parse(await Ok("get ksvc get-ksvc -o json"))!;
        Assert.Equal("serving.knative.dev/v1", json["apiVersion"]!.ToString());
        Assert.Contains("service.serving.knative.dev/get-ksvc", await Ok("get all"));
        Assert.Matches(@"kube-system\s+Active", await Ok("get namespaces"));
    }

    [Fact]
    public async Task GetWatchPrintsChanges()
    {
        await Ok("apply -f -", KsvcYaml("watch-ksvc", "example/w"));
        var psi = server.KubectlStartInfo("get ksvc watch-ksvc -w -o jsonpath={.metadata.name}/{.metadata.labels.color}{\"\\n\"}");
        using var p = Process.Start(psi)!;
        var lines = new List<string>();
        var modified = new TaskCompletionSource();
        p.OutputDataReceived += (_, e) => { if (e.Data is null) return; lock (lines) lines.Add(e.Data); if (e.Data == "watch-ksvc/blue") modified.TrySetResult(); };
        p.BeginOutputReadLine();
        try
        {
            await TestServer.Eventually(() => { lock (lines) return Task.FromResult(lines.Count > 0); }, "initial watch line");
            await Ok("label ksvc watch-ksvc color=blue");
            await modified.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally { p.Kill(true); }
        lock (lines) Assert.Equal("watch-ksvc/", lines[0]);
    }

    [Fact]
    public async Task WaitForConditionReadyReturnsOnceStatusIsSet()
    {
        await Ok("apply -f -", KsvcYaml("wait-ksvc", "example/wait"));
        var wait = server.KubectlAsync("wait --for=condition=Ready ksvc/wait-ksvc --timeout=60s");
        await Task.Delay(500);
        var (_, current) = await server.GetAsync(TestServer.Ksvc + "/wait-ksvc");
        var status = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["observedGeneration"] = current["metadata"]!["generation"]!.GetValue<long>(),
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }),
            },
        };
        Assert.Equal(200, (await server.PatchAsync(TestServer.Ksvc + "/wait-ksvc/status", status)).Code);
        var (code, stdout, stderr) = await wait;
        Assert.True(code == 0, stderr);
        Assert.Contains("condition met", stdout);
    }

    [Fact]
    public async Task PatchWithMergeAndJsonTypes()
    {
        await Ok("apply -f -", KsvcYaml("patch-ksvc", "example/p"));
        await Ok("""patch ksvc patch-ksvc --type merge -p '{"metadata":{"labels":{"a":"1"}}}'""");
        await Ok("""patch ksvc patch-ksvc --type json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"example/q"}]'""");
        var (_, body) = await server.GetAsync(TestServer.Ksvc + "/patch-ksvc");
        Assert.Equal("1", body["metadata"]!["labels"]!["a"]!.ToString());
        Assert.Equal("example/q", body["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.ToString());
        // Strategic merge patch is refused for custom resources, as the real server does.
        var (code, _, err) = await server.KubectlAsync("""patch ksvc patch-ksvc -p '{"metadata":{"labels":{"b":"2"}}}'""");
        Assert.NotEqual(0, code);
        Assert.Contains("application/strategic-merge-patch+json is not supported", err);
    }

    [Fact]
    public async Task EditWithAScriptedEditor()
    {
        await Ok("apply -f -", KsvcYaml("edit-ksvc", "example/before"));
        var editor = server.WriteFile("editor.sh", "#!/bin/sh\nsed -i 's#example/before#example/after#' \"$1\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(editor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Contains("edited", await Ok("edit ksvc edit-ksvc", env: new Dictionary<string, string> { ["KUBE_EDITOR"] = editor }));
        var (_, body) = await server.GetAsync(TestServer.Ksvc + "/edit-ksvc");
        Assert.Equal("example/after", body["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.ToString());
    }

    [Fact]
    public async Task DescribePrintsTheObject()
    {
        await Ok("apply -f -", KsvcYaml("describe-ksvc", "example/d"));
        var text = await Ok("describe ksvc describe-ksvc");
        Assert.Contains("Name:", text);
        Assert.Contains("describe-ksvc", text);
        Assert.Contains("example/d", text);
    }

    [Fact]
    public async Task DeleteCascadesToOwnedChildren()
    {
        await Ok("apply -f -", KsvcYaml("owner-ksvc", "example/o"));
        var (_, owner) = await server.GetAsync(TestServer.Ksvc + "/owner-ksvc");
        var child = TestServer.ConfigMapObject("owned-cm", ("k", "v"));
        child["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject
        {
            ["apiVersion"] = "serving.knative.dev/v1", ["kind"] = "Service", ["name"] = "owner-ksvc",
            ["uid"] = owner["metadata"]!["uid"]!.ToString(), ["controller"] = true,
        });
        Assert.Equal(201, (await server.PostAsync(TestServer.ConfigMaps, child)).Code);
        Assert.Contains("deleted", await Ok("delete ksvc owner-ksvc"));
        await TestServer.Eventually(async () => (await server.GetAsync(TestServer.ConfigMaps + "/owned-cm")).Code == 404, "owned ConfigMap collected");
    }

    [Fact]
    public async Task ApiResourcesListsKindsWithShortNames()
    {
        var text = await Ok("api-resources");
        Assert.Matches(@"services\s+kservice,ksvc\s+serving.knative.dev/v1\s+true\s+Service", text);
        Assert.Matches(@"configmaps\s+cm\s+v1\s+true\s+ConfigMap", text);
        Assert.Matches(@"deployments\s+deploy\s+apps/v1\s+true\s+Deployment", text);
    }

    [Fact]
    public async Task AdmissionDenialIsPrintedByApply()
    {
        var (code, _, err) = await server.KubectlAsync("apply -f -", KsvcYaml("invalid-ksvc", "invalid"));
        Assert.NotEqual(0, code);
        Assert.Contains("admission webhook \"validation.webhook.serving.knative.dev\" denied the request: validation failed", err);
        Assert.Equal(404, (await server.GetAsync(TestServer.Ksvc + "/invalid-ksvc")).Code);
    }

    [Fact]
    public async Task CreateAndGetMissingReportNotFoundAndAlreadyExists()
    {
        await Ok("create -f -", KsvcYaml("create-ksvc", "example/c"));
        var (code, _, err) = await server.KubectlAsync("create -f -", KsvcYaml("create-ksvc", "example/c"));
        Assert.NotEqual(0, code);
        Assert.Contains("AlreadyExists", err);
        (code, _, err) = await server.KubectlAsync("get ksvc nothere");
        Assert.NotEqual(0, code);
        Assert.Contains("services.serving.knative.dev \"nothere\" not found", err);
    }

    [Theory]
    [InlineData("kubectl")]
    [InlineData("/usr/lib/google-cloud-sdk/bin/kubectl.1.33")]
    [InlineData("/usr/lib/google-cloud-sdk/bin/kubectl.1.27")]
    public async Task CreateBuiltInKindsWithEveryKubectl(string binary)
    {
        // kubectl 1.32 and later send these as protobuf; older ones as JSON.
        var suffix = binary == "kubectl" ? "default" : binary[^2..];
        foreach (var args in new[]
                 {
                     $"create configmap pb-{suffix} --from-literal=a=1 --from-literal=b=2",
                     $"create secret generic pb-{suffix} --from-literal=token=s3cret",
                     $"create namespace pb-{suffix}",
                     $"create serviceaccount pb-{suffix}",
                 })
        {
            var (code, _, err) = await server.KubectlAsync(args, binary: binary);
            Assert.True(code == 0, $"{binary} {args}: {err}");
        }
        var (_, cm) = await server.GetAsync($"{TestServer.ConfigMaps}/pb-{suffix}");
        Assert.Equal("""{"a":"1","b":"2"}""", cm["data"]!.ToJsonString());
        Assert.Null(cm["metadata"]!["generateName"]);
        var (_, secret) = await server.GetAsync($"/api/v1/namespaces/default/secrets/pb-{suffix}");
        Assert.Equal(Convert.ToBase64String("s3cret"u8.ToArray()), secret["data"]!["token"]!.ToString());
        Assert.Equal(200, (await server.GetAsync($"/api/v1/namespaces/pb-{suffix}")).Code);
        var (getCode, text, getErr) = await server.KubectlAsync($"get configmap pb-{suffix} -o jsonpath={{.data.b}}", binary: binary);
        Assert.True(getCode == 0, getErr);
        Assert.Equal("2", text);
    }

    [Theory]
    [InlineData("/usr/lib/google-cloud-sdk/bin/kubectl.1.27")]
    [InlineData("/usr/lib/google-cloud-sdk/bin/kubectl.1.30")]
    public async Task ApplyWithOlderKubectlNeedsNoExtraFlags(string binary)
    {
        var v = binary[^2..];
        var ksvc = server.WriteFile($"old-{v}.yaml", KsvcYaml($"old-{v}", "example/1"));
        var cm = server.WriteFile($"old-cm-{v}.yaml", ConfigMapYaml($"old-cm-{v}", "1", "2"));
        foreach (var (file, edit) in new[] { (ksvc, (Action)(() => File.WriteAllText(ksvc, KsvcYaml($"old-{v}", "example/2")))), (cm, () => File.WriteAllText(cm, ConfigMapYaml($"old-cm-{v}", "1", "9"))) })
        {
            var (code, _, err) = await server.KubectlAsync($"apply -f {file}", binary: binary);
            Assert.True(code == 0, err);
            edit();
            (code, var stdout, err) = await server.KubectlAsync($"apply -f {file}", binary: binary);
            Assert.True(code == 0, err);
            Assert.Contains("configured", stdout);
        }
        Assert.Equal("example/2", (await server.GetAsync($"{TestServer.Ksvc}/old-{v}")).Body["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.ToString());
        Assert.Equal("9", (await server.GetAsync($"{TestServer.ConfigMaps}/old-cm-{v}")).Body["data"]!["b"]!.ToString());
    }
}
