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
            var files = ModelGenerator.Generate(root);
            var existing = ModelGenerator.ExistingGeneratedFiles(root);
            int written = 0, unchanged = 0, deleted = 0;
            foreach (var (path, content) in files)
            {
                var full = Path.Combine(root, path);
                if (File.Exists(full) && File.ReadAllText(full) == content)
                {
                    unchanged++;
                    continue;
                }
                written++;
                if (check)
                {
                    Console.WriteLine($"differs: {path}");
                    continue;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllText(full, content);
            }
            foreach (var stale in existing.Where(p => !files.ContainsKey(p)))
            {
                deleted++;
                if (check)
                {
                    Console.WriteLine($"stale: {stale}");
                    continue;
                }
                File.Delete(Path.Combine(root, stale));
            }
            Console.WriteLine(check
                ? $"{written} would change, {deleted} stale, {unchanged} up to date"
                : $"{written} written, {deleted} deleted, {unchanged} unchanged");
            return check && written + deleted > 0 ? 1 : 0;
        }
        catch (GeneratorException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
