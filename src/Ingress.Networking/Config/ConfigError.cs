namespace Ingress.Networking.Config;

/// <summary>Why a config map was rejected. Closed set: each kind has exactly one upstream error text shape.</summary>
public enum ConfigErrorKind
{
    /// <summary>config-istio uses the list keys and the old <c>gateway.</c>/<c>local-gateway.</c> keys at once.</summary>
    BothGatewayFormats,
    /// <summary>A gateway list value is not YAML for a list of gateways.</summary>
    InvalidGatewayList,
    /// <summary>A non-empty gateway list without exactly one selector-less entry.</summary>
    DefaultGatewayCount,
    /// <summary>A gateway entry fails validation (missing field, bad service, bad selector).</summary>
    InvalidGateway,
    /// <summary>config-network <c>http-protocol</c> is not enabled/disabled/redirected.</summary>
    UnsupportedHttpProtocol,
    /// <summary>config-network <c>system-internal-tls</c> is not enabled/disabled.</summary>
    UnsupportedSystemInternalTls,
    /// <summary>config-network <c>cluster-local-domain-tls</c> is not enabled/disabled.</summary>
    UnsupportedClusterLocalDomainTls,
}

/// <summary>A rejected config map: the kind and upstream's exact message.</summary>
public sealed record ConfigError(ConfigErrorKind Kind, string Message)
{
    public override string ToString() => Message;
}

/// <summary>Either a parsed value or the error that rejected the config map.</summary>
public readonly record struct ConfigParseResult<T>(T? Value, ConfigError? Error) where T : class
{
    public bool IsSuccess => Error is null;
    public static ConfigParseResult<T> Ok(T value) => new(value, null);
    public static ConfigParseResult<T> Fail(ConfigErrorKind kind, string message) => new(null, new ConfigError(kind, message));
}
