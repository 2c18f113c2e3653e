using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Local.Webhook;

/// <summary>Names the certificate manager works on; defaults are the manifests'.</summary>
public sealed record WebhookCertificateOptions
{
    public string Namespace { get; init; } = "knative-serving";
    public string ServiceName { get; init; } = "webhook";
    public string SecretName { get; init; } = "webhook-certs";
    public IReadOnlyList<string> MutatingConfigurations { get; init; } = ["webhook.serving.knative.dev"];
    public IReadOnlyList<string> ValidatingConfigurations { get; init; } =
        ["validation.webhook.serving.knative.dev", "config.webhook.serving.knative.dev"];
}

/// <summary>Keeps the webhook certificate in its Secret (creating or rotating it) and the CA in the
/// registrations' caBundle, with exactly the API calls manifests/300-rbac/306-webhook.yaml grants: get and
/// update of the one Secret, get and JSON patch of the named registrations. Several replicas may race: the
/// Secret update carries the resourceVersion read, so only one rotation wins and the others adopt it.
/// Talks REST through the given <see cref="HttpClient"/> (base address and credentials set by the caller).</summary>
public sealed partial class WebhookCertificateManager(HttpClient api, WebhookCertificateOptions options, ILogger? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>Returns the certificate to serve with, after making the Secret and the registrations agree with it.</summary>
    public async Task<WebhookCertificate> EnsureAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        var secretPath = $"/api/v1/namespaces/{options.Namespace}/secrets/{options.SecretName}";
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 5) throw new InvalidOperationException($"Secret {options.Namespace}/{options.SecretName}: no usable certificate after {attempt} writes");
            var secret = await GetAsync(secretPath, ct)
                ?? throw new InvalidOperationException($"Secret {options.Namespace}/{options.SecretName} does not exist; it is created by manifests/500-webhook");
            var data = (secret["data"] as JsonObject ?? []).ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? "");
            var current = WebhookCertificate.FromSecretData(data);
            var reason = current is null ? "is missing" : current.RotationReason(options.ServiceName, options.Namespace, now);
            if (reason is null)
            {
                await PublishCaBundleAsync(current!, ct);
                return current!;
            }
            var fresh = WebhookCertificate.Create(options.ServiceName, options.Namespace, now);
            secret["data"] = new JsonObject(fresh.ToSecretData().Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
            using var response = await SendAsync(HttpMethod.Put, secretPath, secret.ToJsonString(), "application/json", ct);
            if (response.StatusCode == HttpStatusCode.Conflict) continue; // another replica rotated: adopt theirs
            await EnsureSuccessAsync(response, "update Secret", ct);
            LogRotated(_logger, options.Namespace, options.SecretName, reason);
        }
    }

    private async Task PublishCaBundleAsync(WebhookCertificate certificate, CancellationToken ct)
    {
        var bundle = Convert.ToBase64String(Encoding.UTF8.GetBytes(certificate.CaPem));
        foreach (var (resource, names) in new[] { ("mutatingwebhookconfigurations", options.MutatingConfigurations), ("validatingwebhookconfigurations", options.ValidatingConfigurations) })
        foreach (var name in names)
        {
            var path = $"/apis/admissionregistration.k8s.io/v1/{resource}/{name}";
            var registration = await GetAsync(path, ct);
            if (registration is null) { LogRegistrationMissing(_logger, name); continue; }
            var ops = new JsonArray();
            var webhooks = registration["webhooks"] as JsonArray ?? [];
            for (var i = 0; i < webhooks.Count; i++)
            {
                if (webhooks[i]?["clientConfig"]?["caBundle"]?.GetValue<string>() == bundle) continue;
                // "test" first: if the list changed since we read it, the patch fails instead of writing the wrong entry.
                ops.Add(new JsonObject { ["op"] = "test", ["path"] = $"/webhooks/{i}/name", ["value"] = webhooks[i]?["name"]?.GetValue<string>() });
                ops.Add(new JsonObject { ["op"] = "add", ["path"] = $"/webhooks/{i}/clientConfig/caBundle", ["value"] = bundle });
            }
            if (ops.Count == 0) continue;
            using var response = await SendAsync(HttpMethod.Patch, path, ops.ToJsonString(), "application/json-patch+json", ct);
            await EnsureSuccessAsync(response, "patch " + name, ct);
            LogCaBundlePublished(_logger, name);
        }
    }

    private async Task<JsonObject?> GetAsync(string path, CancellationToken ct)
    {
        using var response = await api.GetAsync(path, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureSuccessAsync(response, "get " + path, ct);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!.AsObject();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string body, string contentType, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await api.SendAsync(request, ct);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        throw new HttpRequestException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}", null, response.StatusCode);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote a new webhook certificate to Secret {Namespace}/{Name}: the previous one {Reason}")]
    private static partial void LogRotated(ILogger logger, string @namespace, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Published the CA bundle to {Name}")]
    private static partial void LogCaBundlePublished(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook registration {Name} does not exist; not publishing the CA bundle to it")]
    private static partial void LogRegistrationMissing(ILogger logger, string name);
}
