using BenchmarkDotNet.Running;

namespace Ingress.Benchmarks;

public static class Program
{
    /// <summary>BenchmarkDotNet by default; <c>latency …</c> and <c>startup …</c> run the proxy load generator
    /// (<see cref="ProxyLoadGenerator"/>) instead, as bench/scripts/proxy-bench.sh does.</summary>
    public static int Main(string[] args)
    {
        if (args is ["latency" or "startup", ..]) return ProxyLoadGenerator.MainAsync(args).GetAwaiter().GetResult();
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
