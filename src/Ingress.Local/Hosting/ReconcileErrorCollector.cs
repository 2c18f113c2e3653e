using System.Collections.Concurrent;
using Ingress.Kube.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ingress.Local.Hosting;

/// <summary>
/// A logger provider that follows each controller's reconcile outcomes (the controller's "Reconcile succeeded" and
/// "Reconcile error" events inside its reconcile scope) and, at the end, reports every key whose last reconcile
/// failed as one line <c>reconcile error &lt;controller&gt; &lt;namespace&gt;/&lt;name&gt;: &lt;message&gt;</c>. Only the
/// last outcome counts, so a transient failure that a retry fixed (e.g. two controllers racing to create one
/// object) is not reported.
/// </summary>
public sealed class ReconcileErrorCollector : ILoggerProvider, ISupportExternalScope
{
    // The controller's own event ids (Ingress.Kube.Diagnostics.Log): 10 succeeded, 11 error.
    private const int SucceededEventId = 10;
    private const int ErrorEventId = 11;
    private readonly ConcurrentDictionary<(string Controller, string Key), string?> _last = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>The lines for keys whose last reconcile failed, sorted by controller and key.</summary>
    public IReadOnlyList<string> Lines =>
        _last.Where(kv => kv.Value is not null)
            .OrderBy(kv => kv.Key.Controller, StringComparer.Ordinal).ThenBy(kv => kv.Key.Key, StringComparer.Ordinal)
            .Select(kv => $"reconcile error {kv.Key.Controller} {kv.Key.Key}: {kv.Value!.ReplaceLineEndings(" ")}")
            .ToList();

    public ILogger CreateLogger(string categoryName) => new CollectingLogger(this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose() { }

    private sealed class CollectingLogger(ReconcileErrorCollector owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id is not (SucceededEventId or ErrorEventId)) return;
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
            owner._last[(controller, key)] = eventId.Id == ErrorEventId ? exception?.Message ?? formatter(state, exception) : null;
        }
    }
}
