using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Serving.Config;

/// <summary>One consistent view of every config map the serving reconcilers read. Reconcilers take a
/// snapshot at the start of a reconcile and use it throughout (upstream's config.FromContext).</summary>
public sealed record ServingConfig
{
    public ConfigDomain Domain { get; init; } = ConfigDomain.Default;
    public ConfigNetwork Network { get; init; } = ConfigNetwork.Default;
    public ConfigFeatures Features { get; init; } = ConfigFeatures.Default;
    public ConfigDefaults Defaults { get; init; } = ConfigDefaults.Default;
    /// <summary>Null until a valid config-deployment has been seen (it has no usable default: the image is required).</summary>
    public ConfigDeployment? Deployment { get; init; }
    public ConfigGc Gc { get; init; } = ConfigGc.Default;
    public ConfigObservability Observability { get; init; } = ConfigObservability.Default;

    public static ServingConfig Default => new();
}

/// <summary>What happened to one ConfigMap update.</summary>
public enum ConfigUpdateOutcome { Applied, Rejected, NotWatched }

public sealed record ConfigUpdateResult(ConfigUpdateOutcome Outcome, string ConfigMapName, string? Error);

/// <summary>Holds the last good value of each watched ConfigMap. A ConfigMap that fails to parse leaves the
/// previous value in place; the failure is logged, counted and raised through <see cref="Rejected"/> so the
/// reconciler host can record a Kubernetes Event. The store never throws on bad input.</summary>
public sealed partial class ConfigStore
{
    private static readonly Meter Meter = new("Ingress.Serving.Config");
    private static readonly Counter<long> Updates = Meter.CreateCounter<long>("serving_config_updates_total", description: "ConfigMap updates by outcome");

    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private ServingConfig _current;

    public ConfigStore(ILogger<ConfigStore>? log = null, ServingConfig? initial = null)
    {
        _log = (ILogger?)log ?? NullLogger.Instance;
        _current = initial ?? ServingConfig.Default;
    }

    /// <summary>The config map names this store watches.</summary>
    public static IReadOnlyList<string> WatchedNames { get; } =
        [ConfigDomain.Name, ConfigNetwork.Name, ConfigFeatures.Name, ConfigDefaults.Name, ConfigDeployment.Name, ConfigGc.Name, ConfigObservability.Name];

    /// <summary>Raised after a good update with the new snapshot (reconcilers re-enqueue affected keys).</summary>
    public event Action<ServingConfig, string>? Changed;

    /// <summary>Raised when a ConfigMap is rejected: (name, error). The old value stays in force.</summary>
    public event Action<string, string>? Rejected;

    public ServingConfig Current { get { lock (_gate) return _current; } }

    /// <summary>Applies ConfigMap <paramref name="name"/> with <paramref name="data"/>; null data means the
    /// ConfigMap was deleted, which restores the defaults (config-deployment keeps its last value, as it
    /// has no usable default).</summary>
    public ConfigUpdateResult Apply(string name, IReadOnlyDictionary<string, string>? data)
    {
        var input = data ?? new Dictionary<string, string>();
        // Knative's structured-log keys travel as a scope so every line of this update carries them.
        using var scope = _log.BeginScope(new Dictionary<string, object>
        {
            ["knative.dev/key"] = name,
            ["knative.dev/controller"] = "serving-config-store",
        });
        ServingConfig next;
        try
        {
            lock (_gate)
            {
                var cur = _current;
                next = name switch
                {
                    ConfigDomain.Name => cur with { Domain = ConfigDomain.Parse(input) },
                    ConfigNetwork.Name => cur with { Network = ConfigNetwork.Parse(input) },
                    ConfigFeatures.Name => cur with { Features = ConfigFeatures.Parse(input) },
                    ConfigDefaults.Name => cur with { Defaults = ConfigDefaults.Parse(input) },
                    ConfigDeployment.Name when data is null => cur,
                    ConfigDeployment.Name => cur with { Deployment = ConfigDeployment.Parse(input) },
                    ConfigGc.Name => cur with { Gc = ConfigGc.Parse(input) },
                    ConfigObservability.Name => cur with { Observability = ConfigObservability.Parse(input) },
                    _ => cur,
                };
                if (!WatchedNames.Contains(name))
                    return new ConfigUpdateResult(ConfigUpdateOutcome.NotWatched, name, null);
                _current = next;
            }
        }
        catch (ConfigMapParseException e)
        {
            Updates.Add(1, new KeyValuePair<string, object?>("configmap", name), new KeyValuePair<string, object?>("outcome", "rejected"));
            LogRejected(_log, name, e.Message);
            Rejected?.Invoke(name, e.Message);
            return new ConfigUpdateResult(ConfigUpdateOutcome.Rejected, name, e.Message);
        }
        Updates.Add(1, new KeyValuePair<string, object?>("configmap", name), new KeyValuePair<string, object?>("outcome", "applied"));
        LogApplied(_log, name);
        Changed?.Invoke(next, name);
        return new ConfigUpdateResult(ConfigUpdateOutcome.Applied, name, null);
    }

    /// <summary>Parses without storing: used by `ingress validate` and the admission hook for ConfigMaps.
    /// Returns null when valid or not a watched name.</summary>
    public static string? Validate(string name, IReadOnlyDictionary<string, string> data)
    {
        try
        {
            _ = name switch
            {
                ConfigDomain.Name => (object)ConfigDomain.Parse(data),
                ConfigNetwork.Name => ConfigNetwork.Parse(data),
                ConfigFeatures.Name => ConfigFeatures.Parse(data),
                ConfigDefaults.Name => ConfigDefaults.Parse(data),
                ConfigDeployment.Name => ConfigDeployment.Parse(data),
                ConfigGc.Name => ConfigGc.Parse(data),
                _ => 0,
            };
            return null;
        }
        catch (ConfigMapParseException e) { return e.Message; }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed to parse ConfigMap {knative_dev_key}, keeping the last good value: {error}")]
    private static partial void LogRejected(ILogger logger, string knative_dev_key, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied ConfigMap {knative_dev_key}")]
    private static partial void LogApplied(ILogger logger, string knative_dev_key);
}
