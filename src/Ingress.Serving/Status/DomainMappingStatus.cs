using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Resources;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Status;

/// <summary>What to do about the ClusterDomainClaim of a DomainMapping (§7.2 step 4).</summary>
public enum ClaimAction { Claimed, Create, Conflict, Missing }

/// <summary>The DomainMapping reconciler's decisions (§7.2) as pure functions.</summary>
public static class DomainMappingStatus
{
    public static ClaimAction DecideClaim(ServingConfig config, JsonObject dm, JsonObject? claim)
    {
        if (claim is null) return config.Network.AutocreateClusterDomainClaims ? ClaimAction.Create : ClaimAction.Missing;
        return Json.Str(Json.Obj(claim, "spec"), "namespace") == Meta.Namespace(dm) ? ClaimAction.Claimed : ClaimAction.Conflict;
    }

    /// <summary>The claim the reconciler creates when autocreate is on (no owner reference on purpose).</summary>
    public static JsonObject MakeClaim(JsonObject dm) => new()
    {
        ["apiVersion"] = Keys.NetworkingV1Alpha1,
        ["kind"] = "ClusterDomainClaim",
        ["metadata"] = new JsonObject { ["name"] = Meta.Name(dm) },
        ["spec"] = new JsonObject { ["namespace"] = Meta.Namespace(dm) },
    };

    /// <summary>Applies the claim outcome; returns the reconcile error (null when claimed).</summary>
    public static string? ApplyClaim(StatusConditions cm, JsonObject dm, ClaimAction action, JsonObject? claim)
    {
        const string taken = "The domain name is already in use by another DomainMapping";
        switch (action)
        {
            case ClaimAction.Claimed:
            case ClaimAction.Create:
                cm.MarkTrue("DomainClaimed");
                return null;
            case ClaimAction.Conflict:
                cm.MarkFalse("DomainClaimed", "DomainAlreadyClaimed", taken);
                return $"namespace \"{Meta.Namespace(dm)}\" does not own ClusterDomainClaim for \"{Meta.Name(dm)}\"";
            default:
                cm.MarkFalse("DomainClaimed", "DomainAlreadyClaimed", taken);
                return $"no ClusterDomainClaim found for domain \"{Meta.Name(dm)}\" (and autocreate-cluster-domain-claims property is not true)";
        }
    }

    /// <summary>§7.2 step 6: checks the referenced object's address URL; returns (host, backend service) or the error text.</summary>
    public static (string Host, string Backend, string? Error) ResolveTarget(JsonObject dm, string resolvedUrl)
    {
        var uri = resolvedUrl;
        var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
        var rest = schemeEnd >= 0 ? uri[(schemeEnd + 3)..] : uri;
        var slash = rest.IndexOf('/');
        var host = slash >= 0 ? rest[..slash] : rest;
        var path = slash >= 0 ? rest[slash..] : "";
        if (path.Length > 0 && path != "/") return ("", "", $"resolved URI \"{resolvedUrl}\" contains a path");
        var suffix = ".svc." + ClusterDomain.Name;
        if (!host.EndsWith(suffix, StringComparison.Ordinal))
            return ("", "", $"resolved URI \"{resolvedUrl}\" must be of the form {{name}}.{{namespace}}{suffix}");
        var parts = host[..^suffix.Length].Split('.');
        if (parts.Length != 2) return ("", "", $"resolved URI \"{resolvedUrl}\" must be of the form {{name}}.{{namespace}}{suffix}");
        if (parts[1] != Meta.Namespace(dm)) return ("", "", $"resolved URI \"{resolvedUrl}\" must be in same namespace as DomainMapping");
        return (host, parts[0], null);
    }

    /// <summary>Whether the reconciler must ensure the mapping's own Certificate (§7.2 step 5): no BYO secret and
    /// external-domain TLS on for it.</summary>
    public static bool NeedsCertificate(ServingConfig config, JsonObject dm) =>
        Json.Str(Json.Obj(Json.Obj(dm, "spec"), "tls"), "secretName").Length == 0
        && CertificateResources.ExternalDomainTlsEnabled(config, Meta.Annotations(dm));

    /// <summary>The desired Certificate of the mapping (class from config-network only, as upstream).</summary>
    public static JsonObject MakeCertificate(ServingConfig config, JsonObject dm) =>
        CertificateResources.MakeDomainMappingCertificate(dm, config.Network.DefaultCertificateClass);

    /// <summary>Condition message and reconcile error when the Certificate's name is held by an object we do not control.</summary>
    public static (string Message, string Error) CertificateNotOwned(JsonObject dm, string certName) =>
        RouteTls.NotOwned(dm, "*v1beta1.DomainMapping", certName);

    /// <summary>The mapping's Certificate as it is in the cluster: https URL; ready → TLS entry for the domain;
    /// else plain HTTP kept (http-protocol Enabled: HTTPDowngrade) or CertificateNotReady, and its challenges routed.</summary>
    private static JsonArray? ApplyCertificate(ServingConfig config, StatusConditions cm, JsonObject status, JsonObject dm,
        JsonObject cert, out List<JsonObject>? challenges)
    {
        challenges = null;
        var name = Meta.Name(dm);
        void SetScheme(string scheme)
        {
            var url = scheme + "://" + name;
            status["url"] = url;
            status["address"] = new JsonObject { ["url"] = url };
        }
        SetScheme("https");
        if (CertificateResources.IsReady(cert))
        {
            cm.MarkTrue("CertificateProvisioned");
            return [CertificateResources.MakeIngressTls(cert, [name])];
        }
        if (config.Network.HttpProtocol == HttpProtocol.Enabled)
        {
            SetScheme("http");
            cm.MarkTrueWithReason("CertificateProvisioned", "HTTPDowngrade", $"Certificate {Meta.Name(cert)} is not ready downgrade HTTP.");
        }
        else
            cm.MarkUnknown("CertificateProvisioned", "CertificateNotReady", $"Certificate {Meta.Name(cert)} is not ready.");
        challenges = CertificateResources.SortChallenges(CertificateResources.Challenges(cert));
        return null;
    }

    /// <summary>Status for everything up to the KIngress: generation check, URL, ingress class, claim, TLS
    /// (BYO secret or disabled), reference. Returns the KIngress to write, or null and the error.</summary>
    public static (JsonObject? Ingress, string? Error) Compute(ServingConfig config, JsonObject dm, DateTimeOffset now,
        JsonObject? claim, string? resolvedUrl, string? resolveError, JsonObject? existingIngress, JsonObject? certificate = null)
    {
        var status = Json.EnsureObj(dm, "status");
        var cm = new StatusConditions(status, now, "Ready", StatusConditions.DomainMappingDependents);
        cm.Initialize();
        if ((Json.Long(status, "observedGeneration") ?? 0) != Meta.Generation(dm))
            cm.MarkUnknown("IngressReady", RouteStatus.IngressNotConfiguredReason, RouteStatus.IngressNotConfiguredMessage);
        status["observedGeneration"] = Meta.Generation(dm);

        var secret = Json.Str(Json.Obj(Json.Obj(dm, "spec"), "tls"), "secretName");
        var scheme = secret.Length > 0 ? "https" : config.Network.DefaultExternalScheme;
        var url = scheme + "://" + Meta.Name(dm);
        status["url"] = url;
        status["address"] = new JsonObject { ["url"] = url };

        if (ApplyClaim(cm, dm, DecideClaim(config, dm, claim), claim) is { } claimError) return (null, claimError);

        JsonArray? tls = null;
        List<JsonObject>? challenges = null;
        if (secret.Length > 0)
        {
            tls = [new JsonObject { ["hosts"] = new JsonArray(Meta.Name(dm)), ["secretName"] = secret, ["secretNamespace"] = Meta.Namespace(dm) }];
            cm.MarkTrueWithReason("CertificateProvisioned", "CertificateExternallyProvided", "TLS certificate was provided externally");
        }
        else if (!CertificateResources.ExternalDomainTlsEnabled(config, Meta.Annotations(dm)))
            cm.MarkTrueWithReason("CertificateProvisioned", "TLSNotEnabled", "external-domain-tls is not enabled");
        else if (certificate is not null)
            tls = ApplyCertificate(config, cm, status, dm, certificate, out challenges);

        if (resolveError is not null || resolvedUrl is null)
        {
            cm.MarkFalse("ReferenceResolved", "ResolveFailed", resolveError ?? "no address");
            return (null, resolveError);
        }
        var (host, backend, err) = ResolveTarget(dm, resolvedUrl);
        if (err is not null)
        {
            cm.MarkFalse("ReferenceResolved", "ResolveFailed", err);
            return (null, err);
        }
        cm.MarkTrue("ReferenceResolved");
        var ingress = IngressResources.MakeDomainMappingIngress(config, dm, host, backend, tls, challenges);
        RouteStatus.PropagateIngress(cm, existingIngress);
        return (ingress, null);
    }
}
