using System.CommandLine;
using Ingress.DataPlane.Activator;
using Microsoft.Extensions.Logging;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress activator</c>: runs the activator. Until the Kubernetes adapter (Endpoints and
/// ServerlessService watch) exists, revisions and their queue-proxy addresses are given on the command line.</summary>
public static class ActivatorCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "HTTP/1.1 + h2c port (Knative: 8012).", DefaultValueFactory = _ => 8012 };
        var h2cPort = new Option<int>("--h2c-port") { Description = "h2c port (Knative: 8013).", DefaultValueFactory = _ => 8013 };
        var revisions = new Option<string[]>("--revision")
        {
            Description = "A revision and its queue-proxy addresses: <namespace>/<name>=<ip:port>[,<ip:port>...] (repeatable; no addresses = at zero).",
            AllowMultipleArgumentsPerToken = false,
        };
        var cc = new Option<int>("--container-concurrency") { Description = "containerConcurrency of the given revisions (0 = unlimited).", DefaultValueFactory = _ => 0 };
        var h2c = new Option<bool>("--h2c") { Description = "The given revisions speak h2c (port name h2c)." };
        var timeout = new Option<int>("--timeout-seconds") { Description = "The revisions' timeoutSeconds.", DefaultValueFactory = _ => 300 };
        var autoscaler = new Option<string>("--autoscaler-url")
        {
            Description = "Where concurrency stats go (WebSocket).",
            DefaultValueFactory = _ => "ws://autoscaler.knative-serving.svc.cluster.local:8080",
        };
        var podName = new Option<string>("--pod-name") { Description = "This activator's pod name (env POD_NAME).", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("POD_NAME") ?? "activator" };

        var command = new Command("activator", "Run the activator (scale from zero, capacity-aware load balancing).");
        foreach (var option in new Option[] { port, h2cPort, revisions, cc, h2c, timeout, autoscaler, podName }) command.Options.Add(option);
        command.SetAction(async (parse, cancellationToken) =>
        {
            DataPlaneProcess.PreferInlineSocketCompletions();
            var backends = new InMemoryRevisionBackends();
            foreach (var spec in parse.GetValue(revisions) ?? [])
            {
                if (!TryParseRevision(spec, out var key, out var addresses))
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"activator: --revision \"{spec}\" is not <namespace>/<name>=<ip:port>,...").ConfigureAwait(false);
                    return 2;
                }
                backends.Set(new RevisionBackend
                {
                    Key = key,
                    ContainerConcurrency = parse.GetValue(cc),
                    PodAddresses = addresses,
                    Protocol = parse.GetValue(h2c) ? DataPlane.Proxy.UpstreamProtocol.Http2 : DataPlane.Proxy.UpstreamProtocol.MatchDownstream,
                    Timeouts = DataPlane.Proxy.RequestTimeouts.Default with { Total = TimeSpan.FromSeconds(parse.GetValue(timeout)) },
                });
            }
            using var loggerFactory = DataPlaneProcess.CreateLoggerFactory("activator", "knative-serving/activator");
            using var tracing = DataPlaneProcess.StartTracing("activator", loggerFactory, parse.InvocationConfiguration.Error);
            await using var sink = new WebSocketStatSink(new Uri(parse.GetValue(autoscaler)!), loggerFactory.CreateLogger("activator"));
            await using var server = new ActivatorServer(new ActivatorOptions
            {
                HttpPort = parse.GetValue(port),
                H2cPort = parse.GetValue(h2cPort),
                PodName = parse.GetValue(podName)!,
            }, backends, sink, loggerFactory);
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
            await DataPlaneProcess.WaitForTerminationAsync(cancellationToken).ConfigureAwait(false);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await server.StopAsync(grace.Token).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    internal static bool TryParseRevision(string spec, out RevisionKey key, out IReadOnlyList<string> addresses)
    {
        key = default;
        addresses = [];
        var equals = spec.IndexOf('=', StringComparison.Ordinal);
        var name = equals < 0 ? spec : spec[..equals];
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == name.Length - 1) return false;
        key = new RevisionKey(name[..slash], name[(slash + 1)..]);
        if (equals >= 0)
            addresses = spec[(equals + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return addresses.All(a => a.Contains(':', StringComparison.Ordinal));
    }
}
