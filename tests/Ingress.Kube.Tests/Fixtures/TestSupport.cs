using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Ingress.Kube.Tests.Fixtures;

public static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails after a generous timeout (CPU is shared).</summary>
    public static async Task HoldsAsync(Func<bool> condition, string what, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }
}

public static class Objects
{
    public static JsonObject ConfigMap(string ns, string name, Dictionary<string, string>? labels = null, Dictionary<string, string>? data = null)
    {
        var meta = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (labels is not null) meta["labels"] = new JsonObject(labels.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value)));
        var o = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = meta };
        if (data is not null) o["data"] = new JsonObject(data.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value)));
        return o;
    }

    public static JsonObject Widget(string ns, string name, string spec = "a")
    {
        return new JsonObject
        {
            ["apiVersion"] = "example.dev/v1",
            ["kind"] = "Widget",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["spec"] = new JsonObject { ["value"] = spec },
        };
    }

    public static readonly Ingress.Kube.Client.ResourceDescriptor Widgets = new("example.dev", "v1", "widgets", true, "Widget");
}

public sealed record LogEntry(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Scope, IReadOnlyDictionary<string, object?> State, Exception? Exception);

/// <summary>Captures log lines with their scopes' key/values.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();
    private readonly AsyncLocal<ImmutableStack<object>> _scopes = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void Dispose() { }

    private sealed class ImmutableStack<T>(T head, ImmutableStack<T>? tail)
    {
        public T Head => head;
        public ImmutableStack<T>? Tail => tail;
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable BeginScope<TState>(TState state) where TState : notnull
        {
            var previous = owner._scopes.Value;
            owner._scopes.Value = new ImmutableStack<object>(state, previous);
            return new Pop(() => owner._scopes.Value = previous!);
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, object?>();
            for (var s = owner._scopes.Value; s is not null; s = s.Tail)
            {
                if (s.Head is IEnumerable<KeyValuePair<string, object?>> kvs)
                {
                    foreach (var kv in kvs) scope.TryAdd(kv.Key, kv.Value);
                }
            }
            var fields = new Dictionary<string, object?>();
            if (state is IEnumerable<KeyValuePair<string, object?>> st)
            {
                foreach (var kv in st) fields[kv.Key] = kv.Value;
            }
            owner.Entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception), scope, fields, exception));
        }
    }

    private sealed class Pop(Action a) : IDisposable
    {
        public void Dispose() => a();
    }
}

/// <summary>Records measurements of the Ingress.Kube meter.</summary>
public sealed class MetricCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    public ConcurrentQueue<(string Name, double Value, Dictionary<string, object?> Tags)> Measurements { get; } = new();

    public MetricCollector()
    {
        _listener.InstrumentPublished = (i, l) => { if (i.Meter.Name == Ingress.Kube.Diagnostics.KubeMetrics.MeterName) l.EnableMeasurementEvents(i); };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private void Record(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var d = new Dictionary<string, object?>();
        foreach (var t in tags) d[t.Key] = t.Value;
        Measurements.Enqueue((i.Name, v, d));
    }

    public double Sum(string name, Func<Dictionary<string, object?>, bool>? where = null) =>
        Measurements.Where(m => m.Name == name && (where?.Invoke(m.Tags) ?? true)).Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}
