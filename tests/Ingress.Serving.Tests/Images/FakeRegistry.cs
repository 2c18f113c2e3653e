using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ingress.Serving.Tests.Images;

/// <summary>A real OCI distribution registry endpoint on loopback HTTP (127.0.0.1, port chosen by the OS) serving
/// manifests from memory, with Docker's token flow: manifest requests without a valid Bearer token get 401 and a
/// <c>WWW-Authenticate: Bearer realm=…,service=…,scope=…</c> challenge; the realm (<c>/token</c>) hands out an anonymous
/// token for a pull scope. Records every request it sees.</summary>
public sealed class FakeRegistry : IAsyncDisposable
{
    public const string Token = "anon-pull-token";
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _manifests = new(StringComparer.Ordinal);

    private FakeRegistry(WebApplication app) => _app = app;

    /// <summary>Every request as <c>METHOD path?query</c> with the headers the tests look at.</summary>
    public ConcurrentQueue<(string Method, string PathAndQuery, string Accept, string Authorization)> Requests { get; } = new();
    /// <summary>Whether manifest requests need the token (default true).</summary>
    public bool RequireToken { get; set; } = true;
    /// <summary>Challenge scheme sent on 401: Bearer (token flow) or Basic (credentials needed).</summary>
    public string ChallengeScheme { get; set; } = "Bearer";
    /// <summary>Leave Docker-Content-Digest out of manifest responses (clients must hash the body).</summary>
    public bool OmitDigestHeader { get; set; }
    /// <summary>The token endpoint answers with "access_token" instead of "token".</summary>
    public bool AccessTokenField { get; set; }
    /// <summary>Delay before answering manifest requests (timeouts); zero by default.</summary>
    public TimeSpan ManifestDelay { get; set; }

    public string Host { get; private set; } = "";

    public static async Task<FakeRegistry> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var registry = new FakeRegistry(app);
        app.Run(registry.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        registry.Host = new Uri(address).Authority;
        return registry;
    }

    /// <summary>Stores a manifest for repository:tag; returns its digest (sha256 of the bytes, as a registry computes it).</summary>
    public string Push(string repository, string tag, string manifestJson)
    {
        var bytes = Encoding.UTF8.GetBytes(manifestJson);
        _manifests[repository + ":" + tag] = bytes;
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var req = ctx.Request;
        Requests.Enqueue((req.Method, req.Path + req.QueryString, req.Headers.Accept.ToString(), req.Headers.Authorization.ToString()));
        var path = req.Path.Value ?? "";
        if (path == "/token")
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(AccessTokenField ? $$"""{"access_token":"{{Token}}"}""" : $$"""{"token":"{{Token}}","expires_in":300}""");
            return;
        }
        const string prefix = "/v2/";
        var manifests = path.IndexOf("/manifests/", StringComparison.Ordinal);
        if (!path.StartsWith(prefix, StringComparison.Ordinal) || manifests < 0)
        {
            ctx.Response.StatusCode = 404;
            return;
        }
        var repository = path[prefix.Length..manifests];
        var tag = path[(manifests + "/manifests/".Length)..];
        if (RequireToken && req.Headers.Authorization.ToString() != "Bearer " + Token)
        {
            ctx.Response.StatusCode = 401;
            ctx.Response.Headers.WWWAuthenticate = ChallengeScheme == "Bearer"
                ? $"Bearer realm=\"http://{Host}/token\",service=\"fake-registry\",scope=\"repository:{repository}:pull\""
                : "Basic realm=\"fake-registry\"";
            return;
        }
        if (ManifestDelay > TimeSpan.Zero) await Task.Delay(ManifestDelay, ctx.RequestAborted);
        if (!_manifests.TryGetValue(repository + ":" + tag, out var body))
        {
            ctx.Response.StatusCode = 404;
            return;
        }
        ctx.Response.ContentType = "application/vnd.oci.image.manifest.v1+json";
        ctx.Response.ContentLength = body.Length;
        if (!OmitDigestHeader) ctx.Response.Headers["Docker-Content-Digest"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));
        if (req.Method != "HEAD") await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
