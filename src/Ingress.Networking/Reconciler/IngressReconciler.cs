using Ingress.Api.Core.V1;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Kube.Typed;
using Ingress.Networking.Config;
using Ingress.Networking.Probing;
using Ingress.Networking.Resources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;
using GatewayModel = Ingress.Api.Istio.Networking.V1Beta1.Gateway;
using KubeLabelSelector = Ingress.Kube.Cache.LabelSelector;

namespace Ingress.Networking.Reconciler;

/// <summary>Whether the gateways serve a KIngress's current hash: the real <see cref="IngressProber"/>, or a fixed answer for render.</summary>
public interface IIngressReadiness
{
    /// <exception cref="ProbeTargetException">the gateway pods could not be listed.</exception>
    ValueTask<bool> IsReadyAsync(ProbeSubject subject, CancellationToken ct);

    /// <summary>The KIngress is gone: drop its probing state.</summary>
    void Forget(string key);

    /// <summary>Per-pod probe state for diagnosis; null when nothing is known.</summary>
    ProbeStateSnapshot? Snapshot(string key);
}

/// <summary>The readiness of the real prober (spec §10).</summary>
public sealed class ProberReadiness(IngressProber prober) : IIngressReadiness
{
    public IngressProber Prober { get; } = prober;
    public ValueTask<bool> IsReadyAsync(ProbeSubject subject, CancellationToken ct) => Prober.IsReadyAsync(subject, ct);
    public void Forget(string key) => Prober.Forget(key);
    public ProbeStateSnapshot? Snapshot(string key) => Prober.Snapshot(key);
}

/// <summary>A fixed answer instead of probing (<c>ingress render --probe ready|unready</c>): no gateway is contacted.</summary>
public sealed class FixedReadiness(bool ready) : IIngressReadiness
{
    public bool Ready { get; } = ready;
    public ValueTask<bool> IsReadyAsync(ProbeSubject subject, CancellationToken ct) => ValueTask.FromResult(Ready);
    public void Forget(string key) { }
    public ProbeStateSnapshot? Snapshot(string key) => null;
}

/// <summary>What the KIngress reconciler reads and writes; built by <see cref="NetworkingControllers.Register"/>.</summary>
public sealed class IngressReconcilerContext
{
    public required KubeClient Client { get; init; }
    public required Lister<VirtualService> VirtualServices { get; init; }
    public required Lister<GatewayModel> Gateways { get; init; }
    /// <summary>Secrets carrying the certificate-uid label only (the label-scoped informer), never all Secrets.</summary>
    public required Lister<Secret> Secrets { get; init; }
    /// <summary>Services in the gateway namespaces.</summary>
    public required IReadOnlyDictionary<string, Lister<Service>> ServicesByNamespace { get; init; }
    public required IngressConfigStore Config { get; init; }
    public required IIngressReadiness Readiness { get; init; }
    public EventRecorder? Events { get; init; }
    public required string SystemNamespace { get; init; }
    public required string ClusterDomain { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
    public string FieldManager { get; init; } = NetworkingControllers.FieldManager;
    public ILoggerFactory? LoggerFactory { get; init; }
}

/// <summary>
/// The Istio KIngress reconciler (class <c>istio.ingress.networking.knative.dev</c>, spec §4, §7, §8, §9): reads
/// listers, asks <see cref="IngressPlan.Build"/> and <see cref="ChildDecisions"/> what to do, writes Secret copies,
/// Gateways and VirtualServices, and sets status from the prober's answer. The generic half (finalizer add/remove,
/// observedGeneration, status write with conflict retry, InternalError events) is <see cref="KindReconcilerHost{T}"/>.
/// </summary>
public sealed partial class IngressReconciler : IKindReconciler<IngressModel>, IKindFinalizer<IngressModel>, IPlanLookups
{
    private readonly IngressReconcilerContext _ctx;
    private readonly ILogger _logger;

    public IngressReconciler(IngressReconcilerContext context)
    {
        _ctx = context ?? throw new ArgumentNullException(nameof(context));
        _logger = (context.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Ingress.Networking.Reconciler");
    }

    // ---- IPlanLookups over listers ----

    public Secret? GetSecret(string ns, string name) => _ctx.Secrets.Get(ns, name);

    public Service? GetService(string ns, string name) =>
        _ctx.ServicesByNamespace.TryGetValue(ns, out var lister) ? lister.Get(ns, name) : null;

    public async Task<ReconcileResult> ReconcileKindAsync(IngressModel ing, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ing);
        if (!IngressSpecs.IsIstioClass(ing)) return ReconcileResult.Done;
        IngressStatusRules.BeginPass(ing, _ctx.Time);
        try
        {
            await ReconcilePassAsync(ing, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            IngressPassOutcome.Failed(ing, _ctx.Time);
            throw;
        }
        finally
        {
            IngressStatusRules.EndPass(ing);
        }
    }

    private async Task ReconcilePassAsync(IngressModel ing, CancellationToken ct)
    {
        IngressPlan plan;
        try
        {
            plan = IngressPlan.Build(ing, _ctx.Config.Current, this, _ctx.ClusterDomain, _ctx.SystemNamespace);
        }
        catch (ResourceBuildException ex)
        {
            throw new IngressReconcileException(ex.Message, ex);
        }
        var defaulted = plan.DefaultedIngress;

        if (plan.MeshOnly)
        {
            await ReconcileVirtualServicesAsync(ing, plan, ct).ConfigureAwait(false);
            var labelled = _ctx.Gateways.List(ing.Metadata.Namespace,
                KubeLabelSelector.FromEquality(new Dictionary<string, string> { [NetworkingConstants.IngressLabel] = ing.Metadata.Name ?? "" }));
            foreach (var gw in ChildDecisions.GatewaysToDeleteInMeshOnly(defaulted, labelled))
                await DeleteIgnoringNotFoundAsync(_ctx.Client.For<GatewayModel>(), gw.Metadata.Namespace, gw.Metadata.Name ?? "", ct).ConfigureAwait(false);
            if (ChildDecisions.HasTlsToClean(defaulted))
                await DeleteSecretCopiesAsync(defaulted, null, ct).ConfigureAwait(false);
            IngressStatusRules.MarkNetworkConfigured(ing, _ctx.Time);
            IngressStatusRules.MarkLoadBalancerReady(ing, plan.PublicLoadBalancer, plan.PrivateLoadBalancer, _ctx.Time);
            return;
        }

        foreach (var copy in plan.SecretCopies) await ReconcileSecretCopyAsync(ing, copy, ct).ConfigureAwait(false);
        foreach (var gw in plan.WildcardGateways.Concat(plan.ExternalIngressGateways).Concat(plan.ClusterLocalIngressGateways))
            await ReconcileGatewayAsync(ing, gw, ct).ConfigureAwait(false);
        await ReconcileVirtualServicesAsync(ing, plan, ct).ConfigureAwait(false);

        IngressStatusRules.MarkNetworkConfigured(ing, _ctx.Time);
        bool ready;
        if (IngressStatusRules.IsReady(ing) || plan.Probe is null) ready = true;
        else
        {
            try
            {
                ready = await _ctx.Readiness.IsReadyAsync(plan.Probe, ct).ConfigureAwait(false);
            }
            catch (ProbeTargetException ex)
            {
                throw new IngressReconcileException(IngressPassOutcome.ProbeError(ing, ex.Message), ex);
            }
        }
        IngressPassOutcome.Probed(ing, ready, plan, _ctx.Time);
        if (!ready) Log.WaitingForGateways(_logger, plan.Hash);
    }

    private async Task ReconcileSecretCopyAsync(IngressModel ing, Secret desired, CancellationToken ct)
    {
        var ns = desired.Metadata.Namespace ?? "";
        var name = desired.Metadata.Name ?? "";
        var decision = ChildDecisions.ForSecretCopy(desired, _ctx.Secrets.Get(ns, name));
        var client = _ctx.Client.For<Secret>();
        switch (decision.Action)
        {
            case ChildAction.Create:
                try { await client.CreateAsync(decision.Object, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false); }
                catch (KubeApiException ex) { throw new IngressReconcileException(IngressEvents.CreateSecretError(ex.Message), ex); }
                Record(ing, IngressEvents.SecretCreated(ns, name));
                break;
            case ChildAction.Update:
                try { await client.UpdateAsync(decision.Object, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false); }
                catch (KubeApiException ex) { throw new IngressReconcileException(IngressEvents.UpdateSecretError(ex.Message), ex); }
                Record(ing, IngressEvents.SecretUpdated(ns, name));
                break;
        }
    }

    private async Task ReconcileGatewayAsync(IngressModel ing, GatewayModel desired, CancellationToken ct)
    {
        var ns = desired.Metadata.Namespace ?? "";
        var name = desired.Metadata.Name ?? "";
        var decision = ChildDecisions.ForGateway(desired, _ctx.Gateways.Get(ns, name));
        var client = _ctx.Client.For<GatewayModel>();
        switch (decision.Action)
        {
            case ChildAction.Create:
                await client.CreateAsync(decision.Object, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false);
                Log.Wrote(_logger, "Created", "Gateway", ns, name);
                break;
            case ChildAction.Update:
                await client.UpdateAsync(decision.Object, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false);
                Log.Wrote(_logger, "Updated", "Gateway", ns, name);
                break;
            case ChildAction.NotOwned:
                IngressStatusRules.MarkResourceNotOwned(ing, "Gateway", name, _ctx.Time);
                throw new IngressReconcileException(decision.Error ?? $"Gateway {ns}/{name} is not owned");
        }
    }

    /// <summary>§8.1: create/update each desired VirtualService, then delete the stale ones we control.</summary>
    private async Task ReconcileVirtualServicesAsync(IngressModel ing, IngressPlan plan, CancellationToken ct)
    {
        try
        {
            await ApplyVirtualServicesAsync(ing, plan, ct).ConfigureAwait(false);
        }
        catch (IngressReconcileException ex)
        {
            IngressPassOutcome.VirtualServicesFailed(ing, ex.Message, _ctx.Time);
            throw;
        }
    }

    private async Task ApplyVirtualServicesAsync(IngressModel ing, IngressPlan plan, CancellationToken ct)
    {
        var client = _ctx.Client.For<VirtualService>();
        var owner = plan.DefaultedIngress;
        foreach (var desired in plan.VirtualServices)
        {
            var ns = desired.Metadata.Namespace ?? "";
            var name = desired.Metadata.Name ?? "";
            var decision = ChildDecisions.ForVirtualService(owner, desired, _ctx.VirtualServices.Get(ns, name));
            switch (decision.Action)
            {
                case ChildAction.Create:
                    try { await client.CreateAsync(decision.Object, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false); }
                    catch (KubeApiException ex)
                    {
                        Record(ing, IngressEvents.VirtualServiceCreateFailed(ns, name, ex.Message));
                        throw new IngressReconcileException(IngressEvents.CreateVirtualServiceError(ex.Message), ex);
                    }
                    Record(ing, IngressEvents.VirtualServiceCreated(name));
                    break;
                case ChildAction.Update:
                    try { await client.UpdateAsync(decision.Object, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false); }
                    catch (KubeApiException ex) { throw new IngressReconcileException(IngressEvents.UpdateVirtualServiceError(ex.Message), ex); }
                    Record(ing, IngressEvents.VirtualServiceUpdated(ns, name));
                    break;
                case ChildAction.NotOwned:
                    IngressStatusRules.MarkResourceNotOwned(ing, "VirtualService", name, _ctx.Time);
                    throw new IngressReconcileException(decision.Error ?? $"VirtualService {ns}/{name} is not owned");
            }
        }

        var ingNs = ing.Metadata.Namespace;
        var byIngress = _ctx.VirtualServices.List(ingNs,
            KubeLabelSelector.FromEquality(new Dictionary<string, string> { [NetworkingConstants.IngressLabel] = ing.Metadata.Name ?? "" }));
        var routeLabel = ing.Metadata.Labels?.GetValueOrDefault(NetworkingConstants.RouteLabel);
        IReadOnlyList<VirtualService> byRoute = routeLabel is null ? [] : _ctx.VirtualServices.List(ingNs,
            KubeLabelSelector.FromEquality(new Dictionary<string, string> { [NetworkingConstants.RouteLabel] = routeLabel }));
        foreach (var stale in ChildDecisions.StaleVirtualServices(owner, ChildDecisions.AppliedNames(plan.VirtualServices), byIngress, byRoute))
        {
            try
            {
                await DeleteIgnoringNotFoundAsync(client, stale.Metadata.Namespace, stale.Metadata.Name ?? "", ct).ConfigureAwait(false);
            }
            catch (KubeApiException ex) { throw new IngressReconcileException(IngressEvents.DeleteVirtualServiceError(ex.Message), ex); }
            Log.Wrote(_logger, "Deleted", "VirtualService", stale.Metadata.Namespace ?? "", stale.Metadata.Name ?? "");
        }
    }

    /// <summary>§8.2: remove this Ingress's servers from every configured gateway and delete its Secret copies.
    /// Per-Ingress Gateways and VirtualServices go by owner-reference garbage collection.</summary>
    public async Task FinalizeKindAsync(IngressModel ing, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ing);
        var key = ing.Metadata.Namespace + "/" + ing.Metadata.Name;
        var config = _ctx.Config.Current;
        if (config.Istio.GatewaysEnabled)
        {
            var defaulted = IngressSpecs.Defaulted(ing);
            var client = _ctx.Client.For<GatewayModel>();
            foreach (var configured in config.Istio.IngressGateways.Concat(config.Istio.LocalGateways))
            {
                GatewayModel? gateway;
                try { gateway = await client.TryGetAsync(configured.Namespace, configured.Name, ct).ConfigureAwait(false); }
                catch (KubeApiException ex) { throw new IngressReconcileException(IngressEvents.GetGatewayError(ex.Message), ex); }
                if (gateway is null) continue;
                var servers = Resources.Gateways.ServersAfterFinalize(gateway, defaulted);
                if (servers is null) continue;
                gateway.Spec!.Servers = servers;
                try { await client.UpdateAsync(gateway, new WriteOptions(_ctx.FieldManager), ct).ConfigureAwait(false); }
                catch (KubeApiException ex) { throw new IngressReconcileException(IngressEvents.UpdateGatewayError(ex.Message), ex); }
                Record(ing, IngressEvents.GatewayUpdated(configured.Namespace, configured.Name));
            }
            if (ChildDecisions.HasTlsToClean(defaulted))
            {
                var namespaces = config.Istio.IngressGateways
                    .Select(g => g.ServiceNameNamespace(out _)?.Namespace).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
                foreach (var ns in namespaces) await DeleteSecretCopiesAsync(defaulted, ns, ct).ConfigureAwait(false);
            }
        }
        _ctx.Readiness.Forget(key);
    }

    /// <summary>Deletes the Secret copies of every TLS entry, in <paramref name="ns"/> or (null) any namespace; errors aggregated.</summary>
    private async Task DeleteSecretCopiesAsync(IngressModel defaulted, string? ns, CancellationToken ct)
    {
        var client = _ctx.Client.For<Secret>();
        var errors = new List<Exception>();
        foreach (var tls in defaulted.Spec?.Tls ?? [])
        {
            var selector = KubeLabelSelector.FromEquality(Resources.Secrets.CopySelector(tls));
            var list = await client.ListAllAsync(ns, new ListOptions { LabelSelector = selector.Text }, ct).ConfigureAwait(false);
            foreach (var secret in list.Items)
            {
                try { await DeleteIgnoringNotFoundAsync(client, secret.Metadata.Namespace, secret.Metadata.Name ?? "", ct).ConfigureAwait(false); }
                catch (KubeApiException ex) { errors.Add(ex); }
            }
        }
        if (errors.Count > 0) throw new AggregateException(errors);
    }

    private static async Task DeleteIgnoringNotFoundAsync<T>(ResourceClient<T> client, string? ns, string name, CancellationToken ct) where T : class
    {
        try { await client.DeleteAsync(ns, name, ct: ct).ConfigureAwait(false); }
        catch (NotFoundException) { }
    }

    private void Record(IngressModel ing, IngressEvent ev) =>
        _ctx.Events?.Record(TypedKinds.Descriptor<IngressModel>(), ObjectHeader.From(ing),
            ev.Type == "Warning" ? EventType.Warning : EventType.Normal, ev.Reason, ev.Message);

    private static partial class Log
    {
        [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "{Action} {Kind} {Namespace}/{Name}")]
        public static partial void Wrote(ILogger logger, string action, string kind, string @namespace, string name);

        [LoggerMessage(EventId = 302, Level = LogLevel.Debug, Message = "Waiting for every gateway pod to serve hash {Hash}")]
        public static partial void WaitingForGateways(ILogger logger, string hash);
    }
}

/// <summary>A pass failed with one of upstream's error texts (§11); the host records it as an InternalError event and requeues.</summary>
public sealed class IngressReconcileException(string message, Exception? inner = null) : Exception(message, inner);
