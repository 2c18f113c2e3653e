using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Ingress.Kube.Client;
using Ingress.Local.Samples;
using Ingress.Local.Up;

namespace Ingress.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/Ingress.Benchmarks -- local-up [runs]</c>: the local mode's end-to-end
/// figures of issue #9, measured as a user sees them (real kubectl, real HTTP through the gateway) against one
/// in-process <see cref="LocalUp"/> (the code <c>ingress up</c> runs). Scenarios take seconds each, so this is a
/// console scenario with medians over runs, not a BenchmarkDotNet job. Each figure comes with a baseline from the
/// same run.
/// </summary>
public static class LocalUpBenchmark
{
    private static readonly ResourceDescriptor KnativeServices = new("serving.knative.dev", "v1", "services", true, "Service");
    private static readonly ResourceDescriptor Deployments = new("apps", "v1", "deployments", true, "Deployment");

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7;
        var manyOnly = args.Contains("--many-only");
        var dataDir = Path.Combine(Path.GetTempPath(), "ingress-up-bench-" + Guid.NewGuid().ToString("N"));
        var httpPort = FreePort();
        await using var up = new LocalUp(new LocalUpOptions { DataDirectory = dataDir, HttpPort = httpPort, LocalHttpPort = FreePort(), ApiPort = 0, MetricsPort = 0 });
        using var stop = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Task.Run(() => up.RunAsync(_ => started.TrySetResult(), stop.Token));
        await Task.WhenAny(started.Task, run);
        if (run.IsFaulted) await run;
        var client = new KubeClient(KubeConnection.FromServer(up.ApiServer), new KubeClientOptions());
        var kubectl = new Kubectl(up.KubeconfigPath, dataDir);
        Console.WriteLine($"ingress up in process, gateway :{httpPort}, {runs} runs per figure, {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        // Short windows so that revisions reach zero in seconds (the cold-start figure needs revisions at zero).
        // --many-only keeps Knative's defaults: with 100 replicas starting on a loaded machine, a 6 s window lets
        // revisions go inactive before their first pod is ready.
        if (!manyOnly) await kubectl.OkAsync("patch", "configmap", "config-autoscaler", "-n", "knative-serving", "--type", "merge",
            "-p", """{"data":{"stable-window":"6s","scale-to-zero-grace-period":"1s"}}""");

        // Warm-up: the first Service pays for JIT of every controller.
        await ApplyAndWaitReadyAsync(kubectl, client, dataDir, ["warmup"]);

        var applyToReady = new List<double>();
        if (!manyOnly)
        {
            // 1. kubectl apply of helloworld → Ready. Baseline: kubectl apply of a ConfigMap (kubectl's own cost).
            var kubectlOnly = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                applyToReady.Add(await ApplyAndWaitReadyAsync(kubectl, client, dataDir, [$"hello-{i}"]));
                var cm = Path.Combine(dataDir, $"cm-{i}.yaml");
                await File.WriteAllTextAsync(cm, $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}, namespace: default}}\ndata: {{a: b}}\n");
                var sw = Stopwatch.StartNew();
                await kubectl.OkAsync("apply", "-f", cm);
                kubectlOnly.Add(sw.Elapsed.TotalMilliseconds);
            }
            Report("kubectl apply helloworld → Ready", applyToReady, "kubectl apply of a ConfigMap", kubectlOnly);

            // 2. Cold start through the activator: every hello-i is at zero after the stable window + grace period.
            await WaitAsync(async () =>
            {
                var list = await client.Dynamic(Deployments).ListAsync("default");
                return list.Items.Where(d => d["metadata"]!["name"]!.GetValue<string>().StartsWith("hello-", StringComparison.Ordinal))
                    .All(d => d["spec"]?["replicas"]?.GetValue<int>() == 0 && (d["status"]?["replicas"]?.GetValue<int>() ?? 0) == 0);
            }, TimeSpan.FromMinutes(3));
            var cold = new List<double>();
            var warm = new List<double>();
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
            for (var i = 0; i < runs; i++)
            {
                var host = $"hello-{i}.default.example.com";
                cold.Add(await TimedGetAsync(http, httpPort, host));
                warm.Add(await TimedGetAsync(http, httpPort, host));
            }
            // The app's own start: the same built-in sample started and answering, without any of the system.
            var appStart = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var port = FreePort();
                var sw = Stopwatch.StartNew();
                await using var app = SampleApps.TryCreate("helloworld-go", new Dictionary<string, string> { ["TARGET"] = "bench" }, port, IPAddress.Loopback)!;
                await app.StartAsync();
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/");
                appStart.Add(sw.Elapsed.TotalMilliseconds);
            }
            Report("cold request through the activator", cold, "warm request, same revision", warm);
            Report("app's own start (built-in helloworld-go)", appStart, null, null);
            Console.WriteLine($"  cold start beyond the app's own start (p50 cold − p50 app start): {Median(cold) - Median(appStart):F0} ms (target ≤ 300 ms)");
        }

        // 3. 100 Services in one kubectl apply, all Ready. Baseline: one Service (figure 1's median).
        if (applyToReady.Count == 0) applyToReady.Add(await ApplyAndWaitReadyAsync(kubectl, client, dataDir, ["hello-single"]));
        var names = Enumerable.Range(0, 100).Select(i => $"many-{i}").ToArray();
        var all = await ApplyAndWaitReadyAsync(kubectl, client, dataDir, names, TimeSpan.FromMinutes(5));
        Console.WriteLine($"100 Services applied at once → all Ready: {all / 1000:F1} s (target ≤ 20 s); one Service (p50 above): {Median(applyToReady):F0} ms; ratio {all / Median(applyToReady):F0}×");
        Console.WriteLine($"load average at the end: {LoadAverage()}");

        await stop.CancelAsync();
        try { await run; } catch (OperationCanceledException) { }
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        return 0;
    }

    private static async Task<double> ApplyAndWaitReadyAsync(Kubectl kubectl, KubeClient client, string dataDir, string[] names, TimeSpan? deadline = null)
    {
        var file = Path.Combine(dataDir, names[0] + "-set.yaml");
        var yaml = new StringBuilder();
        foreach (var name in names)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"""
                apiVersion: serving.knative.dev/v1
                kind: Service
                metadata: {"{"}name: {name}, namespace: default{"}"}
                spec:
                  template:
                    spec:
                      containers:
                      - image: ghcr.io/knative/helloworld-go:latest
                        env: [{"{"}name: TARGET, value: {name}{"}"}]
                ---

                """);
        }
        await File.WriteAllTextAsync(file, yaml.ToString());
        var wanted = names.ToHashSet(StringComparer.Ordinal);
        var sw = Stopwatch.StartNew();
        await kubectl.OkAsync("apply", "-f", file);
        var lastReported = -1;
        await WaitAsync(async () =>
        {
            var list = await client.Dynamic(KnativeServices).ListAsync("default");
            var ready = list.Items.Count(s => wanted.Contains(s["metadata"]!["name"]!.GetValue<string>()) && IsReady(s));
            if (wanted.Count > 1 && ready / 10 != lastReported / 10)
            {
                lastReported = ready;
                Console.WriteLine($"  {ready}/{wanted.Count} Ready after {sw.Elapsed.TotalSeconds:F1} s");
            }
            return ready == wanted.Count;
        }, deadline ?? TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(names.Length > 1 ? 100 : 5), async () =>
        {
            var list = await client.Dynamic(KnativeServices).ListAsync("default");
            return string.Join("\n", list.Items.Where(s => wanted.Contains(s["metadata"]!["name"]!.GetValue<string>()) && !IsReady(s)).Take(3)
                .Select(s => s["metadata"]!["name"] + ": " + s["status"]?.ToJsonString()));
        });
        return sw.Elapsed.TotalMilliseconds;
    }

    private static bool IsReady(JsonObject service) =>
        service["status"]?["observedGeneration"]?.GetValue<long>() == service["metadata"]?["generation"]?.GetValue<long>()
        && (service["status"]?["conditions"] as JsonArray ?? []).Any(c => c?["type"]?.GetValue<string>() == "Ready" && c["status"]?.GetValue<string>() == "True");

    private static async Task<double> TimedGetAsync(HttpClient http, int port, string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/");
        request.Headers.Host = host;
        var sw = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var elapsed = sw.Elapsed.TotalMilliseconds;
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{host}: {(int)response.StatusCode} {body}");
        return elapsed;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan deadline, TimeSpan? period = null, Func<Task<string>>? state = null)
    {
        var until = Stopwatch.StartNew();
        while (!await condition())
        {
            if (until.Elapsed > deadline)
                throw new TimeoutException("condition not met within " + deadline + (state is null ? "" : "; not ready: " + await state()));
            await Task.Delay(period ?? TimeSpan.FromMilliseconds(200));
        }
    }

    private static void Report(string what, List<double> values, string? baseline, List<double>? baselineValues)
    {
        var line = $"{what}: p50 {Median(values):F0} ms (min {values.Min():F0}, max {values.Max():F0}, n={values.Count})";
        if (baseline is not null && baselineValues is not null)
            line += $"; baseline {baseline}: p50 {Median(baselineValues):F0} ms; ratio {Median(values) / Median(baselineValues):F1}×";
        Console.WriteLine(line);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private sealed class Kubectl(string kubeconfig, string home)
    {
        public async Task OkAsync(params string[] args)
        {
            var psi = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("--cache-dir");
            psi.ArgumentList.Add(Path.Combine(home, "kubectl-cache"));
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.Environment["KUBECONFIG"] = kubeconfig;
            psi.Environment["HOME"] = home;
            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            await stdout;
            if (process.ExitCode != 0) throw new InvalidOperationException($"kubectl {string.Join(' ', args)}: {await stderr}");
        }
    }
}
