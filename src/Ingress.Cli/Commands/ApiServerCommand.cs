using System.CommandLine;
using Ingress.ApiServer;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Extensions.Logging;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress apiserver</c>: runs the embedded Kubernetes-compatible API server alone until
/// SIGTERM or Ctrl-C.</summary>
public static class ApiServerCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "TCP port (0 picks a free one).", DefaultValueFactory = _ => 8080 };
        var bind = new Option<string>("--bind-address") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory for the write-ahead log; omit to keep everything in memory." };
        var token = new Option<string?>("--token") { Description = "Require this bearer token on every request." };
        var cert = new Option<string?>("--tls-cert") { Description = "Serve HTTPS with this certificate (PFX, or PEM with --tls-key)." };
        var key = new Option<string?>("--tls-key") { Description = "PEM private key for --tls-cert, or the PFX password." };
        var command = new Command("apiserver", "Run the embedded Kubernetes-compatible API server.");
        foreach (var o in new Option[] { port, bind, dataDir, token, cert, key }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var serilog = new LoggerConfiguration().MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning).WriteTo.Console().CreateLogger();
            using var factory = new SerilogLoggerFactory(serilog, dispose: true);
            var options = new ApiServerOptions
            {
                Port = parse.GetValue(port), BindAddress = parse.GetValue(bind)!, DataDirectory = parse.GetValue(dataDir),
                BearerToken = parse.GetValue(token), TlsCertificatePath = parse.GetValue(cert), TlsKeyPathOrPassword = parse.GetValue(key),
            };
            await using var host = new ApiServerHost(options, factory);
            await host.StartAsync(ct);
            factory.CreateLogger("ingress").LogInformation("kubectl --server {Url} get all", host.BaseUri.ToString().TrimEnd('/'));
            try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
            await host.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
