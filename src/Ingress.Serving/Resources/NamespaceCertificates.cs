using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Go;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>An existing wildcard Certificate whose spec (and domain label) must be rewritten.</summary>
public sealed record WildcardCertificateUpdate(JsonObject Existing, JsonObject Updated);

/// <summary>What the namespace wildcard certificate reconciler writes for one Namespace, in order: creates and
/// updates per domain (domains sorted), then deletes. <see cref="Error"/> stops the reconcile where it occurred
/// (writes planned before it still happen, deletes do not), as upstream returns on the first failing domain.</summary>
public sealed record WildcardCertificatePlan(
    IReadOnlyList<JsonObject> Create, IReadOnlyList<WildcardCertificateUpdate> Update, IReadOnlyList<JsonObject> Delete, string? Error);

/// <summary>
/// Upstream nscert, as a pure function: a Namespace selected by config-network
/// <c>namespace-wildcard-cert-selector</c> gets one Certificate per config-domain domain of type <c>wildcard</c>
/// (the implicit <c>svc.&lt;cluster domain&gt;</c> default included), for the DNS name the domain-template gives
/// with Name <c>*</c>; the template must render to <c>*.&lt;rest&gt;</c> (the route name is its own first label).
/// Certificates it controls for domains no longer wanted, or in a Namespace no longer selected, are deleted.
/// </summary>
public static class NamespaceCertificates
{
    /// <summary>The plan for <paramref name="ns"/> given the namespace's Certificates that carry the
    /// <c>networking.knative.dev/wildcardDomain</c> label (any owner).</summary>
    public static WildcardCertificatePlan Plan(ServingConfig config, JsonObject ns, IReadOnlyList<JsonObject> labelledCertificates)
    {
        var create = new List<JsonObject>();
        var update = new List<WildcardCertificateUpdate>();
        var nsUid = Meta.Uid(ns);
        var owned = labelledCertificates.Where(c => Meta.IsControlledBy(c, nsUid)).OrderBy(Meta.Name, StringComparer.Ordinal).ToList();
        var selector = config.Network.NamespaceWildcardCertSelectorParsed;
        if (selector is null || !selector.Matches(Meta.Labels(ns)))
            return new WildcardCertificatePlan(create, update, owned, null);

        var domains = config.Domain.Entries.Where(e => e.Type == "wildcard").Select(e => e.Domain)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var domain in domains)
        {
            var (dnsName, error) = WildcardDnsName(config.Network.DomainTemplateParsed, config.Network.DomainTemplate, domain, Meta.Name(ns));
            if (error is not null) return new WildcardCertificatePlan(create, update, [], error);
            // A labelled certificate (ours or anyone's) already serving this name: nothing to do.
            if (labelledCertificates.Any(c => CertificateResources.DnsNames(c).Contains(dnsName!, StringComparer.Ordinal))) continue;
            var desired = CertificateResources.MakeWildcardCertificate(ns, dnsName!, domain, CertClass(config, ns));
            var existing = owned.FirstOrDefault(c => Meta.Labels(c).GetValueOrDefault(CertificateKeys.WildcardDomainLabel) == domain);
            if (existing is null)
            {
                create.Add(desired);
            }
            else if (!JsonNode.DeepEquals(existing["spec"], desired["spec"]))
            {
                // Only spec and the domain label change; the existing name stays (upstream updates in place).
                var updated = (JsonObject)existing.DeepClone();
                updated["spec"] = desired["spec"]!.DeepClone();
                var meta = (JsonObject)updated["metadata"]!;
                if (meta["labels"] is not JsonObject labels) meta["labels"] = labels = new JsonObject();
                labels[CertificateKeys.WildcardDomainLabel] = domain;
                update.Add(new WildcardCertificateUpdate(existing, updated));
            }
        }
        var keep = new HashSet<string>(domains, StringComparer.Ordinal);
        var delete = owned.Where(c => !keep.Contains(Meta.Labels(c).GetValueOrDefault(CertificateKeys.WildcardDomainLabel) ?? "")).ToList();
        return new WildcardCertificatePlan(create, update, delete, null);
    }

    /// <summary>The namespace's certificate class annotation (either alias), else config-network certificate-class.</summary>
    public static string CertClass(ServingConfig config, JsonObject ns) => CertificateResources.CertClass(config, Meta.Annotations(ns));

    /// <summary>The domain-template rendered with Name <c>*</c>; the result must start with <c>*.</c> and have more
    /// after it. Errors read as upstream's: <c>failed to apply domain template &lt;t&gt; to domain &lt;d&gt; and
    /// namespace &lt;ns&gt;: invalid DomainTemplate: &lt;rendered&gt;</c>.</summary>
    public static (string? DnsName, string? Error) WildcardDnsName(GoTemplate template, string templateText, string domain, string ns)
    {
        string rendered;
        try
        {
            rendered = template.Execute(TemplateValues.Domain("*", ns, domain, null, null));
        }
        catch (GoTemplateException e)
        {
            return (null, Failed(templateText, domain, ns, e.Message));
        }
        if (rendered.Length < 3 || !rendered.StartsWith("*.", StringComparison.Ordinal) || rendered.Contains('\n'))
            return (null, Failed(templateText, domain, ns, "invalid DomainTemplate: " + rendered));
        return (rendered, null);
    }

    private static string Failed(string template, string domain, string ns, string why) =>
        $"failed to apply domain template {template} to domain {domain} and namespace {ns}: {why}";
}
