using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Ingress.Local.Tests;

/// <summary>What the manifests promise, checked on the files themselves: layout, labels, config maps,
/// pod hardening, HA, images and least-privilege RBAC.</summary>
public sealed class ManifestsContentTests
{
    private const string Version = "0.1.0";
    private static IEnumerable<ManifestObject> NotCrds => Manifests.All.Where(o => o.Kind != "CustomResourceDefinition");

    private static string S(JsonNode? node) => node?.GetValue<string>() ?? "";
    private static IEnumerable<JsonObject> Items(JsonNode? array) => (array as JsonArray ?? []).OfType<JsonObject>();

    private static JsonObject PodSpec(ManifestObject deployment) => deployment.Body["spec"]!["template"]!["spec"]!.AsObject();
    private static JsonObject Container(ManifestObject deployment) => Items(PodSpec(deployment)["containers"]).Single();

    [Fact]
    public void NamespaceSortsFirstAndCrdsBeforeEverythingElse()
    {
        var files = RepoFiles.Yaml("manifests");
        Assert.Equal("manifests/100-namespace.yaml", files[0]);
        var lastCrd = files.ToList().FindLastIndex(f => f.StartsWith("manifests/200-crds/", StringComparison.Ordinal));
        Assert.All(files.Skip(1).Take(lastCrd), f => Assert.StartsWith("manifests/200-crds/", f));
        Assert.All(Manifests.OfKind("CustomResourceDefinition"), o => Assert.StartsWith("manifests/200-crds/", o.File));
    }

    [Fact]
    public void CrdsAreExactCopiesOfTheCrdsFolder()
    {
        var source = Directory.GetFiles(RepoFiles.PathOf("crds"), "*.yaml").Select(Path.GetFileName).Order().ToList();
        var copies = Directory.GetFiles(RepoFiles.PathOf("manifests/200-crds"), "*.yaml").Select(Path.GetFileName).Order().ToList();
        Assert.Equal(source, copies);
        foreach (var name in source)
        {
            Assert.True(File.ReadAllText(RepoFiles.PathOf("crds/" + name)) == File.ReadAllText(RepoFiles.PathOf("manifests/200-crds/" + name)),
                $"manifests/200-crds/{name} differs from crds/{name}: copy it again (cp crds/*.yaml manifests/200-crds/)");
        }
    }

    [Fact]
    public void EveryObjectCarriesTheRecommendedLabels()
    {
        foreach (var o in NotCrds)
        {
            Assert.True(S(o.Labels["app.kubernetes.io/name"]) == "knative-serving", $"{o}: app.kubernetes.io/name");
            Assert.True(S(o.Labels["app.kubernetes.io/part-of"]) == "knative-serving", $"{o}: app.kubernetes.io/part-of");
            Assert.True(S(o.Labels["app.kubernetes.io/version"]) == Version, $"{o}: app.kubernetes.io/version");
            var component = S(o.Labels["app.kubernetes.io/component"]);
            var istioLayer = component.StartsWith("net-istio", StringComparison.Ordinal);
            Assert.True(istioLayer == o.Labels.ContainsKey("networking.knative.dev/ingress-provider"),
                $"{o}: networking.knative.dev/ingress-provider must be set exactly on the Istio layer");
            if (istioLayer) Assert.Equal("istio", S(o.Labels["networking.knative.dev/ingress-provider"]));
        }
    }

    [Theory]
    [InlineData("config-autoscaler")]
    [InlineData("config-defaults")]
    [InlineData("config-deployment")]
    [InlineData("config-domain")]
    [InlineData("config-features")]
    [InlineData("config-gc")]
    [InlineData("config-istio")]
    [InlineData("config-leader-election")]
    [InlineData("config-logging")]
    [InlineData("config-network")]
    [InlineData("config-observability")]
    public void ConfigMapDocumentsEveryKeyInItsExample(string name)
    {
        var cm = Manifests.OfKind("ConfigMap").Single(o => o.Name == name);
        Assert.Equal("knative-serving", cm.Namespace);
        var data = cm.Body["data"]!.AsObject();
        var example = S(data["_example"]);
        Assert.False(string.IsNullOrWhiteSpace(example), name + " has no _example");
        // The example is itself YAML (comments plus key: default lines), so a user can copy lines out of it.
        var parsed = new YamlStream();
        parsed.Load(new StringReader(example));
        var keys = ((YamlMappingNode)parsed.Documents[0].RootNode).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList();
        Assert.NotEmpty(keys);
        foreach (var key in data.Select(kv => kv.Key).Where(k => k != "_example"))
        {
            Assert.True(keys.Contains(key), $"{name}: active key {key} is not documented in _example");
        }
        // Every documented key is preceded by a comment that says what it does.
        var lines = example.Split('\n');
        foreach (var key in keys)
        {
            var at = Array.FindIndex(lines, l => l.StartsWith(key + ":", StringComparison.Ordinal));
            Assert.True(at >= 0, $"{name}: {key} not at the start of a line");
            var previous = lines.Take(at).Reverse().FirstOrDefault(l => l.Trim().Length > 0) ?? "";
            var commentedGroup = lines.Take(at).Reverse().TakeWhile(l => l.Trim().Length > 0).Any(l => l.TrimStart().StartsWith('#'));
            Assert.True(previous.TrimStart().StartsWith('#') || commentedGroup, $"{name}: {key} has no comment above it");
        }
    }

    [Fact]
    public void EveryDeploymentIsHardenedObservableAndHighlyAvailable()
    {
        var deployments = Manifests.OfKind("Deployment").ToList();
        Assert.Equal(["activator", "autoscaler", "controller", "net-istio-controller", "webhook"], deployments.Select(d => d.Name).Order(StringComparer.Ordinal));
        foreach (var d in deployments)
        {
            var pod = PodSpec(d);
            var c = Container(d);
            var sc = c["securityContext"]!;
            Assert.True(sc["readOnlyRootFilesystem"]!.GetValue<bool>(), d.Name);
            Assert.True(sc["runAsNonRoot"]!.GetValue<bool>(), d.Name);
            Assert.False(sc["allowPrivilegeEscalation"]!.GetValue<bool>(), d.Name);
            Assert.Equal(["ALL"], sc["capabilities"]!["drop"]!.AsArray().Select(S));
            Assert.Equal(65532, pod["securityContext"]!["runAsUser"]!.GetValue<long>());
            Assert.Contains(Items(c["volumeMounts"]), m => S(m["mountPath"]) == "/tmp");
            Assert.Contains(Items(pod["volumes"]), v => v["emptyDir"] is not null && S(v["name"]) == "tmp");

            foreach (var kind in new[] { "requests", "limits" })
            foreach (var resource in new[] { "cpu", "memory" })
                Assert.True(c["resources"]?[kind]?[resource] is not null, $"{d.Name}: resources.{kind}.{resource}");
            Assert.NotNull(c["readinessProbe"]?["httpGet"]);
            Assert.NotNull(c["livenessProbe"]?["httpGet"]);
            Assert.Contains(Items(c["ports"]), p => S(p["name"]) == "http-metrics" && p["containerPort"]!.GetValue<long>() == 9090);

            var env = Items(c["env"]).ToDictionary(e => S(e["name"]));
            Assert.Equal("metadata.namespace", S(env["SYSTEM_NAMESPACE"]["valueFrom"]!["fieldRef"]!["fieldPath"]));
            Assert.Equal("metadata.name", S(env["POD_NAME"]["valueFrom"]!["fieldRef"]!["fieldPath"]));
            Assert.Equal("config-logging", S(env["CONFIG_LOGGING_NAME"]["value"]));
            Assert.Equal("config-observability", S(env["CONFIG_OBSERVABILITY_NAME"]["value"]));

            Assert.Equal($"ghcr.io/ingress-knative/{d.Name}:{Version}", S(c["image"]));
            Assert.True(Manifests.OfKind("ServiceAccount").Any(sa => sa.Name == S(pod["serviceAccountName"])), d.Name + ": service account");

            var replicas = d.Body["spec"]!["replicas"]?.GetValue<long>()
                ?? Manifests.OfKind("HorizontalPodAutoscaler").Single(h => S(h.Body["spec"]!["scaleTargetRef"]!["name"]) == d.Name)
                    .Body["spec"]!["minReplicas"]!.GetValue<long>();
            Assert.True(replicas >= 2, $"{d.Name}: {replicas} replicas");
            var selector = d.Body["spec"]!["selector"]!["matchLabels"]!.AsObject();
            Assert.Contains(Manifests.OfKind("PodDisruptionBudget"), p => JsonNode.DeepEquals(p.Body["spec"]!["selector"]!["matchLabels"], selector));
        }
    }

    [Fact]
    public void TheActivatorScalesOutOnCpuAndItsRequestMakesThatPossible()
    {
        var hpa = Manifests.OfKind("HorizontalPodAutoscaler").Single();
        Assert.Equal("activator", S(hpa.Body["spec"]!["scaleTargetRef"]!["name"]));
        Assert.True(hpa.Body["spec"]!["maxReplicas"]!.GetValue<long>() > hpa.Body["spec"]!["minReplicas"]!.GetValue<long>());
        Assert.Equal("cpu", S(hpa.Body["spec"]!["metrics"]![0]!["resource"]!["name"]));
        var activator = Manifests.OfKind("Deployment").Single(d => d.Name == "activator");
        Assert.Null(activator.Body["spec"]!["replicas"]); // left to the HPA so re-applying does not scale in
        Assert.NotNull(Container(activator)["resources"]!["requests"]!["cpu"]);
    }

    [Fact]
    public void EveryImageHasADockerfileAndQueueProxyIsConfigured()
    {
        var queueProxy = S(Manifests.OfKind("ConfigMap").Single(o => o.Name == "config-deployment").Body["data"]!["queue-sidecar-image"]);
        var images = Manifests.OfKind("Deployment").Select(d => S(Container(d)["image"])).Append(queueProxy);
        foreach (var image in images)
        {
            Assert.StartsWith("ghcr.io/ingress-knative/", image);
            var component = image["ghcr.io/ingress-knative/".Length..].Split(':')[0];
            var dockerfile = RepoFiles.PathOf($"docker/{component}.Dockerfile");
            Assert.True(File.Exists(dockerfile), "missing " + dockerfile);
            var text = File.ReadAllText(dockerfile);
            Assert.Contains("USER 65532", text);
            Assert.Contains($"ENTRYPOINT [\"/app/ingress\", \"{component}\"]", text);
        }
    }

    [Fact]
    public void EveryServiceSelectsAPodTemplateAndNamesItsPorts()
    {
        foreach (var svc in Manifests.OfKind("Service").Where(s => s.Namespace == "knative-serving"))
        {
            var selector = svc.Body["spec"]!["selector"]!.AsObject();
            var target = Manifests.OfKind("Deployment").SingleOrDefault(d =>
                selector.All(kv => S(d.Body["spec"]!["template"]!["metadata"]!["labels"]![kv.Key]) == S(kv.Value)));
            Assert.True(target is not null, $"{svc}: selects no Deployment");
            var portNames = Items(Container(target)["ports"]).Select(p => S(p["name"])).ToHashSet();
            foreach (var port in Items(svc.Body["spec"]!["ports"]))
                Assert.True(portNames.Contains(S(port["targetPort"])), $"{svc}: targetPort {port["targetPort"]} is not a named container port");
        }
    }

    [Fact]
    public void RbacIsLeastPrivilege()
    {
        var roles = Manifests.All.Where(o => o.Kind is "ClusterRole" or "Role").ToList();
        var bindings = Manifests.All.Where(o => o.Kind is "ClusterRoleBinding" or "RoleBinding").ToList();
        foreach (var b in bindings)
        {
            var roleRef = b.Body["roleRef"]!;
            Assert.NotEqual("cluster-admin", S(roleRef["name"]));
            Assert.True(roles.Any(r => r.Kind == S(roleRef["kind"]) && r.Name == S(roleRef["name"]) && (r.Kind == "ClusterRole" || r.Namespace == b.Namespace)),
                $"{b}: role {roleRef["name"]} is not in the manifests");
            foreach (var subject in Items(b.Body["subjects"]))
            {
                Assert.Equal("ServiceAccount", S(subject["kind"]));
                Assert.Contains(Manifests.OfKind("ServiceAccount"), sa => sa.Name == S(subject["name"]) && sa.Namespace == S(subject["namespace"]));
            }
        }

        // Component roles (those bound to a service account) never use wildcards.
        var bound = bindings.Select(b => (S(b.Body["roleRef"]!["kind"]), S(b.Body["roleRef"]!["name"]))).ToHashSet();
        foreach (var role in roles.Where(r => bound.Contains((r.Kind, r.Name))))
        foreach (var rule in Items(role.Body["rules"]))
        {
            Assert.DoesNotContain("*", rule["verbs"]!.AsArray().Select(S));
            Assert.DoesNotContain("*", rule["resources"]!.AsArray().Select(S));
            Assert.DoesNotContain("*", rule["apiGroups"]!.AsArray().Select(S));
        }

        // Secrets: read cluster-wide only by the networking controller (TLS secrets of KIngresses), written only
        // in istio-system (the copies), and the webhook's own Secret by name.
        var secretRules = roles.SelectMany(r => Items(r.Body["rules"]).Select(rule => (Role: r, Rule: rule)))
            .Where(x => x.Rule["resources"]!.AsArray().Select(S).Contains("secrets")).ToList();
        Assert.Equal(
            ["ClusterRole/knative-serving-net-istio-controller", "Role/knative-serving-net-istio-secret-copies", "Role/knative-serving-webhook-certs"],
            secretRules.Select(x => $"{x.Role.Kind}/{x.Role.Name}").Order(StringComparer.Ordinal));
        var copies = secretRules.Single(x => x.Role.Name == "knative-serving-net-istio-secret-copies");
        Assert.Equal("istio-system", copies.Role.Namespace);
        var webhook = secretRules.Single(x => x.Role.Name == "knative-serving-webhook-certs");
        Assert.Equal(["webhook-certs"], webhook.Rule["resourceNames"]!.AsArray().Select(S));
        Assert.DoesNotContain("create", webhook.Rule["verbs"]!.AsArray().Select(S));
        Assert.Contains(Manifests.OfKind("Secret"), s => s.Name == "webhook-certs" && s.Namespace == "knative-serving");

        // Leases: only the components that elect a leader.
        var leaseRoles = roles.Where(r => Items(r.Body["rules"]).Any(rule => rule["resources"]!.AsArray().Select(S).Contains("leases")))
            .Select(r => (r.Kind, r.Name)).ToHashSet();
        var leaseHolders = bindings.Where(b => leaseRoles.Contains((S(b.Body["roleRef"]!["kind"]), S(b.Body["roleRef"]!["name"]))))
            .SelectMany(b => Items(b.Body["subjects"]).Select(x => S(x["name"]))).Order(StringComparer.Ordinal);
        Assert.Equal(["autoscaler", "controller", "net-istio-controller"], leaseHolders);
    }

    [Fact]
    public void GatewaysMatchConfigIstioDefaults()
    {
        var gateways = Manifests.OfKind("Gateway").ToDictionary(g => g.Name);
        Assert.Equal(80, gateways["knative-ingress-gateway"].Body["spec"]!["servers"]![0]!["port"]!["number"]!.GetValue<long>());
        Assert.Equal(8081, gateways["knative-local-gateway"].Body["spec"]!["servers"]![0]!["port"]!["number"]!.GetValue<long>());
        var local = Manifests.OfKind("Service").Single(s => s.Name == "knative-local-gateway");
        Assert.Equal("istio-system", local.Namespace);
        Assert.Equal(8081, local.Body["spec"]!["ports"]![0]!["targetPort"]!.GetValue<long>());
        var example = S(Manifests.OfKind("ConfigMap").Single(o => o.Name == "config-istio").Body["data"]!["_example"]);
        Assert.Contains("service: knative-local-gateway.istio-system.svc.cluster.local", example);
        Assert.Contains("service: istio-ingressgateway.istio-system.svc.cluster.local", example);
    }
}
