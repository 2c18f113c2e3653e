using Ingress.Serving.Go;
using Ingress.Serving.Validation;
using YamlDotNet.RepresentationModel;

namespace Ingress.Serving.Config;

/// <summary>Typed <c>config-deployment</c> (serving pkg/deployment/config.go): the queue-proxy image and
/// resources and the Deployment knobs the Revision reconciler applies.</summary>
public sealed record ConfigDeployment
{
    public const string Name = "config-deployment";

    /// <summary>Required: upstream refuses a config without an image rather than guessing one.</summary>
    public string QueueSidecarImage { get; init; } = "";
    /// <summary>600 s: a Deployment that makes no progress for 10 minutes is reported as failed (upstream).</summary>
    public ParsedDuration ProgressDeadline { get; init; } = new(600L * 1_000_000_000);
    /// <summary>10 s per image digest lookup (upstream).</summary>
    public ParsedDuration DigestResolutionTimeout { get; init; } = new(10L * 1_000_000_000);
    /// <summary>Local dev registries never resolve tags to digests (upstream).</summary>
    public IReadOnlySet<string> RegistriesSkippingTagResolving { get; init; } = new HashSet<string> { "kind.local", "ko.local", "dev.local" };
    /// <summary>Only the 25m CPU request applies when the key is absent; the stock ConfigMap adds the others.</summary>
    public string? QueueSidecarCpuRequest { get; init; } = "25m";
    public string? QueueSidecarCpuLimit { get; init; }
    public string? QueueSidecarMemoryRequest { get; init; }
    public string? QueueSidecarMemoryLimit { get; init; }
    public string? QueueSidecarEphemeralStorageRequest { get; init; }
    public string? QueueSidecarEphemeralStorageLimit { get; init; }
    public IReadOnlySet<string> QueueSidecarTokenAudiences { get; init; } = new HashSet<string> { "" };
    public string QueueSidecarRootCa { get; init; } = "";
    public string QueueSidecarTlsMinVersion { get; init; } = "";
    public string QueueSidecarTlsMaxVersion { get; init; } = "";
    public string QueueSidecarTlsCipherSuites { get; init; } = "";
    public string QueueSidecarTlsCurvePreferences { get; init; } = "";
    /// <summary>"prefer-spread-revision-over-nodes" (upstream default) or "none".</summary>
    public string DefaultAffinityType { get; init; } = "prefer-spread-revision-over-nodes";
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> RuntimeClassNames { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();
    public bool PodIsAlwaysSchedulable { get; init; }

    /// <summary>Values of the stock config-deployment.yaml for the queue-proxy resources.</summary>
    public static ConfigDeployment StockQueueResources(string image) => new()
    {
        QueueSidecarImage = image,
        QueueSidecarCpuRequest = "25m", QueueSidecarCpuLimit = "1000m",
        QueueSidecarMemoryRequest = "400Mi", QueueSidecarMemoryLimit = "800Mi",
        QueueSidecarEphemeralStorageRequest = "512Mi", QueueSidecarEphemeralStorageLimit = "1024Mi",
    };

    public static ConfigDeployment Parse(IReadOnlyDictionary<string, string> data)
    {
        var d = new ConfigDeployment();
        string R(string key, string cur) => ConfigMapReader.String(data, key, cur);
        ParsedDuration D(string key, ParsedDuration cur) => ConfigMapReader.Duration(data, key, cur);
        string? Q(string key, string? cur) => ConfigMapReader.Quantity(data, key, cur);

        // Legacy camelCase keys, then the current keys (which win).
        var image = R("queueSidecarImage", "");
        var progress = D("progressDeadline", d.ProgressDeadline);
        var digest = D("digestResolutionTimeout", d.DigestResolutionTimeout);
        var skipping = ConfigMapReader.StringSet(data, "registriesSkippingTagResolving", d.RegistriesSkippingTagResolving);
        var cpuReq = Q("queueSidecarCPURequest", d.QueueSidecarCpuRequest);
        var memReq = Q("queueSidecarMemoryRequest", null);
        var ephReq = Q("queueSidecarEphemeralStorageRequest", null);
        var cpuLim = Q("queueSidecarCPULimit", null);
        var memLim = Q("queueSidecarMemoryLimit", null);
        var ephLim = Q("queueSidecarEphemeralStorageLimit", null);

        image = R("queue-sidecar-image", image);
        progress = D("progress-deadline", progress);
        digest = D("digest-resolution-timeout", digest);
        skipping = ConfigMapReader.StringSet(data, "registries-skipping-tag-resolving", skipping);
        cpuReq = Q("queue-sidecar-cpu-request", cpuReq);
        memReq = Q("queue-sidecar-memory-request", memReq);
        ephReq = Q("queue-sidecar-ephemeral-storage-request", ephReq);
        cpuLim = Q("queue-sidecar-cpu-limit", cpuLim);
        memLim = Q("queue-sidecar-memory-limit", memLim);
        ephLim = Q("queue-sidecar-ephemeral-storage-limit", ephLim);
        var audiences = ConfigMapReader.StringSet(data, "queue-sidecar-token-audiences", d.QueueSidecarTokenAudiences);
        var rootCa = R("queue-sidecar-rootca", "");
        var tlsMin = R("queue-sidecar-tls-min-version", "");
        var tlsMax = R("queue-sidecar-tls-max-version", "");
        var tlsCiphers = R("queue-sidecar-tls-cipher-suites", "");
        var tlsCurves = R("queue-sidecar-tls-curve-preferences", "");
        var runtimeClassNames = R("runtime-class-name", "");
        var alwaysSchedulable = ConfigMapReader.Bool(data, "pod-is-always-schedulable", false);

        if (image.Length == 0) throw new ConfigMapParseException("queue-sidecar-image cannot be empty or unset");
        if (progress.Nanoseconds <= 0)
            throw new ConfigMapParseException($"progress-deadline cannot be a non-positive duration, was {progress}");
        if (!progress.IsWholeSeconds)
            throw new ConfigMapParseException($"progress-deadline must be rounded to a whole second, was: {progress}");
        if (digest.Nanoseconds <= 0)
            throw new ConfigMapParseException($"digest-resolution-timeout cannot be a non-positive duration, was {digest}");
        var affinity = d.DefaultAffinityType;
        if (data.TryGetValue("default-affinity-type", out var aff))
        {
            if (aff is not ("none" or "prefer-spread-revision-over-nodes"))
                throw new ConfigMapParseException($"unsupported default-affinity-type value: {GoFormat.Quote(aff)}");
            affinity = aff;
        }

        return new ConfigDeployment
        {
            QueueSidecarImage = image, ProgressDeadline = progress, DigestResolutionTimeout = digest,
            RegistriesSkippingTagResolving = skipping,
            QueueSidecarCpuRequest = cpuReq, QueueSidecarMemoryRequest = memReq, QueueSidecarEphemeralStorageRequest = ephReq,
            QueueSidecarCpuLimit = cpuLim, QueueSidecarMemoryLimit = memLim, QueueSidecarEphemeralStorageLimit = ephLim,
            QueueSidecarTokenAudiences = audiences, QueueSidecarRootCa = rootCa,
            QueueSidecarTlsMinVersion = tlsMin, QueueSidecarTlsMaxVersion = tlsMax,
            QueueSidecarTlsCipherSuites = tlsCiphers, QueueSidecarTlsCurvePreferences = tlsCurves,
            DefaultAffinityType = affinity,
            RuntimeClassNames = ParseRuntimeClassNames(runtimeClassNames),
            PodIsAlwaysSchedulable = alwaysSchedulable,
        };
    }

    private static Dictionary<string, IReadOnlyDictionary<string, string>> ParseRuntimeClassNames(string raw)
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(raw)) return result;
        var stream = new YamlStream();
        try { stream.Load(new StringReader(raw)); }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ConfigMapParseException($"runtime-class-name cannot be parsed, please check the format: error converting YAML to JSON: yaml: line {e.Start.Line}: {e.Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode map)
            throw new ConfigMapParseException("runtime-class-name cannot be parsed, please check the format: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type map[string]deployment.RuntimeClassNameLabelSelector");
        foreach (var (k, v) in map.Children)
        {
            var cls = ((YamlScalarNode)k).Value ?? "";
            var warns = K8sNames.IsDns1123Subdomain(cls);
            if (warns.Count > 0)
                throw new ConfigMapParseException($"runtime-class-name {cls} selector not valid DNSSubdomain: [{string.Join(" ", warns)}]");
            var sel = new Dictionary<string, string>(StringComparer.Ordinal);
            if (v is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode("selector"), out var s) && s is YamlMappingNode sm)
                foreach (var (sk, sv) in sm.Children) sel[((YamlScalarNode)sk).Value ?? ""] = (sv as YamlScalarNode)?.Value ?? "";
            result[cls] = sel;
        }
        return result;
    }
}
