using System.Text;

namespace Ingress.Local.Runner;

/// <summary>
/// <c>ingress logs &lt;revision&gt; [--follow]</c>: prints what a revision's replicas have logged, then (following)
/// what they append and what replicas started later write, like <c>kubectl logs -f</c> over the revision's pods.
/// Reads the data directory only. With several replicas a <c>==&gt; pod &lt;name&gt; &lt;==</c> header (as
/// <c>tail -f</c> prints) marks each switch between files. Only complete lines are printed, so a line a replica is
/// half-way through writing is never split by a header.
/// </summary>
public sealed class ReplicaLogFollower(string dataDirectory, string @namespace, string revision, TextWriter output)
{
    /// <summary>How often following looks for appended lines and new replicas. 250 ms: fast enough that a log line
    /// appears as the request that wrote it returns, cheap enough (a directory listing and one stat per replica).</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(250);

    private readonly Dictionary<string, long> _offsets = new(StringComparer.Ordinal);
    private string? _lastPod;

    /// <summary>Replica log files seen so far.</summary>
    public int Files => _offsets.Count;

    /// <summary>Prints every complete line not printed yet, from every replica's file (new files included); with
    /// <paramref name="includePartialLine"/> (a one-shot print, nothing follows) also a last line with no newline yet.</summary>
    public async Task PrintNewAsync(bool includePartialLine, CancellationToken ct)
    {
        var files = ReplicaLogs.ForRevision(dataDirectory, @namespace, revision);
        foreach (var file in files)
        {
            _offsets.TryAdd(file.Path, 0);
            var text = await ReadLinesAsync(file.Path, includePartialLine, ct).ConfigureAwait(false);
            if (text.Length == 0) continue;
            if (files.Count > 1 && _lastPod != file.Pod) await output.WriteLineAsync($"==> pod {file.Pod} <==").ConfigureAwait(false);
            _lastPod = file.Pod;
            await output.WriteAsync(text).ConfigureAwait(false);
        }
        await output.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Prints new lines every <paramref name="interval"/> until <paramref name="ct"/> is cancelled.</summary>
    public async Task FollowAsync(TimeSpan interval, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await PrintNewAsync(includePartialLine: false, ct).ConfigureAwait(false);
            try { await Task.Delay(interval, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task<string> ReadLinesAsync(string path, bool includePartialLine, CancellationToken ct)
    {
        var offset = _offsets[path];
        byte[] bytes;
        try
        {
            // The runner appends while we read: share the file.
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length < offset) offset = 0; // truncated or replaced: start again
            if (stream.Length == offset) return "";
            stream.Seek(offset, SeekOrigin.Begin);
            bytes = new byte[stream.Length - offset];
            var read = 0;
            while (read < bytes.Length)
            {
                var n = await stream.ReadAsync(bytes.AsMemory(read), ct).ConfigureAwait(false);
                if (n == 0) break;
                read += n;
            }
            if (read < bytes.Length) Array.Resize(ref bytes, read);
        }
        catch (FileNotFoundException)
        {
            return "";
        }
        var end = includePartialLine ? bytes.Length : Array.LastIndexOf(bytes, (byte)'\n') + 1;
        if (end == 0) return "";
        _offsets[path] = offset + end;
        return Encoding.UTF8.GetString(bytes, 0, end);
    }
}
