using System.Text.RegularExpressions;
using Ingress.Serving.Go;

namespace Ingress.Serving.Images;

/// <summary>
/// A container image reference parsed the way go-containerregistry's <c>name</c> package does with weak validation
/// (what upstream's digest resolver uses): the first path component is the registry when it contains a dot or a colon
/// or is <c>localhost</c>, else the image is on Docker Hub (<c>index.docker.io</c>, single names under
/// <c>library/</c>); the tag defaults to <c>latest</c>.
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "index.docker.io";

    /// <summary><c>registry/repository</c>: what a resolved reference puts before <c>@digest</c>.</summary>
    public string Name => Registry + "/" + Repository;

    /// <summary>Parses <paramref name="image"/>; the error text is go-containerregistry's where it has one.</summary>
    public static (ImageReference? Reference, string? Error) Parse(string image)
    {
        string? digest = null;
        var rest = image;
        var at = image.IndexOf('@');
        if (at >= 0)
        {
            digest = image[(at + 1)..];
            rest = image[..at];
            if (!DigestRx().IsMatch(digest)) return (null, $"a digest must contain exactly one '@' followed by a valid digest: {image}");
        }
        string? tag = null;
        var colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagRx().IsMatch(tag)) return (null, $"tag can only contain the characters `abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.`: {tag}");
        }
        if (digest is null) tag ??= "latest";

        var registry = DockerHub;
        var slash = rest.IndexOf('/');
        if (slash > 0 && (rest[..slash].Contains('.') || rest[..slash].Contains(':') || rest[..slash] == "localhost"))
        {
            registry = rest[..slash];
            rest = rest[(slash + 1)..];
            if (registry == "docker.io") registry = DockerHub;
        }
        if (rest.Length == 0) return (null, "a repository name must be specified");
        if (!RepositoryRx().IsMatch(rest)) return (null, $"repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: {rest}");
        if (registry == DockerHub && !rest.Contains('/')) rest = "library/" + rest;
        return (new ImageReference(registry, rest, tag, digest), null);
    }

    /// <summary>Plain HTTP for loopback, localhost and RFC 1918 registries, HTTPS for every other one (go-containerregistry's
    /// <c>Registry.Scheme</c>).</summary>
    public string Scheme
    {
        get
        {
            var host = Registry;
            if (host.StartsWith("localhost:", StringComparison.Ordinal) || host == "localhost") return "http";
            if (host.StartsWith("[::1]", StringComparison.Ordinal)) return "http";
            var colon = host.LastIndexOf(':');
            if (colon > 0 && !host.StartsWith('[')) host = host[..colon];
            if (System.Net.IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            {
                var b = ip.GetAddressBytes();
                if (b[0] == 127 || b[0] == 10 || (b[0] == 172 && b[1] >= 16 && b[1] < 32) || (b[0] == 192 && b[1] == 168)) return "http";
            }
            return "https";
        }
    }

    public override string ToString() => Name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>Quoted for messages (Go %q).</summary>
    public static string Quote(string image) => GoFormat.Quote(image);

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")] private static partial Regex DigestRx();
    [GeneratedRegex(@"^[\w][\w.-]{0,127}$")] private static partial Regex TagRx();
    [GeneratedRegex(@"^[a-z0-9_.\-/]+$")] private static partial Regex RepositoryRx();
}
