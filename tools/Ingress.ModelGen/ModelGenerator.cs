namespace Ingress.ModelGen;

/// <summary>Entry point of generation: inputs in, (path, content) pairs out. Pure apart from reading inputs.</summary>
public static class ModelGenerator
{
    public static SortedDictionary<string, string> Generate(string repoRoot) => Generate(Inputs.Load(repoRoot));

    public static SortedDictionary<string, string> Generate(Inputs inputs)
    {
        var translator = new Translator(inputs);
        translator.Run();
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var group in translator.Classes.GroupBy(c => c.File))
        {
            files[group.Key] = CSharpWriter.WriteFile(group.ToList());
        }
        files[$"{Translator.OutputDirectory}/KubeJsonContext.g.cs"] = CSharpWriter.WriteContext(translator);
        files[$"{Translator.OutputDirectory}/KnownKinds.g.cs"] = CSharpWriter.WriteKnownKinds(translator);
        return files;
    }

    /// <summary>Committed generated files (relative paths) under the output directory.</summary>
    public static IReadOnlyList<string> ExistingGeneratedFiles(string repoRoot)
    {
        var dir = Path.Combine(repoRoot, Translator.OutputDirectory);
        if (!Directory.Exists(dir))
        {
            return [];
        }
        return Directory.EnumerateFiles(dir, "*.g.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(repoRoot, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Finds the repository root (the directory holding Ingress.sln) from a starting directory upwards.</summary>
    public static string FindRepoRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ingress.sln")))
            {
                return dir.FullName;
            }
        }
        throw new GeneratorException($"no Ingress.sln above {start}; pass --repo <root>");
    }
}
