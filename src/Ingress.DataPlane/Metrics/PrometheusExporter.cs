using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Ingress.DataPlane.Metrics;

/// <summary>
/// Serves the instruments of one <see cref="Meter"/> in Prometheus text format (0.0.4). Counters become
/// <c>_total</c>-less counters (Knative's names have no suffix), histograms get <c>_bucket/_sum/_count</c>,
/// observable gauges are read at scrape time. Constant labels (namespace, revision, pod ...) are added to every
/// series. Why our own: prometheus-net and the OTel exporter are not available here, and a listener on our own
/// meter keeps the instruments the single source of truth.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>Knative's request latency buckets, in milliseconds.</summary>
    public static readonly double[] LatencyBucketsMs =
        [5, 10, 20, 40, 60, 80, 100, 150, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

    private readonly Meter _meter;
    private readonly string _prefix;
    private readonly string _constantLabels;
    private readonly MeterListener _listener;
    private readonly object _lock = new();
    private readonly Dictionary<Instrument, Dictionary<string, double>> _sums = [];
    private readonly Dictionary<Instrument, Dictionary<string, HistogramState>> _histograms = [];
    private readonly List<Instrument> _observables = [];

    public PrometheusExporter(Meter meter, string prefix, IReadOnlyList<KeyValuePair<string, string>> constantLabels)
    {
        _meter = meter;
        _prefix = prefix;
        _constantLabels = string.Join(",", constantLabels.Select(l => $"{l.Key}=\"{Escape(l.Value)}\""));
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (!ReferenceEquals(instrument.Meter, _meter)) return;
                lock (_lock)
                {
                    if (instrument.GetType().Name.StartsWith("Observable", StringComparison.Ordinal)) _observables.Add(instrument);
                }
                listener.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private sealed class HistogramState
    {
        public readonly long[] Buckets = new long[LatencyBucketsMs.Length];
        public double Sum;
        public long Count;
    }

    private static string Key(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var builder = new StringBuilder();
        foreach (var tag in tags)
        {
            if (builder.Length > 0) builder.Append(',');
            builder.Append(tag.Key).Append("=\"").Append(Escape(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "")).Append('"');
        }
        return builder.ToString();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = Key(tags);
        lock (_lock)
        {
            if (instrument is Histogram<double> or Histogram<long> or Histogram<int>)
            {
                if (!_histograms.TryGetValue(instrument, out var series)) _histograms[instrument] = series = [];
                if (!series.TryGetValue(key, out var state)) series[key] = state = new HistogramState();
                var index = Array.BinarySearch(LatencyBucketsMs, value);
                if (index < 0) index = ~index;
                if (index < state.Buckets.Length) state.Buckets[index]++;
                state.Sum += value;
                state.Count++;
            }
            else
            {
                if (!_sums.TryGetValue(instrument, out var series)) _sums[instrument] = series = [];
                series[key] = series.GetValueOrDefault(key) + value;
            }
        }
    }

    /// <summary>The exposition text of every instrument of the meter.</summary>
    public string Render()
    {
        lock (_lock)
        {
            foreach (var observable in _observables.ToList())
                _sums.Remove(observable);
        }
        // Observable instruments report through the callbacks; route them into a scrape-local table.
        var observed = new Dictionary<Instrument, Dictionary<string, double>>();
        using (var scrape = new MeterListener())
        {
            scrape.InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, _meter) && _observables.Contains(instrument)) l.EnableMeasurementEvents(instrument);
            };
            void Observe(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
            {
                if (!observed.TryGetValue(i, out var s)) observed[i] = s = [];
                s[Key(tags)] = v;
            }
            scrape.SetMeasurementEventCallback<long>((i, v, t, _) => Observe(i, v, t));
            scrape.SetMeasurementEventCallback<double>((i, v, t, _) => Observe(i, v, t));
            scrape.SetMeasurementEventCallback<int>((i, v, t, _) => Observe(i, v, t));
            scrape.Start();
            scrape.RecordObservableInstruments();
        }

        var text = new StringBuilder();
        lock (_lock)
        {
            foreach (var (instrument, series) in _sums.OrderBy(p => p.Key.Name, StringComparer.Ordinal))
                WriteSimple(text, instrument, "counter", series);
            foreach (var (instrument, series) in observed.OrderBy(p => p.Key.Name, StringComparer.Ordinal))
                WriteSimple(text, instrument, "gauge", series);
            foreach (var (instrument, series) in _histograms.OrderBy(p => p.Key.Name, StringComparer.Ordinal))
            {
                var name = _prefix + instrument.Name;
                text.Append("# HELP ").Append(name).Append(' ').Append(instrument.Description).Append('\n');
                text.Append("# TYPE ").Append(name).Append(" histogram\n");
                foreach (var (key, state) in series)
                {
                    long cumulative = 0;
                    for (var b = 0; b < LatencyBucketsMs.Length; b++)
                    {
                        cumulative += state.Buckets[b];
                        text.Append(name).Append("_bucket{").Append(Labels(key, $"le=\"{LatencyBucketsMs[b].ToString(CultureInfo.InvariantCulture)}\"")).Append("} ").Append(cumulative).Append('\n');
                    }
                    text.Append(name).Append("_bucket{").Append(Labels(key, "le=\"+Inf\"")).Append("} ").Append(state.Count).Append('\n');
                    text.Append(name).Append("_sum{").Append(Labels(key, null)).Append("} ").Append(state.Sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
                    text.Append(name).Append("_count{").Append(Labels(key, null)).Append("} ").Append(state.Count).Append('\n');
                }
            }
        }
        return text.ToString();
    }

    private void WriteSimple(StringBuilder text, Instrument instrument, string type, Dictionary<string, double> series)
    {
        var name = _prefix + instrument.Name;
        text.Append("# HELP ").Append(name).Append(' ').Append(instrument.Description).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach (var (key, value) in series)
            text.Append(name).Append('{').Append(Labels(key, null)).Append("} ").Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    private string Labels(string key, string? extra)
    {
        var parts = new List<string>(3);
        if (_constantLabels.Length > 0) parts.Add(_constantLabels);
        if (key.Length > 0) parts.Add(key);
        if (extra is not null) parts.Add(extra);
        return string.Join(",", parts);
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public void Dispose() => _listener.Dispose();
}
