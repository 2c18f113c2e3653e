using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Domains;
using Ingress.Serving.Naming;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>A per-route/DomainMapping HTTP option annotation could not be understood.</summary>
public sealed class HttpOptionException(string message) : Exception(message);

/// <summary>Route → KIngress (§6) and DomainMapping → KIngress (§7.3).</summary>
public static class IngressResources
{
    public const string DefaultRouteHeader = "Knative-Serving-Default-Route";
    public const string RouteTagHeader = "Knative-Serving-Tag";
    public const string RevisionHeader = "Knative-Serving-Revision";
    public const string NamespaceHeader = "Knative-Serving-Namespace";
    public const string OriginalHostHeader = "K-Original-Host";

    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Ingress class: the object's annotation (either alias), else config-network ingress-class.</summary>
    public static string IngressClass(ServingConfig config, IReadOnlyDictionary<string, string> annotations)
    {
        var (_, v, found) = Meta.FirstOf(annotations, Keys.IngressClassAnnotation, Keys.IngressClassAliasAnnotation);
        return found && v.Length > 0 ? v : config.Network.DefaultIngressClass;
    }

    /// <summary>spec.httpOption: annotation (case-insensitive Enabled/Redirected) else config http-protocol;
    /// null means "omit" (Disabled).</summary>
    public static string? HttpOption(ServingConfig config, IReadOnlyDictionary<string, string> annotations)
    {
        var (_, v, found) = Meta.FirstOf(annotations, Keys.HttpOptionAnnotation, Keys.HttpOptionAliasAnnotation);
        if (found)
        {
            return v.ToLowerInvariant() switch
            {
                "enabled" => "Enabled",
                "redirected" => "Redirected",
                _ => throw new HttpOptionException($"incorrect http-protocol annotation: {v.ToLowerInvariant()}"),
            };
        }
        return config.Network.HttpProtocol switch
        {
            HttpProtocol.Enabled => "Enabled",
            HttpProtocol.Redirected => "Redirected",
            _ => null,
        };
    }

    /// <summary>The KIngress of a Route. <paramref name="tls"/> is the TLS list (§5.4; empty when TLS is off).
    /// Throws <see cref="DomainNameException"/> or <see cref="HttpOptionException"/>.</summary>
    public static JsonObject MakeIngress(ServingConfig config, JsonObject route, TrafficConfig tc,
        IReadOnlyDictionary<string, Visibility> visibility, JsonArray? tls = null, Rollout? rollout = null,
        IReadOnlyList<JsonObject>? acmeChallenges = null)
    {
        rollout ??= TrafficBuilder.BuildRollout(tc);
        // ACME HTTP01 challenge paths go first on the single-host ExternalIP rule of their host; a challenge for a
        // host without such a rule is ignored, as upstream.
        var acmeByHost = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        foreach (var challenge in acmeChallenges ?? [])
        {
            var host = CertificateResources.ChallengeHost(challenge);
            (acmeByHost.TryGetValue(host, out var l) ? l : acmeByHost[host] = []).Add(CertificateResources.MakeAcmePath(challenge));
        }
        var routeMeta = TrafficBuilder.RouteMeta(route);
        var ns = routeMeta.Namespace;
        var encryption = config.Network.SystemInternalTls == EncryptionMode.Enabled;
        var tagHeaders = config.Features.TagHeaderBasedRouting == FeatureFlag.Enabled;
        var names = tc.Targets.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
        var rules = new JsonArray();
        var tagToHost = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);

        foreach (var name in names)
        {
            var visibilities = new List<Visibility> { Visibility.ClusterLocal };
            if (!visibility.TryGetValue(name, out var v) || v == Visibility.ExternalIP) visibilities.Add(Visibility.ExternalIP);
            foreach (var vis in visibilities)
            {
                var domains = DomainNames.DomainsForVisibility(config, routeMeta, name, vis);
                var hostGroups = vis == Visibility.ClusterLocal ? [domains.Expanded.ToList()] : domains.Expanded.Select(h => new List<string> { h }).ToList();
                foreach (var hosts in hostGroups)
                {
                    var basePath = BasePath(ns, tc.Targets[name], rollout, name, encryption);
                    var paths = new JsonArray();
                    if (tagHeaders)
                    {
                        var headers = new JsonObject();
                        if (name.Length == 0)
                        {
                            headers[DefaultRouteHeader] = "true";
                            foreach (var tag in names.Skip(1))
                            {
                                var tagPath = BasePath(ns, tc.Targets[tag], rollout, tag, encryption);
                                tagPath["headers"] = new JsonObject { [RouteTagHeader] = new JsonObject { ["exact"] = tag } };
                                paths.Add(tagPath);
                            }
                        }
                        else headers[RouteTagHeader] = name;
                        basePath["appendHeaders"] = headers;
                    }
                    paths.Add(basePath);
                    if (vis == Visibility.ExternalIP && hosts.Count == 1 && acmeByHost.TryGetValue(hosts[0], out var acme))
                        for (var i = acme.Count - 1; i >= 0; i--) paths.Insert(0, acme[i].DeepClone());
                    rules.Add(new JsonObject
                    {
                        ["hosts"] = new JsonArray(hosts.Select(h => (JsonNode)JsonValue.Create(h)).ToArray()),
                        ["visibility"] = vis.ToString(),
                        ["http"] = new JsonObject { ["paths"] = paths },
                    });
                }
                if (name.Length > 0)
                    (tagToHost.TryGetValue(name, out var list) ? list : tagToHost[name] = []).Add(domains.Primary);
            }
        }

        var routeAnnotations = routeMeta.Annotations ?? new Dictionary<string, string>();
        var httpOption = HttpOption(config, routeAnnotations);
        var annotations = Meta.Union(new Dictionary<string, string>
        {
            [Keys.IngressClassAnnotation] = IngressClass(config, routeAnnotations),
            [Keys.RolloutAnnotation] = rollout.ToJson(),
        }, routeAnnotations);
        annotations = Meta.Without(annotations, Keys.LastAppliedAnnotation, Keys.IngressClassAliasAnnotation, Keys.CertificateClassAliasAnnotation);
        if (tagToHost.Count > 0)
        {
            var o = new JsonObject();
            foreach (var (k, hosts) in tagToHost) o[k] = new JsonArray(hosts.Select(h => (JsonNode)JsonValue.Create(h)).ToArray());
            annotations[Keys.TagToHostAnnotation] = o.ToJsonString(Compact);
        }
        var labels = Meta.Union(routeMeta.Labels ?? new Dictionary<string, string>(), new Dictionary<string, string>
        {
            [Keys.RouteLabel] = routeMeta.Name,
            [Keys.RouteNamespaceLabel] = ns,
        });

        var spec = new JsonObject { ["rules"] = rules };
        if (tls is { Count: > 0 }) spec["tls"] = tls.DeepClone();
        if (httpOption is not null) spec["httpOption"] = httpOption;
        return new JsonObject
        {
            ["apiVersion"] = Keys.NetworkingV1Alpha1,
            ["kind"] = "Ingress",
            ["metadata"] = Meta.NewMetadata(Kmeta.IngressName(routeMeta.Name), ns, labels, annotations,
                Meta.ControllerRef(route, Keys.ServingV1, "Route")),
            ["spec"] = spec,
        };
    }

    private static JsonObject BasePath(string ns, List<RevisionTarget> targets, Rollout rollout, string tag, bool encryption)
    {
        var splits = new JsonArray();
        foreach (var t in targets)
        {
            if (t.Percent == 0) continue;
            var port = encryption ? 443 : t.Protocol == "h2c" ? 81 : 80;
            var rolling = t.LatestRevision ? rollout.Find(tag, t.ConfigurationName) : null;
            var revs = rolling is { Revisions.Count: >= 2 } ? rolling.Revisions : [new RevisionRollout(t.RevisionName, t.Percent)];
            foreach (var r in revs)
                splits.Add(new JsonObject
                {
                    ["serviceNamespace"] = ns,
                    ["serviceName"] = r.RevisionName,
                    ["servicePort"] = port,
                    ["percent"] = r.Percent,
                    ["appendHeaders"] = new JsonObject { [RevisionHeader] = r.RevisionName, [NamespaceHeader] = ns },
                });
        }
        return new JsonObject { ["splits"] = splits };
    }

    /// <summary>The KIngress of a DomainMapping (§7.3). <paramref name="targetHost"/> is the resolved
    /// cluster-local host of the reference and <paramref name="backendName"/> its Service name.</summary>
    public static JsonObject MakeDomainMappingIngress(ServingConfig config, JsonObject domainMapping, string targetHost,
        string backendName, JsonArray? tls = null, IReadOnlyList<JsonObject>? acmeChallenges = null)
    {
        var name = Meta.Name(domainMapping);
        var ns = Meta.Namespace(domainMapping);
        var dmAnnotations = Meta.Annotations(domainMapping);
        var annotations = Meta.Union(new Dictionary<string, string> { [Keys.IngressClassAnnotation] = IngressClass(config, dmAnnotations) }, dmAnnotations);
        annotations = Meta.Without(annotations, Keys.LastAppliedAnnotation, Keys.IngressClassAliasAnnotation, Keys.CertificateClassAliasAnnotation);
        var labels = Meta.Union(Meta.Labels(domainMapping), new Dictionary<string, string>
        {
            [Keys.DomainMappingUidLabel] = Meta.Uid(domainMapping),
            [Keys.DomainMappingNamespaceLabel] = ns,
        });
        var spec = new JsonObject
        {
            ["rules"] = new JsonArray(new JsonObject
            {
                ["hosts"] = new JsonArray(name),
                ["visibility"] = "ExternalIP",
                ["http"] = new JsonObject
                {
                    ["paths"] = new JsonArray(new JsonObject
                    {
                        ["rewriteHost"] = targetHost,
                        ["splits"] = new JsonArray(new JsonObject
                        {
                            ["serviceNamespace"] = ns,
                            ["serviceName"] = backendName,
                            ["servicePort"] = 80,
                            ["percent"] = 100,
                            ["appendHeaders"] = new JsonObject { [OriginalHostHeader] = name },
                        }),
                    }),
                },
            }),
        };
        // ACME challenges: for the mapped host, a path before the traffic path; for another host (e.g. a
        // shortened name), an ExternalIP rule of its own.
        var rules = (JsonArray)spec["rules"]!;
        foreach (var challenge in acmeChallenges ?? [])
        {
            var host = CertificateResources.ChallengeHost(challenge);
            if (host == name) ((JsonArray)rules[0]!["http"]!["paths"]!).Insert(0, CertificateResources.MakeAcmePath(challenge));
            else
                rules.Add(new JsonObject
                {
                    ["hosts"] = new JsonArray(host),
                    ["visibility"] = "ExternalIP",
                    ["http"] = new JsonObject { ["paths"] = new JsonArray(CertificateResources.MakeAcmePath(challenge)) },
                });
        }
        if (tls is { Count: > 0 }) spec["tls"] = tls.DeepClone();
        if (HttpOption(config, dmAnnotations) is { } opt) spec["httpOption"] = opt;
        return new JsonObject
        {
            ["apiVersion"] = Keys.NetworkingV1Alpha1,
            ["kind"] = "Ingress",
            ["metadata"] = Meta.NewMetadata(Kmeta.IngressName(name), ns, labels, annotations,
                Meta.ControllerRef(domainMapping, Keys.ServingV1Beta1, "DomainMapping")),
            ["spec"] = spec,
        };
    }
}
