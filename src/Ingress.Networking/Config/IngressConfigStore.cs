using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Networking.Config;

/// <summary>The configuration one reconcile pass uses: an immutable snapshot of both config maps.</summary>
public sealed record IngressConfig(IstioConfig Istio, NetworkConfig Network);

/// <summary>
/// Keeps the last good value of config-istio and config-network. A bad ConfigMap is rejected, the previous value
/// stays in force, and the rejection is kept in <see cref="LastError"/> and logged. Every accepted change raises
/// <see cref="Changed"/>, which the reconciler turns into a global resync (spec §3.1).
/// </summary>
public sealed partial class IngressConfigStore
{
    private readonly string _systemNamespace;
    private readonly string _clusterDomain;
    private readonly ILogger _logger;
    private readonly Counter<long> _updates;
    private readonly object _gate = new();
    private IngressConfig _current;
    private readonly Dictionary<string, ConfigError> _errors = new(StringComparer.Ordinal);

    public static readonly Meter Meter = new("Ingress.Networking.Config");

    /// <summary>
    /// Starts from the values of empty ConfigMaps (both default gateways, no TLS) so that a controller that comes up
    /// before its ConfigMaps are listed still has a usable configuration; upstream refuses to start instead.
    /// </summary>
    public IngressConfigStore(string systemNamespace, string clusterDomain, ILogger<IngressConfigStore>? logger = null)
    {
        _systemNamespace = systemNamespace;
        _clusterDomain = clusterDomain;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _current = new IngressConfig(IstioConfig.Default(systemNamespace, clusterDomain), NetworkConfig.Default);
        _updates = Meter.CreateCounter<long>("kn_ingress_config_updates", description: "ConfigMap updates seen by the Istio ingress controller, by config map and result");
    }

    /// <summary>Raised after an accepted update, outside the store's lock.</summary>
    public event Action<IngressConfig>? Changed;

    public IngressConfig Current { get { lock (_gate) return _current; } }

    /// <summary>The error of the latest update of <paramref name="configMapName"/>, or null when it was accepted.</summary>
    public ConfigError? LastError(string configMapName) { lock (_gate) return _errors.GetValueOrDefault(configMapName); }

    /// <summary>
    /// Applies a new version of a watched ConfigMap. Returns the error when it is rejected. Names other than
    /// config-istio and config-network are ignored (returns null).
    /// </summary>
    public ConfigError? Update(string configMapName, IReadOnlyDictionary<string, string>? data)
    {
        IngressConfig next;
        lock (_gate)
        {
            switch (configMapName)
            {
                case NetworkingConstants.IstioConfigMapName:
                {
                    var parsed = IstioConfig.Parse(data, _systemNamespace, _clusterDomain);
                    if (!parsed.IsSuccess) return Reject(configMapName, parsed.Error!);
                    next = _current with { Istio = parsed.Value! };
                    break;
                }
                case NetworkingConstants.NetworkConfigMapName:
                {
                    var parsed = NetworkConfig.Parse(data);
                    if (!parsed.IsSuccess) return Reject(configMapName, parsed.Error!);
                    next = _current with { Network = parsed.Value! };
                    break;
                }
                default:
                    return null;
            }
            _errors.Remove(configMapName);
            _current = next;
        }
        _updates.Add(1, new KeyValuePair<string, object?>("configmap", configMapName), new KeyValuePair<string, object?>("result", "accepted"));
        LogAccepted(_logger, configMapName);
        Changed?.Invoke(next);
        return null;
    }

    private ConfigError Reject(string configMapName, ConfigError error)
    {
        _errors[configMapName] = error;
        _updates.Add(1, new KeyValuePair<string, object?>("configmap", configMapName), new KeyValuePair<string, object?>("result", "rejected"));
        LogRejected(_logger, configMapName, error.Kind, error.Message);
        return error;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Accepted new {ConfigMap}")]
    private static partial void LogAccepted(ILogger logger, string configMap);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Rejected {ConfigMap} ({Kind}), keeping the last good value: {Error}")]
    private static partial void LogRejected(ILogger logger, string configMap, ConfigErrorKind kind, string error);
}
