using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Ingress.Local.Hosting;

/// <summary>
/// Collects every System.Diagnostics.Metrics instrument of the process with a <see cref="MeterListener"/> and
/// renders them in the Prometheus text format (0.0.4). Hand-written because prometheus-net and OpenTelemetry's
/// Prometheus exporter are not available offline here. Counters become <c>_total</c> counters, up-down counters
/// and observable gauges become gauges, histograms get cumulative buckets plus <c>_sum</c> and <c>_count</c>.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>Prometheus client libraries' default buckets, in seconds: Knative's latencies fall within them.</summary>
    public static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Series> _series = new();
    private readonly Func<Meter, bool> _include;

    /// <param name="include">Which meters to export; default all.</param>
    public PrometheusExporter(Func<Meter, bool>? include = null)
    {
        _include = include ?? (_ => true);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!_include(instrument.Meter)) return;
            _series.TryAdd(instrument, new Series(instrument));
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.MeasurementsCompleted = (instrument, _) => _series.TryRemove(instrument, out Series? _);
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<short>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<byte>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<decimal>((i, v, tags, _) => Record(i, (double)v, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_series.TryGetValue(instrument, out var s)) s.Record(value, tags);
    }

    /// <summary>The text exposition of every instrument, observable instruments observed now.</summary>
    public string Scrape()
    {
        _listener.RecordObservableInstruments();
        var sb = new StringBuilder();
        foreach (var s in _series.Values.OrderBy(s => s.Name, StringComparer.Ordinal)) s.Write(sb);
        return sb.ToString();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Prometheus metric name: dots and dashes become underscores.</summary>
    public static string MetricName(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name) sb.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':' ? c : '_');
        if (sb.Length > 0 && char.IsAsciiDigit(sb[0])) sb.Insert(0, '_');
        return sb.ToString();
    }

    private static string Format(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

    private static string Escape(string v) => v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private enum SeriesKind { Counter, Gauge, Histogram }

    private sealed class Series(Instrument instrument)
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, Point> _points = new(StringComparer.Ordinal);

        private readonly SeriesKind _kind = instrument switch
        {
            Counter<long> or Counter<int> or Counter<double> or Counter<float> or Counter<short> or Counter<byte> or Counter<decimal>
                or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> or ObservableCounter<float> => SeriesKind.Counter,
            Histogram<long> or Histogram<int> or Histogram<double> or Histogram<float> or Histogram<short> or Histogram<byte> or Histogram<decimal> => SeriesKind.Histogram,
            _ => SeriesKind.Gauge,
        };

        private readonly bool _observable = instrument.IsObservable;

        public string Name { get; } = MetricName(instrument.Name);

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = Labels(tags);
            lock (_gate)
            {
                if (!_points.TryGetValue(labels, out var p)) _points[labels] = p = new Point(_kind == SeriesKind.Histogram ? new long[DefaultBuckets.Length] : null);
                switch (_kind)
                {
                    case SeriesKind.Histogram:
                        p.Sum += value;
                        p.Count++;
                        for (var i = 0; i < DefaultBuckets.Length; i++) if (value <= DefaultBuckets[i]) p.Buckets![i]++;
                        break;
                    case SeriesKind.Counter when !_observable:
                        p.Sum += value;
                        break;
                    case SeriesKind.Gauge when instrument is UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double> or UpDownCounter<float>:
                        p.Sum += value;
                        break;
                    default:
                        // Observable instruments report the current value (cumulative for observable counters).
                        p.Sum = value;
                        break;
                }
            }
        }

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0) return "";
            var sorted = tags.ToArray();
            Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return string.Join(",", sorted.Select(t => $"{MetricName(t.Key)}=\"{Escape(Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "")}\""));
        }

        public void Write(StringBuilder sb)
        {
            lock (_gate)
            {
                if (_points.Count == 0) return;
                var name = _kind == SeriesKind.Counter && !Name.EndsWith("_total", StringComparison.Ordinal) ? Name + "_total" : Name;
                var baseName = _kind == SeriesKind.Counter ? name[..^"_total".Length] : name;
                if (!string.IsNullOrEmpty(instrument.Description)) sb.Append("# HELP ").Append(baseName).Append(' ').Append(instrument.Description.Replace("\n", " ", StringComparison.Ordinal)).Append('\n');
                sb.Append("# TYPE ").Append(baseName).Append(' ').Append(_kind switch { SeriesKind.Counter => "counter", SeriesKind.Histogram => "histogram", _ => "gauge" }).Append('\n');
                foreach (var (labels, p) in _points.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (_kind != SeriesKind.Histogram)
                    {
                        sb.Append(name);
                        if (labels.Length > 0) sb.Append('{').Append(labels).Append('}');
                        sb.Append(' ').Append(Format(p.Sum)).Append('\n');
                        continue;
                    }
                    var sep = labels.Length > 0 ? labels + "," : "";
                    for (var i = 0; i < DefaultBuckets.Length; i++)
                        sb.Append(name).Append("_bucket{").Append(sep).Append("le=\"").Append(Format(DefaultBuckets[i])).Append("\"} ").Append(p.Buckets![i]).Append('\n');
                    sb.Append(name).Append("_bucket{").Append(sep).Append("le=\"+Inf\"} ").Append(p.Count).Append('\n');
                    var suffix = labels.Length > 0 ? "{" + labels + "}" : "";
                    sb.Append(name).Append("_sum").Append(suffix).Append(' ').Append(Format(p.Sum)).Append('\n');
                    sb.Append(name).Append("_count").Append(suffix).Append(' ').Append(p.Count).Append('\n');
                }
            }
        }
    }

    private sealed class Point(long[]? buckets)
    {
        public double Sum;
        public long Count;
        public long[]? Buckets = buckets;
    }
}
