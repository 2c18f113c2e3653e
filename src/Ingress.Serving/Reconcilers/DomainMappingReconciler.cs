using System.Text.Json.Nodes;
using Ingress.Kube.Controller;
using Ingress.Serving.Resources;
using Ingress.Serving.Status;
using Ingress.Serving.Webhook;
using Microsoft.Extensions.Logging;

namespace Ingress.Serving.Reconcilers;

/// <summary>DomainMapping → ClusterDomainClaim (autocreated when config-network says so) and a KIngress that
/// rewrites the mapped host to the referenced Service's cluster-local host (§7).</summary>
public sealed class DomainMappingReconciler(ServingContext ctx) : IKindReconciler<JsonObject>
{
    public const string ControllerName = "domainmapping";
    private readonly ILogger _log = ctx.LoggerFactory.CreateLogger("Ingress.Serving.DomainMapping");

    public async Task<ReconcileResult> ReconcileKindAsync(JsonObject dm, CancellationToken ct)
    {
        var config = ctx.Config();
        var now = ctx.Time.GetUtcNow();
        var ns = Meta.Namespace(dm);
        var name = Meta.Name(dm);

        var claim = ctx.ClusterDomainClaims.Get(null, name);
        if (DomainMappingStatus.DecideClaim(config, dm, claim) == ClaimAction.Create)
        {
            try { claim = await ctx.For(ServingKinds.ClusterDomainClaims).CreateAsync(DomainMappingStatus.MakeClaim(dm), ct: ct).ConfigureAwait(false); }
            catch (Kube.Client.AlreadyExistsException) { claim = await ctx.For(ServingKinds.ClusterDomainClaims).GetAsync(null, name, ct).ConfigureAwait(false); }
        }

        var (url, resolveError) = Resolve(dm);
        var existing = ctx.Ingresses.Get(ns, name);
        // §7.2 step 5: the mapping's own Certificate once the domain is claimed, unless a Secret is given or TLS is off.
        JsonObject? certificate = null;
        if (DomainMappingStatus.DecideClaim(config, dm, claim) == ClaimAction.Claimed && DomainMappingStatus.NeedsCertificate(config, dm))
        {
            var desiredCert = DomainMappingStatus.MakeCertificate(config, dm);
            var existingCert = ctx.Certificates.Get(ns, Meta.Name(desiredCert));
            if (existingCert is not null && !Meta.IsControlledBy(existingCert, Meta.Uid(dm)))
            {
                DomainMappingStatus.Compute(config, dm, now, claim, url, resolveError, existing);
                var (message, certError) = DomainMappingStatus.CertificateNotOwned(dm, Meta.Name(desiredCert));
                var cmCert = new StatusConditions(Json.EnsureObj(dm, "status"), now, "Ready", StatusConditions.DomainMappingDependents);
                cmCert.MarkFalse("CertificateProvisioned", "CertificateNotOwned", message);
                throw new PermanentReconcileException(certError);
            }
            certificate = await Children.EnsureAsync(ctx, ServingKinds.Certificates, existingCert, desiredCert, _log, ct).ConfigureAwait(false);
        }
        var (desired, error) = DomainMappingStatus.Compute(config, dm, now, claim, url, resolveError, existing, certificate);
        if (desired is null)
            throw new InvalidOperationException(error ?? "domain mapping could not be resolved");
        if (existing is not null && !Meta.IsControlledBy(existing, Meta.Uid(dm)))
        {
            var cmNotOwned = new StatusConditions(Json.EnsureObj(dm, "status"), now, "Ready", StatusConditions.DomainMappingDependents);
            cmNotOwned.MarkFalse("IngressReady", "NotOwned", Meta.NotOwnedMessage("Ingress", name));
            throw new PermanentReconcileException($"domainmapping: \"{name}\" does not own ingress: \"{name}\"");
        }
        var ingress = await Children.EnsureAsync(ctx, ServingKinds.Ingresses, existing, desired, _log, ct).ConfigureAwait(false);
        var cm = new StatusConditions(Json.EnsureObj(dm, "status"), now, "Ready", StatusConditions.DomainMappingDependents);
        RouteStatus.PropagateIngress(cm, ingress);
        return ReconcileResult.Done;
    }

    /// <summary>The referenced Addressable's status.address.url (a KService or a Route of the same group).</summary>
    private (string? Url, string? Error) Resolve(JsonObject dm)
    {
        var reference = Json.Obj(Json.Obj(dm, "spec"), "ref");
        var kind = Json.Str(reference, "kind");
        var refName = Json.Str(reference, "name");
        var refNs = Json.Str(reference, "namespace") is { Length: > 0 } n ? n : Meta.Namespace(dm);
        var target = kind switch
        {
            "Service" when Json.Str(reference, "apiVersion").StartsWith("serving.knative.dev/", StringComparison.Ordinal) => ctx.Services.Get(refNs, refName),
            "Route" => ctx.Routes.Get(refNs, refName),
            _ => null,
        };
        var apiVersion = Json.Str(reference, "apiVersion");
        if (target is null)
            return (null, $"failed to get object {refNs}/{refName}: {kind.ToLowerInvariant()}s.{apiVersion.Split('/')[0]} \"{refName}\" not found");
        var url = Json.Str(Json.Obj(Json.Obj(target, "status"), "address"), "url");
        return url.Length == 0 ? (null, $"address not set for &{{Kind:{kind} Namespace:{refNs} Name:{refName} APIVersion:{apiVersion}}}") : (url, null);
    }
}
