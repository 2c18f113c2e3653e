using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ingress.Networking.Resources;

namespace Ingress.Networking.Tests.Resources;

public class CertificateHostsTests
{
    internal static byte[] CertPem(params string[] dnsNames)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=test", key, HashAlgorithmName.SHA256);
        if (dnsNames.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames) san.AddDnsName(name);
            request.CertificateExtensions.Add(san.Build());
        }
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return Encoding.ASCII.GetBytes(cert.ExportCertificatePem() + "\n");
    }

    [Fact]
    public void ReadsDnsNamesAndClassifiesWildcards()
    {
        var hosts = CertificateHosts.FromTlsCrt(CertPem("*.example.com", "example.com"), "ns", "s", out var error);
        Assert.Null(error);
        Assert.Equal(["*.example.com", "example.com"], hosts);
        Assert.True(CertificateHosts.IsWildcard(hosts, out error));
        Assert.Null(error);
        Assert.False(CertificateHosts.IsWildcard(["a.example.com"], out _));
    }

    [Fact]
    public void Errors()
    {
        CertificateHosts.FromTlsCrt(Encoding.ASCII.GetBytes("not pem"), "ns", "s", out var error);
        Assert.Equal("failed to decode PEM data for secret ns/s", error);
        CertificateHosts.FromTlsCrt(null, "ns", "s", out error);
        Assert.Equal("failed to decode PEM data for secret ns/s", error);
        CertificateHosts.FromTlsCrt(Encoding.ASCII.GetBytes("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "ns", "s", out error);
        Assert.StartsWith("failed to parse certificate for secret ns/s: ", error);
        CertificateHosts.FromTlsCrt(CertPem(), "ns", "s", out error);
        Assert.Equal("certificate should have DNS names, but it has 0", error);
        CertificateHosts.IsWildcard(["localhost"], out error);
        Assert.Equal("incorrect domain format, got domain localhost", error);
    }
}
