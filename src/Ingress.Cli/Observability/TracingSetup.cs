using Ingress.Local.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Ingress.Cli.Observability;

/// <summary>
/// OpenTelemetry tracing as config-observability asks for it, re-applied live: each change replaces the tracer
/// provider (the old one flushes what it has first). Spans: one per reconcile (<c>Ingress.Kube.Controller</c>),
/// with the API calls it makes as children (.NET's own <c>System.Net.Http</c> client spans). Sampling is
/// parent-based on a trace-id ratio, so a sampled reconcile keeps all its calls.
/// </summary>
public sealed partial class TracingSetup(string serviceName, ILoggerFactory loggerFactory) : IDisposable
{
    /// <summary>Activity sources exported.</summary>
    public static readonly string[] Sources = ["Ingress.Kube.Controller", "System.Net.Http",
        Ingress.DataPlane.Proxy.ProxyTracing.QueueProxySourceName, Ingress.DataPlane.Proxy.ProxyTracing.ActivatorSourceName];

    private readonly ILogger _log = loggerFactory.CreateLogger("Ingress.Cli.Tracing");
    private readonly Lock _gate = new();
    private TracerProvider? _provider;
    private TracingConfig _current = TracingConfig.Default;

    public void Apply(TracingConfig config)
    {
        lock (_gate)
        {
            if (config == _current) return;
            _current = config;
            _provider?.ForceFlush(5000);
            _provider?.Dispose();
            _provider = config.Protocol == TracingProtocol.None ? null : Build(config);
        }
        LogTracing(_log, config.Protocol.ToString(), config.Endpoint?.ToString() ?? "", config.SamplingRate);
    }

    private TracerProvider Build(TracingConfig config) => Sdk.CreateTracerProviderBuilder()
        .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(serviceName))
        .AddSource(Sources)
        .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(config.SamplingRate)))
        .AddOtlpExporter(o =>
        {
            o.Protocol = config.Protocol == TracingProtocol.Grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
            o.Endpoint = ExporterEndpoint(config);
        })
        .Build();

    /// <summary>The exporter's URL: gRPC takes the collector's address as given; OTLP/HTTP takes the full traces URL,
    /// and a bare collector address (no path) gets the standard <c>/v1/traces</c>, as OTEL_EXPORTER_OTLP_ENDPOINT does.</summary>
    public static Uri ExporterEndpoint(TracingConfig config) =>
        config.Protocol == TracingProtocol.HttpProtobuf && config.Endpoint!.AbsolutePath is "" or "/"
            ? new Uri(config.Endpoint, "/v1/traces")
            : config.Endpoint!;

    public void Dispose()
    {
        lock (_gate)
        {
            _provider?.ForceFlush(5000);
            _provider?.Dispose();
            _provider = null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tracing: protocol {Protocol}, endpoint {Endpoint}, sampling rate {Rate}")]
    private static partial void LogTracing(ILogger logger, string protocol, string endpoint, double rate);
}
