using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace Ingress.ApiServer.Tests;

/// <summary>Write-ahead log, snapshots and recovery.</summary>
public sealed class DurabilityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("apiserver-wal-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static StringContent Json(JsonNode n) => new(n.ToJsonString(), Encoding.UTF8, "application/json");

    private async Task<ApiServerHost> StartAsync(int snapshotEvery = 100_000)
    {
        var host = new ApiServerHost(new ApiServerOptions { DataDirectory = _dir, SnapshotEveryRecords = snapshotEvery });
        await host.StartAsync();
        return host;
    }

    [Fact]
    public async Task ObjectsSurviveARestart()
    {
        string uid;
        long rv;
        await using (var host = await StartAsync())
        {
            using var http = new HttpClient { BaseAddress = host.BaseUri };
            var created = JsonNode.Parse(await (await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(TestServer.ConfigMapObject("keep", ("a", "1"))))).Content.ReadAsStringAsync())!;
            uid = created["metadata"]!["uid"]!.ToString();
            await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(TestServer.ConfigMapObject("gone")));
            await http.DeleteAsync("/api/v1/namespaces/default/configmaps/gone");
            rv = host.ResourceVersion;
        }
        await using (var host = await StartAsync())
        {
            using var http = new HttpClient { BaseAddress = host.BaseUri };
            var keep = JsonNode.Parse(await http.GetStringAsync("/api/v1/namespaces/default/configmaps/keep"))!;
            Assert.Equal(uid, keep["metadata"]!["uid"]!.ToString());
            Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/namespaces/default/configmaps/gone")).StatusCode);
            Assert.Equal(rv, host.ResourceVersion);
            // Versions keep increasing after a restart.
            var next = JsonNode.Parse(await (await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(TestServer.ConfigMapObject("after"))))!.Content.ReadAsStringAsync())!;
            Assert.True(long.Parse(next["metadata"]!["resourceVersion"]!.ToString()) > rv);
        }
    }

    [Fact]
    public async Task SnapshotsCompactTheLogAndRecoverEverything()
    {
        await using (var host = await StartAsync(snapshotEvery: 50))
        {
            using var http = new HttpClient { BaseAddress = host.BaseUri };
            for (var i = 0; i < 230; i++)
                Assert.True((await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(TestServer.ConfigMapObject($"s{i}", ("i", i.ToString()))))).IsSuccessStatusCode);
            await TestServer.Eventually(() => Task.FromResult(Directory.GetFiles(_dir, "snap-*.snap").Length > 0), "a snapshot");
        }
        // Compaction: old segments are gone once a snapshot covers them.
        Assert.True(Directory.GetFiles(_dir, "wal-*.log").Length <= 3, string.Join(",", Directory.GetFiles(_dir)));
        await using (var host = await StartAsync())
        {
            using var http = new HttpClient { BaseAddress = host.BaseUri };
            var list = JsonNode.Parse(await http.GetStringAsync("/api/v1/namespaces/default/configmaps"))!;
            Assert.Equal(230, list["items"]!.AsArray().Count);
        }
    }

    [Fact]
    public async Task ATornTailIsTruncatedAndEarlierWritesSurvive()
    {
        using (var server = StartProcess(out var baseUri))
        {
            using var http = new HttpClient { BaseAddress = baseUri };
            Assert.True((await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(TestServer.ConfigMapObject("before-tear")))).IsSuccessStatusCode);
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
        // Simulate a crash in the middle of a record: a length prefix promising more bytes than exist.
        var segment = Directory.GetFiles(_dir, "wal-*.log").OrderBy(p => p, StringComparer.Ordinal).Last();
        var good = new FileInfo(segment).Length;
        Assert.True(good > 0);
        await File.AppendAllBytesAsync(segment, [200, 0, 0, 0, 1, 2, 3, 4, 1, 9, 9]);
        await using (var host = await StartAsync())
        {
            Assert.Equal(good, new FileInfo(segment).Length);
            using var http = new HttpClient { BaseAddress = host.BaseUri };
            Assert.True((await http.GetAsync("/api/v1/namespaces/default/configmaps/before-tear")).IsSuccessStatusCode);
            Assert.True((await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(TestServer.ConfigMapObject("after-tear")))).IsSuccessStatusCode);
        }
        await using (var host = await StartAsync())
        {
            using var http = new HttpClient { BaseAddress = host.BaseUri };
            Assert.True((await http.GetAsync("/api/v1/namespaces/default/configmaps/after-tear")).IsSuccessStatusCode);
            Assert.True((await http.GetAsync("/api/v1/namespaces/default/configmaps/before-tear")).IsSuccessStatusCode);
        }
    }

    [Fact]
    public async Task EveryAcknowledgedWriteSurvivesKillDashNine()
    {
        var acknowledged = new ConcurrentBag<string>();
        using (var server = StartProcess(out var baseUri))
        {
            using var http = new HttpClient { BaseAddress = baseUri };
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var name = $"crash-{w}-{i}";
                    try
                    {
                        var r = await http.PostAsync("/api/v1/namespaces/default/configmaps", Json(TestServer.ConfigMapObject(name, ("w", w.ToString()))));
                        if (r.StatusCode == System.Net.HttpStatusCode.Created) acknowledged.Add(name);
                    }
                    catch (HttpRequestException) { return; }
                    catch (TaskCanceledException) { return; }
                }
            })).ToArray();
            await TestServer.Eventually(() => Task.FromResult(acknowledged.Count >= 300), "a burst of writes");
            server.Kill(entireProcessTree: true); // SIGKILL while writers are still sending
            await server.WaitForExitAsync();
            stop.Cancel();
            await Task.WhenAll(writers);
        }
        await using var host = await StartAsync();
        using var check = new HttpClient { BaseAddress = host.BaseUri };
        var list = JsonNode.Parse(await check.GetStringAsync("/api/v1/namespaces/default/configmaps"))!;
        var stored = list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.ToString()).ToHashSet();
        var missing = acknowledged.Where(n => !stored.Contains(n)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {acknowledged.Count} acknowledged writes lost, e.g. {string.Join(",", missing.Take(5))}");
    }

    private Process StartProcess(out Uri baseUri)
    {
        var dll = typeof(ServerProcess).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(_dir);
        var p = Process.Start(psi)!;
        var readLine = p.StandardOutput.ReadLineAsync();
        if (!readLine.Wait(TimeSpan.FromSeconds(60)) || readLine.Result is not { } line || !line.StartsWith("URL "))
        {
            p.Kill(true);
            throw new InvalidOperationException("server process did not start: " + p.StandardError.ReadToEnd());
        }
        baseUri = new Uri(line[4..]);
        _ = p.StandardError.ReadToEndAsync();
        return p;
    }
}
