using Ingress.Api.Apps.V1;
using Ingress.Api.Core.V1;
using Ingress.Api.Knative;
using Ingress.Api.Meta.V1;
using Ingress.Api.Networking.V1Alpha1;
using Ingress.Autoscaling.Reconciler;
using Ingress.Kube.Controller;
using Ingress.Kube.Typed;
using ConditionStatus = Ingress.Api.Knative.ConditionStatus;

namespace Ingress.Autoscaling.Tests.Reconciler;

/// <summary>The ServerlessService reconciler against the embedded API server: services, public endpoints in
/// Proxy/Serve mode (with the forcing rules) and status.</summary>
public sealed class ServerlessServiceReconcilerTests
{
    private const string Rev = "sks-00001";
    private const string Ns = AutoscalingCluster.Ns;

    private static async Task<(AutoscalingCluster Cluster, KindReconcilerHost<ServerlessService> Host)> StartAsync()
    {
        var c = await AutoscalingCluster.StartAsync();
        var reconciler = new ServerlessServiceReconciler(c.Client, c.Informers.For<Service>().Lister, c.Informers.For<Endpoints>().Lister,
            c.Informers.For<Deployment>().Lister, c.Time);
        var deployment = await c.Client.For<Deployment>().CreateAsync(new Deployment
        {
            Metadata = new ObjectMeta { Name = Rev + "-deployment", Namespace = Ns, Labels = new() { [ServingKeys.Revision] = Rev } },
            Spec = new DeploymentSpec
            {
                Selector = new Api.Meta.V1.LabelSelector { MatchLabels = new() { [ServingKeys.RevisionUid] = "uid-1" } },
                Template = new PodTemplateSpec
                {
                    Metadata = new ObjectMeta { Labels = new() { [ServingKeys.RevisionUid] = "uid-1" } },
                    Spec = new PodSpec { Containers = [new Container { Name = "user-container", Image = "example" }] },
                },
            },
        }, ct: c.Token);
        await AutoscalingCluster.Eventually(() => c.Informers.For<Deployment>().Lister.Get(Ns, deployment.Metadata.Name!) is not null, "deployment cached");
        return (c, c.Informers.ReconcilerHost(reconciler));
    }

    private static async Task SetEndpointsAsync(AutoscalingCluster c, string ns, string name, params string[] ips)
    {
        var client = c.Client.For<Endpoints>();
        var existing = await client.TryGetAsync(ns, name, c.Token);
        var subsets = ips.Length == 0 ? null : new List<EndpointsSubset>
        {
            new() { Addresses = ips.Select(ip => new EndpointAddress { Ip = ip }).ToList(), Ports = [new EndpointPort { Name = "http", Port = 8012, Protocol = "TCP" }] },
        };
        var written = existing is null
            ? await client.CreateAsync(new Endpoints { Metadata = new ObjectMeta { Name = name, Namespace = ns }, Subsets = subsets }, ct: c.Token)
            : await client.UpdateAsync(new Endpoints { Metadata = existing.Metadata, Subsets = subsets }, ct: c.Token);
        await AutoscalingCluster.Eventually(() => c.Informers.For<Endpoints>().Lister.Get(ns, name)?.Metadata.ResourceVersion == written.Metadata.ResourceVersion, "endpoints cached");
    }

    private static async Task SetSksSpecAsync(AutoscalingCluster c, string mode, int activators)
    {
        var client = c.Client.For<ServerlessService>();
        var sks = await client.TryGetAsync(Ns, Rev, c.Token);
        var spec = new ServerlessServiceSpec
        {
            Mode = mode, NumActivators = activators, ProtocolType = "http1",
            ObjectRef = new ObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = Rev + "-deployment" },
        };
        ServerlessService written;
        if (sks is null)
        {
            written = await client.CreateAsync(new ServerlessService { Metadata = new ObjectMeta { Name = Rev, Namespace = Ns }, Spec = spec }, ct: c.Token);
        }
        else
        {
            sks.Spec = spec;
            written = await client.UpdateAsync(sks, ct: c.Token);
        }
        await AutoscalingCluster.Eventually(() => c.Informers.For<ServerlessService>().Lister.Get(Ns, Rev)?.Metadata.ResourceVersion == written.Metadata.ResourceVersion, "sks cached");
    }

    private static async Task SettleAsync(AutoscalingCluster c)
    {
        foreach (var name in new[] { Rev, Rev + "-private" })
        {
            var svc = await c.Client.For<Service>().TryGetAsync(Ns, name, c.Token);
            if (svc is not null) await AutoscalingCluster.Eventually(() => c.Informers.For<Service>().Lister.Get(Ns, name)?.Metadata.ResourceVersion == svc.Metadata.ResourceVersion, "service cached");
        }
        var ep = await c.Client.For<Endpoints>().TryGetAsync(Ns, Rev, c.Token);
        if (ep is not null) await AutoscalingCluster.Eventually(() => c.Informers.For<Endpoints>().Lister.Get(Ns, Rev)?.Metadata.ResourceVersion == ep.Metadata.ResourceVersion, "public endpoints cached");
        var sks = await c.Client.For<ServerlessService>().GetAsync(Ns, Rev, c.Token);
        await AutoscalingCluster.Eventually(() => c.Informers.For<ServerlessService>().Lister.Get(Ns, Rev)?.Metadata.ResourceVersion == sks.Metadata.ResourceVersion, "sks cached");
    }

    private static async Task<List<string>> PublicIpsAsync(AutoscalingCluster c) =>
        (await c.Client.For<Endpoints>().GetAsync(Ns, Rev, c.Token)).Subsets?.SelectMany(s => s.Addresses ?? []).Select(a => a.Ip!).Order().ToList() ?? [];

    [Fact]
    public async Task Proxy_and_serve_modes_route_the_public_endpoints_with_the_forcing_rules()
    {
        var (c, host) = await StartAsync();
        await using var _ = c;
        await SetEndpointsAsync(c, "knative-serving", "activator-service", "10.9.0.1", "10.9.0.2", "10.9.0.3");
        await SetSksSpecAsync(c, "Proxy", 2);

        await host.ReconcileAsync(Ns + "/" + Rev, c.Token);

        var priv = await c.Client.For<Service>().GetAsync(Ns, Rev + "-private", c.Token);
        Assert.Equal("uid-1", priv.Spec!.Selector![ServingKeys.RevisionUid]);
        Assert.Equal([80, 443, 9090, 9091, 8012], priv.Spec.Ports!.Select(p => p.Port!.Value));
        Assert.Equal("Private", priv.Metadata.Labels![ServerlessServiceReconciler.ServiceTypeLabel]);
        var pub = await c.Client.For<Service>().GetAsync(Ns, Rev, c.Token);
        Assert.True(pub.Spec!.Selector is null || pub.Spec.Selector.Count == 0);
        Assert.Equal([80, 443], pub.Spec.Ports!.Select(p => p.Port!.Value));
        var proxied = await PublicIpsAsync(c);
        Assert.Equal(2, proxied.Count);
        Assert.All(proxied, ip => Assert.StartsWith("10.9.0.", ip, StringComparison.Ordinal));
        var sks = await c.Client.For<ServerlessService>().GetAsync(Ns, Rev, c.Token);
        Assert.Equal((Rev, Rev + "-private"), (sks.Status!.ServiceName, sks.Status.PrivateServiceName));
        Assert.Equal(ConditionStatus.True, ConditionAssert.Get(sks.Status, ConditionTypes.Ready).Status);
        Assert.Equal(ConditionStatus.True, ConditionAssert.Get(sks.Status, ServerlessServiceStatus.ActivatorEndpointsPopulated).Status);

        // Serve requested but no ready pod: still the activators.
        await SetSksSpecAsync(c, "Serve", 2);
        await SettleAsync(c);
        await host.ReconcileAsync(Ns + "/" + Rev, c.Token);
        Assert.Equal(proxied, await PublicIpsAsync(c));

        // A ready pod: Serve routes to it and the activator is out of the path.
        await SetEndpointsAsync(c, Ns, Rev + "-private", "10.1.0.7");
        await SettleAsync(c);
        await host.ReconcileAsync(Ns + "/" + Rev, c.Token);
        Assert.Equal(["10.1.0.7"], await PublicIpsAsync(c));
        sks = await c.Client.For<ServerlessService>().GetAsync(Ns, Rev, c.Token);
        Assert.Equal(ConditionStatus.False, ConditionAssert.Get(sks.Status, ServerlessServiceStatus.ActivatorEndpointsPopulated).Status);
        Assert.Equal(ConditionStatus.True, ConditionAssert.Get(sks.Status, ConditionTypes.Ready).Status);

        // Proxy requested but no activator endpoints: forced to Serve.
        await SetSksSpecAsync(c, "Proxy", 2);
        await SetEndpointsAsync(c, "knative-serving", "activator-service");
        await SettleAsync(c);
        await host.ReconcileAsync(Ns + "/" + Rev, c.Token);
        Assert.Equal(["10.1.0.7"], await PublicIpsAsync(c));

        // Neither pods nor activators: no backends.
        await SetEndpointsAsync(c, Ns, Rev + "-private");
        await SettleAsync(c);
        await host.ReconcileAsync(Ns + "/" + Rev, c.Token);
        Assert.Empty(await PublicIpsAsync(c));
        sks = await c.Client.For<ServerlessService>().GetAsync(Ns, Rev, c.Token);
        var ready = ConditionAssert.Get(sks.Status, ConditionTypes.Ready);
        Assert.Equal((ConditionStatus.Unknown, "NoHealthyBackends"), (ready.Status, ready.Reason));
    }

    [Fact]
    public void Activator_subset_is_stable_per_sks_and_sized_by_num_activators()
    {
        var activators = new Endpoints
        {
            Subsets = [new EndpointsSubset { Addresses = Enumerable.Range(1, 10).Select(i => new EndpointAddress { Ip = $"10.9.0.{i}" }).ToList() }],
        };
        var a = ServerlessServiceReconciler.ActivatorSubsets(activators, "rev-a", 3).Single().Addresses!.Select(x => x.Ip).ToList();
        var again = ServerlessServiceReconciler.ActivatorSubsets(activators, "rev-a", 3).Single().Addresses!.Select(x => x.Ip).ToList();
        Assert.Equal(3, a.Count);
        Assert.Equal(a, again);
        // Removing an activator that was not chosen does not move this SKS.
        var notChosen = activators.Subsets[0].Addresses!.First(x => !a.Contains(x.Ip)).Ip;
        var fewer = new Endpoints { Subsets = [new EndpointsSubset { Addresses = activators.Subsets[0].Addresses!.Where(x => x.Ip != notChosen).ToList() }] };
        Assert.Equal(a, ServerlessServiceReconciler.ActivatorSubsets(fewer, "rev-a", 3).Single().Addresses!.Select(x => x.Ip).ToList());
        Assert.Equal(10, ServerlessServiceReconciler.ActivatorSubsets(activators, "rev-a", 20).Single().Addresses!.Count);
    }
}
