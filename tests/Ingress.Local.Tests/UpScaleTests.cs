using Ingress.Autoscaling;

namespace Ingress.Local.Tests;

/// <summary>
/// The autoscaling tutorials against <c>ingress up</c>, end to end: kubectl applies the examples, config-autoscaler's
/// windows are shortened with kubectl (stable window 6 s, the minimum; grace period 1 s) so that each phase takes
/// seconds, and real HTTP goes through the local gateway, the activator and the replicas' queue-proxies. Every
/// wait is on an observable condition with a deadline of two minutes.
/// </summary>
public class UpScaleTests
{
    private static async Task<(bool, string)> ScaledToZeroAsync(UpHarness h, string revision)
    {
        var replicas = await h.KubectlOkAsync("get", "deployment", revision + "-deployment", "-o", "jsonpath={.spec.replicas}");
        var pods = (await h.KubectlOkAsync("get", "pods", "-l", "serving.knative.dev/revision=" + revision, "-o", "name")).Trim();
        var mode = await h.KubectlOkAsync("get", "sks", revision, "-o", "jsonpath={.spec.mode}");
        var running = h.Up.Runner.ReplicasOf($"default/{revision}-deployment").Count;
        return (replicas == "0" && pods.Length == 0 && mode == "Proxy" && running == 0,
            $"replicas={replicas} pods=[{pods}] sks mode={mode} replicas running here={running}");
    }

    [Fact]
    public async Task HelloworldScalesToZeroAndTheFirstRequestStartsItAgainThroughTheActivator()
    {
        await using var h = await UpHarness.StartAsync();
        // Local mode seeds scale to zero on (Knative's default) now that the activator runs.
        Assert.Equal("true", await h.KubectlOkAsync("get", "configmap", "config-autoscaler", "-n", "knative-serving", "-o", "jsonpath={.data.enable-scale-to-zero}"));
        await h.ShortenAutoscalerWindowsAsync();
        await h.KubectlOkAsync("apply", "-f", "examples/helloworld-go/");
        await h.KubectlOkAsync("wait", "--for=condition=Ready", "ksvc/helloworld-go", "--timeout=120s");
        Assert.Equal((200, "Hello Go Sample v1!\n"), await h.GetAsync("helloworld-go.default.example.com"));

        // Idle for a stable window, then the grace period: the Deployment goes to 0, the pod and its process go,
        // and the ServerlessService proxies through the activator.
        await UpHarness.EventuallyAsync(() => ScaledToZeroAsync(h, "helloworld-go-00001"), "helloworld-go-00001 at zero");
        // A Service at zero is still Ready (the revision is only inactive), as in Knative.
        await UpHarness.EventuallyAsync(async () =>
        {
            var ready = await h.KubectlOkAsync("get", "ksvc", "helloworld-go", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}");
            return (ready == "True", "ksvc Ready=" + ready);
        }, "helloworld-go Ready at zero");
        // The revision's public Endpoints (what the gateway resolves) now name the activator.
        var publicPort = await h.KubectlOkAsync("get", "endpoints", "helloworld-go-00001", "-o", "jsonpath={.subsets[0].ports[?(@.name==\"http\")].port}");
        Assert.Equal(h.Up.Activator.HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), publicPort);
        var publicIp = await h.KubectlOkAsync("get", "endpoints", "helloworld-go-00001", "-o", "jsonpath={.subsets[0].addresses[0].ip}");
        Assert.Equal("127.0.0.1", publicIp);

        // One request at zero: the activator holds it, pokes the autoscaler, the runner starts a replica, and the
        // same request is answered. No retry here: the first request must succeed.
        Assert.Equal((200, "Hello Go Sample v1!\n"), await h.GetAsync("helloworld-go.default.example.com", timeout: TimeSpan.FromSeconds(90)));
        var held = h.Up.Activator.FindRevision(new DataPlane.Activator.RevisionKey("default", "helloworld-go-00001"));
        Assert.NotNull(held);
        Assert.NotEmpty(await h.KubectlOkAsync("get", "pods", "-l", "serving.knative.dev/revision=helloworld-go-00001", "-o", "name"));

        // And back to zero once idle again.
        await UpHarness.EventuallyAsync(() => ScaledToZeroAsync(h, "helloworld-go-00001"), "helloworld-go-00001 back at zero");
    }

    [Fact]
    public async Task AutoscaleGoStaysWithinMinScaleAndMaxScaleUnderLoad()
    {
        await using var h = await UpHarness.StartAsync();
        await h.ShortenAutoscalerWindowsAsync();
        // examples/autoscale-go: target 10 concurrent requests per pod, minScale 1, maxScale 3.
        await h.KubectlOkAsync("apply", "-f", "examples/autoscale-go/");
        await h.KubectlOkAsync("wait", "--for=condition=Ready", "ksvc/autoscale-go", "--timeout=120s");
        const string host = "autoscale-go.default.example.com";
        var (status, body) = await h.GetAsync(host, "/?sleep=10&prime=100");
        Assert.Equal(200, status);
        Assert.Contains("Slept for", body, StringComparison.Ordinal);

        var key = new RevisionKey("default", "autoscale-go-00001");
        int? Wanted() => h.Up.Autoscaling.Runtime.Scaler.Get(key)?.DesiredScale;
        async Task<(int Replicas, int Pods)> ScaleAsync()
        {
            var replicas = await h.KubectlOkAsync("get", "deployment", "autoscale-go-00001-deployment", "-o", "jsonpath={.spec.replicas}");
            var pods = (await h.KubectlOkAsync("get", "pods", "-l", "serving.knative.dev/revision=autoscale-go-00001", "-o", "name"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            return (int.Parse(replicas, System.Globalization.CultureInfo.InvariantCulture), pods);
        }

        // 40 clients, each request sleeping 500 ms in the app: about 40 in flight, so with target 10 × 70 % the
        // autoscaler wants 6 pods; maxScale caps the Deployment at 3.
        using var load = new CancellationTokenSource();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var completed = 0;
        var clients = Enumerable.Range(0, 40).Select(_ => Task.Run(async () =>
        {
            while (!load.IsCancellationRequested)
            {
                var (s, b) = await h.GetAsync(host, "/?sleep=500", TimeSpan.FromSeconds(90));
                if (s == 200) Interlocked.Increment(ref completed);
                else if (!load.IsCancellationRequested) failures.Add($"{s} {b}");
            }
        })).ToList();
        try
        {
            await UpHarness.EventuallyAsync(async () =>
            {
                var (replicas, pods) = await ScaleAsync();
                return (replicas == 3 && pods == 3 && Wanted() > 3, $"replicas={replicas} pods={pods} autoscaler wants {Wanted()}");
            }, "autoscale-go at maxScale 3 while the autoscaler wants more");
            // Still capped while the load goes on: the autoscaler keeps asking for more than 3.
            var (r, p) = await ScaleAsync();
            Assert.True(r == 3 && p <= 3, $"replicas={r} pods={p} under load, maxScale 3");
        }
        finally
        {
            await load.CancelAsync();
            await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(120));
        }
        Assert.True(failures.IsEmpty, $"{failures.Count} requests failed under load, e.g. {failures.FirstOrDefault()}");
        Assert.True(completed > 0);

        // Idle: the autoscaler itself wants 0 pods, and minScale keeps one.
        await UpHarness.EventuallyAsync(async () =>
        {
            var (replicas, pods) = await ScaleAsync();
            return (Wanted() == 0 && replicas == 1 && pods == 1, $"replicas={replicas} pods={pods} autoscaler wants {Wanted()}");
        }, "autoscale-go back to minScale 1 while the autoscaler wants 0");
        Assert.Equal(200, (await h.GetAsync(host, "/?sleep=1")).Status);
    }
}
