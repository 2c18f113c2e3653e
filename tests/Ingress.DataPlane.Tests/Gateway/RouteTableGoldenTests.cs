using System.Text;
using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Api.Istio.Networking.V1Beta1;
using Ingress.DataPlane.Gateway;

namespace Ingress.DataPlane.Tests.Gateway;

/// <summary>
/// Golden tests of the route matcher: <c>testdata/NAME.yaml</c> holds VirtualServices, <c>NAME.requests.yaml</c>
/// the requests, <c>NAME.golden</c> what each request routes to. <c>UPDATE_GOLDEN=1</c> rewrites the golden file
/// (review the diff before committing).
/// </summary>
public sealed class RouteTableGoldenTests
{
    [Theory]
    [InlineData("knative-ingress")]
    public void RoutesMatchGolden(string name)
    {
        var dir = TestData.Directory;
        var virtualServices = KubeYaml.ParseDocuments(File.ReadAllText(Path.Combine(dir, name + ".yaml")))
            .Select(o => KubeJson.FromNode<VirtualService>(o)).ToList();
        var requests = KubeYaml.ParseDocuments(File.ReadAllText(Path.Combine(dir, name + ".requests.yaml")));
        var tables = new Dictionary<string, RouteTable>();
        var output = new StringBuilder();
        foreach (var row in requests.Single()["requests"]!.AsArray().Select(r => r!.AsArray().Select(c => c!.GetValue<string>()).ToArray()))
        {
            var (gateway, method, host, path, headerText) = (row[0], row[1], row[2], row[3], row[4]);
            if (!tables.TryGetValue(gateway, out var table))
                tables[gateway] = table = RouteTable.Compile(gateway, virtualServices, alsoServeMesh: gateway.EndsWith("/knative-local-gateway", StringComparison.Ordinal));
            var headers = headerText.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(h => h.Split('=', 2))
                .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.OrdinalIgnoreCase);
            var route = table.Match(new GatewayRequest(host, path, method, n => headers.GetValueOrDefault(n)));
            output.Append($"{gateway} {method} {host}{path}{(headerText.Length > 0 ? " [" + headerText + "]" : "")}\n  => {Describe(route, path)}\n");
        }
        TestData.AssertGolden(Path.Combine(dir, name + ".golden"), output.ToString());
    }

    private static string Describe(CompiledRoute? route, string path)
    {
        if (route is null) return "404";
        var sb = new StringBuilder($"{route.VirtualService} http[{route.Index}] ->");
        foreach (var d in route.Destinations)
        {
            sb.Append($" {d.Host}:{d.Port?.ToString() ?? "-"} w={d.Weight}");
            if (!d.Headers.IsEmpty) sb.Append($" set({string.Join(",", d.Headers.Set.Select(kv => kv.Key + "=" + kv.Value))})");
        }
        if (!route.Headers.IsEmpty) sb.Append($"; route set({string.Join(",", route.Headers.Set.Select(kv => kv.Key + "=" + kv.Value))})");
        if (route.AuthorityRewrite is not null) sb.Append($"; authority={route.AuthorityRewrite}");
        if (route.UriRewrite is not null) sb.Append($"; path={route.RewritePath(path)}");
        sb.Append($"; retries={route.Retries.Attempts}{(route.Retries.RetriesConnectFailure ? "+connect" : "")}");
        if (route.Timeout > TimeSpan.Zero) sb.Append($"; timeout={route.Timeout.TotalMilliseconds}ms");
        return sb.ToString();
    }
}

public static class TestData
{
    /// <summary>The source tree's Gateway/testdata (so UPDATE_GOLDEN writes where git sees it).</summary>
    public static string Directory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !System.IO.Directory.Exists(Path.Combine(dir.FullName, "tests", "Ingress.DataPlane.Tests"))) dir = dir.Parent;
            if (dir is null) throw new DirectoryNotFoundException("repository root not found above " + AppContext.BaseDirectory);
            return Path.Combine(dir.FullName, "tests", "Ingress.DataPlane.Tests", "Gateway", "testdata");
        }
    }

    public static void AssertGolden(string path, string actual)
    {
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"golden file {path} missing; run with UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
