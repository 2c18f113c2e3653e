using Ingress.Api.Core.V1;
using Ingress.Api.Coordination.V1;
using Ingress.Api.Meta.V1;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Kube.Tests.Fixtures;
using Ingress.Kube.Typed;

namespace Ingress.Kube.Tests;

/// <summary>The typed layer over the generated models, against the real embedded API server.</summary>
public sealed class TypedTests : IAsyncLifetime
{
    private Ingress.ApiServer.ApiServerHost _host = null!;
    private KubeClient _client = null!;
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(2));

    public async Task InitializeAsync()
    {
        _host = await ApiServerProcess.StartInProcessAsync();
        _client = new KubeClient(KubeConnection.FromServer(_host.BaseUri));
    }

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public void Descriptors_come_from_the_models_static_identity()
    {
        Assert.Equal(new ResourceDescriptor("", "v1", "configmaps", true, "ConfigMap"), TypedKinds.Descriptor<ConfigMap>());
        Assert.Equal(ResourceDescriptor.Leases, TypedKinds.Descriptor<Lease>());
        Assert.True(Ingress.Api.KnownKinds.TryGetByApiVersion("serving.knative.dev/v1", "Service", out var ksvc));
        Assert.Equal(new ResourceDescriptor("serving.knative.dev", "v1", "services", true, "Service"), TypedKinds.Descriptor(ksvc));
    }

    [Fact]
    public async Task Typed_client_round_trips_a_generated_model()
    {
        var cms = _client.For<ConfigMap>();
        var created = await cms.CreateAsync(new ConfigMap
        {
            Metadata = new ObjectMeta { Name = "typed", Namespace = "default", Labels = new() { ["app"] = "x" } },
            Data = new() { ["k"] = "v" },
        });
        Assert.False(string.IsNullOrEmpty(created.Metadata.ResourceVersion));
        created.Data!["k"] = "w";
        var updated = await cms.UpdateAsync(created);
        Assert.Equal("w", updated.Data!["k"]);
        var stale = created;
        stale.Data["k"] = "z";
        await Assert.ThrowsAsync<ConflictException>(() => cms.UpdateAsync(stale));
        Assert.Equal("w", (await cms.GetAsync("default", "typed")).Data!["k"]);
        Assert.Equal("default/typed", TypedKinds.KeyOf(updated));

        var lease = await _client.For<Lease>().CreateAsync(new Lease
        {
            Metadata = new ObjectMeta { Name = "typed-lease", Namespace = "default" },
            Spec = new LeaseSpec { HolderIdentity = "me" },
        });
        Assert.Equal("me", lease.Spec!.HolderIdentity);
    }

    [Fact]
    public async Task Typed_shared_informer_and_lister()
    {
        await using var factory = new SharedInformerFactory(_client);
        var informer = factory.For<ConfigMap>(new InformerScope("default", LabelSelector: "app=typed"));
        Assert.Same(informer, factory.For<ConfigMap>(new InformerScope("default", LabelSelector: "app=typed")));
        var keys = new System.Collections.Concurrent.ConcurrentQueue<string>();
        informer.AddEventHandler(new ResourceEventHandler<ConfigMap> { Add = (cm, h, _) => keys.Enqueue(h.Key + "=" + cm.Data?["k"]) });
        factory.Start(_stop.Token);
        await factory.WaitForCacheSyncAsync(_stop.Token);
        await _client.For<ConfigMap>().CreateAsync(new ConfigMap { Metadata = new ObjectMeta { Name = "a", Namespace = "default", Labels = new() { ["app"] = "typed" } }, Data = new() { ["k"] = "1" } });
        await _client.For<ConfigMap>().CreateAsync(new ConfigMap { Metadata = new ObjectMeta { Name = "b", Namespace = "default", Labels = new() { ["app"] = "other" } } });
        await Eventually.HoldsAsync(() => keys.Contains("default/a=1"), "typed add delivered");
        ConfigMap cached = informer.Lister.Get("default", "a")!;
        Assert.Equal("1", cached.Data!["k"]);
        Assert.Null(informer.Lister.Get("default", "b"));
        Assert.Single(informer.Lister.List("default", Ingress.Kube.Cache.LabelSelector.Parse("app=typed")));
    }

    private sealed class CountingConfigMapReconciler : IKindReconciler<ConfigMap>
    {
        public int Seen;
        public Task<ReconcileResult> ReconcileKindAsync(ConfigMap obj, CancellationToken ct)
        {
            Interlocked.Increment(ref Seen);
            return Task.FromResult(ReconcileResult.Done);
        }
    }

    [Fact]
    public async Task Typed_reconciler_host_for_a_kind_without_status_writes_nothing()
    {
        await using var factory = new SharedInformerFactory(_client);
        var reconciler = new CountingConfigMapReconciler();
        var host = factory.ReconcilerHost(reconciler);
        var controller = new Controller.Controller(new ControllerOptions { Name = "typed-cm" }, host);
        factory.For<ConfigMap>().AddEventHandler(controller.EnqueueHandler<ConfigMap>());
        factory.Start(_stop.Token);
        _ = controller.RunAsync(_stop.Token);
        var rvBefore = _host.ResourceVersion;
        await _client.For<ConfigMap>().CreateAsync(new ConfigMap { Metadata = new ObjectMeta { Name = "plain", Namespace = "default" } });
        await Eventually.HoldsAsync(() => reconciler.Seen >= 1, "reconciled");
        await Eventually.HoldsAsync(() => controller.Queue.Count == 0, "idle");
        Assert.Equal(rvBefore + 1, _host.ResourceVersion); // the create only: no status write for a kind without status
    }
}
