using Ingress.Kube.Client;

namespace Ingress.Local.Hosting;

/// <summary>Client settings for controllers talking to an embedded API server in the same process (render, up).</summary>
public static class InProcessClient
{
    /// <summary>For <c>ingress up</c>: 5,000 QPS, burst 10,000. Knative's 50 QPS budget protects a kube-apiserver a
    /// whole cluster shares; this server is ours, on loopback, in this process (at 50 QPS, 100 Services applied at once
    /// waited some 40 s on the bucket alone, docs/perf/local.md). 1,000 QPS still bound a config-domain edit over
    /// 10,000 Routes (~20,000 writes): 20.0 s against 7.5 s at 5,000 QPS in one sitting (docs/perf/serving.md). It keeps
    /// a bound because up's server is also kubectl's, and a controller in a hot loop should not starve it.</summary>
    public static KubeClientOptions Options() => new() { Qps = 5000, Burst = 10000 };

    /// <summary>For <c>ingress render</c>: no client rate limit. Render's API server is in memory, serves nobody else
    /// and lives only for the run, so a token bucket protects nothing and only adds wait: 1,000 Services with three
    /// tags make about 25,000 requests, which at 1,000 QPS is some 25 s of waiting (docs/perf/serving.md).</summary>
    public static KubeClientOptions Render() => new() { Qps = KubeClientOptions.Unlimited };
}
