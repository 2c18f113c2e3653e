using System.CommandLine;
using System.Runtime.InteropServices;
using Ingress.DataPlane.QueueProxy;
using Serilog;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Json;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress queue-proxy</c>: runs one queue-proxy configured by the environment variables a Revision's
/// Deployment gives it (QUEUE_SERVING_PORT, USER_PORT, CONTAINER_CONCURRENCY, REVISION_TIMEOUT_SECONDS, ...).
/// SIGTERM drains, then stops.</summary>
public static class QueueProxyCommand
{
    public static Command Create()
    {
        var command = new Command("queue-proxy", "Run a queue-proxy configured by Knative's environment variables (see docs/dataplane.md).");
        command.SetAction(async (parse, cancellationToken) =>
        {
            DataPlaneProcess.PreferInlineSocketCompletions();
            QueueProxyOptions options;
            try
            {
                options = QueueProxyOptions.FromEnvironment(Environment.GetEnvironmentVariable);
            }
            catch (QueueProxyConfigException ex)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("queue-proxy: " + ex.Message).ConfigureAwait(false);
                return 2;
            }
            using var loggerFactory = DataPlaneProcess.CreateLoggerFactory("queue-proxy", options.Namespace + "/" + options.Revision);
            await using var server = new QueueProxyServer(options, loggerFactory);
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
            await DataPlaneProcess.WaitForTerminationAsync(cancellationToken).ConfigureAwait(false);
            await server.StopAsync().ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}

/// <summary>Process set-up shared by the data-plane verbs: logging, socket scheduling, termination signals.</summary>
internal static class DataPlaneProcess
{
    /// <summary>JSON lines on stdout with Knative's keys (knative.dev/key, knative.dev/controller-style component).</summary>
    public static SerilogLoggerFactory CreateLoggerFactory(string component, string key)
    {
        var logger = new LoggerConfiguration()
            .MinimumLevel.Information()
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
