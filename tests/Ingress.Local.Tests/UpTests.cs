using System.Net;
using System.Net.Sockets;
using Ingress.Local.Up;

namespace Ingress.Local.Tests;

/// <summary>
/// <c>ingress up</c> end to end, as a user runs the tutorial: the real kubectl applies examples/helloworld-go to
/// the embedded API server, the controllers, the local runner and the local gateway take it to Ready (the KIngress
/// prober probes the local gateway for real), and a plain HTTP request with the tutorial's Host header gets the
/// sample's answer through gateway → queue-proxy → app. Then the whole thing shuts down and resumes from its data.
/// </summary>
public class UpTests
{
    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static Task<(int Code, string Out, string Err)> KubectlAsync(string kubeconfig, string home, params string[] args) =>
        UpHarness.RunKubectlAsync(kubeconfig, home, args);

    private static async Task<LocalUp> StartAsync(string dataDir, int httpPort, CancellationToken ct, List<Task> runs)
    {
        var up = new LocalUp(new LocalUpOptions
        {
            DataDirectory = dataDir, HttpPort = httpPort, LocalHttpPort = FreePort(), ApiPort = 0, MetricsPort = 0,
        });
        var started = new TaskCompletionSource();
        runs.Add(Task.Run(() => up.RunAsync(_ => started.TrySetResult(), ct)));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return up;
    }

    private static async Task<string> CurlUntilAsync(int port, string host, Func<string, bool> done)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var last = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/");
                request.Headers.Host = host;
                using var response = await http.SendAsync(request);
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (done(last)) return last;
            }
            catch (HttpRequestException e) { last = e.Message; }
            catch (TaskCanceledException e) { last = e.Message; }
            await Task.Delay(250);
        }
        return last;
    }

    [Fact]
    public async Task HelloworldTutorialRunsUnchangedAndSurvivesARestart()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "ingress-up-" + Guid.NewGuid().ToString("N"));
        var httpPort = FreePort();
        var runs = new List<Task>();
        using (var stop = new CancellationTokenSource())
        {
            await using var up = await StartAsync(dataDir, httpPort, stop.Token, runs);
            Assert.True(File.Exists(up.KubeconfigPath));

            var (code, _, err) = await KubectlAsync(up.KubeconfigPath, dataDir, "apply", "-f", "examples/helloworld-go/");
            Assert.True(code == 0, err);
            (code, _, err) = await KubectlAsync(up.KubeconfigPath, dataDir, "wait", "--for=condition=Ready", "ksvc/helloworld-go", "--timeout=90s");
            Assert.True(code == 0, err);
            var (_, url, _) = await KubectlAsync(up.KubeconfigPath, dataDir, "get", "ksvc", "helloworld-go", "-o", "jsonpath={.status.url}");
            Assert.Equal("http://helloworld-go.default.example.com", url);

            var answer = await CurlUntilAsync(httpPort, "helloworld-go.default.example.com", a => a.StartsWith("200 ", StringComparison.Ordinal));
            Assert.Equal("200 Hello Go Sample v1!\n", answer);
            // The gateway reached the activator or the queue-proxy of this process in memory, not over loopback TCP.
            Assert.True(up.InProcess.OpenedConnections > 0, "no in-process connection was opened");
            // The DomainMapping tutorial: hello.example.org → the helloworld-go Service, through the Route's
            // placeholder Service and the cluster-local gateway, with the host rewritten.
            (code, _, err) = await KubectlAsync(up.KubeconfigPath, dataDir, "apply", "-f", "examples/domain-mapping/");
            Assert.True(code == 0, err);
            (code, _, err) = await KubectlAsync(up.KubeconfigPath, dataDir, "wait", "--for=condition=Ready", "domainmapping/hello.example.org", "--timeout=90s");
            Assert.True(code == 0, err);
            Assert.Equal("200 Hello Go Sample v1!\n", await CurlUntilAsync(httpPort, "hello.example.org", a => a.StartsWith("200 ", StringComparison.Ordinal)));
            // An unknown host has no route: 404, as Istio's gateway answers.
            Assert.StartsWith("404", await CurlUntilAsync(httpPort, "nothing.default.example.com", _ => true));

            await stop.CancelAsync();
            await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(60));
        }

        // Started again on the same data directory: the Service is still there and serves again.
        runs.Clear();
        using (var stop = new CancellationTokenSource())
        {
            await using var up = await StartAsync(dataDir, httpPort, stop.Token, runs);
            var answer = await CurlUntilAsync(httpPort, "helloworld-go.default.example.com", a => a.StartsWith("200 ", StringComparison.Ordinal));
            Assert.Equal("200 Hello Go Sample v1!\n", answer);
            await stop.CancelAsync();
            await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(60));
        }
        Directory.Delete(dataDir, recursive: true);
    }
}
