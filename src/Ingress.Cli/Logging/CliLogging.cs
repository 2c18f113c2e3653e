using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Core;

namespace Ingress.Cli.Logging;

/// <summary>Log output format of the long-running verbs.</summary>
public enum LogFormat
{
    /// <summary>One human-readable line per event, with the Knative keys when present.</summary>
    Text,
    /// <summary>One JSON object per line (Serilog's JsonFormatter): what log collectors ingest.</summary>
    Json,
}

/// <summary>
/// The CLI's Serilog setup. Reconcile scopes carry Knative's keys (knative.dev/controller, knative.dev/key,
/// knative.dev/traceid) as properties; the text template prints them, the JSON format carries every property.
/// </summary>
public static class CliLogging
{
    private const string TextTemplate =
        "{Timestamp:HH:mm:ss.fff} {Level:u3} {SourceContext}{KnativeKeys} {Message:lj}{NewLine}{Exception}";

    /// <summary>A logger factory writing to the console (stderr when <paramref name="toStderr"/>: render keeps
    /// stdout for its output). ASP.NET Core's own logs are kept to warnings. With <paramref name="levelSwitch"/>
    /// the minimum level follows the switch (config-logging applied live) instead of <paramref name="minimum"/>.</summary>
    public static SerilogLoggerFactory Create(LogFormat format, LogEventLevel minimum = LogEventLevel.Information, bool toStderr = false,
        bool quietReconcileErrors = false, LoggingLevelSwitch? levelSwitch = null)
    {
        var config = new LoggerConfiguration();
        config = levelSwitch is null ? config.MinimumLevel.Is(minimum) : config.MinimumLevel.ControlledBy(levelSwitch);
        // render reports failed reconciles as one line each itself.
        if (quietReconcileErrors) config = config.MinimumLevel.Override("Ingress.Kube.Controller", LogEventLevel.Fatal);
        config = config
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .Enrich.With<KnativeKeysEnricher>();
        var stderrFrom = toStderr ? LogEventLevel.Verbose : (LogEventLevel?)null;
        config = format == LogFormat.Json
            ? config.WriteTo.Console(new KnativeJsonFormatter(), standardErrorFromLevel: stderrFrom)
            : config.WriteTo.Console(outputTemplate: TextTemplate, standardErrorFromLevel: stderrFrom);
        return new SerilogLoggerFactory(config.CreateLogger(), dispose: true);
    }

    /// <summary>Serilog's level for a config-logging level.</summary>
    public static LogEventLevel ToSerilog(LogLevel level) => level switch
    {
        LogLevel.Trace => LogEventLevel.Verbose,
        LogLevel.Debug => LogEventLevel.Debug,
        LogLevel.Information => LogEventLevel.Information,
        LogLevel.Warning => LogEventLevel.Warning,
        LogLevel.Error => LogEventLevel.Error,
        _ => LogEventLevel.Fatal,
    };

    /// <summary>Builds the text template's <c>KnativeKeys</c> property from the reconcile scope's properties.</summary>
    private sealed class KnativeKeysEnricher : Serilog.Core.ILogEventEnricher
    {
        private static readonly string[] Keys = [Kube.Diagnostics.KnativeLogKeys.Controller, Kube.Diagnostics.KnativeLogKeys.Key];

        public void Enrich(LogEvent logEvent, Serilog.Core.ILogEventPropertyFactory propertyFactory)
        {
            var parts = new List<string>(2);
            foreach (var key in Keys)
                if (logEvent.Properties.TryGetValue(key, out var value) && value is ScalarValue { Value: { } v }) parts.Add($"{key}={v}");
            logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("KnativeKeys", parts.Count == 0 ? "" : " " + string.Join(" ", parts)));
        }
    }
}
