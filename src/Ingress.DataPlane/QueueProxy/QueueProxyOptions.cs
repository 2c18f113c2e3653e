using System.Globalization;
using System.Net;
using Ingress.DataPlane.Proxy;

namespace Ingress.DataPlane.QueueProxy;

/// <summary>A queue-proxy setting that is missing or malformed; the message names the variable.</summary>
public sealed class QueueProxyConfigException(string message) : Exception(message);

/// <summary>
/// Everything one queue-proxy instance needs. Defaults are Knative's (ports 8012/8013/8022/9090/9091, user port
/// 8080, no concurrency limit, 300 s timeout, 30 s drain quiet period, 1 s reporting). A port of 0 lets the OS
/// choose (tests, local mode); the bound ports are on <see cref="QueueProxyServer"/>.
/// </summary>
public sealed record QueueProxyOptions
{
    public IPAddress ListenAddress { get; init; } = IPAddress.Any;
    public int ServingPort { get; init; } = 8012;
    public int H2cPort { get; init; } = 8013;
    public int AdminPort { get; init; } = 8022;
    public int MetricsPort { get; init; } = 9090;
    public int UserMetricsPort { get; init; } = 9091;

    /// <summary>The user container. Knative always uses 127.0.0.1 (same pod network namespace).</summary>
    public string UserHost { get; init; } = "127.0.0.1";

    /// <summary>Registry the serving ports join so that the gateway and activator of the same process reach them
    /// without a socket (local mode). Null, the default (the <c>queue-proxy</c> verb, a cluster): TCP only.</summary>
    public Hosting.InProcessEndpoints? InProcess { get; init; }
    public int UserPort { get; init; } = 8080;

    /// <summary>containerConcurrency; 0 = unlimited (no breaker).</summary>
    public int ContainerConcurrency { get; init; }

    public RequestTimeouts Timeouts { get; init; } = RequestTimeouts.Default;

    /// <summary>The user container's readiness probes; empty means Knative's default TCP probe on the user port.</summary>
    public IReadOnlyList<ReadinessProbeSpec> ReadinessProbes { get; init; } = [];

    public string PodName { get; init; } = "";
    public string PodIp { get; init; } = "";
    public string Namespace { get; init; } = "";
    public string Service { get; init; } = "";
    public string Configuration { get; init; } = "";
    public string Revision { get; init; } = "";

    /// <summary>Knative drains until 30 s pass without a request: long enough for every gateway and activator to
    /// have noticed the pod went unready. Local mode and tests shorten it.</summary>
    public TimeSpan DrainQuietPeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the autoscaler stat is recomputed (Knative: 1 s; counts in it are per second).</summary>
    public TimeSpan ReportingPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The warm-up (HTTP client, metrics, logging pipeline and the start log line) normally starts once the
    /// first readiness check has been answered 200; when nothing has asked by this delay it starts anyway. 500 ms:
    /// well after a kubelet's first probe would have come, short enough that the first real request finds a warm
    /// process. <see cref="Timeout.InfiniteTimeSpan"/> waits for readiness only (tests).</summary>
    public TimeSpan WarmUpFallbackDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public IReadOnlyList<ReadinessProbeSpec> EffectiveReadinessProbes =>
        ReadinessProbes.Count > 0 ? ReadinessProbes : [ReadinessProbeSpec.DefaultTcp(UserPort)];

    /// <summary>Reads the variables a Revision's Deployment gives queue-proxy. REVISION_TIMEOUT_SECONDS is
    /// required, as in Knative. Ours beyond Knative's: QUEUE_SERVING_H2C_PORT, QUEUE_ADMIN_PORT,
    /// QUEUE_METRICS_PORT, QUEUE_USER_METRICS_PORT, QUEUE_DRAIN_QUIET_PERIOD_SECONDS (local mode runs many
    /// replicas on one machine).</summary>
    public static QueueProxyOptions FromEnvironment(Func<string, string?> env)
    {
        int Port(string name, int fallback)
        {
            var value = env(name);
            if (string.IsNullOrEmpty(value)) return fallback;
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
                throw new QueueProxyConfigException($"{name}: \"{value}\" is not a port number");
            return port;
        }
        int NonNegative(string name, int fallback)
        {
            var value = env(name);
            if (string.IsNullOrEmpty(value)) return fallback;
            if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < 0)
                throw new QueueProxyConfigException($"{name}: \"{value}\" is not a non-negative integer");
            return n;
        }
        var timeoutText = env("REVISION_TIMEOUT_SECONDS");
        if (string.IsNullOrEmpty(timeoutText))
            throw new QueueProxyConfigException("REVISION_TIMEOUT_SECONDS is required");
        var userPort = Port("USER_PORT", 8080);
        var probeJson = env("SERVING_READINESS_PROBE");
        IReadOnlyList<ReadinessProbeSpec> probes = [];
        if (!string.IsNullOrWhiteSpace(probeJson))
        {
            try { probes = ReadinessProbeSpec.ParseJson(probeJson, userPort); }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
            {
                throw new QueueProxyConfigException($"SERVING_READINESS_PROBE: {ex.Message}");
            }
        }
        return new QueueProxyOptions
        {
            ServingPort = Port("QUEUE_SERVING_PORT", 8012),
            H2cPort = Port("QUEUE_SERVING_H2C_PORT", 8013),
            AdminPort = Port("QUEUE_ADMIN_PORT", 8022),
            MetricsPort = Port("QUEUE_METRICS_PORT", 9090),
            UserMetricsPort = Port("QUEUE_USER_METRICS_PORT", 9091),
            UserPort = userPort,
            ContainerConcurrency = NonNegative("CONTAINER_CONCURRENCY", 0),
            Timeouts = new RequestTimeouts(
                TimeSpan.FromSeconds(NonNegative("REVISION_TIMEOUT_SECONDS", 300)),
                TimeSpan.FromSeconds(NonNegative("REVISION_RESPONSE_START_TIMEOUT_SECONDS", 0)),
                TimeSpan.FromSeconds(NonNegative("REVISION_IDLE_TIMEOUT_SECONDS", 0))),
            ReadinessProbes = probes,
            PodName = env("SERVING_POD") ?? "",
            PodIp = env("SERVING_POD_IP") ?? "",
            Namespace = env("SERVING_NAMESPACE") ?? "",
            Service = env("SERVING_SERVICE") ?? "",
            Configuration = env("SERVING_CONFIGURATION") ?? "",
            Revision = env("SERVING_REVISION") ?? "",
            DrainQuietPeriod = TimeSpan.FromSeconds(NonNegative("QUEUE_DRAIN_QUIET_PERIOD_SECONDS", 30)),
        };
    }
}
