namespace Ingress.ModelGen;

/// <summary>
/// <c>dotnet run --project tools/Ingress.ModelGen -- [--repo &lt;root&gt;] [--check]</c>: regenerates
/// src/Ingress.Api/Generated from crds/ and schemas/core.yaml; <c>--check</c> only reports differences (exit 1).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string? repo = null;
        var check = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--repo" when i + 1 < args.Length:
                    repo = args[++i];
                    break;
                case "--check":
                    check = true;
                    break;
                default:
                    Console.Error.WriteLine("usage: Ingress.ModelGen [--repo <root>] [--check]");
                    return 2;
            }
        }
        try
        {
            var root = Path.GetFullPath(repo ?? ModelGenerator.FindRepoRoot(Directory.GetCurrentDirectory()));
            var generated = ModelGenerator.Generate(root);
            var differences = ModelGenerator.Differences(generated, ModelGenerator.ReadCommitted(root));
            if (check)
            {
                differences.ForEach(Console.WriteLine);
                Console.WriteLine(differences.Count == 0
                    ? $"{generated.Count} generated files up to date"
                    : $"{differences.Count} of the generated files are out of date; run: dotnet run --project tools/Ingress.ModelGen -- --repo .");
                return differences.Count == 0 ? 0 : 1;
            }
            foreach (var line in differences)
            {
                var path = line[(line.IndexOf(' ', StringComparison.Ordinal) + 1)..];
                var full = Path.Combine(root, path);
                if (line.StartsWith("stale:", StringComparison.Ordinal))
                {
                    File.Delete(full);
                }
                else
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                    File.WriteAllText(full, generated[path]);
                }
                Console.WriteLine(line);
            }
            Console.WriteLine($"{generated.Count} generated files, {differences.Count} changed");
            return 0;
        }
        catch (GeneratorException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
