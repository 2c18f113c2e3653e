using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Ingress.Serving.Images;

/// <summary>Options of <see cref="RegistryDigestResolver"/>.</summary>
public sealed class RegistryDigestResolverOptions
{
    /// <summary>User-Agent on registry requests; default <c>ingress-controller</c> (upstream sends its controller's agent).</summary>
    public string UserAgent { get; init; } = "ingress-controller";
}

/// <summary>
/// Tag → digest over the OCI distribution API on <see cref="HttpClient"/>: <c>HEAD /v2/&lt;repo&gt;/manifests/&lt;tag&gt;</c>
/// accepting Docker v2 and OCI manifests and indexes, the digest taken from <c>Docker-Content-Digest</c> (a registry that
/// leaves it out is asked again with GET, and the digest is the SHA-256 of the manifest bytes, which is what a
/// digest is). A 401 with a <c>Bearer</c> challenge is answered with an anonymous token from the challenge's realm
/// (<c>service</c> and <c>scope</c> from the challenge, scope <c>repository:&lt;repo&gt;:pull</c> when absent), then the
/// request is repeated once. Only anonymous pulls: imagePullSecrets and service-account credentials (upstream's
/// k8schain) are not read. Scheme as go-containerregistry: plain HTTP for loopback, localhost and RFC 1918 hosts.
/// </summary>
public sealed partial class RegistryDigestResolver(HttpClient http, RegistryDigestResolverOptions? options = null) : IImageDigestResolver
{
    /// <summary>What we accept, as go-containerregistry's HEAD: a single manifest or an index, Docker or OCI.</summary>
    public static readonly string[] AcceptedMediaTypes =
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    ];

    private static readonly Meter Meter = new("Ingress.Serving.Images");
    private static readonly Counter<long> Resolutions = Meter.CreateCounter<long>("serving_image_digest_resolutions_total",
        description: "Image tag to digest resolutions against registries, by result");

    private readonly RegistryDigestResolverOptions _options = options ?? new RegistryDigestResolverOptions();

    public bool Resolves => true;

    public async Task<string> ResolveAsync(string image, IReadOnlySet<string> registriesToSkip, CancellationToken ct)
    {
        var (reference, error) = ImageReference.Parse(image);
        if (reference is null)
            throw new ImageResolutionException(ImageResolutionFailure.InvalidReference, $"failed to parse image name {ImageReference.Quote(image)} into a tag: {error}");
        if (reference.Digest is not null) return image; // already pinned
        if (registriesToSkip.Contains(reference.Registry)) return "";
        try
        {
            var digest = await ManifestDigestAsync(reference, ct).ConfigureAwait(false);
            Count("resolved");
            return reference.Name + "@" + digest;
        }
        catch (ImageResolutionException e)
        {
            Count(e.Failure.ToString());
            throw;
        }
    }

    private static void Count(string result) => Resolutions.Add(1, new KeyValuePair<string, object?>("result", result));

    private async Task<string> ManifestDigestAsync(ImageReference reference, CancellationToken ct)
    {
        var url = new Uri($"{reference.Scheme}://{reference.Registry}/v2/{reference.Repository}/manifests/{reference.Tag}");
        string? token = null;
        for (var attempt = 0; ; attempt++)
        {
            using var head = await SendAsync(HttpMethod.Head, url, token, ct).ConfigureAwait(false);
            if (head.StatusCode == HttpStatusCode.Unauthorized && attempt == 0 && token is null)
            {
                token = await AnonymousTokenAsync(reference, head, url, ct).ConfigureAwait(false);
                continue;
            }
            if (head.StatusCode != HttpStatusCode.OK)
                throw new ImageResolutionException(FailureOf(head.StatusCode),
                    $"HEAD {url}: unexpected status code {(int)head.StatusCode} {ReasonOf(head.StatusCode)} (HEAD responses have no body, use GET for details)");
            if (head.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() is { Length: > 0 } d)
            {
                if (!DigestRx().IsMatch(d)) throw new ImageResolutionException(ImageResolutionFailure.RegistryError, $"HEAD {url}: invalid Docker-Content-Digest {ImageReference.Quote(d)}");
                return d;
            }
            // No digest header: the digest is the hash of the manifest bytes.
            using var get = await SendAsync(HttpMethod.Get, url, token, ct).ConfigureAwait(false);
            if (get.StatusCode != HttpStatusCode.OK)
                throw new ImageResolutionException(FailureOf(get.StatusCode), $"GET {url}: unexpected status code {(int)get.StatusCode} {ReasonOf(get.StatusCode)}");
            var body = await get.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, string? token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url);
        foreach (var mt in AcceptedMediaTypes) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mt));
        request.Headers.UserAgent.ParseAdd(_options.UserAgent);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ImageResolutionException(ImageResolutionFailure.Network, $"{method} {url}: {e.Message}", e);
        }
    }

    /// <summary>The Bearer challenge's realm, asked anonymously for a pull token.</summary>
    private async Task<string> AnonymousTokenAsync(ImageReference reference, HttpResponseMessage unauthorized, Uri url, CancellationToken ct)
    {
        var challenge = unauthorized.Headers.WwwAuthenticate.FirstOrDefault(h => h.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase));
        if (challenge is null)
            throw new ImageResolutionException(ImageResolutionFailure.Unauthorized,
                $"HEAD {url}: unexpected status code 401 Unauthorized (anonymous access refused: no Bearer challenge)");
        var parameters = ParseChallenge(challenge.Parameter ?? "");
        if (!parameters.TryGetValue("realm", out var realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
            throw new ImageResolutionException(ImageResolutionFailure.Unauthorized, $"HEAD {url}: Bearer challenge without a usable realm");
        var query = new List<string>();
        if (parameters.TryGetValue("service", out var service)) query.Add("service=" + Uri.EscapeDataString(service));
        query.Add("scope=" + Uri.EscapeDataString(parameters.TryGetValue("scope", out var scope) ? scope : $"repository:{reference.Repository}:pull"));
        var tokenUrl = new UriBuilder(realmUri) { Query = (realmUri.Query.TrimStart('?') is { Length: > 0 } q ? q + "&" : "") + string.Join("&", query) }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Get, tokenUrl);
        request.Headers.UserAgent.ParseAdd(_options.UserAgent);
        HttpResponseMessage response;
        try { response = await http.SendAsync(request, ct).ConfigureAwait(false); }
        catch (HttpRequestException e) { throw new ImageResolutionException(ImageResolutionFailure.Network, $"GET {tokenUrl}: {e.Message}", e); }
        using (response)
        {
            if (response.StatusCode != HttpStatusCode.OK)
                throw new ImageResolutionException(ImageResolutionFailure.Unauthorized, $"GET {tokenUrl}: unexpected status code {(int)response.StatusCode} {ReasonOf(response.StatusCode)}");
            JsonNode? json;
            try { json = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)); }
            catch (System.Text.Json.JsonException e) { throw new ImageResolutionException(ImageResolutionFailure.Unauthorized, $"GET {tokenUrl}: token response is not JSON: {e.Message}", e); }
            // Docker's token spec: "token", with "access_token" as the OAuth2-compatible alias.
            var token = (json?["token"] as JsonValue)?.ToString() is { Length: > 0 } t ? t : (json?["access_token"] as JsonValue)?.ToString();
            if (string.IsNullOrEmpty(token))
                throw new ImageResolutionException(ImageResolutionFailure.Unauthorized, $"GET {tokenUrl}: token response has no token");
            return token;
        }
    }

    /// <summary><c>realm="…",service="…",scope="…"</c> (values quoted or not; commas inside quotes kept).</summary>
    internal static Dictionary<string, string> ParseChallenge(string parameter)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in ChallengeParamRx().Matches(parameter))
            result[m.Groups["k"].Value] = m.Groups["q"].Success ? m.Groups["q"].Value.Replace("\\\"", "\"") : m.Groups["v"].Value;
        return result;
    }

    private static ImageResolutionFailure FailureOf(HttpStatusCode code) => code switch
    {
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ImageResolutionFailure.Unauthorized,
        HttpStatusCode.NotFound => ImageResolutionFailure.NotFound,
        _ => ImageResolutionFailure.RegistryError,
    };

    /// <summary>Go's http.StatusText for the codes a registry sends.</summary>
    private static string ReasonOf(HttpStatusCode code) => code switch
    {
        HttpStatusCode.NotFound => "Not Found",
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.Forbidden => "Forbidden",
        HttpStatusCode.TooManyRequests => "Too Many Requests",
        HttpStatusCode.InternalServerError => "Internal Server Error",
        HttpStatusCode.BadGateway => "Bad Gateway",
        HttpStatusCode.ServiceUnavailable => "Service Unavailable",
        _ => code.ToString(),
    };

    [GeneratedRegex(@"^sha256:[0-9a-f]{64}$|^sha512:[0-9a-f]{128}$")] private static partial Regex DigestRx();
    [GeneratedRegex(@"(?<k>[A-Za-z_]+)\s*=\s*(?:""(?<q>(?:[^""\\]|\\.)*)""|(?<v>[^,\s]*))")] private static partial Regex ChallengeParamRx();
}
