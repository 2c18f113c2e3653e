using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Ingress.Networking.Resources;

/// <summary>Classification of TLS Secrets by their certificate's DNS names (spec §6.1).</summary>
public static class CertificateHosts
{
    /// <summary>
    /// <c>GetHostsFromCertSecret</c>: the DNS SANs of the first PEM block of <c>tls.crt</c>. Errors (as upstream):
    /// <c>failed to decode PEM data for secret ns/name</c>, <c>failed to parse certificate for secret ns/name: ...</c>,
    /// <c>certificate should have DNS names, but it has 0</c>.
    /// </summary>
    public static IReadOnlyList<string> FromTlsCrt(byte[]? tlsCrt, string secretNamespace, string secretName, out string? error)
    {
        error = null;
        var der = FirstPemBlock(tlsCrt);
        if (der is null)
        {
            error = $"failed to decode PEM data for secret {secretNamespace}/{secretName}";
            return [];
        }
        X509Certificate2 cert;
        try
        {
            cert = X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException e)
        {
            error = $"failed to parse certificate for secret {secretNamespace}/{secretName}: {e.Message}";
            return [];
        }
        using (cert)
        {
            var names = new List<string>();
            foreach (var ext in cert.Extensions)
            {
                if (ext is X509SubjectAlternativeNameExtension san) names.AddRange(san.EnumerateDnsNames());
            }
            if (names.Count == 0)
            {
                error = "certificate should have DNS names, but it has 0";
                return [];
            }
            return names;
        }
    }

    /// <summary>
    /// Whether any DNS name's first label is <c>*</c>. A name without a dot is an error:
    /// <c>incorrect domain format, got domain &lt;d&gt;</c>.
    /// </summary>
    public static bool IsWildcard(IReadOnlyList<string> dnsNames, out string? error)
    {
        error = null;
        foreach (var name in dnsNames)
        {
            var dot = name.IndexOf('.');
            if (dot < 0)
            {
                error = $"incorrect domain format, got domain {name}";
                return false;
            }
            if (name[..dot] == "*") return true;
        }
        return false;
    }

    /// <summary>Go's <c>pem.Decode</c>: the bytes of the first well-formed PEM block, or null.</summary>
    private static byte[]? FirstPemBlock(byte[]? data)
    {
        if (data is null || data.Length == 0) return null;
        var text = Encoding.ASCII.GetString(data);
        var begin = text.IndexOf("-----BEGIN ", StringComparison.Ordinal);
        while (begin >= 0)
        {
            var typeEnd = text.IndexOf("-----", begin + 11, StringComparison.Ordinal);
            if (typeEnd < 0) return null;
            var type = text[(begin + 11)..typeEnd];
            var bodyStart = typeEnd + 5;
            var endMarker = "-----END " + type + "-----";
            var end = text.IndexOf(endMarker, bodyStart, StringComparison.Ordinal);
            if (end < 0) return null;
            var body = text[bodyStart..end];
            // Headers (Proc-Type etc.) end at an empty line; only the base64 body matters here.
            var blank = body.IndexOf("\n\n", StringComparison.Ordinal);
            if (body.Contains(':') && blank >= 0) body = body[(blank + 2)..];
            try
            {
                return Convert.FromBase64String(string.Concat(body.Where(c => !char.IsWhiteSpace(c))));
            }
            catch (FormatException)
            {
                begin = text.IndexOf("-----BEGIN ", end, StringComparison.Ordinal);
            }
        }
        return null;
    }
}
