namespace Ingress.ModelGen;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: ModelGen (not yet implemented)");
        return 1;
    }
}
