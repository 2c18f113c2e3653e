using System.Text.Json.Nodes;

namespace Ingress.Local.Tests;

/// <summary>The install of docs/install.md, run with the real kubectl against the embedded API server.</summary>
public sealed class ManifestsApplyTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    [Fact]
    public void InstallDocumentsCrdsFirstThenWaitThenEverything()
    {
        var commands = Manifests.InstallCommands();
        Assert.Equal(3, commands.Count);
        Assert.Equal("kubectl apply -f manifests/200-crds/", commands[0]);
        Assert.StartsWith("kubectl wait --for=condition=Established", commands[1]);
        Assert.Equal("kubectl apply -R -f manifests/", commands[2]);
    }

    [Fact]
    public async Task EveryManifestObjectExistsAfterTheDocumentedInstall()
    {
        var output = await cluster.InstallAsync();
        var missing = new List<string>();
        foreach (var expected in Manifests.All)
        {
            var stored = await cluster.GetObjectAsync(expected.ApiVersion, expected.Kind, expected.Namespace, expected.Name);
            if (stored is null) missing.Add(expected.ToString());
        }
        Assert.True(missing.Count == 0, "not stored: " + string.Join(", ", missing) + "\n" + output);
        // kubectl reports each object it applied; the CRDs twice (first command, then the recursive apply).
        Assert.Equal(Manifests.All.Count + Manifests.Load("manifests/200-crds").Count,
            output.Split('\n').Count(l => l.EndsWith(" created", StringComparison.Ordinal) || l.EndsWith(" unchanged", StringComparison.Ordinal) || l.EndsWith(" configured", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task StoredObjectsCarryTheManifestsContent()
    {
        await cluster.InstallAsync();
        var controller = await cluster.GetObjectAsync("apps/v1", "Deployment", "knative-serving", "controller");
        Assert.Equal(2, controller!["spec"]!["replicas"]!.GetValue<long>());
        Assert.Equal("ghcr.io/ingress-knative/controller:0.1.0",
            controller["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());

        var deployment = await cluster.GetObjectAsync("v1", "ConfigMap", "knative-serving", "config-deployment");
        Assert.Equal("ghcr.io/ingress-knative/queue-proxy:0.1.0", deployment!["data"]!["queue-sidecar-image"]!.GetValue<string>());

        var gateway = await cluster.GetObjectAsync("networking.istio.io/v1beta1", "Gateway", "knative-serving", "knative-local-gateway");
        Assert.Equal(8081, gateway!["spec"]!["servers"]![0]!["port"]!["number"]!.GetValue<long>());

        var localGatewayService = await cluster.GetObjectAsync("v1", "Service", "istio-system", "knative-local-gateway");
        Assert.Equal("istio", localGatewayService!["metadata"]!["labels"]!["networking.knative.dev/ingress-provider"]!.GetValue<string>());

        foreach (var crd in Manifests.Load("manifests/200-crds"))
        {
            var stored = await cluster.GetObjectAsync("apiextensions.k8s.io/v1", "CustomResourceDefinition", null, crd.Name);
            var established = stored!["status"]!["conditions"]!.AsArray()
                .Single(c => c!["type"]!.GetValue<string>() == "Established");
            Assert.Equal("True", established!["status"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task ReapplyingTheInstallChangesNothing()
    {
        await cluster.InstallAsync();
        var (code, stdout, stderr) = await cluster.RunKubectlLineAsync(Manifests.InstallCommands()[^1]);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Manifests.All.Count, lines.Length);
        // PodDisruptionBudget's selector has patch strategy "replace" in kubectl's compiled-in schema, so
        // kubectl always sends it and reports "configured" (a real API server gets the same patch).
        Assert.All(lines.Where(l => !l.StartsWith("poddisruptionbudget.policy/", StringComparison.Ordinal)),
            l => Assert.EndsWith(" unchanged", l));
        Assert.Equal(Manifests.OfKind("PodDisruptionBudget").Count(), lines.Count(l => l.StartsWith("poddisruptionbudget.policy/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task KubectlGetListsTheComponentsByLabel()
    {
        await cluster.InstallAsync();
        var (code, stdout, stderr) = await cluster.RunKubectlLineAsync(
            "kubectl get deployments -n knative-serving -l app.kubernetes.io/part-of=knative-serving -o name");
        Assert.True(code == 0, stderr);
        Assert.Equal(
            ["deployment.apps/activator", "deployment.apps/autoscaler", "deployment.apps/controller", "deployment.apps/net-istio-controller", "deployment.apps/webhook"],
            stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

        (code, stdout, stderr) = await cluster.RunKubectlLineAsync(
            "kubectl get all -A -l networking.knative.dev/ingress-provider=istio -o name");
        Assert.True(code == 0, stderr);
        Assert.Contains("service/knative-local-gateway", stdout);
        Assert.Contains("deployment.apps/net-istio-controller", stdout);
        Assert.DoesNotContain("deployment.apps/activator", stdout);
    }

    [Fact]
    public async Task TheNamespaceComesFromTheManifestsNotFromTheServer()
    {
        await cluster.InstallAsync();
        var ns = await cluster.GetObjectAsync("v1", "Namespace", null, "knative-serving");
        Assert.Equal("knative-serving", ns!["metadata"]!["labels"]!["app.kubernetes.io/name"]!.GetValue<string>());
        var annotations = ns["metadata"]!["annotations"] as JsonObject;
        Assert.NotNull(annotations?["kubectl.kubernetes.io/last-applied-configuration"]);
    }
}
