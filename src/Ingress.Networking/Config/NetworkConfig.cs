namespace Ingress.Networking.Config;

/// <summary>HTTP handling wanted by config-network <c>http-protocol</c>.</summary>
public enum HttpProtocolMode { Enabled, Disabled, Redirected }

/// <summary>
/// The config-network keys net-istio parses (spec §3.3). Serving owns the rest of config-network; only the keys
/// whose values can make the ConfigMap fail to parse, or that net-istio reads, are modelled here.
/// </summary>
public sealed record NetworkConfig(
    bool ClusterLocalDomainTls,
    bool ExternalDomainTls,
    HttpProtocolMode HttpProtocol,
    bool SystemInternalTls)
{
    public const string ClusterLocalDomainTlsKey = "cluster-local-domain-tls";
    public const string ExternalDomainTlsKey = "external-domain-tls";
    public const string AutoTlsKey = "auto-tls";
    public const string LegacyAutoTlsKey = "autoTLS";
    public const string HttpProtocolKey = "http-protocol";
    public const string LegacyHttpProtocolKey = "httpProtocol";
    public const string SystemInternalTlsKey = "system-internal-tls";
    public const string InternalEncryptionKey = "internal-encryption";

    /// <summary>Knative's defaults: no TLS of any kind, plain HTTP enabled.</summary>
    public static NetworkConfig Default { get; } = new(false, false, HttpProtocolMode.Enabled, false);

    public static ConfigParseResult<NetworkConfig> Parse(IReadOnlyDictionary<string, string>? data)
    {
        data ??= new Dictionary<string, string>();

        var autoTls = false;
        if (data.TryGetValue(LegacyAutoTlsKey, out var legacyAuto)) autoTls = IsEnabled(legacyAuto);
        if (data.TryGetValue(AutoTlsKey, out var auto)) autoTls = IsEnabled(auto);
        var externalTls = data.TryGetValue(ExternalDomainTlsKey, out var external) ? IsEnabled(external) : autoTls;

        // The new key wins over the legacy one; the error text quotes only the new key's value (an upstream quirk).
        var protocol = "";
        if (data.TryGetValue(LegacyHttpProtocolKey, out var legacyProtocol)) protocol = legacyProtocol;
        if (data.TryGetValue(HttpProtocolKey, out var newProtocol)) protocol = newProtocol;
        HttpProtocolMode mode;
        switch (protocol.ToLowerInvariant())
        {
            case "":
            case "enabled": mode = HttpProtocolMode.Enabled; break;
            case "disabled": mode = HttpProtocolMode.Disabled; break;
            case "redirected": mode = HttpProtocolMode.Redirected; break;
            default:
                return ConfigParseResult<NetworkConfig>.Fail(ConfigErrorKind.UnsupportedHttpProtocol,
                    $"httpProtocol {data.GetValueOrDefault(HttpProtocolKey, "")} in config-network ConfigMap is not supported");
        }

        var internalEncryption = data.TryGetValue(InternalEncryptionKey, out var ie) && bool.TryParse(ie, out var ieValue) && ieValue;
        bool systemInternalTls;
        var sit = data.GetValueOrDefault(SystemInternalTlsKey, "");
        switch (sit.ToLowerInvariant())
        {
            case "":
            case "disabled": systemInternalTls = internalEncryption; break;
            case "enabled": systemInternalTls = true; break;
            default:
                return ConfigParseResult<NetworkConfig>.Fail(ConfigErrorKind.UnsupportedSystemInternalTls,
                    $"{SystemInternalTlsKey} with value: {GoFormat.Quote(sit)} in config-network ConfigMap is not supported");
        }

        bool clusterLocalTls;
        var clt = data.GetValueOrDefault(ClusterLocalDomainTlsKey, "");
        switch (clt.ToLowerInvariant())
        {
            case "":
            case "disabled": clusterLocalTls = false; break;
            case "enabled": clusterLocalTls = true; break;
            default:
                return ConfigParseResult<NetworkConfig>.Fail(ConfigErrorKind.UnsupportedClusterLocalDomainTls,
                    $"{ClusterLocalDomainTlsKey} with value: {GoFormat.Quote(clt)} in config-network ConfigMap is not supported");
        }

        return ConfigParseResult<NetworkConfig>.Ok(new NetworkConfig(clusterLocalTls, externalTls, mode, systemInternalTls));
    }

    private static bool IsEnabled(string value) => string.Equals(value, "enabled", StringComparison.OrdinalIgnoreCase);
}
