using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Ingress.Kube.Cache;

namespace Ingress.Serving.Resources;

/// <summary>
/// Informer indexes that let the Route controller find what a change touches without scanning a namespace
/// (upstream's tracker answers the same questions). Why: with N Routes in one namespace, a scan of every Route
/// on each Configuration/Revision event, and of every Configuration and Revision on each Route reconcile, made
/// render and a config-domain edit cost N² (docs/perf/serving.md).
/// </summary>
public static class RouteIndexes
{
    /// <summary>On Routes: <c>configurationName=&lt;ns&gt;/&lt;name&gt;</c> and <c>revisionName=&lt;ns&gt;/&lt;name&gt;</c>
    /// for every target of <c>spec.traffic</c>.</summary>
    public const string TrafficReferences = "serving.knative.dev/traffic-references";

    /// <summary>On Configurations and Revisions: <c>&lt;ns&gt;/&lt;route&gt;</c> for every Route listed in the
    /// <c>serving.knative.dev/routes</c> annotation.</summary>
    public const string ListedRoutes = "serving.knative.dev/listed-routes";

    /// <summary>Indexers that already carry our indexes (Register may run more than once on one informer factory).</summary>
    private static readonly ConditionalWeakTable<object, HashSet<string>> Added = [];

    /// <summary>The value of <see cref="TrafficReferences"/> for one target field (<c>configurationName</c> or
    /// <c>revisionName</c>).</summary>
    public static string TrafficReference(string field, string? @namespace, string name) => $"{field}={@namespace}/{name}";

    public static string ListedRoute(string? @namespace, string route) => $"{@namespace}/{route}";

    public static void AddTrafficReferences(Indexer<JsonObject> routes) => Ensure(routes, TrafficReferences, e =>
    {
        if (e.Object["spec"]?["traffic"] is not JsonArray traffic) return [];
        var values = new List<string>(traffic.Count);
        foreach (var t in traffic)
        {
            if (t is not JsonObject target) continue;
            foreach (var field in (ReadOnlySpan<string>)["configurationName", "revisionName"])
                if (target[field] is JsonValue v && v.TryGetValue<string>(out var name) && name.Length > 0)
                    values.Add(TrafficReference(field, e.Header.Namespace, name));
        }
        return values;
    });

    public static void AddListedRoutes(Indexer<JsonObject> configurationsOrRevisions) => Ensure(configurationsOrRevisions, ListedRoutes, e =>
    {
        if (e.Object["metadata"]?["annotations"]?[Keys.RoutesAnnotation] is not JsonValue raw || !raw.TryGetValue<string>(out var routes)) return [];
        return routes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => ListedRoute(e.Header.Namespace, r));
    });

    private static void Ensure(Indexer<JsonObject> indexer, string name, Func<CacheEntry<JsonObject>, IEnumerable<string>> fn)
    {
        var names = Added.GetOrCreateValue(indexer);
        lock (names)
        {
            if (!names.Add(name)) return;
            indexer.AddIndex(name, fn);
        }
    }
}
