using BenchmarkDotNet.Attributes;
using Ingress.Api;
using Ingress.Api.Core.V1;
using Ingress.Networking.Config;
using Ingress.Networking.Probing;
using Ingress.Networking.Resources;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;

namespace Ingress.Benchmarks;

/// <summary>
/// KIngress → Istio translation on one thread, for the 2-rule, 3-split Ingress. Target: ≥ 20,000
/// translations/s (≤ 50 µs per <see cref="MakeVirtualServices"/>). Baseline: a JSON deep copy of the same Ingress,
/// the floor any translation that must not mutate its input pays.
/// </summary>
[MemoryDiagnoser]
public class NetworkingTranslationBenchmarks
{
    private IngressModel _defaulted = null!;
    private IngressModel _raw = null!;
    private GatewayMap _gateways = null!;
    private IngressConfig _config = null!;
    private readonly NoLookups _lookups = new();

    [GlobalSetup]
    public void Setup()
    {
        _raw = KubeJson.Deserialize<IngressModel>("""
            {"apiVersion":"networking.internal.knative.dev/v1alpha1","kind":"Ingress",
             "metadata":{"name":"hello","namespace":"default","uid":"u-1","generation":3,
               "labels":{"serving.knative.dev/route":"hello","serving.knative.dev/routeNamespace":"default"},
               "annotations":{"networking.knative.dev/ingress.class":"istio.ingress.networking.knative.dev"}},
             "spec":{"httpOption":"Enabled","rules":[
               {"hosts":["hello.default.example.com"],"visibility":"ExternalIP","http":{"paths":[{"splits":[
                 {"serviceNamespace":"default","serviceName":"hello-00001","servicePort":80,"percent":50,"appendHeaders":{"Knative-Serving-Revision":"hello-00001","Knative-Serving-Namespace":"default"}},
                 {"serviceNamespace":"default","serviceName":"hello-00002","servicePort":80,"percent":30,"appendHeaders":{"Knative-Serving-Revision":"hello-00002","Knative-Serving-Namespace":"default"}},
                 {"serviceNamespace":"default","serviceName":"hello-00003","servicePort":80,"percent":20,"appendHeaders":{"Knative-Serving-Revision":"hello-00003","Knative-Serving-Namespace":"default"}}]}]}},
               {"hosts":["hello.default","hello.default.svc","hello.default.svc.cluster.local"],"visibility":"ClusterLocal","http":{"paths":[{"splits":[
                 {"serviceNamespace":"default","serviceName":"hello-00001","servicePort":80,"percent":50,"appendHeaders":{"Knative-Serving-Revision":"hello-00001","Knative-Serving-Namespace":"default"}},
                 {"serviceNamespace":"default","serviceName":"hello-00002","servicePort":80,"percent":30,"appendHeaders":{"Knative-Serving-Revision":"hello-00002","Knative-Serving-Namespace":"default"}},
                 {"serviceNamespace":"default","serviceName":"hello-00003","servicePort":80,"percent":20,"appendHeaders":{"Knative-Serving-Revision":"hello-00003","Knative-Serving-Namespace":"default"}}]}]}}]}}
            """);
        _defaulted = IngressSpecs.SetDefaults(IngressSpecs.DeepCopy(_raw));
        _gateways = GatewayMap.Create(["knative-serving/knative-ingress-gateway"], ["knative-serving/knative-local-gateway"]);
        _config = new IngressConfig(IstioConfig.Default("knative-serving", "cluster.local"), NetworkConfig.Default);
    }

    [Benchmark(Baseline = true)]
    public IngressModel DeepCopyOnly() => IngressSpecs.DeepCopy(_raw);

    [Benchmark]
    public List<Ingress.Api.Istio.Networking.V1Beta1.VirtualService> MakeVirtualServices() =>
        VirtualServices.Make(_defaulted, _gateways, "cluster.local", "knative-serving");

    [Benchmark]
    public string Hash() => IngressHash.Compute(_defaulted.Spec, "default", "hello");

    /// <summary>The whole pure pass: defaulting, gateway selection, VirtualServices, status values and probe subject.</summary>
    [Benchmark]
    public IngressPlan FullPlan() => IngressPlan.Build(_raw, _config, _lookups, "cluster.local", "knative-serving");

    private sealed class NoLookups : IPlanLookups
    {
        public Secret? GetSecret(string ns, string name) => null;
        public Service? GetService(string ns, string name) => null;
    }
}

/// <summary>
/// From a KIngress spec change (a new hash, gateways already applying it) to the prober's ready callback, with 3
/// gateway pods as real Kestrel servers on loopback. Target: ≤ 100 ms p95. Baseline: one probe request to one pod,
/// the floor of any HTTP readiness check.
/// </summary>
public class NetworkingProberBenchmarks
{
    private readonly List<WebApplication> _pods = [];
    private readonly List<(string IP, int Port)> _endpoints = [];
    private volatile string _servedHash = "";
    private IngressProber _prober = null!;
    private GatewayProbeClient _client = null!;
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _generation;

    [GlobalSetup]
    public void Setup()
    {
        foreach (var ip in new[] { "127.0.0.1", "127.0.0.2", "127.0.0.3" })
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Parse(ip), 0));
            var app = builder.Build();
            app.Run(ctx =>
            {
                ctx.Response.Headers["K-Network-Hash"] = _servedHash;
                return Task.CompletedTask;
            });
            app.StartAsync().GetAwaiter().GetResult();
            _pods.Add(app);
            _endpoints.Add((ip, new Uri(app.Urls.First()).Port));
        }
        var targets = _endpoints.Select(e => new ProbeTarget([e.IP], e.Port, 80, "http://hello.default.example.com:80")).ToArray();
        _prober = new IngressProber(new FixedTargets(targets), _ => _ready.TrySetResult());
        _client = new GatewayProbeClient(TimeSpan.FromSeconds(1));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _prober.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _client.Dispose();
        foreach (var pod in _pods) pod.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public Task<ProbeOutcome> OneProbeRequest() =>
        _client.ProbeAsync("http://hello.default.example.com:80", _endpoints[0].IP, _endpoints[0].Port, _servedHash, CancellationToken.None);

    [Benchmark]
    public async Task SpecChangeToReady()
    {
        var generation = Interlocked.Increment(ref _generation);
        var hash = generation.ToString("x64");
        _servedHash = hash; // the gateways have applied the new VirtualService
        _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subject = new ProbeSubject("default", "hello", generation, hash, []);
        if (!await _prober.IsReadyAsync(subject)) await _ready.Task;
    }

    private sealed class FixedTargets(IReadOnlyList<ProbeTarget> targets) : IProbeTargetSource
    {
        public ValueTask<IReadOnlyList<ProbeTarget>> ListTargetsAsync(ProbeSubject subject, CancellationToken cancellationToken) => ValueTask.FromResult(targets);
    }
}
