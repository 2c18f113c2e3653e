using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ingress.Serving.Naming;

/// <summary>Child object names (knative.dev/pkg kmeta.ChildName) and Serving's fixed child names.</summary>
public static class Kmeta
{
    private const int Longest = 63;
    private const int Md5Len = 32;
    private const int Head = Longest - Md5Len;

    /// <summary>parent+suffix, or when that exceeds 63 characters, a prefix of parent + md5(parent) + suffix;
    /// suffixes of 31+ characters hash everything and trim trailing non-alphanumerics.</summary>
    public static string ChildName(string parent, string suffix)
    {
        var n = parent;
        if (parent.Length > Longest - suffix.Length)
        {
            if (Head - suffix.Length <= 0)
            {
                var h = Md5Hex(parent + suffix);
                if (Head < parent.Length) parent = parent[..Head];
                var ret = parent + h;
                var d = Longest - ret.Length;
                if (d > 0) ret += suffix[..d];
                while (ret.Length > 0 && !char.IsAsciiLetterOrDigit(ret[^1])) ret = ret[..^1];
                return ret;
            }
            n = parent[..(Head - suffix.Length)] + Md5Hex(parent);
        }
        return n + suffix;
    }

    private static string Md5Hex(string s) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s)));

    /// <summary>Revision name for a Configuration generation: <c>&lt;config&gt;-00001</c> (5 digits minimum).</summary>
    public static string RevisionName(string configurationName, long generation) =>
        ChildName(configurationName, "-" + generation.ToString("D5", CultureInfo.InvariantCulture));

    public static string DeploymentName(string revisionName) => ChildName(revisionName, "-deployment");
    public static string PrivateServiceName(string revisionName) => ChildName(revisionName, "-private");
    public static string ImageCacheName(string revisionName) => ChildName(revisionName, "-cache");
    public static string PodAutoscalerName(string revisionName) => revisionName;
    public static string ServerlessServiceName(string revisionName) => revisionName;
    public static string IngressName(string routeOrDomainMappingName) => ChildName(routeOrDomainMappingName, "");
}
