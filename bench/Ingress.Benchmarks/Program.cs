using BenchmarkDotNet.Running;

namespace Ingress.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        // Console mode (see NetworkingThousandIngresses): dotnet run -c Release --project bench/Ingress.Benchmarks -- networking-thousand [rounds]
        if (args.Length > 0 && args[0] == "networking-thousand") return NetworkingThousandIngresses.RunAsync(args).GetAwaiter().GetResult();
        // Single-shot end-to-end runs (seconds each) that BenchmarkDotNet's repetitions would make impractical here.
        if (args.FirstOrDefault() == "serving-scale") return ServingScale.MainAsync(args).GetAwaiter().GetResult();
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
