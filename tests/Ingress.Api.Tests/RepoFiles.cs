namespace Ingress.Api.Tests;

/// <summary>Finds the repository's files (crds/, examples/) from the test's output directory.</summary>
internal static class RepoFiles
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ingress.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Ingress.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Every *.yaml under a top-level folder, as paths relative to the root, sorted.</summary>
    public static IReadOnlyList<string> Yaml(string folder)
    {
        var dir = Path.Combine(Root, folder);
        if (!Directory.Exists(dir))
        {
            return [];
        }
        return Directory.EnumerateFiles(dir, "*.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public static string Read(string relative) => File.ReadAllText(Path.Combine(Root, relative));
}
