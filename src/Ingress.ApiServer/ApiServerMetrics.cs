using System.Diagnostics.Metrics;

namespace Ingress.ApiServer;

/// <summary>Metrics of the embedded API server (meter "Ingress.ApiServer").</summary>
internal sealed class ApiServerMetrics : IDisposable
{
    public const string MeterName = "Ingress.ApiServer";
    private readonly Meter _meter = new(MeterName);
    public Counter<long> Requests { get; }
    public UpDownCounter<long> Watchers { get; }

    public ApiServerMetrics()
    {
        Requests = _meter.CreateCounter<long>("apiserver_request_total", description: "HTTP requests served.");
        Watchers = _meter.CreateUpDownCounter<long>("apiserver_registered_watchers", description: "Open watch streams.");
    }

    public void ObserveStore(Func<long> objects, Func<long> resourceVersion)
    {
        _meter.CreateObservableGauge("apiserver_storage_objects", objects, description: "Objects stored.");
        _meter.CreateObservableGauge("apiserver_resource_version", resourceVersion, description: "Current resourceVersion.");
    }

    public void Dispose() => _meter.Dispose();
}
