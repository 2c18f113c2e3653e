using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Ingress.ApiServer.Admission;
using Ingress.Local.Webhook;

namespace Ingress.Local.Tests;

/// <summary>A defaulting and validating hook of the kind the serving module registers with the embedded API
/// server; the webhook must give the same answers over HTTPS.</summary>
internal sealed class SampleKsvcHook : IAdmissionHook
{
    public string Name => "webhook.serving.knative.dev";
    public bool Handles(string group, string kind) => group == "serving.knative.dev" && kind == "Service";

    public AdmissionResult Mutate(AdmissionRequest request)
    {
        var spec = request.Object["spec"]!["template"]!["spec"]!.AsObject();
        spec.TryAdd("containerConcurrency", 0);
        spec.TryAdd("timeoutSeconds", 300);
        spec["containers"]![0]!.AsObject().TryAdd("name", "user-container");
        var metadata = request.Object["metadata"]!.AsObject();
        if (metadata["annotations"] is not JsonObject annotations) metadata["annotations"] = annotations = [];
        annotations["serving.knative.dev/creator"] = "system:serviceaccount:test";
        annotations.Remove("remove~me/please");
        return AdmissionResult.Allow;
    }

    public AdmissionResult Validate(AdmissionRequest request) =>
        string.IsNullOrEmpty(request.Object["spec"]?["template"]?["spec"]?["containers"]?[0]?["image"]?.GetValue<string>())
            ? AdmissionResult.Deny("validation failed: missing field(s): spec.template.spec.containers[0].image")
            : AdmissionResult.Allow;
}

/// <summary>Config-map validation as the webhook's /config-validation path runs it.</summary>
internal sealed class SampleConfigHook : IAdmissionHook
{
    public string Name => "config.webhook.serving.knative.dev";
    public bool Handles(string group, string kind) => group == "" && kind == "ConfigMap";

    public AdmissionResult Validate(AdmissionRequest request)
    {
        if (request.Object["metadata"]?["name"]?.GetValue<string>() != "config-autoscaler") return AdmissionResult.Allow;
        var window = request.Object["data"]?["stable-window"]?.GetValue<string>();
        return window is null || (window.EndsWith('s') && int.TryParse(window[..^1], out _))
            ? AdmissionResult.Allow
            : AdmissionResult.Deny($"failed to parse data: failed to parse \"stable-window\": time: invalid duration \"{window}\"");
    }
}

public sealed class WebhookTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>, IAsyncLifetime
{
    private static readonly IAdmissionHook[] Hooks = [new SampleKsvcHook(), new SampleConfigHook()];
    private AdmissionWebhookServer _server = null!;

    public async Task InitializeAsync()
    {
        await cluster.InstallAsync();
        _server = new AdmissionWebhookServer(new AdmissionReviewHandler(Hooks),
            new AdmissionWebhookOptions { HttpsPort = 0, ProbePort = 0, BindAddress = IPAddress.Loopback });
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.StopAsync();
        await _server.DisposeAsync();
    }

    private WebhookCertificateManager Manager() => new(cluster.Http, new WebhookCertificateOptions());

    /// <summary>A client that dials the webhook by its Service name (as the API server does), connects to
    /// loopback, and trusts only the given CA: host name and chain are both checked.</summary>
    private HttpClient ClientTrusting(string caPem, Action<X509Certificate2>? seen = null)
    {
        var ca = X509Certificate2.CreateFromPem(caPem);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _server.HttpsPort), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { ca },
                    RevocationMode = X509RevocationMode.NoCheck,
                },
                RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                {
                    if (cert is not null) seen?.Invoke(new X509Certificate2(cert));
                    return errors == SslPolicyErrors.None;
                },
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://webhook.knative-serving.svc:{_server.HttpsPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    private static JsonObject Review(string uid, string group, string kind, string operation, JsonObject? obj, JsonObject? old = null) => new()
    {
        ["apiVersion"] = "admission.k8s.io/v1",
        ["kind"] = "AdmissionReview",
        ["request"] = new JsonObject
        {
            ["uid"] = uid,
            ["kind"] = new JsonObject { ["group"] = group, ["version"] = "v1", ["kind"] = kind },
            ["resource"] = new JsonObject { ["group"] = group, ["version"] = "v1", ["resource"] = kind.ToLowerInvariant() + "s" },
            ["namespace"] = "default",
            ["operation"] = operation,
            ["userInfo"] = new JsonObject { ["username"] = "system:serviceaccount:test" },
            ["object"] = obj,
            ["oldObject"] = old,
            ["dryRun"] = false,
        },
    };

    private static JsonObject Ksvc(string name, string image) => new()
    {
        ["apiVersion"] = "serving.knative.dev/v1",
        ["kind"] = "Service",
        ["metadata"] = new JsonObject
        {
            ["name"] = name, ["namespace"] = "default",
            ["annotations"] = new JsonObject { ["remove~me/please"] = "x", ["keep"] = "y" },
        },
        ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject { ["image"] = image }),
        } } },
    };

    private static async Task<JsonObject> PostAsync(HttpClient client, string path, JsonObject review)
    {
        using var response = await client.PostAsync(path, new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private async Task<WebhookCertificate> ServeWithManagedCertificateAsync()
    {
        var certificate = await Manager().EnsureAsync(DateTimeOffset.UtcNow);
        _server.SetCertificate(certificate.ToServerCertificate());
        return certificate;
    }

    [Fact]
    public async Task CertificateIsWrittenToItsSecretAndTheCaToEveryRegistration()
    {
        var first = await Manager().EnsureAsync(DateTimeOffset.UtcNow);
        var secret = await cluster.GetObjectAsync("v1", "Secret", "knative-serving", "webhook-certs");
        var data = secret!["data"]!.AsObject();
        Assert.Equal(first.CertPem, Encoding.UTF8.GetString(Convert.FromBase64String(data["server-cert.pem"]!.GetValue<string>())));
        Assert.Null(first.RotationReason("webhook", "knative-serving", DateTimeOffset.UtcNow));

        var bundle = Convert.ToBase64String(Encoding.UTF8.GetBytes(first.CaPem));
        foreach (var (kind, name) in new[] { ("MutatingWebhookConfiguration", "webhook.serving.knative.dev"),
                     ("ValidatingWebhookConfiguration", "validation.webhook.serving.knative.dev"),
                     ("ValidatingWebhookConfiguration", "config.webhook.serving.knative.dev") })
        {
            var registration = await cluster.GetObjectAsync("admissionregistration.k8s.io/v1", kind, null, name);
            Assert.Equal(bundle, registration!["webhooks"]![0]!["clientConfig"]!["caBundle"]!.GetValue<string>());
            // The rest of the registration is what the manifests applied.
            Assert.Equal("webhook", registration["webhooks"]![0]!["clientConfig"]!["service"]!["name"]!.GetValue<string>());
        }

        // A second pass (another replica, or a restart) adopts the stored certificate and writes nothing.
        var version = secret["metadata"]!["resourceVersion"]!.GetValue<string>();
        var second = await Manager().EnsureAsync(DateTimeOffset.UtcNow);
        Assert.Equal(first, second);
        var again = await cluster.GetObjectAsync("v1", "Secret", "knative-serving", "webhook-certs");
        Assert.Equal(version, again!["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task CertificateIsRotatedBeforeItExpiresAndServedWithoutRestart()
    {
        // A certificate issued long enough ago that less than RotateBefore is left: still valid, due for rotation.
        var now = DateTimeOffset.UtcNow;
        var before = WebhookCertificate.Create("webhook", "knative-serving", now - WebhookCertificate.Validity + WebhookCertificate.RotateBefore - TimeSpan.FromHours(1));
        var secret = (await cluster.GetObjectAsync("v1", "Secret", "knative-serving", "webhook-certs"))!;
        secret["data"] = new JsonObject(before.ToSecretData().Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        using (var put = await cluster.Http.PutAsync("/api/v1/namespaces/knative-serving/secrets/webhook-certs", new StringContent(secret.ToJsonString(), Encoding.UTF8, "application/json")))
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        Assert.StartsWith("expires at", before.RotationReason("webhook", "knative-serving", now));

        _server.SetCertificate(before.ToServerCertificate());
        var seen = new List<string>();
        using (var client = ClientTrusting(before.CaPem, c => seen.Add(c.Thumbprint)))
            await PostAsync(client, "/defaulting", Review("u-rot-1", "serving.knative.dev", "Service", "CREATE", Ksvc("rot", "example/app")));

        var after = await Manager().EnsureAsync(now);
        Assert.NotEqual(before.CertPem, after.CertPem);
        Assert.Null(after.RotationReason("webhook", "knative-serving", now));
        var registration = await cluster.GetObjectAsync("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", null, "webhook.serving.knative.dev");
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(after.CaPem)), registration!["webhooks"]![0]!["clientConfig"]!["caBundle"]!.GetValue<string>());

        _server.SetCertificate(after.ToServerCertificate());
        using (var client = ClientTrusting(after.CaPem, c => seen.Add(c.Thumbprint)))
            await PostAsync(client, "/defaulting", Review("u-rot-2", "serving.knative.dev", "Service", "CREATE", Ksvc("rot", "example/app")));
        Assert.Equal(2, seen.Distinct().Count());

        // A client that still trusts only the old CA is refused the new certificate.
        using var stale = ClientTrusting(before.CaPem);
        await Assert.ThrowsAsync<HttpRequestException>(() => stale.PostAsync("/defaulting", new StringContent("{}")));
    }

    [Fact]
    public async Task DefaultingAnswersAJsonPatchThatGivesTheSameObjectAsTheInProcessHook()
    {
        var certificate = await ServeWithManagedCertificateAsync();
        using var client = ClientTrusting(certificate.CaPem);
        var original = Ksvc("same-defaults", "example/hello");
        var answer = await PostAsync(client, "/defaulting", Review("u-def", "serving.knative.dev", "Service", "CREATE", original));

        Assert.Equal("AdmissionReview", answer["kind"]!.GetValue<string>());
        var response = answer["response"]!;
        Assert.Equal("u-def", response["uid"]!.GetValue<string>());
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Equal("JSONPatch", response["patchType"]!.GetValue<string>());
        var patch = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(response["patch"]!.GetValue<string>())))!.AsArray();

        // Apply the patch as kube-apiserver would, with the embedded API server's own RFC 6902 implementation.
        var path = "/apis/serving.knative.dev/v1/namespaces/default/services";
        using (var create = await cluster.Http.PostAsync(path, new StringContent(original.ToJsonString(), Encoding.UTF8, "application/json")))
            Assert.True(create.IsSuccessStatusCode, await create.Content.ReadAsStringAsync());
        using var patchRequest = new HttpRequestMessage(HttpMethod.Patch, path + "/same-defaults")
        {
            Content = new StringContent(patch.ToJsonString(), Encoding.UTF8, "application/json-patch+json"),
        };
        patchRequest.Content.Headers.ContentType = new("application/json-patch+json");
        using (var patched = await cluster.Http.SendAsync(patchRequest))
            Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync());
        var stored = await cluster.GetObjectAsync("serving.knative.dev/v1", "Service", "default", "same-defaults");

        var expected = (JsonObject)original.DeepClone();
        new SampleKsvcHook().Mutate(new AdmissionRequest("serving.knative.dev", "v1", "Service", "services", null, "default",
            "same-defaults", AdmissionOperation.Create, expected, null, false, null));
        Assert.True(JsonNode.DeepEquals(expected["spec"], stored!["spec"]), stored["spec"]!.ToJsonString());
        var annotations = stored["metadata"]!["annotations"]!.AsObject();
        Assert.Equal("system:serviceaccount:test", annotations["serving.knative.dev/creator"]!.GetValue<string>());
        Assert.False(annotations.ContainsKey("remove~me/please"));
        Assert.Equal("y", annotations["keep"]!.GetValue<string>());
    }

    [Fact]
    public async Task DefaultingWithNothingToChangeAnswersWithoutAPatch()
    {
        var certificate = await ServeWithManagedCertificateAsync();
        using var client = ClientTrusting(certificate.CaPem);
        var answer = await PostAsync(client, "/defaulting", Review("u-cm", "", "ConfigMap", "CREATE",
            new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "x" } }));
        Assert.True(answer["response"]!["allowed"]!.GetValue<bool>());
        Assert.Null(answer["response"]!["patch"]);
    }

    [Fact]
    public async Task ValidationDeniesWithTheHooksMessageAndAllowsValidObjects()
    {
        var certificate = await ServeWithManagedCertificateAsync();
        using var client = ClientTrusting(certificate.CaPem);
        var denied = await PostAsync(client, "/resource-validation", Review("u-bad", "serving.knative.dev", "Service", "CREATE", Ksvc("bad", "")));
        var response = denied["response"]!;
        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Equal(400, response["status"]!["code"]!.GetValue<int>());
        Assert.Equal("validation failed: missing field(s): spec.template.spec.containers[0].image", response["status"]!["message"]!.GetValue<string>());

        var allowed = await PostAsync(client, "/resource-validation", Review("u-good", "serving.knative.dev", "Service", "UPDATE", Ksvc("good", "example/a"), Ksvc("good", "example/b")));
        Assert.True(allowed["response"]!["allowed"]!.GetValue<bool>());

        // A delete carries only oldObject; it is validated (and here allowed) rather than refused as malformed.
        var deleted = await PostAsync(client, "/resource-validation", Review("u-del", "serving.knative.dev", "Service", "DELETE", null, Ksvc("gone", "example/a")));
        Assert.True(deleted["response"]!["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ConfigValidationRejectsABadConfigMapEdit()
    {
        var certificate = await ServeWithManagedCertificateAsync();
        using var client = ClientTrusting(certificate.CaPem);
        JsonObject Cm(string window) => new()
        {
            ["apiVersion"] = "v1", ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "config-autoscaler", ["namespace"] = "knative-serving" },
            ["data"] = new JsonObject { ["stable-window"] = window },
        };
        var bad = await PostAsync(client, "/config-validation", Review("u-cm-bad", "", "ConfigMap", "UPDATE", Cm("sixty")));
        Assert.False(bad["response"]!["allowed"]!.GetValue<bool>());
        Assert.Contains("stable-window", bad["response"]!["status"]!["message"]!.GetValue<string>());
        var good = await PostAsync(client, "/config-validation", Review("u-cm-good", "", "ConfigMap", "UPDATE", Cm("120s")));
        Assert.True(good["response"]!["allowed"]!.GetValue<bool>());
        // The config path does not run resource hooks, even if a resource review is sent to it.
        var ksvc = await PostAsync(client, "/config-validation", Review("u-cm-ksvc", "serving.knative.dev", "Service", "CREATE", Ksvc("bad", "")));
        Assert.True(ksvc["response"]!["allowed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task MalformedReviewsAndUnknownPathsAreRefused()
    {
        var certificate = await ServeWithManagedCertificateAsync();
        using var client = ClientTrusting(certificate.CaPem);
        using var notJson = await client.PostAsync("/defaulting", new StringContent("not json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        using var noRequest = await client.PostAsync("/defaulting", new StringContent("""{"kind":"AdmissionReview"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, noRequest.StatusCode);
        using var unknown = await client.PostAsync("/convert", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var get = await client.GetAsync("/defaulting");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
    }

    [Fact]
    public async Task ReadinessWaitsForACertificate()
    {
        var server = new AdmissionWebhookServer(new AdmissionReviewHandler(Hooks),
            new AdmissionWebhookOptions { HttpsPort = 0, ProbePort = 0, BindAddress = IPAddress.Loopback });
        await server.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.ProbePort}") };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz")).StatusCode);
            server.SetCertificate(WebhookCertificate.Create("webhook", "knative-serving", DateTimeOffset.UtcNow).ToServerCertificate());
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
        }
        finally
        {
            await server.StopAsync();
            await server.DisposeAsync();
        }
    }
}

/// <summary>The webhook as `ingress webhook` runs it in a pod: API access with a service-account token file
/// and ca.crt (InClusterApi), the certificate loop, readiness, and shutdown on cancellation.</summary>
public sealed class WebhookHostTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task InClusterHostFillsItsSecretBecomesReadyAndServesAdmission()
    {
        await cluster.InstallAsync();
        using var api = InClusterApi.Create(cluster.Host.BaseUri,
            Path.Combine(cluster.ServiceAccountDirectory, "token"), Path.Combine(cluster.ServiceAccountDirectory, "ca.crt"));
        using var loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(_ => { });
        var host = new WebhookHost([new SampleKsvcHook()],
            new AdmissionWebhookOptions { HttpsPort = 0, ProbePort = 0, BindAddress = IPAddress.Loopback },
            new WebhookCertificateOptions(), api, loggerFactory);
        using var cts = new CancellationTokenSource();
        var run = host.RunAsync(cts.Token);
        var (httpsPort, probePort) = await host.Started.WaitAsync(TimeSpan.FromSeconds(30));

        using var probes = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{probePort}") };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await probes.GetAsync("/readyz")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "webhook did not become ready");
            await Task.Delay(100);
        }

        var secret = await cluster.GetObjectAsync("v1", "Secret", "knative-serving", "webhook-certs");
        var data = secret!["data"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>());
        var certificate = WebhookCertificate.FromSecretData(data)!;
        using var ca = X509Certificate2.CreateFromPem(certificate.CaPem);
        using var client = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, httpsPort), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { ca }, RevocationMode = X509RevocationMode.NoCheck },
            },
        }) { BaseAddress = new Uri($"https://webhook.knative-serving.svc:{httpsPort}") };
        var review = new JsonObject
        {
            ["apiVersion"] = "admission.k8s.io/v1", ["kind"] = "AdmissionReview",
            ["request"] = new JsonObject
            {
                ["uid"] = "in-cluster", ["operation"] = "CREATE", ["namespace"] = "default",
                ["kind"] = new JsonObject { ["group"] = "serving.knative.dev", ["version"] = "v1", ["kind"] = "Service" },
                ["object"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["name"] = "x" },
                    ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["image"] = "" }) } } },
                },
            },
        };
        using var response = await client.PostAsync("/resource-validation", new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json"));
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.False(answer["response"]!["allowed"]!.GetValue<bool>());

        cts.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<HttpRequestException>(() => probes.GetAsync("/healthz"));
    }
}
