using System.Collections.Concurrent;
using Ingress.Kube.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ingress.Local.Hosting;

/// <summary>
/// A logger provider that turns each failed reconcile (an error log inside a controller's reconcile scope) into
/// one line <c>reconcile error &lt;controller&gt; &lt;namespace&gt;/&lt;name&gt;: &lt;message&gt;</c>, written once per
/// distinct line (retries repeat the same failure).
/// </summary>
public sealed class ReconcileErrorCollector(TextWriter output) : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>Lines written so far, in order of first occurrence.</summary>
    public IReadOnlyCollection<string> Lines => _seen.Keys.ToList();

    public ILogger CreateLogger(string categoryName) => new CollectingLogger(this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() { }

    private void Report(string controller, string key, string message)
    {
        var line = $"reconcile error {controller} {key}: {message.ReplaceLineEndings(" ")}";
        if (!_seen.TryAdd(line, 0)) return;
        lock (output) output.WriteLine(line);
    }

    private sealed class CollectingLogger(ReconcileErrorCollector owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Error || exception is null) return;
            string? controller = null, key = null;
            owner._scopes.ForEachScope((scope, _) =>
            {
                if (scope is not IEnumerable<KeyValuePair<string, object?>> pairs) return;
                foreach (var (k, v) in pairs)
                {
                    if (k == KnativeLogKeys.Controller) controller = v?.ToString();
                    else if (k == KnativeLogKeys.Key) key = v?.ToString();
                }
            }, (object?)null);
            if (controller is null || key is null) return;
            owner.Report(controller, key, exception.Message);
        }
    }
}
