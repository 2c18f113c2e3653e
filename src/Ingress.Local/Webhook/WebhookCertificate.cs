using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Ingress.Local.Webhook;

/// <summary>The webhook's self-managed certificate: a CA (whose PEM goes into the registrations' caBundle)
/// and a serving certificate for the webhook Service's DNS names, kept in the Secret webhook-certs under
/// Knative's keys (ca-cert.pem, server-cert.pem, server-key.pem).</summary>
public sealed record WebhookCertificate(string CaPem, string CertPem, string KeyPem)
{
    public const string CaKey = "ca-cert.pem";
    public const string CertKey = "server-cert.pem";
    public const string PrivateKeyKey = "server-key.pem";

    /// <summary>7 days, as Knative's webhook: short enough that a leaked key expires soon, long enough that a
    /// webhook down for a weekend comes back with a valid certificate.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromDays(7);

    /// <summary>Rotate when less than a day is left, so every replica and the API server's cached CA bundle
    /// pick up the new one long before the old one expires.</summary>
    public static readonly TimeSpan RotateBefore = TimeSpan.FromDays(1);

    /// <summary>The names the API server dials: service.namespace.svc is what clientConfig.service resolves to.</summary>
    public static IReadOnlyList<string> DnsNames(string service, string ns) =>
        [service, $"{service}.{ns}", $"{service}.{ns}.svc", $"{service}.{ns}.svc.cluster.local"];

    public static WebhookCertificate Create(string service, string ns, DateTimeOffset now)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={service}.{ns}.svc CA,O=knative.dev", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        // Backdated a little: nodes' clocks differ and a certificate "not yet valid" is refused.
        var notBefore = now.AddMinutes(-5);
        using var ca = caRequest.CreateSelfSigned(notBefore, now + Validity);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={service}.{ns}.svc", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in DnsNames(service, ns)) san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = request.Create(ca, notBefore, now + Validity, RandomNumberGenerator.GetBytes(16));
        return new WebhookCertificate(ca.ExportCertificatePem(), cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>From a Secret's data (base64 values); null when a key is missing or does not decode.</summary>
    public static WebhookCertificate? FromSecretData(IReadOnlyDictionary<string, string> data)
    {
        try
        {
            string? Read(string key) => data.TryGetValue(key, out var v) ? Encoding.UTF8.GetString(Convert.FromBase64String(v)) : null;
            var (ca, cert, key) = (Read(CaKey), Read(CertKey), Read(PrivateKeyKey));
            return ca is null || cert is null || key is null ? null : new WebhookCertificate(ca, cert, key);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public IReadOnlyDictionary<string, string> ToSecretData() => new Dictionary<string, string>
    {
        [CaKey] = Convert.ToBase64String(Encoding.UTF8.GetBytes(CaPem)),
        [CertKey] = Convert.ToBase64String(Encoding.UTF8.GetBytes(CertPem)),
        [PrivateKeyKey] = Convert.ToBase64String(Encoding.UTF8.GetBytes(KeyPem)),
    };

    /// <summary>Why this certificate must be replaced, or null when it is good for the service until after
    /// <see cref="RotateBefore"/> from now.</summary>
    public string? RotationReason(string service, string ns, DateTimeOffset now)
    {
        try
        {
            using var cert = X509Certificate2.CreateFromPem(CertPem, KeyPem);
            using var ca = X509Certificate2.CreateFromPem(CaPem);
            if (cert.NotAfter.ToUniversalTime() - now.UtcDateTime < RotateBefore) return $"expires at {cert.NotAfter.ToUniversalTime():O}";
            var names = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToHashSet();
            if (!DnsNames(service, ns).All(names.Contains)) return "does not name " + $"{service}.{ns}.svc";
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = now.UtcDateTime;
            return chain.Build(cert) ? null : "is not signed by the CA in the Secret";
        }
        catch (CryptographicException e)
        {
            return "does not parse: " + e.Message;
        }
    }

    /// <summary>The serving certificate with its key, loadable by Kestrel.</summary>
    public X509Certificate2 ToServerCertificate()
    {
        using var pem = X509Certificate2.CreateFromPem(CertPem, KeyPem);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}
