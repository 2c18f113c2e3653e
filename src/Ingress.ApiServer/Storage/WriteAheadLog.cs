using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Ingress.ApiServer.Storage;

/// <summary>Reserve: every resourceVersion up to the record's may have been shown to watchers (see ObjectStore).</summary>
internal enum WalOp : byte { Put = 1, Delete = 2, SnapshotEnd = 3, Reserve = 4 }

/// <summary>One logged change. Json is null for deletes.</summary>
internal readonly record struct WalRecord(WalOp Op, long ResourceVersion, string StorageKey, string Namespace, string Name, byte[]? Json);

/// <summary>
/// Durable log of every write. Records are framed as [length u32][crc32 u32][payload]; appends are
/// batched by a single writer thread that writes the whole batch and fsyncs once (group commit), and
/// each append's task completes only after that fsync. Segments are named wal-NNNNNNNN.log; a snapshot
/// snap-NNNNNNNN.snap holds the state before segment NNNNNNNN, so recovery loads the newest complete
/// snapshot and replays the segments from its number on. A torn tail (short or corrupt record) is
/// truncated with a warning.
/// </summary>
internal sealed partial class WriteAheadLog : IDisposable
{
    private readonly string _dir;
    private readonly ILogger _log;
    private readonly object _queueGate = new();
    private List<(WalRecord Record, TaskCompletionSource Done, object? AfterDurable)> _pending = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Thread _writer;
    private volatile bool _stopping;
    private FileStream? _segment;
    private int _segmentSeq;

    public int RecordsSinceSnapshot { get; set; }

    /// <summary>Called on the writer thread after each batch's fsync, before its appends complete, with
    /// the tokens given to <see cref="Append"/> in append order. The store publishes watch events here, so
    /// no watcher sees a change that a crash could still lose.</summary>
    public Action<List<object>>? Durable { get; set; }

    /// <summary>Test seam: when set, the writer thread waits on it before writing each batch (a stalled
    /// disk), so tests can observe the state between a commit in memory and its fsync.</summary>
    internal ManualResetEventSlim? WriteGate { get; set; }
    public int SegmentSeq => _segmentSeq;

    public WriteAheadLog(string dir, ILogger log)
    {
        _dir = dir;
        _log = log;
        Directory.CreateDirectory(dir);
        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "apiserver-wal" };
    }

    /// <summary>Reads the snapshot and segments back in order, truncating a torn tail, then opens a
    /// fresh segment for new writes.</summary>
    public void Recover(Action<WalRecord> apply)
    {
        var snapshots = Directory.GetFiles(_dir, "snap-*.snap").Select(p => (Path: p, Seq: SeqOf(p))).OrderByDescending(s => s.Seq).ToList();
        var fromSeq = 0;
        foreach (var snap in snapshots)
        {
            var records = new List<WalRecord>();
            var complete = false;
            ReadFramed(snap.Path, r => { if (r.Op == WalOp.SnapshotEnd) complete = true; records.Add(r); }, truncate: false);
            if (!complete) { LogIncompleteSnapshot(_log, snap.Path); continue; }
            foreach (var r in records) apply(r);
            fromSeq = snap.Seq;
            break;
        }
        var segments = Directory.GetFiles(_dir, "wal-*.log").Select(p => (Path: p, Seq: SeqOf(p))).OrderBy(s => s.Seq).ToList();
        var max = fromSeq;
        foreach (var seg in segments)
        {
            max = Math.Max(max, seg.Seq);
            if (seg.Seq < fromSeq) continue;
            ReadFramed(seg.Path, apply, truncate: true);
        }
        _segmentSeq = max + 1;
        _segment = OpenSegment(_segmentSeq);
        _writer.Start();
    }

    private FileStream OpenSegment(int seq) =>
        new(Path.Combine(_dir, $"wal-{seq:D8}.log"), FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.None);

    private static int SeqOf(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        return int.TryParse(name.AsSpan(name.IndexOf('-') + 1), out var seq) ? seq : -1;
    }

    private void ReadFramed(string path, Action<WalRecord> apply, bool truncate)
    {
        long good = 0;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16))
        {
            var header = new byte[8];
            while (true)
            {
                if (!ReadExactly(fs, header)) break;
                var len = BinaryPrimitives.ReadInt32LittleEndian(header);
                var crc = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(4));
                if (len <= 0 || len > 64 * 1024 * 1024 || fs.Length - fs.Position < len) break;
                var payload = new byte[len];
                if (!ReadExactly(fs, payload) || Crc32.Compute(payload) != crc) break;
                apply(Decode(payload));
                good = fs.Position;
            }
            if (good == fs.Length || !truncate) return;
            LogTornTail(_log, path, fs.Length - good, good);
        }
        using var trunc = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        trunc.SetLength(good);
        trunc.Flush(true);
    }

    private static bool ReadExactly(Stream s, byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = s.Read(buffer, read, buffer.Length - read);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }

    private static WalRecord Decode(byte[] p)
    {
        var span = p.AsSpan();
        var op = (WalOp)span[0];
        var rv = BinaryPrimitives.ReadInt64LittleEndian(span[1..]);
        var pos = 9;
        string Str(ReadOnlySpan<byte> s)
        {
            var l = BinaryPrimitives.ReadUInt16LittleEndian(s[pos..]);
            var v = Encoding.UTF8.GetString(s.Slice(pos + 2, l));
            pos += 2 + l;
            return v;
        }
        var key = Str(span);
        var ns = Str(span);
        var name = Str(span);
        byte[]? json = null;
        if (op == WalOp.Put)
        {
            var l = BinaryPrimitives.ReadInt32LittleEndian(span[pos..]);
            json = span.Slice(pos + 4, l).ToArray();
        }
        return new WalRecord(op, rv, key, ns, name, json);
    }

    private static void Encode(WalRecord r, MemoryStream into)
    {
        var key = Encoding.UTF8.GetBytes(r.StorageKey);
        var ns = Encoding.UTF8.GetBytes(r.Namespace);
        var name = Encoding.UTF8.GetBytes(r.Name);
        var len = 1 + 8 + 6 + key.Length + ns.Length + name.Length + (r.Json is null ? 0 : 4 + r.Json.Length);
        var payload = new byte[len];
        var s = payload.AsSpan();
        s[0] = (byte)r.Op;
        BinaryPrimitives.WriteInt64LittleEndian(s[1..], r.ResourceVersion);
        var pos = 9;
        foreach (var part in new[] { key, ns, name })
        {
            BinaryPrimitives.WriteUInt16LittleEndian(s[pos..], (ushort)part.Length);
            part.CopyTo(s[(pos + 2)..]);
            pos += 2 + part.Length;
        }
        if (r.Json is not null)
        {
            BinaryPrimitives.WriteInt32LittleEndian(s[pos..], r.Json.Length);
            r.Json.CopyTo(s[(pos + 4)..]);
        }
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(header, len);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Crc32.Compute(payload));
        into.Write(header);
        into.Write(payload);
    }

    /// <summary>Queues a record (callers hold the store lock, so records are queued in resourceVersion
    /// order); the task completes once the record is on disk.</summary>
    public Task Append(WalRecord record, object? afterDurable = null)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_queueGate) _pending.Add((record, done, afterDurable));
        RecordsSinceSnapshot++;
        _signal.Release();
        return done.Task;
    }

    /// <summary>Starts a new segment for records queued after this call (under the store lock).
    /// Returns the new segment's number, which names the snapshot of the state before it.</summary>
    public int Rotate()
    {
        lock (_queueGate)
        {
            ++_segmentSeq;
            _pending.Add((new WalRecord(0, _segmentSeq, "", "", "", null), new TaskCompletionSource(), null));
        }
        _signal.Release();
        RecordsSinceSnapshot = 0;
        return _segmentSeq;
    }

    /// <summary>Writes the snapshot named <paramref name="seq"/>; <paramref name="reserved"/> &gt; 0 is kept in it
    /// as a Reserve record, since the segments holding the last reservation are deleted with it.</summary>
    public void WriteSnapshot(int seq, long rv, IReadOnlyList<(string StorageKey, StoredObject Obj)> objects, long reserved = 0)
    {
        var tmp = Path.Combine(_dir, $"snap-{seq:D8}.tmp");
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var buffer = new MemoryStream(1 << 20);
            foreach (var (key, o) in objects)
            {
                Encode(new WalRecord(WalOp.Put, o.ResourceVersion, key, o.Namespace, o.Name, o.Json), buffer);
                if (buffer.Length > 1 << 20) { fs.Write(buffer.GetBuffer(), 0, (int)buffer.Length); buffer.SetLength(0); }
            }
            if (reserved > 0) Encode(new WalRecord(WalOp.Reserve, reserved, "", "", "", null), buffer);
            Encode(new WalRecord(WalOp.SnapshotEnd, rv, "", "", "", null), buffer);
            fs.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            fs.Flush(true);
        }
        File.Move(tmp, Path.Combine(_dir, $"snap-{seq:D8}.snap"), overwrite: true);
        foreach (var p in Directory.GetFiles(_dir, "snap-*.snap")) if (SeqOf(p) < seq) File.Delete(p);
        foreach (var p in Directory.GetFiles(_dir, "wal-*.log")) if (SeqOf(p) < seq) File.Delete(p);
        LogSnapshot(_log, seq, objects.Count);
    }

    private void WriterLoop()
    {
        var buffer = new MemoryStream(1 << 16);
        while (true)
        {
            _signal.Wait();
            List<(WalRecord Record, TaskCompletionSource Done, object? AfterDurable)> batch;
            lock (_queueGate)
            {
                if (_pending.Count == 0) { if (_stopping) break; continue; }
                batch = _pending;
                _pending = new List<(WalRecord, TaskCompletionSource, object?)>(batch.Count);
            }
            try
            {
                WriteGate?.Wait();
                buffer.SetLength(0);
                List<object>? durable = null;
                foreach (var (record, done, afterDurable) in batch)
                {
                    if (record.Op == 0)
                    {
                        // Rotation marker: flush what precedes it into the old segment, switch files.
                        FlushBuffer(buffer);
                        _segment!.Flush(true);
                        _segment.Dispose();
                        _segment = OpenSegment((int)record.ResourceVersion);
                        done.TrySetResult();
                        continue;
                    }
                    Encode(record, buffer);
                    if (afterDurable is not null) (durable ??= new List<object>(batch.Count)).Add(afterDurable);
                }
                FlushBuffer(buffer);
                _segment!.Flush(true);
                // Reservations complete before the watch callback: a writer may wait for one while holding the
                // store's lock, which the callback takes, so the other order could deadlock.
                foreach (var (record, done, _) in batch) if (record.Op == WalOp.Reserve) done.TrySetResult();
                if (durable is not null) Durable?.Invoke(durable);
                foreach (var (_, done, _) in batch) done.TrySetResult();
            }
            catch (Exception ex)
            {
                LogWriteFailed(_log, ex);
                foreach (var (_, done, _) in batch) done.TrySetException(ex);
            }
        }
    }

    private void FlushBuffer(MemoryStream buffer)
    {
        if (buffer.Length == 0) return;
        _segment!.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        buffer.SetLength(0);
    }

    public void Dispose()
    {
        _stopping = true;
        _signal.Release();
        if (_writer.IsAlive) _writer.Join(TimeSpan.FromSeconds(10));
        _segment?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "WAL segment {Path} has a torn tail of {Bytes} bytes; truncated at offset {Offset}")]
    private static partial void LogTornTail(ILogger logger, string path, long bytes, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot {Path} is incomplete; ignoring it")]
    private static partial void LogIncompleteSnapshot(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote snapshot {Seq} with {Count} objects")]
    private static partial void LogSnapshot(ILogger logger, int seq, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "WAL write failed")]
    private static partial void LogWriteFailed(ILogger logger, Exception ex);
}
