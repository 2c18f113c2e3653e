using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Domains;
using Ingress.Serving.Reconcilers;
using Ingress.Serving.Resources;
using Ingress.Serving.Status;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Tests;

/// <summary>
/// Golden builders for certificates/TLS and placeholder load balancers, run by <see cref="GoldenTests"/>:
/// <list type="bullet">
/// <item><c>route-tls</c>: a Route's reconcile from §5.1 step 2 on, in the reconciler's order (status, TLS plan,
/// Certificates as the API server would hold them after the create/update, orphans, outcome, KIngress, status again).
/// Output: the Route, the Certificates written, deleted orphans, the KIngress, any reconcile error.</item>
/// <item><c>domainmapping-tls</c>: a DomainMapping with its Certificate (§7.2 step 5). Output: DM, Certificate, KIngress.</item>
/// <item><c>placeholders-lb</c>: §5.1 step 5 after the KIngress: per traffic name the Service/Endpoints for the
/// KIngress load balancer and how an existing Service gets there (update, recreate, none).</item>
/// </list>
/// "As the API server would hold them": a created object gets generation 1 and no status; an existing one whose
/// spec, labels and annotations already cover the desired ones is kept as is; otherwise it is updated (generation + 1
/// when the spec changed). This is what <c>Children.EnsureAsync</c> does against the server.
/// </summary>
internal static class TlsGolden
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_000_000_000);

    public static List<JsonNode?>? Run(string builder, ServingConfig config, List<JsonObject> docs) => builder switch
    {
        "route-tls" => RunRoute(config, docs),
        "domainmapping-tls" => RunDomainMapping(config, docs),
        "placeholders-lb" => RunPlaceholders(config, docs),
        "namespace-wildcard-cert" => RunNamespaceCertificates(config, docs),
        _ => null,
    };

    /// <summary><c>namespace-wildcard-cert</c>: the Namespace's wildcard Certificate plan. Output: each Certificate
    /// created, each update as <c>{update: &lt;certificate after&gt;}</c>, each deletion as <c>{delete: name}</c>, and the
    /// reconcile error. Only Certificates labelled with the wildcard domain are seen, as by the reconciler.</summary>
    private static List<JsonNode?> RunNamespaceCertificates(ServingConfig config, List<JsonObject> docs)
    {
        var ns = OfKind(docs, "Namespace").Single();
        var labelled = OfKind(docs, "Certificate").Where(c => Meta.Labels(c).ContainsKey(CertificateKeys.WildcardDomainLabel)).ToList();
        var plan = NamespaceCertificates.Plan(config, ns, labelled);
        var output = new List<JsonNode?>();
        output.AddRange(plan.Create);
        output.AddRange(plan.Update.Select(u => (JsonNode)new JsonObject { ["update"] = u.Updated.DeepClone() }));
        output.AddRange(plan.Delete.Select(d => (JsonNode)new JsonObject { ["delete"] = Meta.Name(d) }));
        if (plan.Error is not null) output.Add(new JsonObject { ["reconcileError"] = plan.Error });
        return output;
    }

    private static IEnumerable<JsonObject> OfKind(List<JsonObject> docs, string kind) => docs.Where(d => Json.Str(d, "kind") == kind);

    private static bool IsCoreService(JsonObject d) => Json.Str(d, "kind") == "Service" && Json.Str(d, "apiVersion") == "v1";

    /// <summary>The stored object after a create or update of <paramref name="desired"/> over <paramref name="existing"/>.</summary>
    internal static JsonObject Ensure(JsonObject? existing, JsonObject desired)
    {
        if (existing is null)
        {
            var created = (JsonObject)desired.DeepClone();
            ((JsonObject)created["metadata"]!)["generation"] = 1;
            return created;
        }
        if (Children.SpecAndMetaCover(existing, desired)) return existing;
        var copy = (JsonObject)existing.DeepClone();
        var specChanged = !JsonNode.DeepEquals(existing["spec"], desired["spec"]);
        copy["spec"] = desired["spec"]?.DeepClone();
        var meta = (JsonObject)copy["metadata"]!;
        meta["labels"] = desired["metadata"]?["labels"]?.DeepClone();
        meta["annotations"] = desired["metadata"]?["annotations"]?.DeepClone();
        if (specChanged) meta["generation"] = Meta.Generation(existing) + 1;
        return copy;
    }

    private static List<JsonNode?> RunRoute(ServingConfig config, List<JsonObject> docs)
    {
        var route = (JsonObject)OfKind(docs, "Route").Single().DeepClone();
        ServingDefaulting.DefaultRoute(route, null, null);
        var ns = Meta.Namespace(route);
        var configs = OfKind(docs, "Configuration").ToDictionary(Meta.Name);
        var revisions = OfKind(docs, "Revision").ToDictionary(Meta.Name);
        var services = docs.Where(IsCoreService).ToDictionary(Meta.Name);
        var certificates = OfKind(docs, "Certificate").ToList();
        var existingIngress = OfKind(docs, "Ingress").FirstOrDefault();
        var output = new List<JsonNode?> { route };

        var (tc, err) = TrafficBuilder.Build(route, n => configs.GetValueOrDefault(n), n => revisions.GetValueOrDefault(n));
        var visibility = TrafficBuilder.Visibilities(config, route, tc, host => services.TryGetValue(host, out var s) ? Meta.Labels(s) : null);
        var first = RouteStatus.Compute(config, route, Now, tc, err, visibility, existingIngress);
        if (!first.ProceedToIngress)
        {
            if (first.ReconcileError is not null) output.Add(new JsonObject { ["reconcileError"] = first.ReconcileError });
            return output;
        }
        var cm = new StatusConditions(Json.EnsureObj(route, "status"), Now, "Ready", StatusConditions.RouteDependents);

        RouteTlsPlan plan;
        try
        {
            var wildcards = certificates.Where(c => Meta.Namespace(c) == ns
                && Meta.Labels(c).GetValueOrDefault(CertificateKeys.WildcardDomainLabel) == RouteTls.RouteDomain(config, route));
            plan = RouteTls.Plan(config, route, tc, visibility, config.Network.ExternalDomainTls ? wildcards : []);
        }
        catch (DomainNameException e)
        {
            cm.MarkFalse("AllTrafficAssigned", "ErrorConfig", e.Message);
            output.Add(new JsonObject { ["reconcileError"] = e.Message });
            return output;
        }

        JsonObject? Existing(JsonObject desired) => certificates.FirstOrDefault(c => Meta.Name(c) == Meta.Name(desired) && Meta.Namespace(c) == Meta.Namespace(desired));
        var written = new List<JsonObject>();
        JsonObject? EnsureCert(JsonObject desired)
        {
            var existing = Existing(desired);
            if (existing is not null && !Meta.IsControlledBy(existing, Meta.Uid(route)))
            {
                var (message, error) = RouteTls.NotOwned(route, "*v1.Route", Meta.Name(desired));
                cm.MarkFalse("CertificateProvisioned", "CertificateNotOwned", message);
                output.AddRange(written.Select(w => (JsonNode)w));
                output.Add(new JsonObject { ["reconcileError"] = error });
                return null;
            }
            var stored = Ensure(existing, desired);
            written.Add(stored);
            return stored;
        }
        var external = new List<JsonObject>();
        foreach (var request in plan.External)
        {
            if (request.Wildcard is not null) { external.Add(request.Wildcard); continue; }
            if (EnsureCert(request.Desired) is not { } c) return output;
            external.Add(c);
        }
        var local = new List<JsonObject>();
        foreach (var request in plan.ClusterLocal)
        {
            if (EnsureCert(request.Desired) is not { } c) return output;
            local.Add(c);
        }
        output.AddRange(written.Select(w => (JsonNode)w));
        var orphans = plan.ExternalEnabled || plan.ClusterLocalEnabled
            ? RouteTls.Orphans(plan, certificates.Where(c => Meta.Labels(c).GetValueOrDefault(Keys.RouteLabel) == Meta.Name(route)))
            : [];
        if (orphans.Count > 0) output.Add(new JsonObject { ["deletedCertificates"] = new JsonArray(orphans.Select(o => (JsonNode)JsonValue.Create(Meta.Name(o))).ToArray()) });

        var tls = RouteTls.Resolve(config, plan, external, local);
        JsonObject desiredIngress;
        try { desiredIngress = IngressResources.MakeIngress(config, route, tc, visibility, tls.Tls, null, tls.Challenges); }
        catch (Exception e) when (e is DomainNameException or HttpOptionException)
        {
            cm.MarkFalse("AllTrafficAssigned", "ErrorConfig", e.Message);
            output.Add(new JsonObject { ["reconcileError"] = e.Message });
            return output;
        }
        var ingress = Ensure(existingIngress, desiredIngress);
        RouteStatus.Compute(config, route, Now, tc, err, visibility, ingress, null, tls);
        output.Add(ingress);
        return output;
    }

    private static List<JsonNode?> RunDomainMapping(ServingConfig config, List<JsonObject> docs)
    {
        var dm = (JsonObject)OfKind(docs, "DomainMapping").Single().DeepClone();
        ServingDefaulting.DefaultDomainMapping(dm, null, null);
        var ns = Meta.Namespace(dm);
        var claim = OfKind(docs, "ClusterDomainClaim").FirstOrDefault(c => Meta.Name(c) == Meta.Name(dm));
        if (claim is null && DomainMappingStatus.DecideClaim(config, dm, claim) == ClaimAction.Create) claim = DomainMappingStatus.MakeClaim(dm);
        // The targets of these cases are KServices/Routes in the DM's namespace with a cluster-local address.
        var reference = Json.Obj(Json.Obj(dm, "spec"), "ref");
        var target = docs.FirstOrDefault(d => Json.Str(d, "kind") == Json.Str(reference, "kind") && Meta.Name(d) == Json.Str(reference, "name") && !IsCoreService(d));
        var url = Json.Str(Json.Obj(Json.Obj(target, "status"), "address"), "url") is { Length: > 0 } u ? u : null;
        var resolveError = url is null ? $"address not set for {Json.Str(reference, "kind")}/{Json.Str(reference, "name")}" : null;
        var existingIngress = OfKind(docs, "Ingress").FirstOrDefault();
        var output = new List<JsonNode?> { dm };

        JsonObject? certificate = null;
        if (DomainMappingStatus.DecideClaim(config, dm, claim) == ClaimAction.Claimed && DomainMappingStatus.NeedsCertificate(config, dm))
        {
            var desired = DomainMappingStatus.MakeCertificate(config, dm);
            var existing = OfKind(docs, "Certificate").FirstOrDefault(c => Meta.Name(c) == Meta.Name(desired) && Meta.Namespace(c) == ns);
            if (existing is not null && !Meta.IsControlledBy(existing, Meta.Uid(dm)))
            {
                DomainMappingStatus.Compute(config, dm, Now, claim, url, resolveError, existingIngress);
                var (message, error) = DomainMappingStatus.CertificateNotOwned(dm, Meta.Name(desired));
                new StatusConditions(Json.EnsureObj(dm, "status"), Now, "Ready", StatusConditions.DomainMappingDependents)
                    .MarkFalse("CertificateProvisioned", "CertificateNotOwned", message);
                output.Add(new JsonObject { ["reconcileError"] = error });
                return output;
            }
            certificate = Ensure(existing, desired);
            output.Add(certificate);
        }
        var (ingress, computeError) = DomainMappingStatus.Compute(config, dm, Now, claim, url, resolveError, existingIngress, certificate);
        if (ingress is not null)
        {
            var stored = Ensure(existingIngress, ingress);
            RouteStatus.PropagateIngress(new StatusConditions(Json.EnsureObj(dm, "status"), Now, "Ready", StatusConditions.DomainMappingDependents), stored);
            output.Add(stored);
        }
        if (computeError is not null) output.Add(new JsonObject { ["reconcileError"] = computeError });
        return output;
    }

    private static List<JsonNode?> RunPlaceholders(ServingConfig config, List<JsonObject> docs)
    {
        var route = (JsonObject)OfKind(docs, "Route").Single().DeepClone();
        ServingDefaulting.DefaultRoute(route, null, null);
        var configs = OfKind(docs, "Configuration").ToDictionary(Meta.Name);
        var revisions = OfKind(docs, "Revision").ToDictionary(Meta.Name);
        var services = docs.Where(IsCoreService).ToDictionary(Meta.Name);
        var endpoints = OfKind(docs, "Endpoints").ToDictionary(Meta.Name);
        var ingress = OfKind(docs, "Ingress").Single();
        var (tc, _) = TrafficBuilder.Build(route, n => configs.GetValueOrDefault(n), n => revisions.GetValueOrDefault(n));
        var initial = PlaceholderServices.Make(config, route, tc);
        var tags = PlaceholderServices.Names(tc).ToList();
        var output = new List<JsonNode?>();
        for (var i = 0; i < initial.Count; i++)
        {
            var name = Meta.Name(initial[i]);
            // Before the KIngress: an absent placeholder is created as the route-host ExternalName.
            var from = services.GetValueOrDefault(name) ?? Ensure(null, initial[i]);
            var fromEndpoints = endpoints.GetValueOrDefault(name);
            var to = PlaceholderServices.ForLoadBalancer(config, route, tags[i], ingress, PlaceholderServices.IsClusterLocalService(from));
            var entry = new JsonObject { ["trafficName"] = tags[i] };
            if (to is null)
            {
                entry["change"] = "none (no load balancer)";
                entry["service"] = from.DeepClone();
            }
            else
            {
                var (change, write) = PlaceholderServices.DecideServiceChange(from, to.Service);
                entry["change"] = change.ToString();
                entry["service"] = write.DeepClone();
                entry["endpointsChange"] = PlaceholderServices.DecideEndpointsChange(fromEndpoints, to.Endpoints).ToString();
                if (to.Endpoints is not null) entry["endpoints"] = to.Endpoints.DeepClone();
            }
            output.Add(entry);
        }
        return output;
    }
}
