using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Ingress.Api.Core.V1;
using Ingress.Api.Serving.V1;
using Ingress.ApiServer;
using Ingress.Autoscaling.Configuration;
using Ingress.DataPlane.Activator;
using Ingress.DataPlane.Gateway;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Typed;
using Ingress.Local.Hosting;
using Ingress.Local.Runner;
using Ingress.Local.Webhook;
using Ingress.Serving;
using Ingress.Serving.Config;
using Ingress.Serving.Webhook;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using IstioGateway = Ingress.Api.Istio.Networking.V1Beta1.Gateway;
using VirtualService = Ingress.Api.Istio.Networking.V1Beta1.VirtualService;

namespace Ingress.Local.Tests;

/// <summary>The RBAC rules of manifests/300-rbac, evaluated on calls written by hand: the evaluator itself.</summary>
public sealed class RbacRulesTests
{
    private static RbacPolicy Policy(string sa) => RbacPolicy.For(sa, "knative-serving", Manifests.All);
    private static ApiCall Call(string verb, string group, string resource, string ns = "", string name = "", string sub = "") => new(verb, group, resource, sub, ns, name);

    public static TheoryData<string, string, string, string, string, string, string, bool> Cases => new()
    {
        // A ClusterRole bound cluster-wide: every namespace.
        { "controller", "create", "serving.knative.dev", "configurations", "default", "", "", true },
        { "controller", "update", "serving.knative.dev", "services", "default", "hello", "status", true },
        // A subresource needs its own rule.
        { "controller", "update", "serving.knative.dev", "services", "default", "hello", "scale", false },
        { "controller", "get", "", "secrets", "default", "tls", "", false },
        // A Role bound by a RoleBinding: only in its namespace.
        { "controller", "get", "", "configmaps", "knative-serving", "config-network", "", true },
        { "controller", "get", "", "configmaps", "default", "config-network", "", false },
        { "controller", "update", "coordination.k8s.io", "leases", "knative-serving", "controller", "", true },
        { "activator", "update", "coordination.k8s.io", "leases", "knative-serving", "activator", "", false },
        // resourceNames: only the named object, never create or an unfiltered list.
        { "webhook", "update", "", "secrets", "knative-serving", "webhook-certs", "", true },
        { "webhook", "update", "", "secrets", "knative-serving", "other", "", false },
        { "webhook", "list", "", "secrets", "knative-serving", "", "", false },
        { "webhook", "watch", "", "secrets", "knative-serving", "webhook-certs", "", true },
        { "webhook", "patch", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "webhook.serving.knative.dev", "", true },
        { "webhook", "patch", "admissionregistration.k8s.io", "mutatingwebhookconfigurations", "", "istio-sidecar-injector", "", false },
        // Secret copies: written only in istio-system.
        { "net-istio-controller", "create", "", "secrets", "istio-system", "", "", true },
        { "net-istio-controller", "create", "", "secrets", "default", "", "", false },
        { "net-istio-controller", "list", "", "secrets", "", "", "", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Manifest_rules_decide_calls_as_kubernetes_rbac_does(string sa, string verb, string group, string resource, string ns, string name, string sub, bool allowed) =>
        Assert.Equal(allowed, Policy(sa).Allows(Call(verb, group, resource, ns, name, sub)));

    [Fact]
    public void Discovery_is_allowed_to_every_account_and_other_paths_are_not()
    {
        var policy = Policy("activator");
        Assert.True(policy.Allows(new ApiCall("get", "", "", "", "", "", "/apis/serving.knative.dev/v1")));
        Assert.False(policy.Allows(new ApiCall("get", "", "", "", "", "", "/metrics")));
    }
}

/// <summary>
/// Every API call each control-plane component makes, in a realistic run, is granted by the RBAC its
/// ServiceAccount has in manifests/300-rbac. The components run their real code against the embedded API server,
/// each with its own bearer token (the server's authentication hook tells them apart and records every request):
/// the serving controller, the networking (net-istio) controller and the autoscaler each in a
/// <see cref="ControllerHost"/> under its own Lease as its Deployment runs it, the activator's informers, the
/// webhook's certificate manager. A local runner (kubelet and endpoints controller) and the local gateway (Istio's
/// Envoy, probed by the KIngress prober) act as the cluster, with a token of their own that is not checked.
/// Scenario: a ksvc is applied and becomes Ready, is updated to a second Revision, config maps are edited
/// (a domain, autoscaler and logging settings), and it is deleted.
/// </summary>
public sealed class RbacCoverageTests(ITestOutputHelper output)
{
    private const string Cluster = "cluster";
    private static readonly string[] Components = ["controller", "net-istio-controller", "autoscaler", "activator", "webhook"];
    private static readonly ResourceDescriptor KnativeServices = new("serving.knative.dev", "v1", "services", true, "Service");
    private static readonly ResourceDescriptor Routes = new("serving.knative.dev", "v1", "routes", true, "Route");
    private static readonly ResourceDescriptor Revisions = new("serving.knative.dev", "v1", "revisions", true, "Revision");
    private static readonly ResourceDescriptor Deployments = new("apps", "v1", "deployments", true, "Deployment");

    private readonly ConcurrentQueue<(string Caller, ApiCall Call)> _calls = new();
    /// <summary>Label selectors of Secret lists and watches, per caller: RBAC cannot filter Secrets by label, so the
    /// component must (manifests grant net-istio-controller Secret reads cluster-wide on that promise).</summary>
    private readonly ConcurrentQueue<(string Caller, string Selector)> _secretSelectors = new();
    private readonly Dictionary<string, string> _callerByToken = Components.Append(Cluster).ToDictionary(c => "token-" + c, c => c);

    private bool Authenticate(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || !_callerByToken.TryGetValue(header["Bearer ".Length..], out var caller)) return false;
        var call = ApiCall.Parse(request);
        _calls.Enqueue((caller, call));
        if (call.Resource == "secrets" && call.Verb is "list" or "watch") _secretSelectors.Enqueue((caller, request.Query["labelSelector"].ToString()));
        return true;
    }

    private KubeClient ClientOf(ApiServerHost server, string caller) =>
        new(new KubeConnection { Server = server.BaseUri, BearerToken = "token-" + caller }, new KubeClientOptions { Qps = 1000, Burst = 2000 });

    [Fact]
    public async Task Every_call_of_every_component_is_granted_by_its_service_account_rbac()
    {
        var dataDir = Directory.CreateTempSubdirectory("rbac-coverage-").FullName;
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var server = new ApiServerHost(new ApiServerOptions { Authenticate = Authenticate });
        server.PreloadCustomResourceDefinitions(Renderer.EmbeddedCrds());
        ServingAdmissionHooks.Register(server, new ServingAdmission(() => ServingConfig.Default,
            annotations => AutoscalingAnnotationErrors.ToServing(AutoscalingAnnotations.Validate(annotations, AutoscalerConfig.Default))));
        await server.StartAsync();
        // What `kubectl apply -f manifests/` leaves behind that the components read: config maps, the webhook's
        // Secret and registrations, the Gateways and the local gateway Service.
        foreach (var obj in Manifests.All.Where(o => o.Kind is "ConfigMap" or "Secret" or "MutatingWebhookConfiguration" or "ValidatingWebhookConfiguration" or "Gateway"
                                                     || (o.Kind == "Service" && o.Namespace == "istio-system")))
            server.LoadAsIs((JsonObject)obj.Body.DeepClone());

        // The cluster: kubelet + endpoints controller (local runner) and the gateway pods (local gateway).
        using var cluster = ClientOf(server, Cluster);
        var clusterInformers = new SharedInformerFactory(cluster);
        var runner = new LocalRunner(cluster, clusterInformers, new LocalRunnerOptions { DataDirectory = dataDir });
        var gateway = new LocalGateway(new LocalGatewayOptions { HttpPort = 0, LocalHttpPort = 0 },
            clusterInformers.For<VirtualService>(), clusterInformers.For<IstioGateway>(),
            new KubeDestinationResolver(clusterInformers.For<Ingress.Api.Core.V1.Service>(), clusterInformers.For<Endpoints>()), NullLoggerFactory.Instance);
        var runs = new List<Task>();
        var hosts = new List<ControllerHost>();
        await using var activatorInformers = new SharedInformerFactory(ClientOf(server, "activator"));
        try
        {
            clusterInformers.Start(stop.Token);
            await gateway.StartAsync(stop.Token);
            var external = gateway.PortOf("knative-serving/knative-ingress-gateway", 80) ?? throw new InvalidOperationException("no ingress gateway listener");
            var local = gateway.PortOf("knative-serving/knative-local-gateway", 8081) ?? throw new InvalidOperationException("no local gateway listener");
            await SeedGatewayServicesAsync(cluster, external, local);
            runs.Add(runner.RunAsync(stop.Token));

            // The components, as their Deployments run them.
            foreach (var (sa, controllers) in new[] { ("controller", "service,configuration,revision,route,domainmapping,namespace-wildcard-cert"), ("net-istio-controller", "ingress"), ("autoscaler", "autoscaler") })
            {
                var host = new ControllerHost(ClientOf(server, sa), new ControllerHostOptions
                {
                    Controllers = ControllerNames.Parse(controllers), LeaseName = sa, MetricsPort = 0,
                });
                hosts.Add(host);
                runs.Add(host.RunAsync(stop.Token));
            }
            var backends = new KubeRevisionBackends(activatorInformers.For<Revision>(), activatorInformers.For<Endpoints>());
            activatorInformers.Start(stop.Token);
            using var webhookApi = new HttpClient { BaseAddress = server.BaseUri };
            webhookApi.DefaultRequestHeaders.Authorization = new("Bearer", "token-webhook");
            await new WebhookCertificateManager(webhookApi, new WebhookCertificateOptions()).EnsureAsync(DateTimeOffset.UtcNow, stop.Token);

            // A ksvc is applied and becomes Ready (the gateway has answered the prober, the replica its readiness probe).
            var ksvcs = cluster.Dynamic(KnativeServices);
            await ksvcs.CreateAsync(Ksvc("Go Sample v1"), ct: stop.Token);
            await EventuallyReadyAsync(ksvcs, "hello-00001", stop.Token);
            await activatorInformers.WaitForCacheSyncAsync(stop.Token);
            await EmbeddedCluster.EventuallyAsync(() => Task.FromResult(backends.Get(new RevisionKey("default", "hello-00001")) is { } b && b.PodAddresses.Count > 0),
                "the activator to see the Revision's pods");

            // Updated: a second Revision takes the traffic.
            var current = await ksvcs.GetAsync("default", "hello", stop.Token);
            current["spec"] = Ksvc("Go Sample v2")["spec"]!.DeepClone();
            await ksvcs.UpdateAsync(current, ct: stop.Token);
            await EventuallyReadyAsync(ksvcs, "hello-00002", stop.Token);

            // Config maps edited: a domain (Routes become external, new VirtualServices, the ingress gateway probed),
            // autoscaler and logging settings.
            var configMaps = cluster.Dynamic(ResourceDescriptor.ConfigMaps);
            await configMaps.PatchAsync("knative-serving", "config-domain", PatchType.Merge, """{"data":{"example.com":""}}""", ct: stop.Token);
            await configMaps.PatchAsync("knative-serving", "config-autoscaler", PatchType.Merge, """{"data":{"stable-window":"70s","enable-scale-to-zero":"false"}}""", ct: stop.Token);
            await configMaps.PatchAsync("knative-serving", "config-logging", PatchType.Merge, """{"data":{"loglevel.controller":"debug"}}""", ct: stop.Token);
            await EmbeddedCluster.EventuallyAsync(async () =>
                (await ksvcs.GetAsync("default", "hello", stop.Token)).Str("status", "url") == "http://hello.default.example.com" && IsReady(await ksvcs.GetAsync("default", "hello", stop.Token)),
                "the ksvc to be Ready on its external URL", 120);

            // Deleted: its children go with it (garbage collection), the runner stops the replicas.
            await ksvcs.DeleteAsync("default", "hello", ct: stop.Token);
            await EmbeddedCluster.EventuallyAsync(async () =>
                await cluster.Dynamic(Routes).TryGetAsync("default", "hello", stop.Token) is null
                && (await cluster.Dynamic(Deployments).ListAsync("default", ct: stop.Token)).Items.Count == 0
                && (await cluster.Dynamic(Revisions).ListAsync("default", ct: stop.Token)).Items.Count == 0,
                "the ksvc's children to be deleted", 120);
            // The controllers have seen the deletions once their queues are empty with the caches at the server's version.
            await EmbeddedCluster.EventuallyAsync(() => Task.FromResult(hosts.All(h => h.ReadyKeys == 0)), "the controllers to be idle");
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var run in runs)
            {
                try { await run.WaitAsync(TimeSpan.FromSeconds(60)); }
                catch (OperationCanceledException) { }
            }
            foreach (var host in hosts) await host.DisposeAsync();
            await gateway.DisposeAsync();
            await runner.DisposeAsync();
            await clusterInformers.DisposeAsync();
            try { Directory.Delete(dataDir, true); } catch (IOException) { }
        }

        var denied = new List<string>();
        foreach (var component in Components)
        {
            var policy = RbacPolicy.For(component, "knative-serving", Manifests.All);
            var calls = _calls.Where(c => c.Caller == component).Select(c => c.Call).ToList();
            Assert.True(calls.Count > 0, component + " made no API call");
            var shapes = calls.Select(c => c with { Name = c.Name }).Distinct().OrderBy(c => c.ToString(), StringComparer.Ordinal).ToList();
            output.WriteLine($"{component}: {calls.Count} calls, {shapes.Count} distinct");
            foreach (var call in shapes)
            {
                var ok = policy.Allows(call);
                output.WriteLine($"  {(ok ? "ok    " : "DENIED")} {call}");
                if (!ok) denied.Add($"{component} ({policy.Subject}): {call}");
            }
        }
        Assert.True(denied.Count == 0, "API calls not granted by manifests/300-rbac:\n" + string.Join("\n", denied));

        // Least privilege: every resource each rule grants a component is used by at least one recorded call of
        // that component (a rule item is used when the rule narrowed to that one resource allows some call), unless
        // UnrecordedGrants names it with why the scenario cannot exercise it.
        var unused = new List<string>();
        foreach (var component in Components)
        {
            var policy = RbacPolicy.For(component, "knative-serving", Manifests.All);
            var calls = _calls.Where(c => c.Caller == component).Select(c => c.Call).ToList();
            foreach (var rule in policy.Rules)
            foreach (var group in rule.ApiGroups)
            foreach (var resource in rule.Resources)
            {
                var item = rule with { ApiGroups = [group], Resources = [resource] };
                if (calls.Any(item.Allows)) continue;
                var key = $"{(group.Length == 0 ? "core" : group)}/{resource}";
                if (UnrecordedGrants.Contains((component, key)) || UnrecordedGrants.Contains(("*", key))) continue;
                unused.Add($"{component}: {key} ({string.Join(",", rule.Verbs)}{(rule.Namespace is null ? "" : " in " + rule.Namespace)}) from {rule.Source}");
            }
        }
        foreach (var line in unused) output.WriteLine("UNUSED " + line);
        Assert.True(unused.Count == 0, "grants in manifests/300-rbac that no recorded call uses (trim them, or list them in UnrecordedGrants with why):\n" + string.Join("\n", unused));

        // The run covered what each component is for (so a recording that missed them cannot pass).
        bool Made(string component, string verb, string resource, string sub = "") =>
            _calls.Any(c => c.Caller == component && c.Call.Verb == verb && c.Call.Resource == resource && c.Call.Subresource == sub);
        Assert.True(Made("controller", "create", "configurations"), "controller created no Configuration");
        Assert.True(Made("controller", "update", "services", "status"), "controller wrote no Service status");
        Assert.True(Made("net-istio-controller", "create", "virtualservices"), "net-istio-controller created no VirtualService");
        Assert.True(Made("net-istio-controller", "update", "ingresses", "status"), "net-istio-controller wrote no KIngress status");
        Assert.True(Made("autoscaler", "update", "podautoscalers", "status"), "autoscaler wrote no PodAutoscaler status");
        Assert.True(Made("activator", "watch", "revisions"), "activator watched no Revisions");
        Assert.True(Made("webhook", "update", "secrets"), "webhook wrote no certificate");
        Assert.All(_secretSelectors, s => Assert.Equal("networking.internal.knative.dev/certificate-uid", s.Selector));
        foreach (var sa in new[] { "controller", "net-istio-controller", "autoscaler" })
            Assert.True(Made(sa, "create", "leases") || Made(sa, "update", "leases"), sa + " took no Lease");
    }

    /// <summary>Grants the scenario cannot record, per component ("*": every component bound to the shared system
    /// Role), as "group/resource". Each is needed by code this run does not reach; anything else a rule grants must
    /// be used by a recorded call.</summary>
    private static readonly HashSet<(string Component, string Resource)> UnrecordedGrants =
    [
        // Events: recorded only on reconcile failures and some transitions the happy path may not produce, and the
        // recorder writes events.k8s.io or core Events depending on the server's discovery.
        ("*", "core/events"), ("*", "events.k8s.io/events"),
        ("controller", "core/events"), ("controller", "events.k8s.io/events"),
        ("net-istio-controller", "core/events"), ("net-istio-controller", "events.k8s.io/events"),
        ("autoscaler", "core/events"), ("autoscaler", "events.k8s.io/events"),
        // The shared system Role: the activator and webhook processes read config maps (config-logging,
        // config-observability, config-deployment for defaults), but this run starts only their informers and
        // certificate manager, not the whole process.
        ("*", "core/configmaps"),
        // Finalizer updates: only under OwnerReferencesPermissionEnforcement (blockOwnerDeletion needs update on
        // the owner's finalizers), which the embedded API server does not enforce.
        ("*", "serving.knative.dev/services/finalizers"), ("*", "serving.knative.dev/configurations/finalizers"),
        ("*", "serving.knative.dev/revisions/finalizers"), ("*", "serving.knative.dev/routes/finalizers"),
        ("*", "serving.knative.dev/domainmappings/finalizers"), ("*", "networking.internal.knative.dev/ingresses/finalizers"),
        ("*", "autoscaling.internal.knative.dev/podautoscalers/finalizers"), ("*", "autoscaling.internal.knative.dev/metrics/finalizers"),
        // DomainMappings: the scenario creates none, so their status is never written.
        ("controller", "serving.knative.dev/domainmappings/status"),
        // HPA-class PodAutoscalers: the scenario's ksvc is KPA class, so no HorizontalPodAutoscaler is written; the
        // Deployment scale subresource is written only when the KPA changes the replica count from what the
        // Revision's Deployment asks (the scenario's scale stays at its initial 1).
        ("autoscaler", "apps/deployments/scale"),
        // Metric status: written when a Metric's conditions change (its scraper failing or recovering), which the
        // scenario's steady traffic-free Revision does not provoke.
        ("autoscaler", "autoscaling.internal.knative.dev/metrics/status"),
        // TLS Secret copies in istio-system: only for a KIngress with TLS (external-domain-tls and a certificate),
        // which the scenario does not configure.
        ("net-istio-controller", "core/secrets"),
    ];

    private static bool IsReady(JsonObject ksvc) =>
        (ksvc["status"]?["conditions"] as JsonArray ?? []).Any(c => c.Str("type") == "Ready" && c.Str("status") == "True")
        && ksvc.Str("status", "observedGeneration") == ksvc.Str("metadata", "generation");

    private static async Task EventuallyReadyAsync(ResourceClient<JsonObject> ksvcs, string revision, CancellationToken ct) =>
        await EmbeddedCluster.EventuallyAsync(async () =>
            await ksvcs.TryGetAsync("default", "hello", ct) is { } k && IsReady(k) && k.Str("status", "latestReadyRevisionName") == revision,
            $"ksvc hello Ready on {revision}", 120);

    private static JsonObject Ksvc(string target) => (JsonObject)JsonNode.Parse("""
        {"apiVersion":"serving.knative.dev/v1","kind":"Service","metadata":{"name":"hello","namespace":"default"},
         "spec":{"template":{"spec":{"containers":[{"image":"gcr.io/knative-samples/helloworld-go","ports":[{"containerPort":8080}],
           "env":[{"name":"TARGET","value":"TARGET_VALUE"}]}]}}}}
        """.Replace("TARGET_VALUE", target, StringComparison.Ordinal))!;

    /// <summary>The Services of Istio's gateways with Endpoints on the local gateway's listeners, as Istio's install
    /// and the endpoints controller would leave them (the prober reads these addresses).</summary>
    private static async Task SeedGatewayServicesAsync(KubeClient cluster, int external, int local)
    {
        var services = cluster.Dynamic(new ResourceDescriptor("", "v1", "services", true, "Service"));
        await services.CreateAsync((JsonObject)JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"istio-ingressgateway","namespace":"istio-system","labels":{"istio":"ingressgateway"}},
             "spec":{"ports":[{"name":"http2","port":80,"targetPort":EXTERNAL}]}}
            """.Replace("EXTERNAL", external.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("LOCAL", local.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))!);
        var endpoints = cluster.Dynamic(new ResourceDescriptor("", "v1", "endpoints", true, "Endpoints"));
        await endpoints.CreateAsync((JsonObject)JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"istio-ingressgateway","namespace":"istio-system"},
             "subsets":[{"addresses":[{"ip":"127.0.0.1"}],"ports":[{"name":"http2","port":EXTERNAL}]}]}
            """.Replace("EXTERNAL", external.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("LOCAL", local.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))!);
        await endpoints.CreateAsync((JsonObject)JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"knative-local-gateway","namespace":"istio-system"},
             "subsets":[{"addresses":[{"ip":"127.0.0.1"}],"ports":[{"name":"http2","port":LOCAL},{"name":"http","port":LOCAL}]}]}
            """.Replace("EXTERNAL", external.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("LOCAL", local.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))!);
    }
}
