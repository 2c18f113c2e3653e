using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Ingress.Local.Tests;

/// <summary>One API call as the Kubernetes authorizer sees it (its "request attributes"): a resource call has a
/// verb, API group, resource, subresource, namespace and name; anything else (discovery, /version, /openapi) is
/// a non-resource path.</summary>
internal sealed record ApiCall(string Verb, string Group, string Resource, string Subresource, string Namespace, string Name, string? NonResourcePath = null)
{
    public bool IsResource => NonResourcePath is null;

    /// <summary>The attributes without the object name, for reports (one line per distinct call shape).</summary>
    public override string ToString() => IsResource
        ? $"{Verb} {(Group.Length == 0 ? "core" : Group)}/{Resource}{(Subresource.Length == 0 ? "" : "/" + Subresource)} ns={(Namespace.Length == 0 ? "(cluster)" : Namespace)}{(Name.Length == 0 ? "" : " name=" + Name)}"
        : $"{Verb} {NonResourcePath}";

    /// <summary>The request attributes kube-apiserver derives from an HTTP request (its RequestInfo): GET on a
    /// collection is list (watch with ?watch=true or the legacy /watch/ prefix), on a name get; POST create; PUT
    /// update; PATCH patch; DELETE on a name delete, on a collection deletecollection. list and watch with a
    /// fieldSelector on metadata.name carry that name, as the real authorizer does.</summary>
    public static ApiCall Parse(HttpRequest request)
    {
        var method = request.Method.ToUpperInvariant();
        var segs = (request.Path.Value ?? "/").Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
        string group;
        if (segs.Count >= 2 && segs[0] == "api") { group = ""; segs.RemoveRange(0, 2); }
        else if (segs.Count >= 3 && segs[0] == "apis") { group = segs[1]; segs.RemoveRange(0, 3); }
        else return new ApiCall(method.ToLowerInvariant(), "", "", "", "", "", request.Path.Value ?? "/");
        if (segs.Count == 0) return new ApiCall(method.ToLowerInvariant(), "", "", "", "", "", request.Path.Value ?? "/");
        var watchPrefix = segs[0] == "watch";
        if (watchPrefix) segs.RemoveAt(0);
        var ns = "";
        // namespaces/{ns}/{resource}/... is a namespaced call; namespaces and namespaces/{name}[/{sub}] are calls on
        // the Namespace resource itself.
        if (segs.Count >= 3 && segs[0] == "namespaces")
        {
            ns = segs[1];
            segs.RemoveRange(0, 2);
        }
        var resource = segs[0];
        var name = segs.Count > 1 ? segs[1] : "";
        var sub = segs.Count > 2 ? segs[2] : "";
        if (resource == "namespaces" && name.Length > 0) ns = name;
        var watch = watchPrefix || request.Query["watch"].ToString() is "true" or "1";
        var verb = method switch
        {
            "GET" or "HEAD" => watch ? "watch" : name.Length > 0 ? "get" : "list",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name.Length > 0 ? "delete" : "deletecollection",
            _ => method.ToLowerInvariant(),
        };
        if (verb is "list" or "watch" && request.Query["fieldSelector"].ToString() is { Length: > 0 } fs)
        {
            foreach (var term in fs.Split(','))
                if (term.StartsWith("metadata.name=", StringComparison.Ordinal)) name = term["metadata.name=".Length..];
        }
        return new ApiCall(verb, group, resource, sub, ns, name);
    }
}

/// <summary>One PolicyRule of a Role or ClusterRole, with where it applies: everywhere (a ClusterRole bound by a
/// ClusterRoleBinding) or in one namespace (any role bound by a RoleBinding).</summary>
internal sealed record RbacRule(IReadOnlyList<string> Verbs, IReadOnlyList<string> ApiGroups, IReadOnlyList<string> Resources,
    IReadOnlyList<string> ResourceNames, string? Namespace, string Source)
{
    /// <summary>Kubernetes' RBAC rule match (pkg/apis/rbac/v1 helpers, in our own words): verb, group and resource
    /// each match exactly or by "*"; a resource with a subresource matches "resource/sub", "*" or "*/sub";
    /// resourceNames, when present, need the call's object name among them (so they never allow create, list or
    /// watch without a metadata.name field selector).</summary>
    public bool Allows(ApiCall call)
    {
        if (!call.IsResource) return false;
        if (Namespace is not null && Namespace != call.Namespace) return false;
        if (!Verbs.Contains("*") && !Verbs.Contains(call.Verb)) return false;
        if (!ApiGroups.Contains("*") && !ApiGroups.Contains(call.Group)) return false;
        var combined = call.Subresource.Length == 0 ? call.Resource : call.Resource + "/" + call.Subresource;
        var resourceOk = Resources.Contains("*") || Resources.Contains(combined)
                         || (call.Subresource.Length > 0 && Resources.Contains("*/" + call.Subresource));
        if (!resourceOk) return false;
        return ResourceNames.Count == 0 || (call.Name.Length > 0 && ResourceNames.Contains(call.Name));
    }
}

/// <summary>The RBAC rules the manifests grant one ServiceAccount, evaluated as kube-apiserver's RBAC authorizer
/// does, plus what every authenticated account gets from the cluster's default roles (system:discovery,
/// system:basic-user: discovery, /version, /openapi, /healthz).</summary>
internal sealed class RbacPolicy
{
    private RbacPolicy(string subject, IReadOnlyList<RbacRule> rules)
    {
        Subject = subject;
        Rules = rules;
    }

    public string Subject { get; }
    public IReadOnlyList<RbacRule> Rules { get; }

    private static readonly string[] DiscoveryPrefixes = ["/api", "/apis", "/version", "/openapi", "/healthz", "/livez", "/readyz"];

    public bool Allows(ApiCall call) => call.IsResource
        ? Rules.Any(r => r.Allows(call))
        : call.Verb is "get" or "head" && DiscoveryPrefixes.Any(p => call.NonResourcePath == p || call.NonResourcePath!.StartsWith(p + "/", StringComparison.Ordinal));

    /// <summary>Collects the rules of every ClusterRoleBinding and RoleBinding naming the ServiceAccount.</summary>
    public static RbacPolicy For(string serviceAccount, string saNamespace, IReadOnlyList<ManifestObject> objects)
    {
        var rules = new List<RbacRule>();
        foreach (var binding in objects.Where(o => o.Kind is "ClusterRoleBinding" or "RoleBinding"))
        {
            var subjects = binding.Body["subjects"] as JsonArray ?? [];
            if (!subjects.OfType<JsonObject>().Any(s => Str(s["kind"]) == "ServiceAccount" && Str(s["name"]) == serviceAccount
                    && (Str(s["namespace"]) is var n && (n == saNamespace || (n.Length == 0 && binding.Namespace == saNamespace)))))
                continue;
            var roleRef = binding.Body["roleRef"]!;
            var roleKind = Str(roleRef["kind"]);
            var roleName = Str(roleRef["name"]);
            var role = objects.SingleOrDefault(o => o.Kind == roleKind && o.Name == roleName && (roleKind == "ClusterRole" || o.Namespace == binding.Namespace))
                       ?? throw new InvalidOperationException($"{binding}: {roleKind} {roleName} is not in the manifests");
            if (role.Body["aggregationRule"] is not null)
                throw new InvalidOperationException($"{role}: aggregated roles bound to a component are not evaluated here");
            var scope = binding.Kind == "ClusterRoleBinding" ? null : binding.Namespace;
            foreach (var rule in (role.Body["rules"] as JsonArray ?? []).OfType<JsonObject>())
            {
                rules.Add(new RbacRule(List(rule["verbs"]), List(rule["apiGroups"]), List(rule["resources"]), List(rule["resourceNames"]), scope,
                    $"{binding.Kind} {binding.Name} -> {role.Kind} {role.Name}"));
            }
        }
        return new RbacPolicy($"system:serviceaccount:{saNamespace}:{serviceAccount}", rules);
    }

    private static string Str(JsonNode? node) => node?.GetValue<string>() ?? "";
    private static IReadOnlyList<string> List(JsonNode? node) => (node as JsonArray ?? []).Select(Str).ToList();
}
