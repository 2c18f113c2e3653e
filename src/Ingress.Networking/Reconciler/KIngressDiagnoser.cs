using Ingress.Api.Core.V1;
using Ingress.Kube.Client;
using Ingress.Kube.Typed;
using Ingress.Networking.Config;
using Ingress.Networking.Diagnostics;
using Ingress.Networking.Probing;
using Ingress.Networking.Resources;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;
using GatewayModel = Ingress.Api.Istio.Networking.V1Beta1.Gateway;

namespace Ingress.Networking.Reconciler;

/// <summary>One probe sent by the diagnosis: where it went and what the pod answered.</summary>
public sealed record DiagnosisProbe(string Url, string PodIP, int PodPort, ProbeOutcome Outcome);

/// <summary>What <c>ingress diagnose kingress</c> prints: the reasons (most fundamental first) and every probe sent now.</summary>
public sealed record KIngressDiagnosisReport(string Key, bool Found, string? Hash, IReadOnlyList<string> Reasons, IReadOnlyList<DiagnosisProbe> Probes);

/// <summary>
/// Gathers, from a live API server, what <see cref="KIngressDiagnosis.Explain"/> needs: the KIngress, config-istio and
/// config-network (through an <see cref="IngressConfigStore"/>, so a rejected one is named), the plan's hash and probe
/// subject, and the gateway pods, which it probes once now (the controller's prober state lives in another process).
/// </summary>
public sealed class KIngressDiagnoser(KubeClient client, string systemNamespace = NetworkingConstants.DefaultSystemNamespace,
    string clusterDomain = NetworkingConstants.DefaultClusterDomain)
{
    /// <summary>Timeout of each probe; upstream's 1 s.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    public async Task<KIngressDiagnosisReport> DiagnoseAsync(string ns, string name, CancellationToken ct = default)
    {
        var key = ns + "/" + name;
        var ingress = await client.For<IngressModel>().TryGetAsync(ns, name, ct).ConfigureAwait(false);
        if (ingress is null) return new KIngressDiagnosisReport(key, false, null, [$"KIngress {key} not found"], []);

        var store = new IngressConfigStore(systemNamespace, clusterDomain);
        foreach (var cmName in new[] { NetworkingConstants.IstioConfigMapName, NetworkingConstants.NetworkConfigMapName })
        {
            var cm = await client.For<ConfigMap>().TryGetAsync(systemNamespace, cmName, ct).ConfigureAwait(false);
            if (cm is not null) store.Update(cmName, cm.Data ?? new Dictionary<string, string>());
        }
        if (!IngressSpecs.IsIstioClass(ingress))
            return new KIngressDiagnosisReport(key, true, null, KIngressDiagnosis.Explain(ingress, store), []);

        var lookups = await SnapshotLookups.LoadAsync(client, ingress, store.Current, ct).ConfigureAwait(false);
        IngressPlan plan;
        try
        {
            plan = IngressPlan.Build(ingress, store.Current, lookups, clusterDomain, systemNamespace);
        }
        catch (ResourceBuildException ex)
        {
            return new KIngressDiagnosisReport(key, true, null, [.. KIngressDiagnosis.Explain(ingress, store), $"the controller cannot build its objects: {ex.Message}"], []);
        }
        if (plan.Probe is null)
            return new KIngressDiagnosisReport(key, true, plan.Hash, [.. KIngressDiagnosis.Explain(ingress, store), "mesh-only mode: no gateway is probed"], []);

        IReadOnlyList<ProbeTarget> targets;
        try
        {
            await lookups.LoadGatewayPodsAsync(plan.Probe, ct).ConfigureAwait(false);
            targets = GatewayProbeTargets.Resolve(plan.Probe, lookups);
        }
        catch (ProbeTargetException ex)
        {
            return new KIngressDiagnosisReport(key, true, plan.Hash, [.. KIngressDiagnosis.Explain(ingress, store), $"gateway pods cannot be listed: {ex.Message}"], []);
        }

        var probes = new List<DiagnosisProbe>();
        using (var prober = new GatewayProbeClient(ProbeTimeout))
        {
            var sends = targets.SelectMany(t => t.PodIPs.Order(StringComparer.Ordinal).Select(async ip =>
                new DiagnosisProbe(t.Url, ip, t.PodPort, await prober.ProbeAsync(t.Url, ip, t.PodPort, plan.Hash, ct).ConfigureAwait(false))));
            probes.AddRange(await Task.WhenAll(sends).ConfigureAwait(false));
        }
        var items = probes.Select(p => new ProbeItemStatus(p.Url, p.PodIP, p.PodPort, p.Outcome.Succeeded, p.Outcome.Succeeded ? 0 : 1,
            p.Outcome.Error ?? (p.Outcome.StatusCode is { } code ? $"HTTP {code}" : null))).ToList();
        var pending = items.Where(i => !i.Done).Select(i => i.PodIP).Distinct(StringComparer.Ordinal).Count();
        var snapshot = new ProbeStateSnapshot(key, ingress.Metadata.Generation ?? 0, plan.Hash, pending, items);
        var reasons = KIngressDiagnosis.Explain(ingress, store, snapshot).ToList();
        if (targets.Count == 0) reasons.Add("no gateway pod was found to probe (no Service matches the Gateways' selectors, or no Endpoints addresses)");
        return new KIngressDiagnosisReport(key, true, plan.Hash, reasons, probes);
    }

    /// <summary>
    /// <c>ingress render --show-probe-targets</c>: one document per KIngress of the Istio class (sorted by namespace/name)
    /// listing what the prober would dial for its current generation: URL, pod IP, pod port, port and Host header
    /// (<see cref="KIngressDiagnosis.ProbeTargetsDocument"/>). Nothing is probed. A KIngress whose objects cannot be built,
    /// whose gateway pods cannot be resolved, or that is mesh-only gets the document with an empty list and the reason.
    /// </summary>
    public async Task<IReadOnlyList<System.Text.Json.Nodes.JsonObject>> ProbeTargetDocumentsAsync(CancellationToken ct = default)
    {
        var store = new IngressConfigStore(systemNamespace, clusterDomain);
        foreach (var cmName in new[] { NetworkingConstants.IstioConfigMapName, NetworkingConstants.NetworkConfigMapName })
        {
            var cm = await client.For<ConfigMap>().TryGetAsync(systemNamespace, cmName, ct).ConfigureAwait(false);
            if (cm is not null) store.Update(cmName, cm.Data ?? new Dictionary<string, string>());
        }
        var ingresses = (await client.For<IngressModel>().ListAllAsync(null, null, ct).ConfigureAwait(false)).Items
            .Where(IngressSpecs.IsIstioClass)
            .OrderBy(i => i.Metadata.Namespace, StringComparer.Ordinal).ThenBy(i => i.Metadata.Name, StringComparer.Ordinal);
        var documents = new List<System.Text.Json.Nodes.JsonObject>();
        foreach (var ingress in ingresses)
        {
            var subject = new ProbeSubject(ingress.Metadata.Namespace ?? "", ingress.Metadata.Name ?? "", ingress.Metadata.Generation ?? 0, "", []);
            string? problem = null;
            IReadOnlyList<ProbeTarget> targets = [];
            try
            {
                var lookups = await SnapshotLookups.LoadAsync(client, ingress, store.Current, ct).ConfigureAwait(false);
                var plan = IngressPlan.Build(ingress, store.Current, lookups, clusterDomain, systemNamespace);
                subject = subject with { Hash = plan.Hash };
                if (plan.Probe is null)
                {
                    problem = "mesh-only mode: no gateway is probed";
                }
                else
                {
                    subject = plan.Probe;
                    await lookups.LoadGatewayPodsAsync(plan.Probe, ct).ConfigureAwait(false);
                    targets = GatewayProbeTargets.Resolve(plan.Probe, lookups);
                    if (targets.Count == 0) problem = "no gateway pod was found to probe (no Service matches the Gateways' selectors, or no Endpoints addresses)";
                }
            }
            catch (ResourceBuildException ex)
            {
                problem = $"the controller cannot build its objects: {ex.Message}";
            }
            catch (ProbeTargetException ex)
            {
                problem = $"gateway pods cannot be listed: {ex.Message}";
            }
            var document = KIngressDiagnosis.ProbeTargetsDocument(subject, targets);
            if (problem is not null) document["error"] = problem;
            documents.Add(document);
        }
        return documents;
    }

    /// <summary>The lookups of one diagnosis, read once from the API server (the CLI has no informers).</summary>
    private sealed class SnapshotLookups : IPlanLookups, IGatewayPodLookups
    {
        private readonly KubeClient _client;
        private readonly Dictionary<(string, string), Secret> _secrets = new();
        private readonly List<Service> _services = [];
        private readonly Dictionary<(string, string), GatewayModel> _gateways = new();
        private readonly Dictionary<(string, string), Endpoints> _endpoints = new();

        private SnapshotLookups(KubeClient client) => _client = client;

        public static async Task<SnapshotLookups> LoadAsync(KubeClient client, IngressModel ingress, IngressConfig config, CancellationToken ct)
        {
            var lookups = new SnapshotLookups(client);
            foreach (var tls in ingress.Spec?.Tls ?? [])
            {
                if (tls.SecretNamespace is null || tls.SecretName is null) continue;
                if (await client.For<Secret>().TryGetAsync(tls.SecretNamespace, tls.SecretName, ct).ConfigureAwait(false) is { } secret)
                    lookups._secrets[(tls.SecretNamespace, tls.SecretName)] = secret;
            }
            var namespaces = config.Istio.IngressGateways.Concat(config.Istio.LocalGateways)
                .Select(g => g.ServiceNameNamespace(out _)?.Namespace).OfType<string>().Distinct(StringComparer.Ordinal);
            foreach (var ns in namespaces)
                lookups._services.AddRange((await client.For<Service>().ListAllAsync(ns, null, ct).ConfigureAwait(false)).Items);
            return lookups;
        }

        public async Task LoadGatewayPodsAsync(ProbeSubject subject, CancellationToken ct)
        {
            foreach (var g in subject.Gateways)
            {
                var (ns, name) = ProbeTargetPlanner.SplitGatewayName(g.GatewayQualifiedName);
                if (await _client.For<GatewayModel>().TryGetAsync(ns, name, ct).ConfigureAwait(false) is { } gateway)
                    _gateways[(ns, name)] = gateway;
            }
            foreach (var service in _services)
            {
                var ns = service.Metadata.Namespace ?? "";
                var name = service.Metadata.Name ?? "";
                if (await _client.For<Endpoints>().TryGetAsync(ns, name, ct).ConfigureAwait(false) is { } endpoints)
                    _endpoints[(ns, name)] = endpoints;
            }
        }

        public Secret? GetSecret(string ns, string name) => _secrets.GetValueOrDefault((ns, name));
        public Service? GetService(string ns, string name) => _services.FirstOrDefault(s => s.Metadata.Namespace == ns && s.Metadata.Name == name);
        public GatewayModel? GetGateway(string ns, string name) => _gateways.GetValueOrDefault((ns, name));
        public IEnumerable<Service> ServicesMatching(IReadOnlyDictionary<string, string> selector) =>
            _services.Where(s => GatewayProbeTargets.SelectorMatches(selector, s.Metadata.Labels));
        public Endpoints? GetEndpoints(string ns, string name) => _endpoints.GetValueOrDefault((ns, name));
    }
}
