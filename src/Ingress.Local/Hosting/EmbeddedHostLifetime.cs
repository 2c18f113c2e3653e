using Microsoft.Extensions.Hosting;

namespace Ingress.Local.Hosting;

/// <summary>
/// The lifetime of a web app embedded in a larger process (a built-in sample replica, the metrics endpoint): it
/// reacts to no signal. The default ConsoleLifetime registers SIGINT/SIGTERM handlers that cancel the signal, and
/// .NET stops at the first handler that cancels, newest first, so an app started after the CLI would swallow
/// Ctrl-C and SIGTERM and <c>ingress up</c> would never hear them. The owner stops these apps itself.
/// </summary>
public sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
