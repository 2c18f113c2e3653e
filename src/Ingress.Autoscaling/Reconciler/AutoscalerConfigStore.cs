using Ingress.Api.Core.V1;
using Ingress.Autoscaling.Configuration;
using Ingress.Kube.Cache;
using Microsoft.Extensions.Logging;

namespace Ingress.Autoscaling.Reconciler;

/// <summary>
/// The current config-autoscaler, followed through a ConfigMap informer: a valid ConfigMap replaces the value,
/// an invalid one is reported (<see cref="LastError"/>, a warning log) and the last good value is kept, a
/// deleted one means upstream's defaults. <see cref="Changed"/> fires after each accepted change.
/// </summary>
public sealed partial class AutoscalerConfigStore
{
    public const string ConfigMapName = "config-autoscaler";

    private readonly string _namespace;
    private readonly ILogger _logger;
    private volatile AutoscalerConfig _current = AutoscalerConfig.Default;
    private volatile string? _lastError;

    /// <param name="configMaps">A ConfigMap informer whose scope includes <paramref name="namespace"/>.</param>
    public AutoscalerConfigStore(SharedInformer<ConfigMap> configMaps, string @namespace, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(configMaps);
        _namespace = @namespace;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        configMaps.AddEventHandler(new ResourceEventHandler<ConfigMap>
        {
            Add = (cm, h, _) => { if (Ours(h.Namespace, h.Name)) Apply(cm.Data); },
            Update = (_, cm, h, resync) => { if (!resync && Ours(h.Namespace, h.Name)) Apply(cm.Data); },
            Delete = (_, h) => { if (Ours(h.Namespace, h.Name)) Apply(null); },
        });
    }

    public AutoscalerConfig Current => _current;

    /// <summary>The error of the last rejected ConfigMap, null once a good one was applied.</summary>
    public string? LastError => _lastError;

    public event Action? Changed;

    private bool Ours(string? ns, string name) => ns == _namespace && name == ConfigMapName;

    private void Apply(IReadOnlyDictionary<string, string>? data)
    {
        if (!AutoscalerConfig.TryParse(data, out var config, out var error))
        {
            _lastError = error;
            ConfigRejected(_logger, ConfigMapName, error!);
            return;
        }
        _lastError = null;
        _current = config!;
        Changed?.Invoke();
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Keeping the last good {ConfigMap}: {Error}")]
    private static partial void ConfigRejected(ILogger logger, string configMap, string error);
}
