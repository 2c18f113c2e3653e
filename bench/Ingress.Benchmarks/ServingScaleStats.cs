using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;

namespace Ingress.Benchmarks;

/// <summary>What one serving-scale run did, read from the metrics the client, work queues and controllers already
/// publish (no profiler here): requests by verb, time waited on the client token bucket, reconciles and their
/// summed latency by controller and result, and the process CPU time. Printed one line per run when
/// SERVING_SCALE_STATS is set.</summary>
public sealed class ServingScaleStats : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _sums = new(StringComparer.Ordinal);
    private readonly TimeSpan _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;

    public ServingScaleStats()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name is "kube.client.requests" or "kube.client.rate_limit.wait" or "kube.reconcile.count" or "kube.reconcile.duration")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument.Name, tags, value));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument.Name, tags, value));
        _listener.Start();
    }

    private void Add(string instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags, double value)
    {
        var key = new StringBuilder(instrument);
        foreach (var tag in tags)
            if (tag.Key is "verb" or "code" or "controller" or "result") key.Append(' ').Append(tag.Value);
        _sums.AddOrUpdate(key.ToString(), value, (_, old) => old + value);
    }

    public override string ToString()
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart;
        return $"  cpu-seconds={cpu.TotalSeconds:0.0} " + string.Join(" ", _sums.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"[{kv.Key}]={(kv.Key.Contains("wait") || kv.Key.Contains("duration") ? kv.Value.ToString("0.00") + "s" : kv.Value.ToString("0"))}"));
    }

    public void Dispose() => _listener.Dispose();
}
