using Microsoft.Extensions.Primitives;

namespace Ingress.DataPlane.Proxy;

/// <summary>RFC 9110 §7.6.1 connection-specific headers, which a proxy must not forward, plus the headers a
/// Connection header names.</summary>
internal static class HopByHopHeaders
{
    private static readonly HashSet<string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade",
    };

    public static bool IsHopByHop(string name) => Names.Contains(name);

    /// <summary>Header names listed in the Connection header (besides keep-alive/close/upgrade tokens).</summary>
    public static HashSet<string>? NamedByConnection(StringValues connection)
    {
        if (StringValues.IsNullOrEmpty(connection)) return null;
        HashSet<string>? names = null;
        foreach (var value in connection)
        {
            if (value is null) continue;
            // Fast path for the common single tokens, which name no header.
            if (value.Equals("keep-alive", StringComparison.OrdinalIgnoreCase) || value.Equals("close", StringComparison.OrdinalIgnoreCase)) continue;
            foreach (var token in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (token.Equals("close", StringComparison.OrdinalIgnoreCase) || token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)) continue;
                (names ??= new HashSet<string>(StringComparer.OrdinalIgnoreCase)).Add(token);
            }
        }
        return names;
    }
}
