using System.Text.Json.Nodes;
using Ingress.Api.Knative;
using Ingress.Networking.Config;
using Ingress.Networking.Probing;
using Ingress.Networking.Resources;
using IngressModel = Ingress.Api.Networking.V1Alpha1.Ingress;

namespace Ingress.Networking.Diagnostics;

/// <summary>
/// Pure explanations for <c>ingress diagnose kingress ns/name</c> and the documents of
/// <c>ingress render --show-probe-targets</c>. The CLI verbs only gather the inputs.
/// </summary>
public static class KIngressDiagnosis
{
    /// <summary>
    /// Why a KIngress is not Ready, most fundamental reason first. Empty when it is Ready for its current generation.
    /// </summary>
    public static IReadOnlyList<string> Explain(IngressModel ingress, IngressConfigStore? config = null, ProbeStateSnapshot? probe = null)
    {
        var reasons = new List<string>();
        var key = $"{ingress.Metadata.Namespace}/{ingress.Metadata.Name}";
        if (!IngressSpecs.IsIstioClass(ingress))
        {
            var cls = ingress.Metadata.Annotations?.GetValueOrDefault(NetworkingConstants.IngressClassAnnotation);
            reasons.Add(cls is null
                ? $"{key} has no {NetworkingConstants.IngressClassAnnotation} annotation; the Istio controller ignores it"
                : $"{key} has class {cls}; the Istio controller only handles {NetworkingConstants.IstioIngressClass}");
            return reasons;
        }
        foreach (var name in new[] { NetworkingConstants.IstioConfigMapName, NetworkingConstants.NetworkConfigMapName })
        {
            if (config?.LastError(name) is { } error)
                reasons.Add($"{name} was rejected ({error.Kind}); the last good value is in force: {error.Message}");
        }
        if (ingress.Metadata.DeletionTimestamp is not null)
            reasons.Add($"{key} is being deleted (finalizers: {string.Join(", ", ingress.Metadata.Finalizers ?? [])})");
        var observed = ingress.Status?.ObservedGeneration;
        if (observed != ingress.Metadata.Generation)
            reasons.Add($"generation {ingress.Metadata.Generation} not yet observed (status.observedGeneration = {(observed?.ToString() ?? "none")}); the controller has not finished a pass over it");

        var conditions = ingress.Status?.Conditions ?? [];
        foreach (var type in new[] { IngressStatusRules.NetworkConfigured, IngressStatusRules.LoadBalancerReady, ConditionTypes.Ready })
        {
            var condition = conditions.FirstOrDefault(c => c.Type == type);
            if (condition is null) reasons.Add($"condition {type} is missing");
            else if (condition.Status != ConditionStatus.True)
                reasons.Add($"{type} is {condition.Status}" + (condition.Reason is null ? "" : $" ({condition.Reason}" + (condition.Message is null ? ")" : $": {condition.Message})")));
        }

        if (probe is not null && probe.PendingPods > 0)
        {
            reasons.Add($"{probe.PendingPods} gateway pod(s) have not answered with hash {probe.Hash} (generation {probe.Generation})");
            foreach (var item in probe.Items.Where(i => !i.Done))
                reasons.Add($"  {item.Url} via {item.PodIP}:{item.PodPort}: {item.Failures} failed probe(s)" + (item.LastError is null ? ", none answered yet" : $", last: {item.LastError}"));
        }
        else if (probe is not null && ingress.Status?.Conditions?.FirstOrDefault(c => c.Type == ConditionTypes.Ready)?.Status != ConditionStatus.True)
        {
            reasons.Add($"every gateway pod serves hash {probe.Hash}; the next pass will mark {key} Ready");
        }
        if (reasons.Count == 0 && !IngressStatusRules.IsReady(ingress))
            reasons.Add($"{key} is not Ready but no reason was found; check the controller's logs for knative.dev/key={key}");
        return reasons;
    }

    /// <summary>
    /// One document per KIngress for <c>render --show-probe-targets</c>: each (URL, pod IP, pod port) the prober
    /// would dial, with the Host header it would send.
    /// </summary>
    public static JsonObject ProbeTargetsDocument(ProbeSubject subject, IReadOnlyList<ProbeTarget> targets) => new()
    {
        ["kind"] = "ProbeTargets",
        ["ingress"] = subject.Key,
        ["generation"] = subject.Generation,
        ["hash"] = subject.Hash,
        ["targets"] = new JsonArray(targets.SelectMany(t => t.PodIPs.Order(StringComparer.Ordinal).Select(ip => (JsonNode)new JsonObject
        {
            ["url"] = t.Url.TrimEnd('/') + NetworkingConstants.ProbePath,
            ["podIP"] = ip,
            ["podPort"] = t.PodPort,
            ["port"] = t.Port,
            ["host"] = new Uri(t.Url).GetComponents(UriComponents.HostAndPort, UriFormat.UriEscaped),
        })).ToArray()),
    };
}
