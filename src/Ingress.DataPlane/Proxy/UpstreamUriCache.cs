using System.Collections.Concurrent;

namespace Ingress.DataPlane.Proxy;

/// <summary>
/// The upstream <see cref="Uri"/>s of recent requests, by authority and path. Why: parsing a <see cref="Uri"/>
/// on every request, and then computing its host, port and path-and-query again inside SocketsHttpHandler, is a
/// visible part of a hop's CPU; a proxy sends the same few targets (one pod, a handful of paths) over and over,
/// and a cached <see cref="Uri"/> keeps those parts computed (a <see cref="Uri"/> is immutable and thread-safe).
/// Bounded: when <see cref="MaxEntries"/> is reached (paths with changing query strings, pods that came and went)
/// the cache starts over, so it follows the current targets and never grows past the bound.
/// </summary>
internal sealed class UpstreamUriCache
{
    /// <summary>1024: far more than the distinct targets of a revision's usual traffic, and small in memory.</summary>
    public const int MaxEntries = 1024;

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Uri>> _byAuthority = new(StringComparer.Ordinal);
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>The <see cref="Uri"/> for <c>http://{authority}{pathAndQuery}</c>; throws <see cref="UriFormatException"/>
    /// as <c>new Uri</c> does.</summary>
    public Uri Get(string authority, string pathAndQuery)
    {
        if (_byAuthority.TryGetValue(authority, out var paths) && paths.TryGetValue(pathAndQuery, out var cached)) return cached;
        var uri = new Uri("http://" + authority + pathAndQuery);
        if (Volatile.Read(ref _count) >= MaxEntries)
        {
            _byAuthority.Clear();
            Volatile.Write(ref _count, 0);
            paths = null;
        }
        paths ??= _byAuthority.GetOrAdd(authority, static _ => new ConcurrentDictionary<string, Uri>(StringComparer.Ordinal));
        if (paths.TryAdd(pathAndQuery, uri)) Interlocked.Increment(ref _count);
        return uri;
    }
}
