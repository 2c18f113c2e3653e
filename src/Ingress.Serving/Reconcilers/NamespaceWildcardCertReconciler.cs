using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Serving.Resources;
using Ingress.Serving.Webhook;
using Microsoft.Extensions.Logging;

namespace Ingress.Serving.Reconcilers;

/// <summary>
/// Namespace → wildcard Certificates (upstream nscert): runs <see cref="NamespaceCertificates.Plan"/> on the
/// namespace's Certificates labelled <c>networking.knative.dev/wildcardDomain</c> and writes it, with upstream's
/// Events (Created / Updated / Deleted, CreationFailed / UpdateFailed / DeleteFailed). The Route reconciler picks these
/// Certificates up by that label (<see cref="Status.RouteTls"/>) instead of making per-host ones. Writes nothing
/// on the Namespace itself.
/// </summary>
public sealed partial class NamespaceWildcardCertReconciler(ServingContext ctx) : IKindReconciler<JsonObject>
{
    /// <summary>Our name for upstream's nscert controller (what <c>--controllers</c> accepts).</summary>
    public const string ControllerName = "namespace-wildcard-cert";
    private static readonly Meter Meter = new("Ingress.Serving.Reconcilers");
    private static readonly Counter<long> Writes = Meter.CreateCounter<long>("serving_wildcard_certificate_writes_total",
        description: "Namespace wildcard Certificates created, updated or deleted");
    private readonly ILogger _log = ctx.LoggerFactory.CreateLogger("Ingress.Serving.NamespaceWildcardCert");

    public async Task<ReconcileResult> ReconcileKindAsync(JsonObject ns, CancellationToken ct)
    {
        var name = Meta.Name(ns);
        var labelled = ctx.Certificates.List(name)
            .Where(c => Meta.Labels(c).ContainsKey(CertificateKeys.WildcardDomainLabel)).ToList();
        var plan = NamespaceCertificates.Plan(ctx.Config(), ns, labelled);
        var certs = ctx.For(ServingKinds.Certificates);
        var nsHeader = ObjectHeader.From(ns);

        foreach (var desired in plan.Create)
        {
            try
            {
                var created = await certs.CreateAsync(desired, ct: ct).ConfigureAwait(false);
                Count("create");
                LogWrite(_log, ControllerName, "Created", name, Meta.Name(created));
                ctx.Events?.Record(ServingKinds.Certificates, ObjectHeader.From(created), EventType.Normal, "Created",
                    $"Created Knative Certificate {name}/{Meta.Name(created)}");
            }
            catch (KubeApiException e)
            {
                ctx.Events?.Record(ResourceDescriptor.Namespaces, nsHeader, EventType.Warning, "CreationFailed",
                    $"Failed to create Knative certificate {name}/{Meta.Name(desired)}: {e.Message}");
                throw new InvalidOperationException($"failed to create namespace certificate: {e.Message}", e);
            }
        }
        foreach (var u in plan.Update)
        {
            try
            {
                await certs.UpdateAsync(u.Updated, ct: ct).ConfigureAwait(false);
                Count("update");
                LogWrite(_log, ControllerName, "Updated", name, Meta.Name(u.Updated));
                ctx.Events?.Record(ServingKinds.Certificates, ObjectHeader.From(u.Existing), EventType.Normal, "Updated",
                    $"Updated Spec for Knative Certificate {name}/{Meta.Name(u.Updated)}");
            }
            catch (KubeApiException e)
            {
                ctx.Events?.Record(ServingKinds.Certificates, ObjectHeader.From(u.Existing), EventType.Warning, "UpdateFailed",
                    $"Failed to update Knative Certificate {name}/{Meta.Name(u.Existing)}: {e.Message}");
                throw new InvalidOperationException($"failed to update namespace certificate: {e.Message}", e);
            }
        }
        if (plan.Error is not null) throw new InvalidOperationException(plan.Error);
        foreach (var cert in plan.Delete)
        {
            try
            {
                await certs.DeleteAsync(name, Meta.Name(cert), ct: ct).ConfigureAwait(false);
                Count("delete");
                LogWrite(_log, ControllerName, "Deleted", name, Meta.Name(cert));
                ctx.Events?.Record(ServingKinds.Certificates, ObjectHeader.From(cert), EventType.Normal, "Deleted",
                    $"Deleted Knative Certificate {name}/{Meta.Name(cert)}");
            }
            catch (NotFoundException)
            {
                // Already gone: what we wanted.
            }
            catch (KubeApiException e)
            {
                ctx.Events?.Record(ServingKinds.Certificates, ObjectHeader.From(cert), EventType.Normal, "DeleteFailed",
                    $"Failed to delete Knative Certificate {name}/{Meta.Name(cert)}: {e.Message}");
                throw;
            }
        }
        return ReconcileResult.Done;
    }

    private static void Count(string operation) => Writes.Add(1, new KeyValuePair<string, object?>("operation", operation));

    [LoggerMessage(Level = LogLevel.Information, Message = "{knative_dev_controller}: {action} wildcard Certificate {knative_dev_key}/{name}")]
    private static partial void LogWrite(ILogger logger, string knative_dev_controller, string action, string knative_dev_key, string name);
}
