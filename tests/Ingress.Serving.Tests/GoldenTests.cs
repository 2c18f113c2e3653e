using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Domains;
using Ingress.Serving.Resources;
using Ingress.Serving.Status;
using Ingress.Serving.Webhook;
using Ingress.Serving.Yaml;

namespace Ingress.Serving.Tests;

/// <summary>Golden tests: Golden/&lt;builder&gt;/&lt;case&gt;/input.yaml → expected.yaml. Objects are compared with
/// map keys order-insensitive (lists keep their order). UPDATE_GOLDEN=1 rewrites expected files; every rewrite
/// must be reviewed against docs/reference before committing.</summary>
public class GoldenTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_000_000_000); // 2001-09-09T01:46:40Z

    private static string GoldenRoot([CallerFilePath] string path = "") => Path.Combine(Path.GetDirectoryName(path)!, "Golden");

    public static IEnumerable<object[]> Cases() =>
        Directory.GetDirectories(GoldenRoot())
            .SelectMany(b => Directory.GetDirectories(b).Select(c => new object[] { Path.GetFileName(b), Path.GetFileName(c) }))
            .OrderBy(x => (string)x[0]).ThenBy(x => (string)x[1]);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Golden(string builder, string name)
    {
        var dir = Path.Combine(GoldenRoot(), builder, name);
        var input = YamlJson.ParseAll(File.ReadAllText(Path.Combine(dir, "input.yaml"))).OfType<JsonObject>().ToList();
        var output = Run(builder, input);
        var expectedPath = Path.Combine(dir, "expected.yaml");
        var actualYaml = YamlJson.Serialize(output);
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(expectedPath, actualYaml);
            return;
        }
        Assert.True(File.Exists(expectedPath), $"missing {expectedPath}; run with UPDATE_GOLDEN=1 and review it");
        var expected = YamlJson.ParseAll(File.ReadAllText(expectedPath));
        var e = string.Join("\n---\n", expected.Select(n => Normalize(n)!.ToJsonString()));
        var a = string.Join("\n---\n", YamlJson.ParseAll(actualYaml).Select(n => Normalize(n)!.ToJsonString()));
        Assert.True(e == a, $"golden mismatch in {builder}/{name}\n--- actual ---\n{actualYaml}");
    }

    [Fact]
    public void EnoughCases() => Assert.True(Cases().Count() >= 80, $"only {Cases().Count()} golden cases");

    /// <summary>Map keys sorted (lists keep their order): the comparison form of golden and table files.</summary>
    internal static JsonNode? Normalize(JsonNode? n) => n switch
    {
        JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, Normalize(kv.Value)))),
        JsonArray a => new JsonArray(a.Select(Normalize).ToArray()),
        null => null,
        _ => n.DeepClone(),
    };

    private static bool IsConfigMap(JsonObject o) => Json.Str(o, "kind") == "ConfigMap";

    internal static ServingConfig LoadConfig(IEnumerable<JsonObject> docs)
    {
        var store = new ConfigStore();
        foreach (var cm in docs.Where(IsConfigMap))
        {
            var data = Json.Map(cm, "data");
            var result = store.Apply(Meta.Name(cm), data);
            Assert.True(result.Outcome != ConfigUpdateOutcome.Rejected, $"config map {Meta.Name(cm)} rejected: {result.Error}");
        }
        return store.Current;
    }

    private static IEnumerable<JsonObject> OfKind(List<JsonObject> docs, string kind, string? apiGroupPrefix = null) =>
        docs.Where(d => Json.Str(d, "kind") == kind && (apiGroupPrefix is null || Json.Str(d, "apiVersion").StartsWith(apiGroupPrefix, StringComparison.Ordinal)));

    private static JsonObject Single(List<JsonObject> docs, string kind, string? prefix = null) =>
        Assert.Single(OfKind(docs, kind, prefix).ToList());

    private static List<JsonNode?> Run(string builder, List<JsonObject> docs)
    {
        var config = LoadConfig(docs);
        switch (builder)
        {
            case "configuration":
                {
                    var svc = Single(docs, "Service", "serving.knative.dev");
                    var existing = OfKind(docs, "Configuration").FirstOrDefault();
                    var desired = ServiceResources.MakeConfiguration(svc, existing);
                    return [desired];
                }
            case "route":
                return [ServiceResources.MakeRoute(Single(docs, "Service", "serving.knative.dev"))];
            case "revision":
                return [RevisionResources.MakeRevision(Single(docs, "Configuration"), Now)];
            case "ingress":
                return RunIngress(config, docs);
            case "placeholders":
                {
                    var route = (JsonObject)Single(docs, "Route").DeepClone();
                    ServingDefaulting.DefaultRoute(route, null, null);
                    var configs = OfKind(docs, "Configuration").ToDictionary(Meta.Name);
                    var revisions = OfKind(docs, "Revision").ToDictionary(Meta.Name);
                    var (tc, _) = TrafficBuilder.Build(route, n => configs.GetValueOrDefault(n), n => revisions.GetValueOrDefault(n));
                    return PlaceholderServices.Make(config, route, tc).Cast<JsonNode?>().ToList();
                }
            case "domainmapping":
                return RunDomainMapping(config, docs);
            case "deployment":
                {
                    var rev = Single(docs, "Revision");
                    var pa = DeploymentResources.MakePodAutoscaler(rev);
                    // The KPA creates the SKS from the stored PodAutoscaler, which has a uid by then.
                    ((JsonObject)pa["metadata"]!)["uid"] = "pa-uid";
                    return [DeploymentResources.MakeDeployment(config, rev), pa, DeploymentResources.MakeServerlessService(pa)];
                }
            case "defaulting":
                {
                    var result = new List<JsonNode?>();
                    foreach (var d in docs.Where(d => !IsConfigMap(d)))
                    {
                        var (obj, old) = Unwrap(d);
                        var user = d["user"] is JsonValue u ? new UserInfo(u.GetValue<string>()) : null;
                        ServingDefaulting.Apply(obj, config, old, user);
                        result.Add(obj);
                    }
                    return result;
                }
            case "validation":
                {
                    var validator = new ServingValidation(config);
                    var result = new List<JsonNode?>();
                    foreach (var d in docs.Where(d => !IsConfigMap(d)))
                    {
                        var (obj, old) = Unwrap(d);
                        // Admission runs the defaulting webhook before validation (old is the stored, already defaulted object).
                        ServingDefaulting.Apply(obj, config, old);
                        var err = validator.Validate(obj, old);
                        result.Add(new JsonObject
                        {
                            ["object"] = $"{Json.Str(obj, "kind")}/{Meta.Name(obj)}",
                            ["valid"] = err is null,
                            ["errors"] = err?.ToString(),
                        });
                    }
                    return result;
                }
            case "service-status":
                return RunServiceStatus(docs);
            case "route-rollout":
                return RunRouteRollout(config, docs);
            case "configuration-status":
                return RunConfigurationStatus(docs);
            default:
                return TlsGolden.Run(builder, config, docs) ?? throw new InvalidOperationException($"unknown golden builder {builder}");
        }
    }

    /// <summary>An update case is written as <c>{kind: Update, old: ..., new: ..., user: ...}</c>.</summary>
    private static (JsonObject Obj, JsonObject? Old) Unwrap(JsonObject d) =>
        Json.Str(d, "kind") == "Update"
            ? ((JsonObject)d["new"]!.DeepClone(), (JsonObject)d["old"]!.DeepClone())
            : ((JsonObject)(d.DeepClone() is JsonObject o ? Strip(o) : d), null);

    private static JsonObject Strip(JsonObject o) { o.Remove("user"); return o; }

    private static List<JsonNode?> RunIngress(ServingConfig config, List<JsonObject> docs)
    {
        var route = (JsonObject)Single(docs, "Route").DeepClone();
        ServingDefaulting.DefaultRoute(route, null, null);
        var configs = OfKind(docs, "Configuration").ToDictionary(Meta.Name);
        var revisions = OfKind(docs, "Revision").ToDictionary(Meta.Name);
        var services = OfKind(docs, "Service").Where(s => Json.Str(s, "apiVersion") == "v1").ToDictionary(Meta.Name);
        var existingIngress = OfKind(docs, "Ingress").FirstOrDefault();
        var (tc, err) = TrafficBuilder.Build(route, n => configs.GetValueOrDefault(n), n => revisions.GetValueOrDefault(n));
        SortedDictionary<string, Visibility> visibility;
        try
        {
            visibility = TrafficBuilder.Visibilities(config, route, tc, host => services.TryGetValue(host, out var s) ? Meta.Labels(s) : null);
        }
        catch (DomainNameException)
        {
            visibility = new SortedDictionary<string, Visibility>();
        }
        var result = RouteStatus.Compute(config, route, Now, tc, err, visibility, existingIngress);
        var output = new List<JsonNode?> { route };
        if (result.ProceedToIngress)
        {
            try { output.Add(IngressResources.MakeIngress(config, route, tc, visibility)); }
            catch (Exception e) when (e is DomainNameException or HttpOptionException)
            {
                output.Add(new JsonObject { ["reconcileError"] = e.Message });
            }
        }
        if (result.ReconcileError is not null) output.Add(new JsonObject { ["reconcileError"] = result.ReconcileError });
        return output;
    }

    /// <summary>The Route reconciler's rollout path (§6.4, §3.5, §5.1 step 8) at <see cref="Now"/>: the rollout
    /// stepped from the existing KIngress's annotation, the Route status computed with it, and the KIngress it
    /// makes (annotations and rules), plus the requeue delay of the next step.</summary>
    private static List<JsonNode?> RunRouteRollout(ServingConfig config, List<JsonObject> docs)
    {
        var route = (JsonObject)Single(docs, "Route").DeepClone();
        ServingDefaulting.DefaultRoute(route, null, null);
        var configs = OfKind(docs, "Configuration").ToDictionary(Meta.Name);
        var revisions = OfKind(docs, "Revision").ToDictionary(Meta.Name);
        var existingIngress = OfKind(docs, "Ingress").FirstOrDefault();
        var (tc, err) = TrafficBuilder.Build(route, n => configs.GetValueOrDefault(n), n => revisions.GetValueOrDefault(n));
        var visibility = TrafficBuilder.Visibilities(config, route, tc, _ => null);
        var (rollout, requeue) = RolloutStepper.Reconcile(config, route, tc, existingIngress, Now.ToUnixTimeMilliseconds() * 1_000_000);
        RouteStatus.Compute(config, route, Now, tc, err, visibility, existingIngress, rollout);
        var ingress = IngressResources.MakeIngress(config, route, tc, visibility, rollout: rollout);
        return [route, new JsonObject { ["ingressAnnotations"] = Json.Obj(ingress, "metadata")!["annotations"]?.DeepClone(), ["ingressRules"] = Json.Obj(ingress, "spec")!["rules"]?.DeepClone(), ["requeueAfter"] = requeue?.ToString() }];
    }

    private static List<JsonNode?> RunDomainMapping(ServingConfig config, List<JsonObject> docs)
    {
        var dm = (JsonObject)Single(docs, "DomainMapping").DeepClone();
        ServingDefaulting.DefaultDomainMapping(dm, null, null);
        var claim = OfKind(docs, "ClusterDomainClaim").FirstOrDefault(c => Meta.Name(c) == Meta.Name(dm));
        var reference = Json.Obj(Json.Obj(dm, "spec"), "ref");
        var refName = Json.Str(reference, "name");
        var refKind = Json.Str(reference, "kind");
        var refNs = Json.Str(reference, "namespace");
        var target = docs.FirstOrDefault(d => Json.Str(d, "kind") == refKind && Meta.Name(d) == refName
            && Json.Str(d, "apiVersion") == Json.Str(reference, "apiVersion"));
        string? url = null, resolveError = null;
        if (target is null)
        {
            var group = Json.Str(reference, "apiVersion").Contains('/') ? "." + Json.Str(reference, "apiVersion").Split('/')[0] : "";
            resolveError = $"failed to get object {refNs}/{refName}: {refKind.ToLowerInvariant()}s{group} \"{refName}\" not found";
        }
        else if (Json.Str(target, "apiVersion") == "v1" && refKind == "Service")
            url = $"http://{refName}.{refNs}.svc.{ClusterDomain.Name}";
        else
            url = Json.Str(Json.Obj(Json.Obj(target, "status"), "address"), "url") is { Length: > 0 } u ? u : null;
        if (target is not null && url is null) resolveError = $"URL missing in address of {refKind}/{refName}";
        var existingIngress = OfKind(docs, "Ingress").FirstOrDefault();
        var (ingress, error) = DomainMappingStatus.Compute(config, dm, Now, claim, url, resolveError, existingIngress);
        var output = new List<JsonNode?> { dm };
        if (ingress is not null) output.Add(ingress);
        if (DomainMappingStatus.DecideClaim(config, dm, claim) == ClaimAction.Create) output.Add(DomainMappingStatus.MakeClaim(dm));
        if (error is not null) output.Add(new JsonObject { ["reconcileError"] = error });
        return output;
    }

    private static List<JsonNode?> RunServiceStatus(List<JsonObject> docs)
    {
        var svc = (JsonObject)Single(docs, "Service", "serving.knative.dev").DeepClone();
        var cfg = Single(docs, "Configuration");
        var route = OfKind(docs, "Route").FirstOrDefault();
        var output = new List<JsonNode?> { svc };
        var part = ServiceStatus.ComputeConfigurationPart(svc, Now, cfg, Meta.IsControlledBy(cfg, Meta.Uid(svc)));
        if (part.ReconcileError is not null) { output.Add(new JsonObject { ["reconcileError"] = part.ReconcileError }); return output; }
        if (!part.TouchRoute) return output;
        var byo = Json.Str(Json.Obj(Json.Obj(Json.Obj(cfg, "spec"), "template"), "metadata"), "name");
        if (byo.Length > 0 && ServiceStatus.IsRevisionNameTaken(cfg, OfKind(docs, "Revision").FirstOrDefault(r => Meta.Name(r) == byo)))
        {
            ServiceStatus.MarkRevisionNameTaken(svc, Now, byo);
            return output;
        }
        if (route is null) return output;
        var rpart = ServiceStatus.ComputeRoutePart(svc, Now, cfg, route, Meta.IsControlledBy(route, Meta.Uid(svc)));
        if (rpart.ReconcileError is not null) output.Add(new JsonObject { ["reconcileError"] = rpart.ReconcileError });
        return output;
    }

    private static List<JsonNode?> RunConfigurationStatus(List<JsonObject> docs)
    {
        var cfg = (JsonObject)Single(docs, "Configuration").DeepClone();
        var revisions = OfKind(docs, "Revision").ToList();
        var output = new List<JsonNode?> { cfg };
        var name = RevisionResources.RevisionNameFor(cfg);
        var byo = Json.Str(Json.Obj(Json.Obj(Json.Obj(cfg, "spec"), "template"), "metadata"), "name");
        var found = byo.Length > 0
            ? revisions.FirstOrDefault(r => Meta.Name(r) == byo)
            : revisions.FirstOrDefault(r => ConfigurationStatus.GenerationSelector(cfg).All(kv => Meta.Labels(r).GetValueOrDefault(kv.Key) == kv.Value));
        switch (ConfigurationStatus.DecideLatestCreated(cfg, found))
        {
            case LatestCreatedAction.Conflict:
                ConfigurationStatus.MarkRevisionCreationFailed(cfg, Now, ConfigurationStatus.AlreadyExists(name));
                return output;
            case LatestCreatedAction.Create:
                var created = RevisionResources.MakeRevision(cfg, Now);
                revisions.Add(created);
                ConfigurationStatus.Compute(cfg, Now, created, revisions);
                output.Add(created);
                return output;
            default:
                ConfigurationStatus.Compute(cfg, Now, found!, revisions);
                return output;
        }
    }
}
