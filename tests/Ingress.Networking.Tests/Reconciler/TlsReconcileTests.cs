using Ingress.Api;
using Ingress.Api.Core.V1;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.Api.Meta.V1;
using Ingress.Kube.Client;
using Ingress.Kube.Typed;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;
using GatewayModel = Ingress.Api.Istio.Networking.V1Beta1.Gateway;
using static Ingress.Networking.Tests.Reconciler.NetworkingCluster;

namespace Ingress.Networking.Tests.Reconciler;

/// <summary>External TLS end to end (spec §6.1, §6.2, §8.2): Secret copy into the gateway namespace, per-Ingress Gateway,
/// and finalization deleting the copy while owner-reference GC removes the Gateway.</summary>
public class TlsReconcileTests
{
    /// <summary>A certificate for host-tls.example.com and host-tls.test-ns.svc.cluster.local (made once with openssl; the
    /// same one the golden Gateway cases use).</summary>
    private const string CertificatePem = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJ2VENDQVdLZ0F3SUJBZ0lVZXk0aS8xMVRlSjZHYjIxckxPVmtvT0ovWFhnd0NnWUlLb1pJemowRUF3SXcKRURFT01Bd0dBMVVFQXd3RmNHeGhhVzR3SGhjTk1qWXhNVEl5TURRMU5qVTNXaGNOTXpZeE1URTVNRFExTmpVMwpXakFRTVE0d0RBWURWUVFEREFWd2JHRnBiakJaTUJNR0J5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEEwSUFCRzRiCmJmU0NZVElseHF0eFZkVjdJNDlPMFFuaWVZUS9MSmVzUGc1SDZYbWpKcFFyc1RTQU0zV0FOajRWNSt4VkZQZU8Kby9tdlUxZHh4bW9TeTc4SHdxS2pnWmt3Z1pZd0hRWURWUjBPQkJZRUZCWXpzZ2V5VFBEa1RWYlBLd2NtcXN0ZgphbVFTTUI4R0ExVWRJd1FZTUJhQUZCWXpzZ2V5VFBEa1RWYlBLd2NtcXN0ZmFtUVNNQThHQTFVZEV3RUIvd1FGCk1BTUJBZjh3UXdZRFZSMFJCRHd3T29JVWFHOXpkQzEwYkhNdVpYaGhiWEJzWlM1amIyMkNJbWh2YzNRdGRHeHoKTG5SbGMzUXRibk11YzNaakxtTnNkWE4wWlhJdWJHOWpZV3d3Q2dZSUtvWkl6ajBFQXdJRFNRQXdSZ0loQUtMdgp1S2k4aGI3VHBCQjRKbTUwSURTemJhYTk3UkdjaDlIbmNLWE9BMldEQWlFQS9iTlB4d05uR21FdC9sYjZ5TGFQCm1Db0Foem1nUXpnK0UwTHU4bTd6SWt3PQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==";

    [Fact]
    public async Task CopiesTheSecretCreatesTheIngressGatewayAndCleansBothUpOnDelete()
    {
        await using var cluster = await StartAsync(fixedProbeAnswer: true);
        var origin = await cluster.Client.For<Secret>().CreateAsync(new Secret
        {
            Metadata = new ObjectMeta { Name = "tls-origin", Namespace = Ns, Labels = new() { [NetworkingConstants.CertificateUidLabel] = "cert-1" } },
            Type = "kubernetes.io/tls",
            Data = new() { ["tls.crt"] = CertificatePem, ["tls.key"] = "a2V5" },
        }, ct: cluster.Token);
        await cluster.CreateIngressAsync(KubeJson.Deserialize<IngressModel>("""
            {"apiVersion":"networking.internal.knative.dev/v1alpha1","kind":"Ingress",
             "metadata":{"name":"secure","namespace":"default","annotations":{"networking.knative.dev/ingress.class":"istio.ingress.networking.knative.dev"}},
             "spec":{"tls":[{"hosts":["host-tls.example.com"],"secretName":"tls-origin","secretNamespace":"default"}],
               "rules":[{"hosts":["host-tls.example.com"],"visibility":"ExternalIP","http":{"paths":[
               {"splits":[{"serviceNamespace":"default","serviceName":"secure-1","servicePort":80,"percent":100}]}]}}]}}
            """));

        var copySelector = new ListOptions(LabelSelector: $"{NetworkingConstants.OriginSecretNamespaceLabel}=default,{NetworkingConstants.OriginSecretNameLabel}=tls-origin");
        var copies = await cluster.EventuallyAsync(async () => (await cluster.Client.For<Secret>().ListAllAsync(GatewayNs, copySelector, cluster.Token)).Items,
            l => l.Count == 1, "the Secret copy in istio-system");
        var copy = copies[0];
        Assert.Equal(origin.Data, copy.Data);
        Assert.Equal("cert-1", copy.Metadata.Labels![NetworkingConstants.CertificateUidLabel]);

        var gateways = await cluster.EventuallyAsync(async () => (await cluster.Client.For<GatewayModel>().ListAllAsync(Ns,
                new ListOptions(LabelSelector: NetworkingConstants.IngressLabel + "=secure"), cluster.Token)).Items,
            l => l.Count == 1, "the per-Ingress Gateway");
        var gateway = gateways[0];
        var https = Assert.Single(gateway.Spec!.Servers!, s => s.Port!.Number == 443);
        Assert.Equal(copy.Metadata.Name, https.Tls!.CredentialName);
        var vs = await cluster.EventuallyAsync(() => cluster.GetVirtualServiceAsync("secure-ingress"), v => v is not null, "secure-ingress");
        Assert.Contains(Ns + "/" + gateway.Metadata.Name, vs!.Spec!.Gateways!);
        await cluster.EventuallyAsync(() => cluster.GetIngressAsync("secure"), IsReady, "Ready");

        await cluster.Client.For<IngressModel>().DeleteAsync(Ns, "secure", ct: cluster.Token);
        await cluster.EventuallyAsync(() => cluster.GetIngressAsync("secure"), i => i is null, "the KIngress gone");
        Assert.Empty((await cluster.Client.For<Secret>().ListAllAsync(GatewayNs, copySelector, cluster.Token)).Items);
        await cluster.EventuallyAsync(() => cluster.Client.For<GatewayModel>().TryGetAsync(Ns, gateway.Metadata.Name!, cluster.Token), g => g is null, "per-Ingress Gateway collected");
        Assert.NotNull(await cluster.Client.For<Secret>().TryGetAsync(Ns, "tls-origin", cluster.Token));
    }
}
