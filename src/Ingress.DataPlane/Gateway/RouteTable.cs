using System.Text.RegularExpressions;
using Ingress.Api.Istio.Networking.V1Beta1;

namespace Ingress.DataPlane.Gateway;

/// <summary>How one request string is compared (Istio's StringMatch: exact, prefix or RE2-like regex, whole string).</summary>
public sealed class CompiledStringMatch
{
    private readonly string? _exact;
    private readonly string? _prefix;
    private readonly Regex? _regex;

    private CompiledStringMatch(string? exact, string? prefix, Regex? regex) => (_exact, _prefix, _regex) = (exact, prefix, regex);

    /// <summary>Null when the StringMatch sets nothing (Istio treats an empty match as "present").</summary>
    public static CompiledStringMatch? From(StringMatch? match, bool ignoreCase = false)
    {
        if (match is null) return null;
        if (match.Exact is not null) return new(match.Exact, null, null);
        if (match.Prefix is not null) return new(null, match.Prefix, null);
        // Envoy's safe_regex must match the whole value, so anchor it.
        if (match.Regex is not null)
            return new(null, null, new Regex("^(?:" + match.Regex + ")$", RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : 0), TimeSpan.FromMilliseconds(100)));
        return new(null, null, null);
    }

    public string? Prefix => _prefix;

    public bool IsMatch(string value, bool ignoreCase = false)
    {
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (_exact is not null) return string.Equals(value, _exact, comparison);
        if (_prefix is not null) return value.StartsWith(_prefix, comparison);
        if (_regex is not null) return _regex.IsMatch(value);
        return true;
    }
}

/// <summary>Request header operations (Istio's Headers.request): set replaces, add appends, remove deletes.</summary>
public sealed record HeaderOps(
    IReadOnlyList<KeyValuePair<string, string>> Set,
    IReadOnlyList<KeyValuePair<string, string>> Add,
    IReadOnlyList<string> Remove)
{
    public static readonly HeaderOps None = new([], [], []);

    public bool IsEmpty => Set.Count == 0 && Add.Count == 0 && Remove.Count == 0;

    public static HeaderOps From(Headers? headers)
    {
        var request = headers?.Request;
        if (request is null) return None;
        return new(
            request.Set?.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList() ?? [],
            request.Add?.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList() ?? [],
            request.Remove?.ToList() ?? []);
    }
}

/// <summary>One weighted destination of a route.</summary>
/// <param name="Host">The destination host as written (<c>name.ns.svc.cluster.local</c>).</param>
/// <param name="Port">The destination port, null when absent (the Service's only port).</param>
public sealed record RouteDestination(string Host, int? Port, int Weight, HeaderOps Headers);

/// <summary>Istio's retry policy, reduced to what the gateway can honour without buffering bodies.</summary>
/// <param name="Attempts">Retries after the first try (Istio's attempts).</param>
/// <param name="PerTryTimeout">Zero: none.</param>
/// <param name="RetryOn">Envoy retry_on conditions, lower case.</param>
public sealed record RetryPolicy(int Attempts, TimeSpan PerTryTimeout, IReadOnlySet<string> RetryOn)
{
    /// <summary>Istio's default when a route has no <c>retries</c>: 2 attempts on connect failures and friends.
    /// Knative always writes <c>retries: {}</c>, which turns retries off.</summary>
    public static readonly RetryPolicy IstioDefault = new(2, TimeSpan.Zero,
        new HashSet<string>(["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"], StringComparer.Ordinal));

    public static readonly RetryPolicy Off = new(0, TimeSpan.Zero, new HashSet<string>(StringComparer.Ordinal));

    public bool RetriesConnectFailure => Attempts > 0 && (RetryOn.Contains("connect-failure") || RetryOn.Contains("5xx") || RetryOn.Contains("reset") || RetryOn.Contains("gateway-error"));

    public bool RetriesStatus(int status) => Attempts > 0 && (
        (status >= 500 && RetryOn.Contains("5xx")) ||
        (status is 502 or 503 or 504 && RetryOn.Contains("gateway-error")));

    internal static RetryPolicy From(HTTPRetry? retry)
    {
        if (retry is null) return IstioDefault;
        var on = (retry.RetryOn ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        // Istio: retryOn empty with attempts > 0 means its default conditions.
        if (on.Count == 0 && (retry.Attempts ?? 0) > 0) on = [.. IstioDefault.RetryOn];
        return new(Math.Max(0, retry.Attempts ?? 0), RouteTable.Duration(retry.PerTryTimeout), on);
    }
}

/// <summary>One compiled HTTP route: its match alternatives and what happens when it wins.</summary>
public sealed class CompiledRoute
{
    internal CompiledRoute(string virtualService, int index, string? name, IReadOnlyList<CompiledMatch> matches, IReadOnlyList<RouteDestination> destinations,
        HeaderOps headers, string? authorityRewrite, string? uriRewrite, RetryPolicy retries, TimeSpan timeout)
    {
        VirtualService = virtualService;
        Index = index;
        Name = name;
        Matches = matches;
        Destinations = destinations;
        Headers = headers;
        AuthorityRewrite = authorityRewrite;
        UriRewrite = uriRewrite;
        Retries = retries;
        Timeout = timeout;
        TotalWeight = destinations.Sum(d => d.Weight);
    }

    /// <summary><c>ns/name</c> of the VirtualService this route came from.</summary>
    public string VirtualService { get; }
    public int Index { get; }
    public string? Name { get; }
    internal IReadOnlyList<CompiledMatch> Matches { get; }
    public IReadOnlyList<RouteDestination> Destinations { get; }
    public HeaderOps Headers { get; }
    public string? AuthorityRewrite { get; }
    public string? UriRewrite { get; }
    public RetryPolicy Retries { get; }
    /// <summary>Zero: no route timeout (Istio's default).</summary>
    public TimeSpan Timeout { get; }
    public int TotalWeight { get; }

    /// <summary>The gateway name this route's match alternatives were compiled for.</summary>
    internal string MatchGateway { get; init; } = "";

    /// <summary>Weighted choice: <paramref name="roll"/> in [0, TotalWeight) picks the destination whose band holds it.</summary>
    public RouteDestination Pick(int roll)
    {
        if (Destinations.Count == 1 || TotalWeight <= 0) return Destinations[0];
        foreach (var d in Destinations)
        {
            if (roll < d.Weight) return d;
            roll -= d.Weight;
        }
        return Destinations[^1];
    }

    /// <summary>Istio's <c>rewrite.uri</c>: replaces the matched prefix when a prefix match chose the route,
    /// else the whole path.</summary>
    public string RewritePath(string path)
    {
        if (UriRewrite is null) return path;
        foreach (var m in Matches)
            if (m.Uri?.Prefix is { } prefix && path.StartsWith(prefix, m.IgnoreUriCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
                return UriRewrite + path[prefix.Length..];
        return UriRewrite;
    }

    public RouteDestination PickRandom() => Pick(TotalWeight > 0 ? Random.Shared.Next(TotalWeight) : 0);
}

/// <summary>One entry of <c>match</c>: every condition must hold.</summary>
internal sealed class CompiledMatch
{
    public required CompiledStringMatch? Uri { get; init; }
    public required bool IgnoreUriCase { get; init; }
    public required CompiledStringMatch? Authority { get; init; }
    public required CompiledStringMatch? Method { get; init; }
    public required IReadOnlyList<(string Name, CompiledStringMatch? Match)> Headers { get; init; }
    public required IReadOnlyList<(string Name, CompiledStringMatch? Match)> WithoutHeaders { get; init; }
    public required IReadOnlySet<string>? Gateways { get; init; }

    public bool IsMatch(in GatewayRequest request, string gateway)
    {
        if (Gateways is not null && !Gateways.Contains(gateway)) return false;
        if (Authority is not null && !Authority.IsMatch(request.Host, ignoreCase: true)) return false;
        if (Uri is not null && !Uri.IsMatch(request.Path, IgnoreUriCase)) return false;
        if (Method is not null && !Method.IsMatch(request.Method)) return false;
        foreach (var (name, match) in Headers)
        {
            var value = request.Header(name);
            if (value is null) return false;
            if (match is not null && !match.IsMatch(value)) return false;
        }
        foreach (var (name, match) in WithoutHeaders)
        {
            var value = request.Header(name);
            if (value is not null && (match is null || match.IsMatch(value))) return false;
        }
        return true;
    }
}

/// <summary>What the matcher looks at: host with the port stripped, path without the query, method, headers.</summary>
public readonly struct GatewayRequest
{
    private readonly Func<string, string?>? _header;
    private readonly Microsoft.AspNetCore.Http.IHeaderDictionary? _headers;

    public GatewayRequest(string host, string path, string method, Func<string, string?> header)
    {
        Host = StripPort(host);
        Path = path;
        Method = method;
        _header = header;
    }

    /// <summary>Headers read from the request itself: no delegate (and no closure) per request.</summary>
    public GatewayRequest(string host, string path, string method, Microsoft.AspNetCore.Http.IHeaderDictionary headers)
    {
        Host = StripPort(host);
        Path = path;
        Method = method;
        _headers = headers;
    }

    public string Host { get; }
    public string Path { get; }
    public string Method { get; }

    /// <summary>The header's value (several values joined by commas), or null when absent.</summary>
    public string? Header(string name)
    {
        if (_headers is not null) return _headers.TryGetValue(name, out var value) ? value.ToString() : null;
        return _header?.Invoke(name);
    }

    /// <summary>Istio matches authority and hosts without the port (<c>host</c> and <c>host:port</c> are the same virtual host).</summary>
    public static string StripPort(string authority)
    {
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            return close > 0 ? authority[..(close + 1)] : authority;
        }
        var colon = authority.LastIndexOf(':');
        return colon >= 0 && authority.IndexOf(':') == colon ? authority[..colon] : authority;
    }
}

/// <summary>
/// The routes of one gateway, compiled from the VirtualServices bound to it. Immutable: the gateway swaps whole
/// tables. Matching follows Istio: a VirtualService applies when one of its <c>hosts</c> matches the request host
/// (exact beats wildcard, the longest wildcard first, as Envoy picks virtual hosts); within the chosen
/// VirtualServices (oldest first, then by namespace/name, as Istio merges them) the first http route whose match
/// holds wins.
/// </summary>
public sealed class RouteTable
{
    /// <summary>Istio's name for the sidecar view; the local gateway's cluster-local listener also serves it.</summary>
    public const string Mesh = "mesh";

    private readonly IReadOnlyList<VirtualHost> _hosts;
    /// <summary>Exact (non-wildcard) virtual hosts by name, case-insensitive: exact hosts win over wildcards, so a hit
    /// here is the answer and the linear scan is left for wildcards (one dictionary probe per request instead of a
    /// comparison per host of every VirtualService).</summary>
    private readonly Dictionary<string, VirtualHost> _exactHosts;
    /// <summary>Wildcard virtual hosts in match order (longest first, <c>*</c> last).</summary>
    private readonly VirtualHost[] _wildcardHosts;

    private RouteTable(string gateway, IReadOnlyList<VirtualHost> hosts, IReadOnlyList<string> errors)
    {
        Gateway = gateway;
        _hosts = hosts;
        Errors = errors;
        _exactHosts = new Dictionary<string, VirtualHost>(StringComparer.OrdinalIgnoreCase);
        foreach (var host in hosts)
            if (!host.IsWildcard) _exactHosts.TryAdd(host.Name, host);
        _wildcardHosts = hosts.Where(h => h.IsWildcard).ToArray();
    }

    public static RouteTable Empty(string gateway) => new(gateway, [], []);

    /// <summary>The gateway this table serves (<c>ns/name</c>).</summary>
    public string Gateway { get; }

    /// <summary>VirtualServices (or routes) left out because they could not be compiled, with why.</summary>
    public IReadOnlyList<string> Errors { get; }

    public int RouteCount => _hosts.Sum(h => h.Routes.Count);

    /// <param name="gateway">The gateway key <c>ns/name</c> the table is for.</param>
    /// <param name="alsoServeMesh">Include VirtualServices bound to <c>mesh</c> (the local gateway's cluster-local view).</param>
    public static RouteTable Compile(string gateway, IEnumerable<VirtualService> virtualServices, bool alsoServeMesh = false)
    {
        var errors = new List<string>();
        var bound = new List<(VirtualService Vs, string Key, string BoundAs)>();
        foreach (var vs in virtualServices)
        {
            var ns = vs.Metadata.Namespace ?? "default";
            var key = ns + "/" + vs.Metadata.Name;
            var gateways = (vs.Spec?.Gateways is { Count: > 0 } g ? g : [Mesh]).Select(n => Qualify(n, ns)).ToHashSet(StringComparer.Ordinal);
            if (gateways.Contains(gateway)) bound.Add((vs, key, gateway));
            else if (alsoServeMesh && gateways.Contains(Mesh)) bound.Add((vs, key, Mesh));
        }
        // Istio merges VirtualServices for one host oldest first; gateway-bound ones go before mesh ones here so
        // the gateway's own routes win over the sidecar view.
        bound.Sort((a, b) =>
        {
            var c = (a.BoundAs == Mesh).CompareTo(b.BoundAs == Mesh);
            if (c != 0) return c;
            c = Nullable.Compare(a.Vs.Metadata.CreationTimestamp, b.Vs.Metadata.CreationTimestamp);
            return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
        });

        var byHost = new Dictionary<string, VirtualHost>(StringComparer.OrdinalIgnoreCase);
        foreach (var (vs, key, boundAs) in bound)
        {
            List<CompiledRoute> routes;
            try
            {
                routes = CompileRoutes(vs, key, boundAs == Mesh ? Mesh : gateway);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or RegexParseException)
            {
                errors.Add($"{key}: {ex.Message}");
                continue;
            }
            foreach (var host in vs.Spec?.Hosts ?? [])
            {
                if (!byHost.TryGetValue(host, out var vh)) byHost[host] = vh = new VirtualHost(host);
                vh.Routes.AddRange(routes);
            }
        }
        var hosts = byHost.Values
            .OrderBy(h => h.IsWildcard ? 1 : 0)
            .ThenByDescending(h => h.Name.Length)
            .ThenBy(h => h.Name, StringComparer.Ordinal)
            .ToList();
        return new RouteTable(gateway, hosts, errors);
    }

    /// <summary>The winning route, or null (Envoy answers 404).</summary>
    public CompiledRoute? Match(in GatewayRequest request)
    {
        if (_exactHosts.TryGetValue(request.Host, out var exact)) return MatchRoute(exact, request);
        foreach (var vh in _wildcardHosts)
            if (vh.Matches(request.Host)) return MatchRoute(vh, request);
        return null;
    }

    /// <summary>Envoy picks exactly one virtual host; no matching route in it means 404.</summary>
    private static CompiledRoute? MatchRoute(VirtualHost vh, in GatewayRequest request)
    {
        foreach (var route in vh.Routes)
        {
            if (route.Matches.Count == 0) return route;
            var matchGateway = route.MatchGateway;
            foreach (var m in route.Matches)
                if (m.IsMatch(request, matchGateway)) return route;
        }
        return null;
    }

    private static string Qualify(string gateway, string vsNamespace) =>
        gateway == Mesh || gateway.Contains('/') ? gateway : vsNamespace + "/" + gateway;

    private static List<CompiledRoute> CompileRoutes(VirtualService vs, string key, string servedAs)
    {
        var ns = vs.Metadata.Namespace ?? "default";
        var result = new List<CompiledRoute>();
        var http = vs.Spec?.Http ?? [];
        for (var i = 0; i < http.Count; i++)
        {
            var r = http[i];
            var matches = new List<CompiledMatch>();
            var anyMatchForUs = (r.Match?.Count ?? 0) == 0;
            foreach (var m in r.Match ?? [])
            {
                var gateways = m.Gateways is { Count: > 0 } g ? g.Select(n => Qualify(n, ns)).ToHashSet(StringComparer.Ordinal) : null;
                if (gateways is not null && !gateways.Contains(servedAs)) continue; // this alternative is for another gateway
                anyMatchForUs = true;
                var ignoreCase = m.IgnoreUriCase ?? false;
                matches.Add(new CompiledMatch
                {
                    Uri = CompiledStringMatch.From(m.Uri, ignoreCase),
                    IgnoreUriCase = ignoreCase,
                    Authority = CompiledStringMatch.From(m.Authority, ignoreCase: true),
                    Method = CompiledStringMatch.From(m.Method),
                    Headers = (m.Headers ?? []).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, CompiledStringMatch.From(kv.Value))).ToList(),
                    WithoutHeaders = (m.WithoutHeaders ?? []).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, CompiledStringMatch.From(kv.Value))).ToList(),
                    Gateways = null, // filtered above
                });
            }
            if (!anyMatchForUs) continue;
            var destinations = (r.Route ?? []).Select(d =>
            {
                var host = d.Destination?.Host;
                if (string.IsNullOrEmpty(host)) throw new ArgumentException($"http[{i}]: destination without host");
                return new RouteDestination(host, d.Destination!.Port?.Number is > 0 and var p ? p : null,
                    // Istio: a single destination without weight takes all; several without weights share nothing
                    // explicit, so absent counts as 0 unless it is the only one.
                    d.Weight ?? ((r.Route!.Count == 1) ? 100 : 0), HeaderOps.From(d.Headers));
            }).ToList();
            if (destinations.Count == 0) throw new ArgumentException($"http[{i}]: no route destinations (redirect, direct response and delegate are not supported)");
            result.Add(new CompiledRoute(key, i, r.Name, matches, destinations, HeaderOps.From(r.Headers),
                string.IsNullOrEmpty(r.Rewrite?.Authority) ? null : r.Rewrite!.Authority,
                string.IsNullOrEmpty(r.Rewrite?.Uri) ? null : r.Rewrite!.Uri,
                RetryPolicy.From(r.Retries), Duration(r.Timeout))
            { MatchGateway = servedAs });
        }
        return result;
    }

    /// <summary>Istio durations (<c>1s</c>, <c>300ms</c>); absent is zero (off).</summary>
    internal static TimeSpan Duration(string? text)
    {
        if (string.IsNullOrEmpty(text)) return TimeSpan.Zero;
        return Ingress.Api.GoDuration.TryParse(text, out var d, out var error) ? d : throw new FormatException($"bad duration {text}: {error}");
    }

    private sealed class VirtualHost(string name)
    {
        public string Name { get; } = name;
        public bool IsWildcard { get; } = name.StartsWith('*');
        public List<CompiledRoute> Routes { get; } = [];

        public bool Matches(string host)
        {
            if (Name == "*") return true;
            if (IsWildcard) return host.EndsWith(Name.AsSpan(1), StringComparison.OrdinalIgnoreCase) && host.Length > Name.Length - 1;
            return string.Equals(host, Name, StringComparison.OrdinalIgnoreCase);
        }
    }
}
