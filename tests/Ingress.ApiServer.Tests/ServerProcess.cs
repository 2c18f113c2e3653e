using Ingress.ApiServer;

namespace Ingress.ApiServer.Tests;

/// <summary>Entry point used only by the crash test: <c>dotnet Ingress.ApiServer.Tests.dll serve &lt;data-dir&gt;</c>
/// runs a real server process that the test can kill -9. Prints the URL on its first line.</summary>
public static class ServerProcess
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length < 2 || args[0] != "serve") return 2;
        await using var host = new ApiServerHost(new ApiServerOptions { DataDirectory = args[1] });
        await host.StartAsync();
        Console.WriteLine("URL " + host.BaseUri);
        Console.Out.Flush();
        await Task.Delay(Timeout.Infinite);
        return 0;
    }
}
