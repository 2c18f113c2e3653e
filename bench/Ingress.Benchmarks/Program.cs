using BenchmarkDotNet.Running;

namespace Ingress.Benchmarks;

public static class Program
{
    /// <summary>BenchmarkDotNet by default; the console modes below run single-shot end-to-end measurements
    /// (seconds each) that BenchmarkDotNet's repetitions would make impractical here.</summary>
    public static int Main(string[] args)
    {
        // Proxy load generator (ProxyLoadGenerator), as bench/scripts/proxy-bench.sh runs it.
        if (args is ["latency" or "startup", ..]) return ProxyLoadGenerator.MainAsync(args).GetAwaiter().GetResult();
        // dotnet run -c Release --project bench/Ingress.Benchmarks -- networking-thousand [rounds]
        if (args is ["networking-thousand", ..]) return NetworkingThousandIngresses.RunAsync(args).GetAwaiter().GetResult();
        if (args is ["serving-scale", ..]) return ServingScale.MainAsync(args).GetAwaiter().GetResult();
        // local-up: the local mode's end-to-end scenario figures (LocalUpBenchmark).
        if (args is ["local-up", ..]) return LocalUpBenchmark.RunAsync(args[1..]).GetAwaiter().GetResult();
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
