using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Api.Core.V1;
using Ingress.Networking.Config;
using Ingress.Networking.Probing;
using Ingress.Networking.Resources;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;
using GatewayModel = Ingress.Api.Istio.Networking.V1Beta1.Gateway;

namespace Ingress.Networking.Tests.Golden;

/// <summary>
/// Golden tests: <c>Golden/&lt;builder&gt;/&lt;case&gt;/input.yaml</c> → <c>expected.yaml</c>. The input holds the
/// KIngress and whatever the pass reads (config-istio, config-network, Secrets, Services, Gateways, Endpoints).
/// Run with UPDATE_GOLDEN=1 to rewrite the expected files (then review every diff against the spec).
/// </summary>
public class GoldenTests
{
    public const string ClusterDomain = "cluster.local";
    public const string SystemNamespace = "knative-testing";

    public static IEnumerable<object[]> Cases()
    {
        var root = GoldenRoot();
        foreach (var builder in Directory.GetDirectories(root).Where(d => Path.GetFileName(d) != "tools").Order(StringComparer.Ordinal))
        foreach (var dir in Directory.GetDirectories(builder).Order(StringComparer.Ordinal))
            yield return [Path.GetFileName(builder) + "/" + Path.GetFileName(dir)];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Golden(string name)
    {
        var dir = Path.Combine(GoldenRoot(), name);
        var builder = name.Split('/')[0];
        var yaml = File.ReadAllText(Path.Combine(dir, "input.yaml"));
        var actual = builder == "RenderProbeTargets" ? await RenderProbeTargetsAsync(yaml) : Render(builder, Inputs.Parse(yaml));
        var expectedPath = Path.Combine(dir, "expected.yaml");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(expectedPath, actual);
            return;
        }
        Assert.True(File.Exists(expectedPath), $"missing {expectedPath}; run with UPDATE_GOLDEN=1");
        Assert.Equal(File.ReadAllText(expectedPath), actual);
    }

    private static string Render(string builder, Inputs input)
    {
        try
        {
            return builder switch
            {
                "VirtualServices" => Docs(Plan(input).VirtualServices.Select(v => KubeJson.ToNode(v))),
                "Gateways" => Docs(Plan(input) is var p ? p.ExternalIngressGateways.Concat(p.ClusterLocalIngressGateways).Concat(p.WildcardGateways).Select(g => KubeJson.ToNode(g)) : []),
                "Secrets" => Docs(Plan(input).SecretCopies.Select(s => KubeJson.ToNode(s))),
                "Status" => Docs([PlanSummary(Plan(input))]),
                "Hash" => Docs([Hash(input)]),
                "Config" => Docs([ConfigSummary(input)]),
                "ProbeTargets" => Docs([ProbeTargets(input)]),
                "GatewayUpdate" => Docs([GatewayUpdate(input)]),
                _ => throw new InvalidOperationException($"unknown golden builder {builder}"),
            };
        }
        catch (Exception e) when (e is ResourceBuildException or ProbeTargetException)
        {
            return Docs([new JsonObject { ["error"] = e.Message }]);
        }
    }

    private static string Docs(IEnumerable<JsonNode?> docs)
    {
        var list = docs.ToList();
        return list.Count == 0 ? "# nothing\n" : KubeYaml.SerializeDocuments(list);
    }

    private static IngressPlan Plan(Inputs input) =>
        IngressPlan.Build(input.Ingress!, input.Config(), input, ClusterDomain, SystemNamespace);

    private static JsonObject PlanSummary(IngressPlan plan)
    {
        var ingress = IngressSpecs.DeepCopy(plan.DefaultedIngress);
        ingress.Metadata.Generation ??= 1;
        IngressStatusRules.BeginPass(ingress, new FixedClock());
        IngressStatusRules.MarkNetworkConfigured(ingress, new FixedClock());
        IngressStatusRules.MarkLoadBalancerReady(ingress, plan.PublicLoadBalancer, plan.PrivateLoadBalancer, new FixedClock());
        IngressStatusRules.EndPass(ingress);
        return new JsonObject
        {
            ["meshOnly"] = plan.MeshOnly,
            ["hash"] = plan.Hash,
            ["gateways"] = new JsonObject
            {
                ["ExternalIP"] = new JsonArray(plan.GatewayMap.External.Select(g => (JsonNode)g).ToArray()),
                ["ClusterLocal"] = new JsonArray(plan.GatewayMap.ClusterLocal.Select(g => (JsonNode)g).ToArray()),
            },
            ["trackedSecrets"] = new JsonArray(plan.TrackedOriginSecrets.Select(s => (JsonNode)s).ToArray()),
            ["probe"] = plan.Probe is null ? null : new JsonArray(plan.Probe.Gateways.Select(g => (JsonNode)new JsonObject
            {
                ["gateway"] = g.GatewayQualifiedName,
                ["hosts"] = new JsonArray(g.Hosts.Select(h => (JsonNode)h).ToArray()),
            }).ToArray()),
            ["readyStatus"] = KubeJson.ToNode(ingress.Status!),
        };
    }

    private static JsonObject Hash(Inputs input)
    {
        var ingress = IngressSpecs.SetDefaults(IngressSpecs.DeepCopy(input.Ingress!));
        return new JsonObject
        {
            ["specJson"] = IngressHash.SpecJson(ingress.Spec),
            ["hash"] = IngressHash.Compute(ingress.Spec, ingress.Metadata.Namespace, ingress.Metadata.Name),
        };
    }

    private static JsonObject ConfigSummary(Inputs input)
    {
        var istio = IstioConfig.Parse(input.ConfigMaps.GetValueOrDefault("config-istio")?.Data, SystemNamespace, ClusterDomain);
        var network = NetworkConfig.Parse(input.ConfigMaps.GetValueOrDefault("config-network")?.Data);
        var result = new JsonObject();
        if (!istio.IsSuccess) result["istioError"] = new JsonObject { ["kind"] = istio.Error!.Kind.ToString(), ["message"] = istio.Error.Message };
        else
        {
            result["gatewaysEnabled"] = istio.Value!.GatewaysEnabled;
            result["external"] = Gateways(istio.Value.IngressGateways);
            result["local"] = Gateways(istio.Value.LocalGateways);
            if (input.Ingress is not null)
            {
                var selected = GatewaySelection.GatewaysFor(istio.Value, input.Ingress.Metadata.Labels);
                result["selectedExternal"] = new JsonArray(selected.External.Select(g => (JsonNode)g.QualifiedName).ToArray());
                result["selectedLocal"] = new JsonArray(selected.Local.Select(g => (JsonNode)g.QualifiedName).ToArray());
            }
        }
        if (!network.IsSuccess) result["networkError"] = new JsonObject { ["kind"] = network.Error!.Kind.ToString(), ["message"] = network.Error.Message };
        else
        {
            result["clusterLocalDomainTls"] = network.Value!.ClusterLocalDomainTls;
            result["externalDomainTls"] = network.Value.ExternalDomainTls;
            result["httpProtocol"] = network.Value.HttpProtocol.ToString();
        }
        return result;

        static JsonArray Gateways(IEnumerable<IstioGateway> gateways) => new(gateways.Select(g => (JsonNode)new JsonObject
        {
            ["qualifiedName"] = g.QualifiedName,
            ["service"] = g.ServiceUrl,
            ["hasSelector"] = g.LabelSelector is not null,
        }).ToArray());
    }

    private static JsonObject ProbeTargets(Inputs input)
    {
        var plan = Plan(input);
        if (plan.Probe is null) return new JsonObject { ["targets"] = new JsonArray() };
        var targets = GatewayProbeTargets.Resolve(plan.Probe, input);
        return new JsonObject
        {
            ["targets"] = new JsonArray(targets.Select(t => (JsonNode)new JsonObject
            {
                ["url"] = t.Url,
                ["podIPs"] = new JsonArray(t.PodIPs.Order(StringComparer.Ordinal).Select(ip => (JsonNode)ip).ToArray()),
                ["podPort"] = t.PodPort,
                ["port"] = t.Port,
            }).ToArray()),
        };
    }

    /// <summary>Finalization of the shared configured Gateways in the input (spec §6.6, §8.2).</summary>
    private static JsonObject GatewayUpdate(Inputs input)
    {
        var result = new JsonObject();
        foreach (var gateway in input.Gateways)
        {
            var servers = Ingress.Networking.Resources.Gateways.ServersAfterFinalize(gateway, input.Ingress!);
            result[gateway.Metadata.Namespace + "/" + gateway.Metadata.Name] = servers is null
                ? "unchanged"
                : new JsonArray(servers.Select(s => KubeJson.ToNode(s)).ToArray());
        }
        return result;
    }

    /// <summary>
    /// <c>ingress render --show-probe-targets</c>'s documents: the input loaded as is into the embedded API server (in
    /// memory, every CRD), then <see cref="Ingress.Networking.Reconciler.KIngressDiagnoser.ProbeTargetDocumentsAsync"/>
    /// over real HTTP, as render does once its controllers have settled.
    /// </summary>
    private static async Task<string> RenderProbeTargetsAsync(string yaml)
    {
        await using var server = new Ingress.ApiServer.ApiServerHost(new Ingress.ApiServer.ApiServerOptions());
        server.PreloadCustomResourceDefinitions(Reconciler.NetworkingCluster.LoadCrds());
        await server.StartAsync();
        var docs = KubeYaml.ParseDocuments(yaml);
        foreach (var ns in docs.Select(d => d["metadata"]?["namespace"]?.ToString()).OfType<string>().Distinct(StringComparer.Ordinal))
            server.LoadAsIs(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } });
        foreach (var doc in docs) server.LoadAsIs(doc);
        using var client = new Ingress.Kube.Client.KubeClient(Ingress.Kube.Client.KubeConnection.FromServer(server.BaseUri));
        var documents = await new Ingress.Networking.Reconciler.KIngressDiagnoser(client, SystemNamespace, ClusterDomain).ProbeTargetDocumentsAsync();
        return Docs(documents);
    }

    private static string GoldenRoot([System.Runtime.CompilerServices.CallerFilePath] string source = "") =>
        Path.GetDirectoryName(source)!;

    private sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }
}

/// <summary>The objects of one golden input.</summary>
public sealed class Inputs : IPlanLookups, IGatewayPodLookups
{
    public IngressModel? Ingress { get; private set; }
    public Dictionary<string, ConfigMap> ConfigMaps { get; } = new(StringComparer.Ordinal);
    public List<Secret> SecretObjects { get; } = [];
    public List<Service> Services { get; } = [];
    public List<GatewayModel> Gateways { get; } = [];
    public List<Endpoints> EndpointsObjects { get; } = [];

    public static Inputs Parse(string yaml)
    {
        var inputs = new Inputs();
        foreach (var doc in KubeYaml.ParseDocuments(yaml))
        {
            switch ((string?)doc["kind"])
            {
                case "Ingress": inputs.Ingress = KubeJson.FromNode<IngressModel>(doc); break;
                case "ConfigMap": var cm = KubeJson.FromNode<ConfigMap>(doc); inputs.ConfigMaps[cm.Metadata.Name!] = cm; break;
                case "Secret": inputs.SecretObjects.Add(KubeJson.FromNode<Secret>(doc)); break;
                case "Service": inputs.Services.Add(KubeJson.FromNode<Service>(doc)); break;
                case "Gateway": inputs.Gateways.Add(KubeJson.FromNode<GatewayModel>(doc)); break;
                case "Endpoints": inputs.EndpointsObjects.Add(KubeJson.FromNode<Endpoints>(doc)); break;
                default: throw new InvalidOperationException($"unexpected kind {doc["kind"]}");
            }
        }
        return inputs;
    }

    public IngressConfig Config()
    {
        var istio = IstioConfig.Parse(ConfigMaps.GetValueOrDefault("config-istio")?.Data, GoldenTests.SystemNamespace, GoldenTests.ClusterDomain);
        var network = NetworkConfig.Parse(ConfigMaps.GetValueOrDefault("config-network")?.Data);
        Assert.True(istio.IsSuccess, istio.Error?.Message);
        Assert.True(network.IsSuccess, network.Error?.Message);
        return new IngressConfig(istio.Value!, network.Value!);
    }

    public Secret? GetSecret(string ns, string name) => SecretObjects.FirstOrDefault(s => s.Metadata.Namespace == ns && s.Metadata.Name == name);
    public Service? GetService(string ns, string name) => Services.FirstOrDefault(s => s.Metadata.Namespace == ns && s.Metadata.Name == name);
    public GatewayModel? GetGateway(string ns, string name) => Gateways.FirstOrDefault(g => g.Metadata.Namespace == ns && g.Metadata.Name == name);
    public IEnumerable<Service> ServicesMatching(IReadOnlyDictionary<string, string> selector) =>
        Services.Where(s => GatewayProbeTargets.SelectorMatches(selector, s.Metadata.Labels));
    public Endpoints? GetEndpoints(string ns, string name) => EndpointsObjects.FirstOrDefault(e => e.Metadata.Namespace == ns && e.Metadata.Name == name);
}
