namespace Ingress.Networking.Resources;

/// <summary>Host handling of spec §5.2 and §5.5. Pure functions over the cluster domain.</summary>
public static class Hosts
{
    /// <summary>
    /// <c>ExpandedHosts</c>: every host plus its forms without <c>.&lt;domain&gt;</c> and <c>.svc.&lt;domain&gt;</c>,
    /// keeping only candidates whose last label is at most 63 characters and not all digits. Sorted, distinct.
    /// </summary>
    public static IReadOnlyList<string> Expand(IEnumerable<string> hosts, string clusterDomain)
    {
        string[] suffixes = ["", "." + clusterDomain, ".svc." + clusterDomain];
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var host in hosts.Distinct().Order(StringComparer.Ordinal))
        {
            foreach (var suffix in suffixes)
            {
                if (suffix.Length != 0 && !host.EndsWith(suffix, StringComparison.Ordinal)) continue;
                var candidate = host[..(host.Length - suffix.Length)];
                if (IsValidTopLevelDomain(candidate)) result.Add(candidate);
            }
        }
        return result.ToArray();
    }

    private static bool IsValidTopLevelDomain(string domain)
    {
        var dot = domain.LastIndexOf('.');
        var tld = dot < 0 ? domain : domain[(dot + 1)..];
        if (tld.Length > 63) return false;
        foreach (var c in tld)
        {
            if (c == '-' || c > '9') return true;
        }
        return false;
    }

    /// <summary>The host with a trailing <c>.svc.&lt;domain&gt;</c> removed.</summary>
    public static string HostPrefix(string host, string clusterDomain)
    {
        var suffix = ".svc." + clusterDomain;
        return host.EndsWith(suffix, StringComparison.Ordinal) ? host[..^suffix.Length] : host;
    }

    /// <summary>
    /// The authority prefixes to match: walk the hosts sorted, map through <see cref="HostPrefix"/>, keep a value only
    /// if no kept value is a string prefix of it (plain startsWith). Returned sorted.
    /// </summary>
    public static IReadOnlyList<string> DistinctHostPrefixes(IEnumerable<string> hosts, string clusterDomain)
    {
        var kept = new List<string>();
        foreach (var host in hosts.Distinct().Order(StringComparer.Ordinal))
        {
            var prefix = HostPrefix(host, clusterDomain);
            if (!kept.Any(k => prefix.StartsWith(k, StringComparison.Ordinal))) kept.Add(prefix);
        }
        return kept.Distinct().Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Hosts ending in <c>.svc.&lt;domain&gt;</c>, sorted and distinct (the mesh VirtualService's base set).</summary>
    public static IReadOnlyList<string> KeepLocalHostnames(IEnumerable<string> hosts, string clusterDomain)
    {
        var suffix = ".svc." + clusterDomain;
        return hosts.Where(h => h.EndsWith(suffix, StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal).ToArray();
    }
}
