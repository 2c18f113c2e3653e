using System.Diagnostics;
using System.Text.Json.Nodes;
using Ingress.ApiServer;

namespace Ingress.Kube.Tests.Fixtures;

/// <summary>
/// The real embedded API server, in this process or as a child process that a test can kill -9 and
/// start again on the same data directory. Serves a Widget CRD (example.dev/v1) for the test reconciler.
/// </summary>
public static class ApiServerProcess
{
    public static JsonObject WidgetCrd() => new()
    {
        ["apiVersion"] = "apiextensions.k8s.io/v1",
        ["kind"] = "CustomResourceDefinition",
        ["metadata"] = new JsonObject { ["name"] = "widgets.example.dev" },
        ["spec"] = new JsonObject
        {
            ["group"] = "example.dev",
            ["names"] = new JsonObject { ["kind"] = "Widget", ["plural"] = "widgets", ["singular"] = "widget" },
            ["scope"] = "Namespaced",
            ["versions"] = new JsonArray(new JsonObject
            {
                ["name"] = "v1", ["served"] = true, ["storage"] = true,
                ["subresources"] = new JsonObject { ["status"] = new JsonObject() },
                ["schema"] = new JsonObject { ["openAPIV3Schema"] = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true } },
            }),
        },
    };

    public static async Task<ApiServerHost> StartInProcessAsync(string? dataDirectory = null, int watchHistory = 10_000)
    {
        var host = new ApiServerHost(new ApiServerOptions { DataDirectory = dataDirectory, WatchHistorySize = watchHistory, BookmarkInterval = TimeSpan.FromSeconds(1) });
        host.PreloadCustomResourceDefinitions([WidgetCrd()]);
        await host.StartAsync();
        return host;
    }

    /// <summary>Entry point of the child process: <c>dotnet Ingress.Kube.Tests.dll serve &lt;data-dir&gt;</c>; prints "URL ...".</summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length < 2 || args[0] != "serve") return 2;
        await using var host = await StartInProcessAsync(args[1]);
        Console.WriteLine("URL " + host.BaseUri);
        Console.Out.Flush();
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    /// <summary>Starts the server as a child process; returns it and its URL.</summary>
    public static async Task<(Process Process, Uri Url)> StartChildAsync(string dataDirectory)
    {
        var dll = typeof(ApiServerProcess).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(dataDirectory);
        var p = Process.Start(psi)!;
        _ = p.StandardError.ReadToEndAsync();
        var readLine = p.StandardOutput.ReadLineAsync();
        var line = await readLine.WaitAsync(TimeSpan.FromSeconds(60));
        if (line is null || !line.StartsWith("URL ", StringComparison.Ordinal)) throw new InvalidOperationException($"server process said: {line}");
        _ = Task.Run(async () => { while (await p.StandardOutput.ReadLineAsync() is not null) { } });
        return (p, new Uri(line[4..]));
    }
}
