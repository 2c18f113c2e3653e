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

    /// <summary>Reads a watch stream line by line into <paramref name="into"/> until the stream ends.</summary>
    private static async Task<Task> OpenWatchAsync(HttpClient http, string path, ConcurrentQueue<JsonObject> into, CancellationToken stop)
    {
        var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        var stream = await response.Content.ReadAsStreamAsync();
        return Task.Run(async () =>
        {
            using var reader = new StreamReader(stream);
            try
            {
                while (await reader.ReadLineAsync(stop) is { } line)
                    if (line.Length > 0) into.Enqueue(JsonNode.Parse(line)!.AsObject());
            }
            catch (IOException) { }
            catch (HttpRequestException) { }
            catch (OperationCanceledException) { }
            finally { response.Dispose(); }
        });
    }

    private static string NameOf(JsonObject watchEvent) => watchEvent["object"]?["metadata"]?["name"]?.ToString() ?? "";

    [Fact]
    public async Task AWatcherSeesAWriteOnlyAfterItIsFsynced()
    {
        using var disk = new ManualResetEventSlim(true);
        await using var host = new ApiServerHost(new ApiServerOptions { DataDirectory = _dir }) { TestWalWriteGate = disk };
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        var events = new ConcurrentQueue<JsonObject>();
        using var stopWatch = new CancellationTokenSource();
        var watch = await OpenWatchAsync(http, $"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={host.ResourceVersion}", events, stopWatch.Token);

        disk.Reset(); // the disk stalls: the next write is applied in memory but not yet fsynced
        var before = host.ResourceVersion;
        var post = http.PostAsync("/api/v1/namespaces/default/configmaps", Json(TestServer.ConfigMapObject("held")));
        await TestServer.Eventually(() => Task.FromResult(host.ResourceVersion > before), "the write to be applied in memory");
        // Nothing after the last fsynced version has been published, so no watcher can have seen the write.
        Assert.True(host.PublishedResourceVersion < host.ResourceVersion);
        Assert.False(post.IsCompleted);
        Assert.DoesNotContain(events, e => NameOf(e) == "held");
        // A list started now waits for the fsync too (it is what an informer's watch would resume from).
        var list = http.GetStringAsync("/api/v1/namespaces/default/configmaps");

        disk.Set();
        using (var created = await post) Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        await TestServer.Eventually(() => Task.FromResult(events.Any(e => NameOf(e) == "held" && e["type"]!.ToString() == "ADDED")), "the ADDED event after the fsync");
        Assert.Contains("\"held\"", await list);
        Assert.Equal(host.ResourceVersion, host.PublishedResourceVersion);
        stopWatch.Cancel();
        await watch;
    }

    [Fact]
    public async Task EveryAcknowledgedWriteSurvivesKillDashNine()
    {
        var acknowledged = new ConcurrentBag<string>();
        var watched = new ConcurrentQueue<JsonObject>();
        using (var server = StartProcess(out var baseUri))
        {
            using var http = new HttpClient { BaseAddress = baseUri };
            using var watchHttp = new HttpClient { BaseAddress = baseUri, Timeout = Timeout.InfiniteTimeSpan };
            using var stop = new CancellationTokenSource();
            var watch = await OpenWatchAsync(watchHttp, "/api/v1/namespaces/default/configmaps?watch=true", watched, stop.Token);
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
            await TestServer.Eventually(() => Task.FromResult(acknowledged.Count >= 300 && !watched.IsEmpty), "a burst of writes, some of them watched");
            server.Kill(entireProcessTree: true); // SIGKILL while writers are still sending
            await server.WaitForExitAsync();
            stop.Cancel();
            await Task.WhenAll(writers);
            await watch;
        }
        await using var host = await StartAsync();
        using var check = new HttpClient { BaseAddress = host.BaseUri };
        var list = JsonNode.Parse(await check.GetStringAsync("/api/v1/namespaces/default/configmaps"))!;
        var stored = list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.ToString()).ToHashSet();
        var missing = acknowledged.Where(n => !stored.Contains(n)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {acknowledged.Count} acknowledged writes lost, e.g. {string.Join(",", missing.Take(5))}");
        // A watcher is never shown a change that the crash lost.
        var seen = watched.Where(e => e["type"]?.ToString() == "ADDED").Select(NameOf).ToList();
        Assert.NotEmpty(seen);
        var phantoms = seen.Where(n => !stored.Contains(n)).ToList();
        Assert.True(phantoms.Count == 0, $"{phantoms.Count} of {seen.Count} watched writes lost, e.g. {string.Join(",", phantoms.Take(5))}");
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
