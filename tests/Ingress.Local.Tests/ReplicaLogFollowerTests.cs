using System.Text;
using Ingress.Local.Runner;

namespace Ingress.Local.Tests;

/// <summary><see cref="ReplicaLogFollower"/> (<c>ingress logs --follow</c>) over real files laid out as the runner
/// writes them.</summary>
public sealed class ReplicaLogFollowerTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "ingress-logs-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, true); } catch (IOException) { }
    }

    private string Log(string pod) => ReplicaLogs.PathOf(_dataDir, "default", pod);

    private void Append(string pod, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Log(pod))!);
        File.AppendAllText(Log(pod), text);
    }

    [Fact]
    public async Task Prints_each_complete_line_once_and_new_replicas_under_a_header()
    {
        var output = new StringWriter();
        var follower = new ReplicaLogFollower(_dataDir, "default", "hello-00001", output);
        await follower.PrintNewAsync(includePartialLine: false, CancellationToken.None);
        Assert.Equal(0, follower.Files);
        Assert.Equal("", output.ToString());

        Append("hello-00001-deployment-aaaaa", "one\ntw");
        Append("other-00001-deployment-bbbbb", "not this revision\n");
        await follower.PrintNewAsync(includePartialLine: false, CancellationToken.None);
        Assert.Equal("one\n", output.ToString()); // the half-written line waits

        Append("hello-00001-deployment-aaaaa", "o\n");
        await follower.PrintNewAsync(includePartialLine: false, CancellationToken.None);
        Assert.Equal("one\ntwo\n", output.ToString());

        // A replica started later: its lines follow under a header, and a header marks each switch back.
        Append("hello-00001-deployment-ccccc", "three\n");
        await follower.PrintNewAsync(includePartialLine: false, CancellationToken.None);
        Append("hello-00001-deployment-aaaaa", "four\n");
        await follower.PrintNewAsync(includePartialLine: false, CancellationToken.None);
        Assert.Equal("one\ntwo\n==> pod hello-00001-deployment-ccccc <==\nthree\n==> pod hello-00001-deployment-aaaaa <==\nfour\n", output.ToString());
        Assert.Equal(2, follower.Files);

        // Nothing new: nothing printed.
        await follower.PrintNewAsync(includePartialLine: false, CancellationToken.None);
        Assert.EndsWith("four\n", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_one_shot_print_includes_a_last_line_without_newline()
    {
        Append("hello-00001-deployment-aaaaa", "one\nlast");
        var output = new StringWriter();
        await new ReplicaLogFollower(_dataDir, "default", "hello-00001", output).PrintNewAsync(includePartialLine: true, CancellationToken.None);
        Assert.Equal("one\nlast", output.ToString());
    }

    [Fact]
    public async Task Follow_prints_lines_appended_later_until_cancelled()
    {
        var output = new SynchronizedWriter();
        var follower = new ReplicaLogFollower(_dataDir, "default", "hello-00001", output);
        using var stop = new CancellationTokenSource();
        var following = follower.FollowAsync(TimeSpan.FromMilliseconds(20), stop.Token);
        Append("hello-00001-deployment-aaaaa", "first\n");
        await UpHarness.EventuallyAsync(() => Task.FromResult((output.Text.Contains("first\n", StringComparison.Ordinal), output.Text)), "the first line");
        Append("hello-00001-deployment-aaaaa", "second\n");
        await UpHarness.EventuallyAsync(() => Task.FromResult((output.Text.Contains("second\n", StringComparison.Ordinal), output.Text)), "the appended line");
        await stop.CancelAsync();
        await following.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("first\nsecond\n", output.Text);
    }

    private sealed class SynchronizedWriter : TextWriter
    {
        private readonly StringBuilder _text = new();
        public override Encoding Encoding => Encoding.UTF8;
        public string Text { get { lock (_text) return _text.ToString(); } }
        public override void Write(char value) { lock (_text) _text.Append(value); }
        public override void Write(string? value) { lock (_text) _text.Append(value); }
        public override Task WriteAsync(string? value) { Write(value); return Task.CompletedTask; }
        public override Task WriteLineAsync(string? value) { Write(value + "\n"); return Task.CompletedTask; }
    }
}
