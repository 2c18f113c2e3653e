using Ingress.Api.Core.V1;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.Api.Meta.V1;
using Ingress.Api.Networking.V1Alpha1;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;
using GatewayModel = Ingress.Api.Istio.Networking.V1Beta1.Gateway;
using PortModel = Ingress.Api.Istio.Networking.V1Beta1.Port;

namespace Ingress.Networking.Resources;

/// <summary>KIngress → Istio Gateways and servers (spec §6.2–6.6). Pure.</summary>
public static class Gateways
{
    public const string HttpServerPortName = "http-server";

    /// <summary>The server Istio needs when every real server is gone.</summary>
    public static Server Placeholder() => new()
    {
        Hosts = ["place-holder.place-holder"],
        Port = new PortModel { Name = "place-holder", Number = NetworkingConstants.PlaceholderPort, Protocol = "HTTP" },
    };

    public static bool IsPlaceholder(Server server) =>
        server.Hosts is ["place-holder.place-holder"] && server.Port is { Name: "place-holder", Number: NetworkingConstants.PlaceholderPort, Protocol: "HTTP", TargetPort: null }
        && server.Tls is null && server.Bind is null && server.Name is null && server.DefaultEndpoint is null;

    /// <summary>Servers sorted by port name as plain strings (so ":10" sorts before ":2").</summary>
    public static List<Server> SortServers(IEnumerable<Server> servers) =>
        servers.OrderBy(s => s.Port?.Name ?? "", StringComparer.Ordinal).ToList();

    /// <summary><c>MakeTLSServers</c>: one HTTPS server per TLS entry.</summary>
    public static List<Server> MakeTlsServers(IngressModel ingress, string visibility, IReadOnlyList<IngressTLS> tls, string gatewayServiceNamespace,
        IReadOnlyDictionary<string, Secret> originSecrets)
    {
        int port = visibility switch
        {
            NetworkingConstants.VisibilityExternalIP => NetworkingConstants.ExternalHttpsPort,
            NetworkingConstants.VisibilityClusterLocal => NetworkingConstants.ClusterLocalHttpsPort,
            _ => throw new ResourceBuildException($"invalid ingress visibility: {visibility}"),
        };
        var servers = new List<Server>(tls.Count);
        for (var i = 0; i < tls.Count; i++)
        {
            var entry = tls[i];
            var credential = entry.SecretName ?? "";
            if (entry.SecretNamespace != gatewayServiceNamespace)
            {
                if (!originSecrets.TryGetValue(SecretKey(entry), out var origin))
                    throw new ResourceBuildException($"unable to get the original secret {entry.SecretNamespace}/{entry.SecretName}");
                credential = Names.SecretCopyName(ingress.Metadata.Name ?? "", origin.Metadata.Uid ?? "");
            }
            servers.Add(new Server
            {
                Hosts = entry.Hosts?.ToList(),
                Port = new PortModel { Name = Names.TlsServerPortName(ingress.Metadata.Namespace ?? "", ingress.Metadata.Name ?? "", i), Number = port, Protocol = "HTTPS" },
                Tls = new ServerTLSSettings { Mode = "SIMPLE", CredentialName = credential },
            });
        }
        return SortServers(servers);
    }

    /// <summary><c>MakeIngressTLSGateways</c>: one Gateway per external gateway Service, none without TLS entries.</summary>
    public static List<GatewayModel> MakeIngressTlsGateways(IngressModel ingress, string visibility, IReadOnlyList<IngressTLS> tls,
        IReadOnlyDictionary<string, Secret> originSecrets, IReadOnlyList<Service> gatewayServices)
    {
        if (tls.Count == 0) return [];
        return gatewayServices.Select(svc => MakeIngressGateway(ingress, visibility, svc,
            MakeTlsServers(ingress, visibility, tls, svc.Metadata.Namespace ?? "", originSecrets))).ToList();
    }

    /// <summary><c>MakeExternalIngressGateways</c>: one Gateway per external gateway Service with the given servers.</summary>
    public static List<GatewayModel> MakeExternalIngressGateways(IngressModel ingress, IReadOnlyList<Server> servers, IReadOnlyList<Service> gatewayServices) =>
        gatewayServices.Select(svc => MakeIngressGateway(ingress, NetworkingConstants.VisibilityExternalIP, svc, servers.ToList())).ToList();

    private static GatewayModel MakeIngressGateway(IngressModel ingress, string visibility, Service gatewayService, List<Server> servers) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = Names.GatewayName(ingress.Metadata.Name ?? "", visibility, gatewayService.Metadata.Namespace ?? "", gatewayService.Metadata.Name ?? ""),
            Namespace = ingress.Metadata.Namespace,
            Labels = new Dictionary<string, string> { [NetworkingConstants.IngressLabel] = ingress.Metadata.Name ?? "" },
            OwnerReferences = [OwnerReferences.ControllerOf(ingress)],
        },
        Spec = new GatewaySpec
        {
            Selector = gatewayService.Spec?.Selector is { } selector ? new Dictionary<string, string>(selector) : null,
            Servers = servers,
        },
    };

    /// <summary>
    /// Wildcard Gateways: per wildcard Secret (sorted by ns/name) and external gateway Service, one shared Gateway in
    /// the Secret's namespace, owned by the Secret.
    /// </summary>
    public static List<GatewayModel> MakeWildcardTlsGateways(IReadOnlyDictionary<string, Secret> wildcardSecrets, IReadOnlyList<Service> gatewayServices)
    {
        var result = new List<GatewayModel>();
        if (wildcardSecrets.Count == 0) return result;
        foreach (var svc in gatewayServices)
        {
            foreach (var key in wildcardSecrets.Keys.Order(StringComparer.Ordinal))
            {
                var secret = wildcardSecrets[key];
                var hosts = Secrets.CertificateDnsNames(secret);
                var credential = secret.Metadata.Namespace == svc.Metadata.Namespace
                    ? secret.Metadata.Name
                    : Names.WildcardSecretCopyName(secret.Metadata.Namespace ?? "", secret.Metadata.Name ?? "");
                result.Add(new GatewayModel
                {
                    Metadata = new ObjectMeta
                    {
                        Name = Names.WildcardGatewayName(secret.Metadata.Name ?? "", svc.Metadata.Namespace ?? "", svc.Metadata.Name ?? ""),
                        Namespace = secret.Metadata.Namespace,
                        OwnerReferences =
                        [
                            new OwnerReference { ApiVersion = "v1", Kind = "Secret", Name = secret.Metadata.Name, Uid = secret.Metadata.Uid, Controller = true, BlockOwnerDeletion = true },
                        ],
                    },
                    Spec = new GatewaySpec
                    {
                        Selector = svc.Spec?.Selector is { } selector ? new Dictionary<string, string>(selector) : null,
                        Servers =
                        [
                            new Server
                            {
                                Hosts = hosts.ToList(),
                                Port = new PortModel { Name = "https", Number = NetworkingConstants.ExternalHttpsPort, Protocol = "HTTPS" },
                                Tls = new ServerTLSSettings { Mode = "SIMPLE", CredentialName = credential },
                            },
                        ],
                    },
                });
            }
        }
        return result;
    }

    /// <summary><c>MakeHTTPServer</c>: none for an empty option; port 80 "http-server"; Redirected adds httpsRedirect.</summary>
    public static Server? MakeHttpServer(string? httpOption, IReadOnlyList<string> hosts)
    {
        if (string.IsNullOrEmpty(httpOption)) return null;
        var server = new Server
        {
            Hosts = hosts.ToList(),
            Port = new PortModel { Name = HttpServerPortName, Number = NetworkingConstants.HttpPort, Protocol = "HTTP" },
        };
        if (httpOption == NetworkingConstants.HttpOptionRedirected) server.Tls = new ServerTLSSettings { HttpsRedirect = true };
        return server;
    }

    /// <summary><c>GetServers</c>: the servers of a Gateway that belong to the Ingress, sorted.</summary>
    public static List<Server> ServersOf(GatewayModel gateway, IngressModel ingress) =>
        SortServers((gateway.Spec?.Servers ?? []).Where(s => Names.ServerBelongsToIngress(s.Port?.Name, ingress.Metadata.Namespace ?? "", ingress.Metadata.Name ?? "")));

    /// <summary><c>GetHTTPServer</c>: the first server whose port name is "http-server" or "http".</summary>
    public static Server? HttpServerOf(GatewayModel gateway) =>
        gateway.Spec?.Servers?.FirstOrDefault(s => s.Port?.Name is HttpServerPortName or "http");

    /// <summary>
    /// <c>UpdateGateway</c>: drop the servers named like <paramref name="existing"/> and the placeholder, append
    /// <paramref name="want"/>, add the placeholder back if nothing remains, sort. Returns a new spec's server list.
    /// </summary>
    public static List<Server> UpdatedServers(GatewayModel gateway, IReadOnlyList<Server> want, IReadOnlyList<Server> existing)
    {
        var existingNames = existing.Select(s => s.Port?.Name ?? "").ToHashSet(StringComparer.Ordinal);
        var servers = (gateway.Spec?.Servers ?? []).Where(s => !existingNames.Contains(s.Port?.Name ?? "") && !IsPlaceholder(s)).ToList();
        servers.AddRange(want);
        if (servers.Count == 0) servers.Add(Placeholder());
        return SortServers(servers);
    }

    /// <summary>The finalizer's cleanup of one configured Gateway; null when the Ingress has no servers in it (no update).</summary>
    public static List<Server>? ServersAfterFinalize(GatewayModel gateway, IngressModel ingress)
    {
        var existing = ServersOf(gateway, ingress);
        return existing.Count == 0 ? null : UpdatedServers(gateway, [], existing);
    }

    internal static string SecretKey(IngressTLS tls) => $"{tls.SecretNamespace}/{tls.SecretName}";
}
