using Microsoft.Extensions.Logging;

namespace Ingress.DataPlane.Hosting;

/// <summary>
/// A logger factory whose real factory is built the first time something is actually logged. Why: building the
/// logging pipeline (Serilog's JSON console sink, its assemblies) costs 5-20 ms of CPU at process start, and
/// queue-proxy logs nothing before its first readiness answer; its first log line comes from the warm-up that
/// follows readiness, which is where the real factory then gets built.
/// <para>Loggers answer <see cref="ILogger.IsEnabled"/> from the minimum level given here without building the real
/// factory: Kestrel checks <c>IsEnabled(Debug)</c> on every connection, and waiting for the real factory there would
/// put it back on the start path. The level given must therefore be the real factory's minimum level.</para>
/// </summary>
public sealed class DeferredLoggerFactory : ILoggerFactory
{
    private readonly Lazy<ILoggerFactory> _inner;
    private readonly LogLevel _minimumLevel;

    /// <param name="create">Builds the real factory; called at most once, on the thread of the first log call.</param>
    /// <param name="minimumLevel">The real factory's minimum level (what <see cref="ILogger.IsEnabled"/> answers from).</param>
    public DeferredLoggerFactory(Func<ILoggerFactory> create, LogLevel minimumLevel)
    {
        _inner = new Lazy<ILoggerFactory>(create, LazyThreadSafetyMode.ExecutionAndPublication);
        _minimumLevel = minimumLevel;
    }

    /// <summary>Whether the real factory has been built (tests, diagnostics).</summary>
    public bool IsCreated => _inner.IsValueCreated;

    public ILogger CreateLogger(string categoryName) => new DeferredLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => _inner.Value.AddProvider(provider);

    /// <summary>Disposes the real factory if it was built (flushing its sinks); builds nothing.</summary>
    public void Dispose()
    {
        if (_inner.IsValueCreated) _inner.Value.Dispose();
    }

    private bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= _minimumLevel;

    private sealed class DeferredLogger(DeferredLoggerFactory factory, string categoryName) : ILogger
    {
        private ILogger? _logger;

        private ILogger Inner => _logger ??= factory._inner.Value.CreateLogger(categoryName);

        /// <summary>Before the real factory exists a scope is not recorded (no factory is built for it). Why: Kestrel
        /// begins a connection-id scope on every accepted connection, the readiness probes' included; building the
        /// factory there would put it back on the start path. What is lost is the connection id on log lines of
        /// connections accepted before the first line was logged (the probes at start, which log nothing).</summary>
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
            _logger is not null || factory.IsCreated ? Inner.BeginScope(state) : null;

        public bool IsEnabled(LogLevel logLevel) => factory.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!factory.IsEnabled(logLevel)) return;
            Inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
