using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Ingress.Benchmarks;

/// <summary>
/// Open-loop constant-rate HTTP load generator for proxy latency: requests are scheduled at fixed intervals
/// (t0 + i / rate) whatever the responses do, and each latency is measured from its scheduled time, so a stall
/// shows up in the percentiles instead of silently lowering the rate (no coordinated omission).
/// Usage (see bench/scripts/proxy-bench.sh): <c>latency --target NAME=URL ... --rate 1000 --duration 10 --warmup 3 [--host H]</c>.
/// </summary>
public static class ProxyLoadGenerator
{
    /// <summary>Entry for the bench scripts: <c>latency ...</c> or <c>startup ...</c>.</summary>
    public static Task<int> MainAsync(string[] args) => args.Length > 0 && args[0] == "startup"
        ? StartupAsync(args)
        : RunAsync(args);

    /// <summary>
    /// Time from process start (exec) to the first 200 of a readiness probe (<c>User-Agent: kube-probe/…</c>,
    /// <c>K-Network-Probe: queue</c>), polling every millisecond over fresh connections, and the CPU time (user +
    /// system, all threads) the process had used by then.
    /// <para><c>startup --url U --runs N [--build NAME=EXE[;VAR=value...]]... -- ARGS...</c>: every build is started
    /// with ARGS (e.g. <c>queue-proxy</c>), the current environment plus its own variables; an EXE ending in
    /// <c>.dll</c> is started through the <c>dotnet</c> muxer. Builds are <b>interleaved run by run</b> (A B C A B C …,
    /// the order rotating each run) so that every build sees the same minutes of a shared machine. Prints each run,
    /// then per build the median wall and CPU time and the median over runs of the ratio to the first build measured
    /// in the same run. Without <c>--build</c>, the command after <c>--</c> is the only build (the old form).</para>
    /// </summary>
    public static async Task<int> StartupAsync(string[] args)
    {
        string Arg(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var url = new Uri(Arg("--url", "http://127.0.0.1:8012/"));
        var runs = int.Parse(Arg("--runs", "5"), CultureInfo.InvariantCulture);
        var separator = Array.IndexOf(args, "--");
        var command = separator >= 0 ? args[(separator + 1)..] : [];
        var builds = new List<StartupBuild>();
        for (var i = 0; i + 1 < args.Length && (separator < 0 || i < separator); i++)
            if (args[i] == "--build") builds.Add(StartupBuild.Parse(args[i + 1], command));
        if (builds.Count == 0) builds.Add(new StartupBuild("run", command[0], command[1..], []));

        // One unrecorded start per build first: the generator's own HTTP client gets jitted and every build's files
        // get into the page cache, so the first recorded run is not the odd one out.
        foreach (var build in builds) await StartOnceAsync(build, url).ConfigureAwait(false);

        var wall = builds.ToDictionary(b => b.Name, _ => new List<double>());
        var cpu = builds.ToDictionary(b => b.Name, _ => new List<double>());
        var wallRatio = builds.ToDictionary(b => b.Name, _ => new List<double>());
        var cpuRatio = builds.ToDictionary(b => b.Name, _ => new List<double>());
        for (var run = 0; run < runs; run++)
        {
            var results = new Dictionary<string, (double Wall, double Cpu)>();
            for (var k = 0; k < builds.Count; k++)
            {
                var build = builds[(k + run) % builds.Count];
                var (ms, cpuMs) = await StartOnceAsync(build, url).ConfigureAwait(false);
                results[build.Name] = (ms, cpuMs);
                wall[build.Name].Add(ms);
                cpu[build.Name].Add(cpuMs);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"startup run {run + 1}: {ms:F1} ms, {cpuMs:F1} ms CPU [{build.Name}]"));
            }
            var reference = results[builds[0].Name];
            foreach (var build in builds)
            {
                wallRatio[build.Name].Add(results[build.Name].Wall / reference.Wall);
                cpuRatio[build.Name].Add(results[build.Name].Cpu / reference.Cpu);
            }
        }
        foreach (var build in builds)
        {
            var w = wall[build.Name];
            var ratios = builds.Count > 1
                ? string.Create(CultureInfo.InvariantCulture, $" wall_ratio={Median(wallRatio[build.Name]):F3} cpu_ratio={Median(cpuRatio[build.Name]):F3} (vs {builds[0].Name}, same run)")
                : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"startup {build.Name} median={Median(w):F1} min={w.Min():F1} max={w.Max():F1} cpu_median={Median(cpu[build.Name]):F1}{ratios}"));
        }
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>One executable to start: its name in the output, the file, its arguments and extra environment.</summary>
    private sealed record StartupBuild(string Name, string Executable, string[] Arguments, KeyValuePair<string, string>[] Environment)
    {
        /// <summary><c>NAME=EXE[;VAR=value...]</c>; an EXE ending in .dll runs as <c>dotnet EXE ARGS</c>.</summary>
        public static StartupBuild Parse(string spec, string[] arguments)
        {
            var equals = spec.IndexOf('=', StringComparison.Ordinal);
            var parts = spec[(equals + 1)..].Split(';');
            var environment = parts[1..].Select(p => new KeyValuePair<string, string>(p[..p.IndexOf('=', StringComparison.Ordinal)], p[(p.IndexOf('=', StringComparison.Ordinal) + 1)..])).ToArray();
            var exe = parts[0];
            return exe.EndsWith(".dll", StringComparison.Ordinal)
                ? new StartupBuild(spec[..equals], "dotnet", [exe, .. arguments], environment)
                : new StartupBuild(spec[..equals], exe, arguments, environment);
        }
    }

    private static async Task<(double WallMs, double CpuMs)> StartOnceAsync(StartupBuild build, Uri url)
    {
        var info = new ProcessStartInfo(build.Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in build.Arguments) info.ArgumentList.Add(a);
        foreach (var (name, value) in build.Environment) info.Environment[name] = value;
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(1) };
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(info)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        while (true)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.TryAddWithoutValidation("User-Agent", "kube-probe/1.32");
                request.Headers.TryAddWithoutValidation("K-Network-Probe", "queue");
                using var response = await client.SendAsync(request).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK) break;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (process.HasExited) throw new InvalidOperationException($"{build.Name} exited with {process.ExitCode} before it was ready");
            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(30)) throw new TimeoutException($"{build.Name} never became ready");
            await Task.Delay(1).ConfigureAwait(false);
        }
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var cpuMs = CpuMilliseconds(process.Id);
        process.Kill();
        await process.WaitForExitAsync().ConfigureAwait(false);
        // Let the ports the process held be released before the next start binds them again.
        await Task.Delay(200).ConfigureAwait(false);
        return (ms, cpuMs);
    }

    /// <summary>CPU time all of a process's threads have run so far (Linux schedstat, nanoseconds). Why: on a shared
    /// machine wall time to ready mostly measures the neighbours; the CPU the process needed to get there does not.</summary>
    private static double CpuMilliseconds(int pid)
    {
        double total = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    var fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                    total += long.Parse(fields[0], CultureInfo.InvariantCulture) / 1e6;
                }
                catch (IOException)
                {
                }
            }
        }
        catch (IOException)
        {
        }
        return total;
    }

    /// <summary>
    /// <c>latency --target name=url [--target name=url ...] --rate 1000 --duration 20 --warmup 3 --slice 0.1 [--host H]</c>:
    /// one constant-rate stream whose requests go to one target per time slice, round robin (slice 0.1 s: the first
    /// 100 requests to the first target, the next 100 to the second ...). Every target thus sees the same machine in
    /// the same seconds, which is what makes "added latency over direct" meaningful on a shared, noisy machine; slices
    /// of 1 s were too coarse (one burst of a neighbour's build decided a target's percentiles).
    /// Prints one line per target: <c>name p50=… p90=… p99=… p999=… max=… sent=… errors=…</c> (ms).
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var targets = new List<(string Name, Uri Url)>();
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] != "--target") continue;
            var equals = args[i + 1].IndexOf('=', StringComparison.Ordinal);
            targets.Add((args[i + 1][..equals], new Uri(args[i + 1][(equals + 1)..])));
        }
        if (targets.Count == 0)
        {
            var single = new Uri(Arg("--url", "http://127.0.0.1:8012/"));
            targets.Add((Arg("--name", single.ToString()), single));
        }
        var rate = double.Parse(Arg("--rate", "1000"), CultureInfo.InvariantCulture);
        var duration = TimeSpan.FromSeconds(double.Parse(Arg("--duration", "10"), CultureInfo.InvariantCulture));
        var warmup = TimeSpan.FromSeconds(double.Parse(Arg("--warmup", "3"), CultureInfo.InvariantCulture));
        var slice = TimeSpan.FromSeconds(double.Parse(Arg("--slice", "0.1"), CultureInfo.InvariantCulture));
        var host = Arg("--host", "");

        // One connection pool per target, so a target's connections stay warm across the slices it is not served in.
        var clients = targets.Select(_ => new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            UseCookies = false,
            MaxConnectionsPerServer = 256,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })).ToArray();
        try
        {
            // Warm-up: every target gets the whole warm-up at the full rate (JIT tiers, connection pools).
            for (var t = 0; t < targets.Count; t++)
                await RunPhaseAsync(_ => (clients[t], targets[t].Url), host, rate, warmup, record: null).ConfigureAwait(false);
            var count = (int)(rate * duration.TotalSeconds);
            var latencies = new double[count];
            var ticksPerSlice = slice.TotalSeconds * rate;
            int TargetOf(int i) => (int)(i / ticksPerSlice) % targets.Count;
            var (sent, errors) = await RunPhaseAsync(i => (clients[TargetOf(i)], targets[TargetOf(i)].Url), host, rate, duration, latencies).ConfigureAwait(false);
            for (var t = 0; t < targets.Count; t++)
            {
                var measured = Enumerable.Range(0, sent).Where(i => TargetOf(i) == t && latencies[i] >= 0).Select(i => latencies[i]).Order().ToArray();
                var failed = Enumerable.Range(0, sent).Count(i => TargetOf(i) == t && latencies[i] < 0);
                double P(double q) => measured.Length == 0 ? double.NaN : measured[Math.Min(measured.Length - 1, (int)Math.Ceiling(q * measured.Length) - 1)];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{targets[t].Name} p50={P(0.50):F3} p90={P(0.90):F3} p99={P(0.99):F3} p999={P(0.999):F3} max={P(1.0):F3} sent={measured.Length + failed} errors={failed}"));
            }
            return errors == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
        }
    }

    /// <summary>Paces sends from a dedicated thread (the thread pool is busy completing responses, and a pacing
    /// loop there would fall behind and hide latency). Requests that are due are sent at once; each latency counts
    /// from its scheduled time. A failed request records -1.</summary>
    private static async Task<(int Sent, int Errors)> RunPhaseAsync(Func<int, (HttpMessageInvoker Client, Uri Url)> route, string host, double rate, TimeSpan length, double[]? record)
    {
        var total = (int)(rate * length.TotalSeconds);
        var pending = new Task[total];
        var errors = 0;
        var ticksPerRequest = Stopwatch.Frequency / rate;
        var pacer = new Thread(() =>
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < total; i++)
            {
                var due = start + (long)(i * ticksPerRequest);
                while (true)
                {
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait <= TimeSpan.Zero) break;
                    if (wait > TimeSpan.FromMilliseconds(1.5)) Thread.Sleep(1);
                    else Thread.Yield();
                }
                var (client, url) = route(i);
                pending[i] = SendOneAsync(client, url, host, due, i, record, () => Interlocked.Increment(ref errors));
            }
        }) { IsBackground = true, Name = "pacer", Priority = ThreadPriority.AboveNormal };
        pacer.Start();
        await Task.Run(pacer.Join).ConfigureAwait(false);
        await Task.WhenAll(pending).ConfigureAwait(false);
        return (total, errors);
    }

    private static async Task SendOneAsync(HttpMessageInvoker client, Uri url, string host, long due, int index, double[]? record, Action onError)
    {
        var ok = false;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (host.Length > 0) request.Headers.Host = host;
            using var response = await client.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
            await response.Content.CopyToAsync(Stream.Null).ConfigureAwait(false);
            ok = response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
        }
        if (!ok) onError();
        if (record is not null) record[index] = ok ? Stopwatch.GetElapsedTime(due).TotalMilliseconds : -1;
    }
}
