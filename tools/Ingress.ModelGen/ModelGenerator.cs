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

    /// <summary>The committed generated files (relative path → content).</summary>
    public static SortedDictionary<string, string> ReadCommitted(string repoRoot)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in ExistingGeneratedFiles(repoRoot))
        {
            files[path] = File.ReadAllText(Path.Combine(repoRoot, path));
        }
        return files;
    }

    /// <summary>
    /// What differs between what the generator writes and what is committed: <c>differs: path</c> (edited or out of
    /// date), <c>missing: path</c> (not committed), <c>stale: path</c> (committed but no longer generated).
    /// </summary>
    public static List<string> Differences(IReadOnlyDictionary<string, string> generated, IReadOnlyDictionary<string, string> committed)
    {
        var result = new List<string>();
        foreach (var (path, content) in generated.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!committed.TryGetValue(path, out var existing))
            {
                result.Add($"missing: {path}");
            }
            else if (!string.Equals(existing, content, StringComparison.Ordinal))
            {
                result.Add($"differs: {path}");
            }
        }
        foreach (var path in committed.Keys.Where(p => !generated.ContainsKey(p)).Order(StringComparer.Ordinal))
        {
            result.Add($"stale: {path}");
        }
        return result;
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
