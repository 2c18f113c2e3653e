namespace Ingress.Local.Runner;

/// <summary>One replica's log file: the pod it belonged to and where it is.</summary>
public sealed record ReplicaLogFile(string Pod, string Path, DateTime FirstWrittenUtc);

/// <summary>
/// Where the local runner keeps replica logs (<c>&lt;data dir&gt;/logs/&lt;namespace&gt;/&lt;pod&gt;.log</c>) and which
/// of them belong to a revision. Files stay after their pod is gone (scaled to zero, crashed, an earlier run),
/// as a developer reading why a replica stopped needs exactly those.
/// </summary>
public static class ReplicaLogs
{
    /// <summary>The log file of one pod.</summary>
    public static string PathOf(string dataDirectory, string @namespace, string pod) =>
        Path.Combine(dataDirectory, "logs", @namespace, pod + ".log");

    /// <summary>The log files of a revision's pods, oldest first. Knative names a revision's Deployment
    /// <c>&lt;revision&gt;-deployment</c> and the runner names pods <c>&lt;deployment&gt;-&lt;5 characters&gt;</c>, so
    /// the pod name identifies the revision without the API server (the logs are readable while <c>up</c> is down).
    /// A name that is itself a Deployment's (<c>...-deployment</c>) is taken as is.</summary>
    public static IReadOnlyList<ReplicaLogFile> ForRevision(string dataDirectory, string @namespace, string revision)
    {
        var directory = Path.Combine(dataDirectory, "logs", @namespace);
        if (!Directory.Exists(directory)) return [];
        var deployment = revision.EndsWith("-deployment", StringComparison.Ordinal) ? revision : revision + "-deployment";
        var prefix = deployment + "-";
        return Directory.EnumerateFiles(directory, "*.log")
            .Select(path => (Path: path, Pod: System.IO.Path.GetFileNameWithoutExtension(path)))
            .Where(f => f.Pod.Length == prefix.Length + 5 && f.Pod.StartsWith(prefix, StringComparison.Ordinal))
            .Select(f => new ReplicaLogFile(f.Pod, f.Path, File.GetCreationTimeUtc(f.Path) is var c && c.Year > 1601 ? c : File.GetLastWriteTimeUtc(f.Path)))
            .OrderBy(f => f.FirstWrittenUtc)
            .ThenBy(f => f.Pod, StringComparer.Ordinal)
            .ToList();
    }
}
