using System.Net.Sockets;
using System.Text.Json;

namespace Ingress.DataPlane.QueueProxy;

/// <summary>One container readiness probe as Knative passes it in SERVING_READINESS_PROBE (a Kubernetes
/// <c>Probe</c> in JSON, already resolved to a port number). Exactly one of TCP or HTTP is set.</summary>
public sealed record ReadinessProbeSpec
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; }
    /// <summary>HTTP GET path; null for a TCP probe.</summary>
    public string? HttpPath { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> HttpHeaders { get; init; } = [];
    /// <summary>0 selects Knative's aggressive mode (retry every 50 ms for up to 10 s).</summary>
    public int PeriodSeconds { get; init; }
    /// <summary>Per-attempt timeout when <see cref="PeriodSeconds"/> &gt; 0 (Kubernetes' default is 1 s).</summary>
    public int TimeoutSeconds { get; init; } = 1;
    public int SuccessThreshold { get; init; } = 1;

    public bool IsHttp => HttpPath is not null;

    /// <summary>Knative's default when the user gave none: TCP on the user port.</summary>
    public static ReadinessProbeSpec DefaultTcp(int userPort) => new() { Port = userPort };

    /// <summary>Parses SERVING_READINESS_PROBE: one probe object or an array of them (multi-container).
    /// A port of 0 or absent means the user port, as Knative resolves it.</summary>
    public static IReadOnlyList<ReadinessProbeSpec> ParseJson(string json, int userPort)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Array)
            return root.EnumerateArray().Select(e => ParseOne(e, userPort)).ToList();
        return [ParseOne(root, userPort)];
    }

    private static ReadinessProbeSpec ParseOne(JsonElement probe, int userPort)
    {
        int Int(JsonElement parent, string name, int fallback) =>
            parent.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;
        int Port(JsonElement handler)
        {
            if (!handler.TryGetProperty("port", out var p)) return userPort;
            var port = p.ValueKind == JsonValueKind.Number ? p.GetInt32() : int.TryParse(p.GetString(), out var n) ? n : 0;
            return port == 0 ? userPort : port;
        }
        string Host(JsonElement handler) =>
            handler.TryGetProperty("host", out var h) && h.GetString() is { Length: > 0 } host ? host : "127.0.0.1";

        var spec = new ReadinessProbeSpec
        {
            PeriodSeconds = Int(probe, "periodSeconds", 0),
            TimeoutSeconds = Math.Max(1, Int(probe, "timeoutSeconds", 1)),
            SuccessThreshold = Math.Max(1, Int(probe, "successThreshold", 1)),
        };
        if (probe.TryGetProperty("httpGet", out var http))
        {
            var headers = new List<KeyValuePair<string, string>>();
            if (http.TryGetProperty("httpHeaders", out var hs) && hs.ValueKind == JsonValueKind.Array)
                foreach (var h in hs.EnumerateArray())
                    headers.Add(new(h.GetProperty("name").GetString() ?? "", h.TryGetProperty("value", out var v) ? v.GetString() ?? "" : ""));
            var path = http.TryGetProperty("path", out var pathElement) ? pathElement.GetString() ?? "/" : "/";
            return spec with { Host = Host(http), Port = Port(http), HttpPath = path.StartsWith('/') ? path : "/" + path, HttpHeaders = headers };
        }
        if (probe.TryGetProperty("tcpSocket", out var tcp))
            return spec with { Host = Host(tcp), Port = Port(tcp) };
        if (probe.TryGetProperty("exec", out _) || probe.TryGetProperty("grpc", out _))
            throw new FormatException("only httpGet and tcpSocket readiness probes can be run by queue-proxy");
        return spec with { Port = userPort };
    }
}

/// <summary>
/// Runs the user container's readiness probes the way queue-proxy does: concurrent callers share one in-flight
/// evaluation; all probes must pass; period 0 means "aggressive": retry every 50 ms with a 100 ms attempt timeout
/// until SuccessThreshold consecutive successes or 10 s.
/// </summary>
public sealed class ReadinessProber : IDisposable
{
    /// <summary>Knative's aggressive-mode constants.</summary>
    public static readonly TimeSpan AggressiveInterval = TimeSpan.FromMilliseconds(50);
    public static readonly TimeSpan AggressiveAttemptTimeout = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan AggressiveBudget = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<ReadinessProbeSpec> _probes;
    private readonly Lazy<HttpClient> _http;
    private readonly object _lock = new();
    private Task<bool>? _inFlight;
    private volatile bool _lastResult;

    public ReadinessProber(IReadOnlyList<ReadinessProbeSpec> probes)
    {
        _probes = probes;
        // Like the kubelet: a fresh connection per probe, no redirects followed beyond the status check.
        // Only HTTP probes need a client; TCP probes (Knative's default) keep System.Net.Http off the start path.
        _http = new Lazy<HttpClient>(() => new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.Zero })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        });
    }

    /// <summary>Result of the last completed evaluation.</summary>
    public bool LastResult => _lastResult;

    public Task<bool> ProbeAsync()
    {
        lock (_lock)
        {
            if (_inFlight is { IsCompleted: false }) return _inFlight;
            _inFlight = EvaluateAsync();
            return _inFlight;
        }
    }

    private async Task<bool> EvaluateAsync()
    {
        var results = await Task.WhenAll(_probes.Select(RunAsync)).ConfigureAwait(false);
        var ok = results.All(r => r);
        _lastResult = ok;
        return ok;
    }

    private async Task<bool> RunAsync(ReadinessProbeSpec probe)
    {
        if (probe.PeriodSeconds > 0)
            return await AttemptAsync(probe, TimeSpan.FromSeconds(probe.TimeoutSeconds)).ConfigureAwait(false);
        var start = TimeProvider.System.GetTimestamp();
        var successes = 0;
        while (true)
        {
            if (await AttemptAsync(probe, AggressiveAttemptTimeout).ConfigureAwait(false))
            {
                if (++successes >= probe.SuccessThreshold) return true;
            }
            else successes = 0;
            if (TimeProvider.System.GetElapsedTime(start) >= AggressiveBudget) return false;
            await Task.Delay(AggressiveInterval).ConfigureAwait(false);
        }
    }

    private async Task<bool> AttemptAsync(ReadinessProbeSpec probe, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            if (!probe.IsHttp)
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(probe.Host, probe.Port, cts.Token).ConfigureAwait(false);
                return true;
            }
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{FormatHost(probe.Host)}:{probe.Port}{probe.HttpPath}");
            request.Headers.TryAddWithoutValidation("User-Agent", "kube-probe/1.32");
            foreach (var (name, value) in probe.HttpHeaders) request.Headers.TryAddWithoutValidation(name, value);
            using var response = await _http.Value.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            return status is >= 200 and < 400;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or HttpRequestException or IOException)
        {
            return false;
        }
    }

    private static string FormatHost(string host) => host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;

    public void Dispose()
    {
        if (_http.IsValueCreated) _http.Value.Dispose();
    }
}
