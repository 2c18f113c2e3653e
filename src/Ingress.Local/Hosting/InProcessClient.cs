using Ingress.Kube.Client;

namespace Ingress.Local.Hosting;

/// <summary>Client settings for controllers talking to an embedded API server in the same process (render, up).</summary>
public static class InProcessClient
{
    /// <summary>1,000 QPS, burst 2,000: Knative's 50 QPS budget protects a kube-apiserver a whole cluster shares;
    /// this server is ours, on loopback, in this process. At 50 QPS, 100 Services applied at once (about 2,000
    /// controller writes) waited some 40 s on the client's token bucket alone (docs/perf/local.md).</summary>
    public static KubeClientOptions Options() => new() { Qps = 1000, Burst = 2000 };
}
