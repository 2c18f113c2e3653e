using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Api.Apps.V1;
using Ingress.Api.Core.V1;
using Ingress.Api.Knative;
using Ingress.Api.Meta.V1;
using Ingress.Api.Networking.V1Alpha1;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Kube.Typed;
using Condition = Ingress.Api.Knative.Condition;
using ConditionStatus = Ingress.Api.Knative.ConditionStatus;
using OwnerReference = Ingress.Api.Meta.V1.OwnerReference;

namespace Ingress.Autoscaling.Reconciler;

/// <summary>
/// The ServerlessService reconciler (spec §6.3, serving-routing §9.3): keeps the private Service
/// <c>&lt;sks&gt;-private</c> selecting the Deployment's pods, the public Service <c>&lt;sks&gt;</c> without a
/// selector, and the public Endpoints pointing at the pods' ready endpoints (Serve) or at
/// <c>numActivators</c> activator endpoints chosen by rendezvous hashing on the SKS name (Proxy). No ready pod
/// forces Proxy; no activator endpoint forces Serve. Status: service names, EndpointsPopulated (Ready) and
/// ActivatorEndpointsPopulated.
/// </summary>
public sealed class ServerlessServiceReconciler : IKindReconciler<ServerlessService>
{
    public const string ControllerName = "serverlessservice-controller";
    public const string ServiceTypeLabel = "networking.internal.knative.dev/serviceType";
    public const string SksLabel = "networking.internal.knative.dev/serverlessservice";

    private readonly KubeClient _client;
    private readonly Lister<Service> _services;
    private readonly Lister<Endpoints> _endpoints;
    private readonly Lister<Deployment> _deployments;
    private readonly TimeProvider _time;
    private readonly string _systemNamespace;
    private readonly string _activatorService;

    /// <param name="systemNamespace">Where the activator runs; default <c>knative-serving</c>, upstream's.</param>
    /// <param name="activatorService">The activator's Service (its Endpoints list the activators); upstream's name.</param>
    public ServerlessServiceReconciler(KubeClient client, Lister<Service> services, Lister<Endpoints> endpoints, Lister<Deployment> deployments,
        TimeProvider? time = null, string systemNamespace = "knative-serving", string activatorService = "activator-service")
    {
        _client = client;
        _services = services;
        _endpoints = endpoints;
        _deployments = deployments;
        _time = time ?? TimeProvider.System;
        _systemNamespace = systemNamespace;
        _activatorService = activatorService;
    }

    public string SystemNamespace => _systemNamespace;
    public string ActivatorService => _activatorService;

    public static string PrivateName(string sks) => sks + "-private";

    public async Task<ReconcileResult> ReconcileKindAsync(ServerlessService sks, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sks);
        var ns = sks.Metadata.Namespace ?? "";
        var name = sks.Metadata.Name ?? "";
        sks.Status ??= new ServerlessServiceStatus();
        var conditions = sks.Status.Manage(_time);
        conditions.InitializeConditions();
        var h2c = sks.Spec?.ProtocolType == "h2c";

        var target = sks.Spec?.ObjectRef?.Name;
        var deployment = target is null ? null : _deployments.Get(ns, target);
        var selector = deployment?.Spec?.Selector?.MatchLabels;
        if (selector is null || selector.Count == 0)
        {
            conditions.MarkFalse(ServerlessServiceStatus.EndpointsPopulated, "NoSelector", $"scale target \"{target}\" not found or has no selector");
            return ReconcileResult.Done;
        }

        await EnsureServiceAsync(PrivateService(sks, selector, h2c), ct).ConfigureAwait(false);
        await EnsureServiceAsync(PublicService(sks, h2c), ct).ConfigureAwait(false);

        var podEndpoints = _endpoints.Get(ns, PrivateName(name));
        var ready = ReadyAddresses(podEndpoints).Count;
        var activators = _endpoints.Get(_systemNamespace, _activatorService);
        var specMode = PodAutoscalerResources.ParseMode(sks.Spec?.Mode);
        var mode = ready == 0 ? ServerlessServiceMode.Proxy
            : ReadyAddresses(activators).Count == 0 ? ServerlessServiceMode.Serve
            : specMode;

        var subsets = mode == ServerlessServiceMode.Serve
            ? CopySubsets(podEndpoints)
            : ActivatorSubsets(activators, name, sks.Spec?.NumActivators ?? KpaDecisions.MinActivators);
        await EnsurePublicEndpointsAsync(sks, subsets, ct).ConfigureAwait(false);

        sks.Status.ServiceName = name;
        sks.Status.PrivateServiceName = PrivateName(name);
        if (ready == 0 || specMode == ServerlessServiceMode.Proxy)
            conditions.MarkTrueWithReason(ServerlessServiceStatus.ActivatorEndpointsPopulated, "ActivatorEndpointsPopulated", "Revision is backed by Activator");
        else
            conditions.SetCondition(new Condition { Type = ServerlessServiceStatus.ActivatorEndpointsPopulated, Status = ConditionStatus.False, Reason = "ActivatorEndpointsPopulated", Message = "Revision is backed by Activator" });
        if (subsets.Any(s => s.Addresses is { Count: > 0 }))
            conditions.MarkTrue(ServerlessServiceStatus.EndpointsPopulated);
        else
            conditions.MarkUnknown(ServerlessServiceStatus.EndpointsPopulated, "NoHealthyBackends", "no healthy backends");
        return ReconcileResult.Done;
    }

    private static List<EndpointAddress> ReadyAddresses(Endpoints? endpoints) =>
        endpoints?.Subsets?.SelectMany(s => s.Addresses ?? []).ToList() ?? [];

    private static List<EndpointsSubset> CopySubsets(Endpoints? endpoints) =>
        endpoints?.Subsets is { } s ? JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(s, KubeJson.GetTypeInfo<List<EndpointsSubset>>()), KubeJson.GetTypeInfo<List<EndpointsSubset>>())! : [];

    /// <summary>The <paramref name="count"/> activator addresses with the highest hash of (SKS name, IP):
    /// stable per SKS, and adding or removing one activator moves only the SKSs that chose it.</summary>
    public static List<EndpointsSubset> ActivatorSubsets(Endpoints? activators, string sksName, int count)
    {
        if (activators?.Subsets is null) return [];
        var result = new List<EndpointsSubset>();
        foreach (var subset in CopySubsets(activators))
        {
            var chosen = (subset.Addresses ?? [])
                .OrderByDescending(a => BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(sksName + "/" + a.Ip))))
                .ThenBy(a => a.Ip, StringComparer.Ordinal)
                .Take(Math.Max(1, count))
                .ToList();
            result.Add(new EndpointsSubset { Addresses = chosen, Ports = subset.Ports });
        }
        return result;
    }

    private static ObjectMeta ChildMeta(ServerlessService sks, string name, string serviceType)
    {
        var labels = sks.Metadata.Labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(sks.Metadata.Labels);
        labels[ServiceTypeLabel] = serviceType;
        labels[SksLabel] = sks.Metadata.Name ?? "";
        return new ObjectMeta
        {
            Name = name,
            Namespace = sks.Metadata.Namespace,
            Labels = labels,
            OwnerReferences =
            [
                new OwnerReference
                {
                    ApiVersion = ServerlessService.ApiVersionValue, Kind = ServerlessService.KindValue, Name = sks.Metadata.Name,
                    Uid = sks.Metadata.Uid, Controller = true, BlockOwnerDeletion = true,
                },
            ],
        };
    }

    /// <summary>The pods' service: 80 → queue-proxy 8012 (8013 for h2c), 443 → 8112, metrics 9090/9091 and the
    /// queue port itself (for the mesh).</summary>
    public static Service PrivateService(ServerlessService sks, IReadOnlyDictionary<string, string> selector, bool h2c)
    {
        var queuePort = h2c ? 8013 : 8012;
        var http = h2c ? "http2" : "http";
        return new Service
        {
            Metadata = ChildMeta(sks, PrivateName(sks.Metadata.Name ?? ""), "Private"),
            Spec = new ServiceSpec
            {
                Selector = new Dictionary<string, string>(selector),
                Ports =
                [
                    new ServicePort { Name = http, Protocol = "TCP", Port = 80, TargetPort = queuePort },
                    new ServicePort { Name = "https", Protocol = "TCP", Port = 443, TargetPort = 8112 },
                    new ServicePort { Name = "http-autometric", Protocol = "TCP", Port = 9090, TargetPort = 9090 },
                    new ServicePort { Name = "http-usermetric", Protocol = "TCP", Port = 9091, TargetPort = 9091 },
                    new ServicePort { Name = http + "-istio", Protocol = "TCP", Port = queuePort, TargetPort = queuePort },
                ],
            },
        };
    }

    /// <summary>The KIngress backend: no selector (its Endpoints are written by this reconciler).</summary>
    public static Service PublicService(ServerlessService sks, bool h2c) => new()
    {
        Metadata = ChildMeta(sks, sks.Metadata.Name ?? "", "Public"),
        Spec = new ServiceSpec
        {
            Ports =
            [
                new ServicePort { Name = h2c ? "http2" : "http", Protocol = "TCP", Port = h2c ? 81 : 80, TargetPort = h2c ? 8013 : 8012 },
                new ServicePort { Name = "https", Protocol = "TCP", Port = 443, TargetPort = 8112 },
            ],
        },
    };

    private async Task EnsureServiceAsync(Service desired, CancellationToken ct)
    {
        var existing = _services.Get(desired.Metadata.Namespace, desired.Metadata.Name!);
        var client = _client.For<Service>();
        if (existing is null)
        {
            await client.CreateAsync(desired, ct: ct).ConfigureAwait(false);
            return;
        }
        var info = KubeJson.GetTypeInfo<List<ServicePort>>();
        if (JsonNode.DeepEquals(JsonSerializer.SerializeToNode(existing.Spec?.Ports ?? [], info), JsonSerializer.SerializeToNode(desired.Spec!.Ports ?? [], info))
            && SameSelector(existing.Spec?.Selector, desired.Spec.Selector))
            return;
        var copy = KpaReconciler.Copy(existing);
        copy.Spec ??= new ServiceSpec();
        copy.Spec.Ports = desired.Spec.Ports;
        copy.Spec.Selector = desired.Spec.Selector;
        await client.UpdateAsync(copy, ct: ct).ConfigureAwait(false);
    }

    private static bool SameSelector(Dictionary<string, string>? a, Dictionary<string, string>? b) =>
        (a is null || a.Count == 0) ? (b is null || b.Count == 0) : b is not null && a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private async Task EnsurePublicEndpointsAsync(ServerlessService sks, List<EndpointsSubset> subsets, CancellationToken ct)
    {
        var name = sks.Metadata.Name ?? "";
        var existing = _endpoints.Get(sks.Metadata.Namespace, name);
        var client = _client.For<Endpoints>();
        if (existing is null)
        {
            await client.CreateAsync(new Endpoints { Metadata = ChildMeta(sks, name, "Public"), Subsets = subsets }, ct: ct).ConfigureAwait(false);
            return;
        }
        var info = KubeJson.GetTypeInfo<List<EndpointsSubset>>();
        if (JsonNode.DeepEquals(JsonSerializer.SerializeToNode(existing.Subsets ?? [], info), JsonSerializer.SerializeToNode(subsets, info))) return;
        var copy = KpaReconciler.Copy(existing);
        copy.Subsets = subsets;
        await client.UpdateAsync(copy, ct: ct).ConfigureAwait(false);
    }
}
