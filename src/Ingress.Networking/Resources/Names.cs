using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ingress.Networking.Config;

namespace Ingress.Networking.Resources;

/// <summary>Names of the objects net-istio creates (spec §5.1, §6.1–6.3, §12.8). Pure string functions.</summary>
public static class Names
{
    private const int LongestName = 63;
    private const int Md5HexLength = 32;

    /// <summary>knative.dev/pkg <c>kmeta.ChildName</c>: parent+suffix, shortened with an MD5 when over 63 characters.</summary>
    public static string ChildName(string parent, string suffix)
    {
        if (parent.Length + suffix.Length <= LongestName) return parent + suffix;
        const int head = LongestName - Md5HexLength;
        if (head - suffix.Length > 0)
            return parent[..(head - suffix.Length)] + Md5Hex(parent) + suffix;

        var trimmed = parent.Length > head ? parent[..head] : parent;
        var result = trimmed + Md5Hex(parent + suffix);
        var missing = LongestName - result.Length;
        if (missing > 0) result += suffix[..Math.Min(missing, suffix.Length)];
        return result.TrimEnd(c => !char.IsLetterOrDigit(c));
    }

    private static string TrimEnd(this string value, Func<char, bool> trim)
    {
        var end = value.Length;
        while (end > 0 && trim(value[end - 1])) end--;
        return value[..end];
    }

    private static string Md5Hex(string value) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(value)));

    public static string MeshVirtualService(string ingressName) => ChildName(ingressName, "-mesh");
    public static string IngressVirtualService(string ingressName) => ChildName(ingressName, "-ingress");

    /// <summary>zlib's adler32, as Go's <c>hash/adler32.Checksum</c>.</summary>
    public static uint Adler32(string value)
    {
        const uint mod = 65521;
        uint a = 1, b = 0;
        foreach (var octet in Encoding.UTF8.GetBytes(value))
        {
            a = (a + octet) % mod;
            b = (b + a) % mod;
        }
        return (b << 16) | a;
    }

    private static string Decimal(uint value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Name of a per-Ingress Gateway bound to one gateway Service: <c>&lt;prefix&gt;-&lt;adler32 of svc-ns/svc-name[-local]&gt;</c>.
    /// </summary>
    public static string GatewayName(string ingressName, string visibility, string serviceNamespace, string serviceName)
    {
        var prefix = LabelValidation.IsNetIstioDnsLabel(ingressName) ? ingressName : Decimal(Adler32(ingressName));
        var key = serviceNamespace + "/" + serviceName;
        if (visibility == NetworkingConstants.VisibilityClusterLocal) key += "-local";
        var checksum = Decimal(Adler32(key));
        var maxPrefix = LongestName - checksum.Length - 1;
        if (prefix.Length > maxPrefix) prefix = prefix[..maxPrefix];
        return prefix + "-" + checksum;
    }

    /// <summary>Name of the shared wildcard Gateway of one wildcard Secret and gateway Service (lowercase hex adler32).</summary>
    public static string WildcardGatewayName(string secretName, string serviceNamespace, string serviceName) =>
        "wildcard-" + Adler32(secretName + "-" + serviceNamespace + "-" + serviceName).ToString("x", CultureInfo.InvariantCulture);

    /// <summary><c>&lt;ns&gt;/&lt;name or adler32 when not a DNS label&gt;</c>: the part of a server port name before ':'.</summary>
    public static string PortNamePrefix(string ingressNamespace, string ingressName) =>
        ingressNamespace + "/" + (LabelValidation.IsNetIstioDnsLabel(ingressName) ? ingressName : Decimal(Adler32(ingressName)));

    /// <summary>Port name of the i-th TLS server of an Ingress.</summary>
    public static string TlsServerPortName(string ingressNamespace, string ingressName, int index) =>
        PortNamePrefix(ingressNamespace, ingressName) + ":" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether a Gateway server (by port name) belongs to the Ingress: <c>&lt;prefix&gt;:&lt;anything&gt;</c>, exactly one ':'.</summary>
    public static bool ServerBelongsToIngress(string? portName, string ingressNamespace, string ingressName)
    {
        var parts = (portName ?? "").Split(':');
        return parts.Length == 2 && parts[0] == PortNamePrefix(ingressNamespace, ingressName);
    }

    /// <summary>Name of a non-wildcard Secret copy: <c>&lt;ingress-name&gt;-&lt;origin uid&gt;</c>.</summary>
    public static string SecretCopyName(string ingressName, string originUid) => ingressName + "-" + originUid;

    /// <summary>Name of a wildcard Secret copy: <c>&lt;origin-ns&gt;--&lt;origin-name&gt;-wildcard</c>.</summary>
    public static string WildcardSecretCopyName(string originNamespace, string originName) => originNamespace + "--" + originName + "-wildcard";

    /// <summary>
    /// The <c>originSecretName</c> label value: the name when at most 63 characters, else its first <c>62-len(d)</c>
    /// characters, '-', and d = decimal adler32 of the name.
    /// </summary>
    public static string OriginSecretNameLabelValue(string secretName)
    {
        if (secretName.Length <= LongestName) return secretName;
        var checksum = Decimal(Adler32(secretName));
        return secretName[..(LongestName - 1 - checksum.Length)] + "-" + checksum;
    }
}
