using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Ingress.DataPlane.Metrics;

/// <summary>
/// Serves the instruments of one <see cref="Meter"/> in Prometheus text format (0.0.4). Counters keep Knative's
/// names (no <c>_total</c> suffix), histograms get <c>_bucket/_sum/_count</c>, observable gauges are read at scrape
/// time. Constant labels (namespace, revision, pod ...) are added to every series. Why our own: prometheus-net and
/// the OTel exporter are not available here, and a listener on our own meter keeps the instruments the single
/// source of truth. The measurement path is lock-free (it runs several times per proxied request).
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
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();

    /// <summary>One series: a sum (counters) or buckets + sum + count (histograms).</summary>
    private sealed class Series(bool histogram)
    {
        public readonly long[]? Buckets = histogram ? new long[LatencyBucketsMs.Length] : null;
        public long Count;
        private double _sum;

        public double Sum => Volatile.Read(ref _sum);

        public void Add(double value)
        {
            double seen, next;
            do
            {
                seen = Volatile.Read(ref _sum);
                next = seen + value;
            }
            while (Interlocked.CompareExchange(ref _sum, next, seen) != seen);
        }
    }

    private readonly record struct TagSet(string? K0, object? V0, string? K1, object? V1, string? K2, object? V2);

    private sealed class InstrumentState(Instrument instrument)
    {
        public readonly Instrument Instrument = instrument;
        public readonly bool IsHistogram = instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal);
        public readonly bool IsObservable = instrument.IsObservable;
        public readonly ConcurrentDictionary<TagSet, (string Key, Series Series)> Series = new();
        /// <summary>The series of the last measurement. Our instruments' tag values come from static tables (status
        /// texts), so consecutive measurements usually carry the very same strings: comparing references is much
        /// cheaper than hashing the tag set into <see cref="Series"/>.</summary>
        public LastSeries? Last;
    }

    private sealed record LastSeries(TagSet Tags, Series Series);

    private static bool SameReferences(in TagSet a, in TagSet b) =>
        ReferenceEquals(a.K0, b.K0) && ReferenceEquals(a.V0, b.V0) && ReferenceEquals(a.K1, b.K1) && ReferenceEquals(a.V1, b.V1)
        && ReferenceEquals(a.K2, b.K2) && ReferenceEquals(a.V2, b.V2);

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
                var state = _instruments.GetOrAdd(instrument, i => new InstrumentState(i));
                if (!state.IsObservable) listener.EnableMeasurementEvents(instrument, state);
            },
        };
        _listener.SetMeasurementEventCallback<long>((_, v, tags, state) => Record((InstrumentState)state!, v, tags));
        _listener.SetMeasurementEventCallback<double>((_, v, tags, state) => Record((InstrumentState)state!, v, tags));
        _listener.SetMeasurementEventCallback<int>((_, v, tags, state) => Record((InstrumentState)state!, v, tags));
        _listener.Start();
    }

    private static TagSet ToTagSet(ReadOnlySpan<KeyValuePair<string, object?>> tags) => new(
        tags.Length > 0 ? tags[0].Key : null, tags.Length > 0 ? tags[0].Value : null,
        tags.Length > 1 ? tags[1].Key : null, tags.Length > 1 ? tags[1].Value : null,
        tags.Length > 2 ? tags[2].Key : null, tags.Length > 2 ? tags[2].Value : null);

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

    private static void Record(InstrumentState state, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // More than three tags does not happen with our instruments; they would share the first three's series.
        var set = ToTagSet(tags);
        Series series;
        var last = Volatile.Read(ref state.Last);
        if (last is not null && SameReferences(last.Tags, set)) series = last.Series;
        else
        {
            if (!state.Series.TryGetValue(set, out var entry))
                entry = state.Series.GetOrAdd(set, (Key(tags), new Series(state.IsHistogram)));
            series = entry.Series;
            Volatile.Write(ref state.Last, new LastSeries(set, series));
        }
        if (series.Buckets is { } buckets)
        {
            var index = Array.BinarySearch(LatencyBucketsMs, value);
            if (index < 0) index = ~index;
            if (index < buckets.Length) Interlocked.Increment(ref buckets[index]);
            Interlocked.Increment(ref series.Count);
        }
        series.Add(value);
    }

    /// <summary>The exposition text of every instrument of the meter.</summary>
    public string Render()
    {
        var observed = new Dictionary<Instrument, Dictionary<string, double>>();
        using (var scrape = new MeterListener())
        {
            scrape.InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, _meter) && instrument.IsObservable) l.EnableMeasurementEvents(instrument);
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
        foreach (var state in _instruments.Values.Where(s => !s.IsObservable && !s.IsHistogram).OrderBy(s => s.Instrument.Name, StringComparer.Ordinal))
            WriteSimple(text, state.Instrument, "counter", state.Series.Values.ToDictionary(e => e.Key, e => e.Series.Sum));
        foreach (var (instrument, series) in observed.OrderBy(p => p.Key.Name, StringComparer.Ordinal))
            WriteSimple(text, instrument, "gauge", series);
        foreach (var state in _instruments.Values.Where(s => s.IsHistogram).OrderBy(s => s.Instrument.Name, StringComparer.Ordinal))
        {
            var name = _prefix + state.Instrument.Name;
            text.Append("# HELP ").Append(name).Append(' ').Append(state.Instrument.Description).Append('\n');
            text.Append("# TYPE ").Append(name).Append(" histogram\n");
            foreach (var (key, series) in state.Series.Values)
            {
                long cumulative = 0;
                for (var b = 0; b < LatencyBucketsMs.Length; b++)
                {
                    cumulative += Volatile.Read(ref series.Buckets![b]);
                    text.Append(name).Append("_bucket{").Append(Labels(key, $"le=\"{LatencyBucketsMs[b].ToString(CultureInfo.InvariantCulture)}\"")).Append("} ").Append(cumulative).Append('\n');
                }
                var count = Volatile.Read(ref series.Count);
                text.Append(name).Append("_bucket{").Append(Labels(key, "le=\"+Inf\"")).Append("} ").Append(count).Append('\n');
                text.Append(name).Append("_sum{").Append(Labels(key, null)).Append("} ").Append(series.Sum.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
                text.Append(name).Append("_count{").Append(Labels(key, null)).Append("} ").Append(count).Append('\n');
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
