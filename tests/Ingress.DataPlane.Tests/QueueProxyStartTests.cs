using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Ingress.DataPlane.Hosting;
using Ingress.DataPlane.QueueProxy;
using Microsoft.Extensions.Logging;

namespace Ingress.DataPlane.Tests;

/// <summary>The queue-proxy start path: what is (not) built before the first ready answer, and what follows it.</summary>
public sealed class QueueProxyStartTests
{
    [Fact]
    public void Deferred_logger_factory_builds_the_real_one_only_when_a_line_is_logged()
    {
        var created = 0;
        var recording = new RecordingLoggerFactory();
        using var factory = new DeferredLoggerFactory(() => { Interlocked.Increment(ref created); return recording; }, LogLevel.Information);
        var logger = factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel");

        // What Kestrel does on every connection: level checks and a connection scope. None of it builds the factory.
        Assert.False(logger.IsEnabled(LogLevel.Debug));
        Assert.False(logger.IsEnabled(LogLevel.None));
        Assert.True(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Critical));
        Assert.Null(logger.BeginScope("connection 1"));
        logger.LogDebug("below the minimum level");
        Assert.False(factory.IsCreated);
        Assert.Equal(0, created);

        logger.LogWarning("first line {Port}", 8012);
        logger.LogInformation("second line");
        Assert.True(factory.IsCreated);
        Assert.Equal(1, created);
        Assert.Equal(
            [("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Warning, "first line 8012"), ("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Information, "second line")],
            recording.Lines.ToArray());
        // Once the real factory exists, scopes reach it.
        using (logger.BeginScope("connection 2")) logger.LogError("inside");
        Assert.Equal("connection 2", recording.LastScope);

        factory.Dispose();
        Assert.True(recording.Disposed);
    }

    [Fact]
    public void Deferred_logger_factory_that_never_logged_builds_nothing_on_dispose()
    {
        var created = 0;
        var factory = new DeferredLoggerFactory(() => { created++; return new RecordingLoggerFactory(); }, LogLevel.Information);
        factory.CreateLogger("queue-proxy").LogDebug("not enabled");
        factory.Dispose();
        Assert.Equal(0, created);
    }

    [Fact]
    public async Task Logging_is_built_after_the_first_ready_answer_and_logs_the_start_line()
    {
        // A free port, left closed: the user container is not up yet, so readiness answers 503.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var userPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var recording = new RecordingLoggerFactory();
        using var loggerFactory = new DeferredLoggerFactory(() => recording, LogLevel.Information);
        var options = new QueueProxyOptions
        {
            ListenAddress = IPAddress.Loopback,
            ServingPort = 0, H2cPort = 0, AdminPort = 0, MetricsPort = 0, UserMetricsPort = 0,
            UserPort = userPort,
            Namespace = "default",
            Revision = "hello-00001",
            ReadinessProbes = [new ReadinessProbeSpec { Port = userPort, PeriodSeconds = 1, TimeoutSeconds = 1 }],
            // Only a ready answer starts the warm-up in this test.
            WarmUpFallbackDelay = Timeout.InfiniteTimeSpan,
        };
        await using var qp = new QueueProxyServer(options, loggerFactory);
        await qp.StartAsync();
        using var client = TestHttp.Http1Client();

        async Task<HttpStatusCode> ReadinessAsync()
        {
            using var probe = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{qp.ServingPort}/");
            probe.Headers.UserAgent.ParseAdd("kube-probe/1.32");
            probe.Headers.Add("K-Network-Probe", "queue");
            using var response = await client.SendAsync(probe);
            return response.StatusCode;
        }

        // Start, connections and unready answers build no logging pipeline: nothing has been logged.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ReadinessAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ReadinessAsync());
        Assert.False(loggerFactory.IsCreated);
        Assert.Empty(recording.Lines);

        listener = new TcpListener(IPAddress.Loopback, userPort);
        listener.Start();
        try
        {
            Assert.Equal(HttpStatusCode.OK, await ReadinessAsync());
            // The warm-up that follows the first ready answer logs the start line, with the bound ports.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (recording.Lines.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(20);
            var (category, level, message) = Assert.Single(recording.Lines);
            Assert.Equal(("queue-proxy", LogLevel.Information), (category, level));
            Assert.StartsWith($"queue-proxy for default/hello-00001 listening: serving {qp.ServingPort}, h2c {qp.H2cPort}, admin {qp.AdminPort}", message, StringComparison.Ordinal);
            Assert.True(loggerFactory.IsCreated);
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Records every line as (category, level, formatted message) and the last scope begun.</summary>
    private sealed class RecordingLoggerFactory : ILoggerFactory
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Lines { get; } = new();
        public object? LastScope { get; private set; }
        public bool Disposed { get; private set; }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();
        public void Dispose() => Disposed = true;

        private sealed class Logger(RecordingLoggerFactory factory, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                factory.LastScope = state;
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                factory.Lines.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}
