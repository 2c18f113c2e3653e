using BenchmarkDotNet.Running;

namespace Ingress.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        // local-up: the local mode's end-to-end scenario figures (LocalUpBenchmark), not a BenchmarkDotNet job.
        if (args.Length > 0 && args[0] == "local-up") return LocalUpBenchmark.RunAsync(args[1..]).GetAwaiter().GetResult();
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
