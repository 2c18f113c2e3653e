using System.CommandLine;
using System.Runtime.InteropServices;
using Ingress.DataPlane.Hosting;
using Ingress.DataPlane.QueueProxy;
using Serilog;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Json;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress queue-proxy</c>: runs one queue-proxy configured by the environment variables a Revision's
/// Deployment gives it (QUEUE_SERVING_PORT, USER_PORT, CONTAINER_CONCURRENCY, REVISION_TIMEOUT_SECONDS, ...).
/// SIGTERM drains, then stops.</summary>
public static class QueueProxyCommand
{
    public static Command Create()
    {
        var command = new Command("queue-proxy", "Run a queue-proxy configured by Knative's environment variables (see docs/dataplane.md).");
        command.SetAction((parse, cancellationToken) => RunAsync(parse.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    /// <summary>The verb itself. <see cref="Program.Main"/> calls it directly for a bare <c>ingress queue-proxy</c>
    /// (the verb takes no options), so the start path skips building every verb's parser.</summary>
    public static async Task<int> RunAsync(TextWriter error, CancellationToken cancellationToken)
    {
        DataPlaneProcess.PreferInlineSocketCompletions();
        QueueProxyOptions options;
        try
        {
            options = QueueProxyOptions.FromEnvironment(Environment.GetEnvironmentVariable);
        }
        catch (QueueProxyConfigException ex)
        {
            await error.WriteLineAsync("queue-proxy: " + ex.Message).ConfigureAwait(false);
            return 2;
        }
        // Serilog is built when the first line is logged: the start line, written by the warm-up after the first
        // ready answer. Nothing before readiness logs at Information or above.
        using var loggerFactory = new DeferredLoggerFactory(
            () => DataPlaneProcess.CreateLoggerFactory("queue-proxy", options.Namespace + "/" + options.Revision), DataPlaneProcess.MinimumLevel);
        using var tracing = DataPlaneProcess.StartTracing("queue-proxy", loggerFactory, error);
        await using var server = new QueueProxyServer(options, loggerFactory);
        await server.StartAsync(cancellationToken).ConfigureAwait(false);
        await DataPlaneProcess.WaitForTerminationAsync(cancellationToken).ConfigureAwait(false);
        await server.StopAsync().ConfigureAwait(false);
        return 0;
    }
}

/// <summary>Process set-up shared by the data-plane verbs: logging, socket scheduling, termination signals.</summary>
internal static class DataPlaneProcess
{
    /// <summary>The data-plane verbs log Information and above (a request logs nothing unless it fails).</summary>
    public const LogLevel MinimumLevel = LogLevel.Information;

    /// <summary>JSON lines on stdout with Knative's keys (knative.dev/key, knative.dev/controller-style component).</summary>
    public static SerilogLoggerFactory CreateLoggerFactory(string component, string key)
    {
        var logger = new LoggerConfiguration()
            .MinimumLevel.Information() // = MinimumLevel (a deferred factory answers IsEnabled from that)
            .Enrich.WithProperty("knative.dev/key", key)
            .Enrich.WithProperty("component", component)
            .WriteTo.Console(new JsonFormatter(renderMessage: true))
            .CreateLogger();
        return new SerilogLoggerFactory(logger, dispose: true);
    }

    /// <summary>Lets socket completions run on the epoll threads instead of queueing to the thread pool. Must run
    /// before the first socket is created (the runtime reads it once). Why: a proxy's continuations are short and
    /// never block, and on a 2-core machine the thread-pool hop per read is a large part of a proxy hop's cost.</summary>
    public static void PreferInlineSocketCompletions()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
    }

    /// <summary>Tracing of the proxy spans (<c>queue_proxy</c>, <c>activator_proxy</c>, <c>throttler_try</c>) as the
    /// <c>OBSERVABILITY_CONFIG</c> environment variable asks; null (nothing loaded, nothing listening) when it is off.</summary>
    public static IDisposable? StartTracing(string component, Microsoft.Extensions.Logging.ILoggerFactory loggerFactory, TextWriter error)
    {
        var (config, problem) = Ingress.Local.Hosting.TracingConfig.FromEnvironmentJson(Environment.GetEnvironmentVariable("OBSERVABILITY_CONFIG"));
        if (problem is not null) error.WriteLine($"{component}: tracing off: {problem}");
        if (config.Protocol == Ingress.Local.Hosting.TracingProtocol.None) return null;
        var tracing = new Observability.TracingSetup(component, loggerFactory);
        tracing.Apply(config);
        return tracing;
    }

    /// <summary>Completes on SIGTERM or SIGINT (or when the invocation is cancelled).</summary>
    public static async Task WaitForTerminationAsync(CancellationToken cancellationToken)
    {
        var terminated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(PosixSignalContext context)
        {
            context.Cancel = true;
            terminated.TrySetResult();
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handler);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handler);
        using var registration = cancellationToken.Register(() => terminated.TrySetResult());
        await terminated.Task.ConfigureAwait(false);
    }
}
