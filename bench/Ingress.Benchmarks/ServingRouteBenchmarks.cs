using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Ingress.Serving.Config;
using Ingress.Serving.Domains;
using Ingress.Serving.Resources;
using Ingress.Serving.Status;

namespace Ingress.Benchmarks;

/// <summary>The pure work of one Route reconcile (main target + 3 tags, external-domain TLS on with ready
/// Certificates): traffic, visibility, status, TLS plan and outcome, placeholders, KIngress. Baseline: a JSON deep copy
/// of the Route (what every reconcile starts with).</summary>
[MemoryDiagnoser]
public class ServingRouteBenchmarks
{
    private ServingConfig _config = null!;
    private JsonObject _route = null!;
    private Dictionary<string, JsonObject> _objects = null!;
    private List<JsonObject> _certs = null!;

    [GlobalSetup]
    public void Setup()
    {
        var store = new ConfigStore();
        store.Apply("config-domain", new Dictionary<string, string> { ["example.com"] = "" });
        store.Apply("config-network", new Dictionary<string, string> { ["external-domain-tls"] = "Enabled" });
        _config = store.Current;
        var inputs = ServingScale.ReadyRoutes(1);
        _objects = inputs.Where(o => o["kind"]!.GetValue<string>() != "Route").ToDictionary(o => o["metadata"]!["name"]!.GetValue<string>());
        _route = inputs.Single(o => o["kind"]!.GetValue<string>() == "Route");
        ((JsonObject)_route["metadata"]!)["uid"] = "route-uid";
        var (tc, _) = TrafficBuilder.Build(_route, n => _objects.GetValueOrDefault(n), n => _objects.GetValueOrDefault(n));
        var vis = TrafficBuilder.Visibilities(_config, _route, tc, _ => null);
        var plan = RouteTls.Plan(_config, _route, tc, vis, []);
        _certs = plan.External.Select(r =>
        {
            var c = (JsonObject)r.Desired.DeepClone();
            ((JsonObject)c["metadata"]!)["generation"] = 1;
            c["status"] = JsonNode.Parse("""{"observedGeneration":1,"conditions":[{"type":"Ready","status":"True"}]}""");
            return c;
        }).ToList();
    }

    /// <summary>Each step of <see cref="RouteReconcilePureWork"/> alone (console mode <c>serving-scale steps</c>, for profiling).</summary>
    public IEnumerable<(string, Action)> Steps()
    {
        var route = (JsonObject)_route.DeepClone();
        var (tc, err) = TrafficBuilder.Build(route, n => _objects.GetValueOrDefault(n), n => _objects.GetValueOrDefault(n));
        var vis = TrafficBuilder.Visibilities(_config, route, tc, _ => null);
        var plan = RouteTls.Plan(_config, route, tc, vis, []);
        var tls = RouteTls.Resolve(_config, plan, _certs, []);
        var ingress = IngressResources.MakeIngress(_config, route, tc, vis, tls.Tls, null, tls.Challenges);
        yield return ("clone", () => route.DeepClone());
        yield return ("traffic", () => TrafficBuilder.Build(route, n => _objects.GetValueOrDefault(n), n => _objects.GetValueOrDefault(n)));
        yield return ("visibility", () => TrafficBuilder.Visibilities(_config, route, tc, _ => null));
        yield return ("status", () => RouteStatus.Compute(_config, route, DateTimeOffset.UnixEpoch, tc, err, vis, ingress, null, tls));
        yield return ("placeholders", () => PlaceholderServices.Make(_config, route, tc));
        yield return ("tls-plan", () => RouteTls.Plan(_config, route, tc, vis, []));
        yield return ("tls-resolve", () => RouteTls.Resolve(_config, plan, _certs, []));
        yield return ("ingress", () => IngressResources.MakeIngress(_config, route, tc, vis, tls.Tls, null, tls.Challenges));
        yield return ("rollout", () => TrafficBuilder.BuildRollout(tc).ToJson());
    }

    [Benchmark(Baseline = true)]
    public JsonNode CloneRoute() => _route.DeepClone();

    [Benchmark]
    public string ClusterLocalHost() => DomainNames.DomainsForVisibility(_config, TrafficBuilder.RouteMeta(_route), "blue", Visibility.ClusterLocal).Primary;

    [Benchmark]
    public string ExternalHost() => DomainNames.DomainsForVisibility(_config, TrafficBuilder.RouteMeta(_route), "blue", Visibility.ExternalIP).Primary;

    [Benchmark]
    public JsonObject RouteReconcilePureWork()
    {
        var route = (JsonObject)_route.DeepClone();
        var (tc, err) = TrafficBuilder.Build(route, n => _objects.GetValueOrDefault(n), n => _objects.GetValueOrDefault(n));
        var vis = TrafficBuilder.Visibilities(_config, route, tc, _ => null);
        var now = DateTimeOffset.UnixEpoch;
        RouteStatus.Compute(_config, route, now, tc, err, vis, null);
        var placeholders = PlaceholderServices.Make(_config, route, tc);
        var plan = RouteTls.Plan(_config, route, tc, vis, []);
        var tls = RouteTls.Resolve(_config, plan, _certs, []);
        var ingress = IngressResources.MakeIngress(_config, route, tc, vis, tls.Tls, null, tls.Challenges);
        RouteStatus.Compute(_config, route, now, tc, err, vis, ingress, null, tls);
        return placeholders.Count > 0 ? ingress : route;
    }
}
