namespace Ingress.Serving.Config;

/// <summary>A config-features flag. Values are matched case-insensitively; unknown values are ignored
/// (the default stays), exactly like upstream.</summary>
public enum FeatureFlag { Enabled, Allowed, Disabled }

/// <summary>Typed <c>config-features</c>. Every flag Knative Serving reads is kept (by key) so validation of
/// pod-spec fields can look them up; the routing-relevant ones have properties.</summary>
public sealed record ConfigFeatures
{
    public const string Name = "config-features";
    public const string TagHeaderBasedRoutingKey = "tag-header-based-routing";

    /// <summary>Upstream defaults (serving pkg/apis/config/features.go): only multi-container and emptyDir
    /// volumes are on; every other pod-spec extension is off until an operator opts in.</summary>
    public static readonly IReadOnlyDictionary<string, FeatureFlag> Defaults = new Dictionary<string, FeatureFlag>
    {
        ["multi-container"] = FeatureFlag.Enabled,
        ["multi-container-probing"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-affinity"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-topologyspreadconstraints"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-hostaliases"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-fieldref"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-nodeselector"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-runtimeclassname"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-securitycontext"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-shareprocessnamespace"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-hostipc"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-hostpid"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-hostnetwork"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-priorityclassname"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-schedulername"] = FeatureFlag.Disabled,
        ["kubernetes.containerspec-addcapabilities"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-tolerations"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-volumes-emptydir"] = FeatureFlag.Enabled,
        ["kubernetes.podspec-volumes-hostpath"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-volumes-mount-propagation"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-volumes-csi"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-volumes-ephemeral"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-volumes-image"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-persistent-volume-claim"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-persistent-volume-write"] = FeatureFlag.Disabled,
        ["queueproxy.mount-podinfo"] = FeatureFlag.Disabled,
        ["queueproxy.resource-defaults"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-init-containers"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-dnspolicy"] = FeatureFlag.Disabled,
        ["kubernetes.podspec-dnsconfig"] = FeatureFlag.Disabled,
        ["secure-pod-defaults"] = FeatureFlag.Disabled,
        [TagHeaderBasedRoutingKey] = FeatureFlag.Disabled,
        ["autodetect-http2"] = FeatureFlag.Disabled,
    };

    public required IReadOnlyDictionary<string, FeatureFlag> Flags { get; init; }

    public FeatureFlag this[string key] => Flags.TryGetValue(key, out var f) ? f : FeatureFlag.Disabled;
    public FeatureFlag TagHeaderBasedRouting => this[TagHeaderBasedRoutingKey];
    public FeatureFlag MultiContainerProbing => this["multi-container-probing"];
    public FeatureFlag AutoDetectHttp2 => this["autodetect-http2"];

    public static ConfigFeatures Default { get; } = new() { Flags = Defaults };

    /// <summary>Parses config-features data. Never fails: upstream ignores unknown values.</summary>
    public static ConfigFeatures Parse(IReadOnlyDictionary<string, string> data)
    {
        var flags = new Dictionary<string, FeatureFlag>(Defaults);
        foreach (var key in Defaults.Keys)
        {
            if (!data.TryGetValue(key, out var raw)) continue;
            foreach (var f in new[] { FeatureFlag.Enabled, FeatureFlag.Allowed, FeatureFlag.Disabled })
                if (string.Equals(raw, f.ToString(), StringComparison.OrdinalIgnoreCase)) { flags[key] = f; break; }
        }
        // secure-pod-defaults also accepts AllowRootBounded upstream; it is kept as Allowed here (not used by routing).
        if (data.TryGetValue("secure-pod-defaults", out var spd) && string.Equals(spd, "AllowRootBounded", StringComparison.OrdinalIgnoreCase))
            flags["secure-pod-defaults"] = FeatureFlag.Allowed;
        return new ConfigFeatures { Flags = flags };
    }
}
