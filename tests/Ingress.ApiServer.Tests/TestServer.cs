using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Ingress.ApiServer.Admission;
using YamlDotNet.RepresentationModel;

namespace Ingress.ApiServer.Tests;

/// <summary>An in-process server on an ephemeral port with the test Knative Service CRD preloaded and a
/// small admission hook, plus helpers to call it over HTTP and to run the real kubectl against it.</summary>
public sealed class TestServer : IAsyncLifetime
{
    public ApiServerHost Host { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public string TempDir { get; } = Directory.CreateTempSubdirectory("apiserver-test-").FullName;
    private int _cacheCounter;

    public ApiServerOptions Options { get; init; } = new();

    public async Task InitializeAsync()
    {
        Host = new ApiServerHost(Options);
        Host.PreloadCustomResourceDefinitions([LoadYaml("testdata/ksvc-crd.yaml")]);
        Host.AddAdmissionHook(new TestKsvcHook());
        await Host.StartAsync();
        Http = new HttpClient { BaseAddress = Host.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        try { Directory.Delete(TempDir, true); } catch (IOException) { }
    }

    public static JsonObject LoadYaml(string path) => YamlJson(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, path)));

    public static JsonObject YamlJson(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (JsonObject)Convert(stream.Documents[0].RootNode)!;
        static JsonNode? Convert(YamlNode n) => n switch
        {
            YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, Convert(kv.Value)))),
            YamlSequenceNode s => new JsonArray(s.Children.Select(Convert).ToArray()),
            YamlScalarNode sc => sc.Value is "true" or "false" && sc.Style == YamlDotNet.Core.ScalarStyle.Plain ? JsonValue.Create(sc.Value == "true") : JsonValue.Create(sc.Value),
            _ => null,
        };
    }

    public const string Ksvc = "/apis/serving.knative.dev/v1/namespaces/default/services";
    public const string ConfigMaps = "/api/v1/namespaces/default/configmaps";

    public static JsonObject KsvcObject(string name, string image = "example/hello") => new()
    {
        ["apiVersion"] = "serving.knative.dev/v1", ["kind"] = "Service",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["image"] = image }) } } },
    };

    public static JsonObject ConfigMapObject(string name, params (string Key, string Value)[] data) => new()
    {
        ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = name },
        ["data"] = new JsonObject(data.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)JsonValue.Create(d.Value)))),
    };

    public async Task<(int Code, JsonObject Body)> SendAsync(HttpMethod method, string path, JsonNode? body = null, string contentType = "application/json", string? accept = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, contentType);
        if (body is not null) request.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!.AsObject());
    }

    public Task<(int Code, JsonObject Body)> GetAsync(string path, string? accept = null) => SendAsync(HttpMethod.Get, path, accept: accept);
    public Task<(int Code, JsonObject Body)> PostAsync(string path, JsonNode body) => SendAsync(HttpMethod.Post, path, body);
    public Task<(int Code, JsonObject Body)> PutAsync(string path, JsonNode body) => SendAsync(HttpMethod.Put, path, body);
    public Task<(int Code, JsonObject Body)> PatchAsync(string path, JsonNode body, string type = "application/merge-patch+json") => SendAsync(HttpMethod.Patch, path, body, type);
    public Task<(int Code, JsonObject Body)> DeleteAsync(string path, JsonNode? body = null) => SendAsync(HttpMethod.Delete, path, body);

    /// <summary>Runs the real kubectl with a fresh discovery cache directory and a kubeconfig pointing here.</summary>
    public async Task<(int Code, string Out, string Err)> KubectlAsync(string args, string? stdin = null, IDictionary<string, string>? env = null, string? binary = null)
    {
        var psi = KubectlStartInfo(args, env, binary);
        psi.RedirectStandardInput = stdin is not null;
        using var p = Process.Start(psi)!;
        if (stdin is not null) { await p.StandardInput.WriteAsync(stdin); p.StandardInput.Close(); }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(true); throw new TimeoutException($"kubectl {args} did not finish: {await stdout} {await stderr}"); }
        return (p.ExitCode, await stdout, await stderr);
    }

    public ProcessStartInfo KubectlStartInfo(string args, IDictionary<string, string>? env = null, string? binary = null)
    {
        var cache = Path.Combine(TempDir, "cache-" + Interlocked.Increment(ref _cacheCounter));
        var kubeconfig = Path.Combine(TempDir, "kubeconfig");
        if (!File.Exists(kubeconfig))
            File.WriteAllText(kubeconfig, $"""
                apiVersion: v1
                kind: Config
                clusters:
                - name: test
                  cluster:
                    server: {Host.BaseUri.ToString().TrimEnd('/')}
                contexts:
                - name: test
                  context:
                    cluster: test
                    namespace: default
                current-context: test
                users: []
                """);
        var psi = new ProcessStartInfo(binary ?? "kubectl")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = TempDir,
        };
        psi.ArgumentList.Add("--cache-dir");
        psi.ArgumentList.Add(cache);
        foreach (var a in SplitArgs(args)) psi.ArgumentList.Add(a);
        psi.Environment["KUBECONFIG"] = kubeconfig;
        psi.Environment["HOME"] = TempDir;
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }

    /// <summary>Splits on spaces; single quotes group (as in a shell), so JSON patches can be passed.</summary>
    private static List<string> SplitArgs(string args)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in args)
        {
            if (c == '\'' ) { quoted = !quoted; any = true; continue; }
            if (c == ' ' && !quoted) { if (any) result.Add(current.ToString()); current.Clear(); any = false; continue; }
            current.Append(c);
            any = true;
        }
        if (any) result.Add(current.ToString());
        return result;
    }

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(TempDir, name);
        File.WriteAllText(path, content);
        return path;
    }

    public static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail("timed out waiting for " + what);
    }
}

/// <summary>Stands in for Knative's webhook: defaults a label and rejects images named "invalid".</summary>
internal sealed class TestKsvcHook : IAdmissionHook
{
    public string Name => "validation.webhook.serving.knative.dev";
    public bool Handles(string group, string kind) => group == "serving.knative.dev" && kind == "Service";

    public AdmissionResult Mutate(AdmissionRequest request)
    {
        if (request.Operation != AdmissionOperation.Create) return AdmissionResult.Allow;
        var meta = (JsonObject)request.Object["metadata"]!;
        if (meta["annotations"] is not JsonObject a) { a = new JsonObject(); meta["annotations"] = a; }
        a["test.dev/defaulted"] = "true";
        return AdmissionResult.Allow;
    }

    public AdmissionResult Validate(AdmissionRequest request)
    {
        var image = request.Object["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"]?.ToString();
        return image == "invalid"
            ? AdmissionResult.Deny("validation failed: invalid value: invalid: spec.template.spec.containers[0].image")
            : AdmissionResult.Allow;
    }
}
