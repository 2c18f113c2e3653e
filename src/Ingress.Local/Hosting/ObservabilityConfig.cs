using System.Globalization;
using System.Text.Json;
using Ingress.Api.Core.V1;
using Ingress.Kube.Cache;
using Ingress.Kube.Typed;
using Microsoft.Extensions.Logging;

namespace Ingress.Local.Hosting;

/// <summary>The log level one component takes from config-logging: <c>loglevel.&lt;component&gt;</c> when set,
/// else the <c>level</c> of <c>zap-logger-config</c>, else info (Knative's default).</summary>
public static class LoggingConfig
{
    public const string ConfigMapName = "config-logging";

    /// <summary>Knative's zap level names. dpanic, panic and fatal have no .NET counterpart below Critical.</summary>
    public static bool TryParseLevel(string? text, out LogLevel level)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "debug": level = LogLevel.Debug; return true;
            case "info": level = LogLevel.Information; return true;
            case "warn" or "warning": level = LogLevel.Warning; return true;
            case "error": level = LogLevel.Error; return true;
            case "dpanic" or "panic" or "fatal": level = LogLevel.Critical; return true;
            default: level = LogLevel.Information; return false;
        }
    }

    /// <summary>The level for <paramref name="component"/>, or an error naming the key that does not parse
    /// (the caller keeps its last good level then, as Knative's config stores do).</summary>
    public static (LogLevel Level, string? Error) Parse(IReadOnlyDictionary<string, string>? data, string component)
    {
        data ??= new Dictionary<string, string>();
        if (data.TryGetValue("loglevel." + component, out var own))
            return TryParseLevel(own, out var l) ? (l, null) : (LogLevel.Information, $"loglevel.{component}: unknown level \"{own}\"");
        if (data.TryGetValue("zap-logger-config", out var zap) && zap.Trim().Length > 0)
        {
            try
            {
                using var doc = JsonDocument.Parse(zap);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("level", out var lv))
                    return TryParseLevel(lv.GetString(), out var l) ? (l, null) : (LogLevel.Information, $"zap-logger-config: unknown level \"{lv}\"");
            }
            catch (JsonException ex)
            {
                return (LogLevel.Information, "zap-logger-config: " + ex.Message);
            }
        }
        return (LogLevel.Information, null);
    }
}

/// <summary>How traces leave the process (config-observability's <c>tracing-protocol</c>).</summary>
public enum TracingProtocol
{
    /// <summary>No tracing (Knative's default).</summary>
    None,
    /// <summary>OTLP over gRPC (collector port 4317).</summary>
    Grpc,
    /// <summary>OTLP over HTTP with protobuf bodies (collector port 4318, path /v1/traces).</summary>
    HttpProtobuf,
}

/// <summary>config-observability's tracing keys.</summary>
public sealed record TracingConfig(TracingProtocol Protocol, Uri? Endpoint, double SamplingRate)
{
    public const string ConfigMapName = "config-observability";

    /// <summary>Knative's defaults: tracing off, sampling 10 % when turned on.</summary>
    public static TracingConfig Default { get; } = new(TracingProtocol.None, null, 0.1);

    /// <summary>The data plane's form: the <c>OBSERVABILITY_CONFIG</c> environment variable a Revision's queue-proxy
    /// (and the activator's Deployment) carries, Knative's JSON <c>{"tracing": {"protocol", "endpoint",
    /// "sampling-rate"}}</c>. Empty, <c>{}</c> or no <c>tracing</c> object: tracing off.</summary>
    public static (TracingConfig Config, string? Error) FromEnvironmentJson(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return (Default, null);
        System.Text.Json.Nodes.JsonNode? root;
        try { root = System.Text.Json.Nodes.JsonNode.Parse(json); }
        catch (System.Text.Json.JsonException ex) { return (Default, "OBSERVABILITY_CONFIG: not JSON: " + ex.Message); }
        if (root?["tracing"] is not System.Text.Json.Nodes.JsonObject tracing) return (Default, null);
        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in tracing)
            if (value is System.Text.Json.Nodes.JsonValue v) data["tracing-" + key] = v.ToJsonString().Trim('"');
        return Parse(data);
    }

    public static (TracingConfig Config, string? Error) Parse(IReadOnlyDictionary<string, string>? data)
    {
        data ??= new Dictionary<string, string>();
        var protocol = TracingProtocol.None;
        if (data.TryGetValue("tracing-protocol", out var p))
        {
            switch (p.Trim())
            {
                case "" or "none": protocol = TracingProtocol.None; break;
                case "grpc": protocol = TracingProtocol.Grpc; break;
                case "http/protobuf": protocol = TracingProtocol.HttpProtobuf; break;
                default: return (Default, $"tracing-protocol: unsupported \"{p}\" (none, grpc, http/protobuf)");
            }
        }
        Uri? endpoint = null;
        if (data.TryGetValue("tracing-endpoint", out var e) && e.Trim().Length > 0 && !Uri.TryCreate(e.Trim(), UriKind.Absolute, out endpoint))
            return (Default, $"tracing-endpoint: not an absolute URL \"{e}\"");
        if (protocol != TracingProtocol.None && endpoint is null)
            return (Default, "tracing-endpoint: required when tracing-protocol is not none");
        var rate = Default.SamplingRate;
        if (data.TryGetValue("tracing-sampling-rate", out var r) && r.Trim().Length > 0
            && (!double.TryParse(r, NumberStyles.Float, CultureInfo.InvariantCulture, out rate) || rate is < 0 or > 1))
            return (Default, $"tracing-sampling-rate: not a number between 0 and 1 \"{r}\"");
        return (new TracingConfig(protocol, endpoint, rate), null);
    }
}

/// <summary>
/// Follows config-logging and config-observability in the system namespace on a shared informer (the one the
/// controllers already run on ConfigMaps there, so no extra watch) and reports each new good value; a value that
/// does not parse is logged and the last good one kept.
/// </summary>
public sealed partial class ObservabilityConfigWatcher
{
    private readonly string _component;
    private readonly ILogger _log;
    private LogLevel? _level;

    public ObservabilityConfigWatcher(SharedInformerFactory informers, string systemNamespace, string component, ILogger log)
    {
        _component = component;
        _log = log;
        informers.For<ConfigMap>(new InformerScope(systemNamespace)).AddEventHandler(new ResourceEventHandler<ConfigMap>
        {
            Add = (cm, _, _) => OnConfigMap(cm),
            Update = (_, cm, _, resync) => { if (!resync) OnConfigMap(cm); },
        });
    }

    /// <summary>The component's level each time config-logging changes it (also on the first list).</summary>
    public event Action<LogLevel>? LogLevelChanged;
    /// <summary>The tracing settings each time config-observability is read.</summary>
    public event Action<TracingConfig>? TracingChanged;

    private void OnConfigMap(ConfigMap cm)
    {
        LogObserved(_log, cm.Metadata.Name ?? "", cm.Metadata.ResourceVersion ?? "");
        var data = cm.Data is null ? null : new Dictionary<string, string>(cm.Data);
        switch (cm.Metadata.Name)
        {
            case LoggingConfig.ConfigMapName:
            {
                var (level, error) = LoggingConfig.Parse(data, _component);
                if (error is not null) LogBadConfig(_log, LoggingConfig.ConfigMapName, error);
                else if (level != _level)
                {
                    _level = level;
                    LogLevelChanged?.Invoke(level);
                    // After the switch: shown whenever the new level admits Information.
                    LogLevelApplied(_log, _component, level.ToString());
                }
                break;
            }
            case TracingConfig.ConfigMapName:
            {
                var (config, error) = TracingConfig.Parse(data);
                if (error is not null) LogBadConfig(_log, TracingConfig.ConfigMapName, error);
                else TracingChanged?.Invoke(config);
                break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Observed ConfigMap {ConfigMap} at resourceVersion {ResourceVersion}")]
    private static partial void LogObserved(ILogger logger, string configMap, string resourceVersion);

    [LoggerMessage(Level = LogLevel.Information, Message = "Log level of {Component} is now {Level} (config-logging)")]
    private static partial void LogLevelApplied(ILogger logger, string component, string level);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed to parse ConfigMap {ConfigMap}: {Error}; keeping the last good value")]
    private static partial void LogBadConfig(ILogger logger, string configMap, string error);
}
