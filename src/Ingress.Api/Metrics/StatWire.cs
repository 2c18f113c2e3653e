using System.Buffers.Binary;
using System.Text;

namespace Ingress.Api.Metrics;

/// <summary>
/// Handwritten protobuf (proto3) encoding of <see cref="Stat"/> and of the activator's
/// <c>WireStatMessages</c>, byte-compatible with upstream's generated Go code: zero values are omitted,
/// fields are written in field-number order, unknown fields are skipped when reading. No I/O here; the HTTP
/// endpoint (queue-proxy) and the scraper (autoscaler) both call this.
/// </summary>
public static class StatWire
{
    /// <summary>Content type queue-proxy answers with and the scraper insists on.</summary>
    public const string ContentType = "application/protobuf";

    /// <summary>Port of queue-proxy's autoscaler metrics server.</summary>
    public const int MetricsPort = 9090;

    /// <summary>Path of the autoscaler metrics endpoint on <see cref="MetricsPort"/>.</summary>
    public const string MetricsPath = "/metrics";

    // Wire types of the protobuf encoding.
    private const int WireVarint = 0;
    private const int WireFixed64 = 1;
    private const int WireLengthDelimited = 2;
    private const int WireStartGroup = 3;
    private const int WireEndGroup = 4;
    private const int WireFixed32 = 5;

    /// <summary>Encodes a stat into a new array.</summary>
    public static byte[] Encode(Stat stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        var buffer = new byte[EncodedLength(stat)];
        var written = Write(stat, buffer);
        return written == buffer.Length ? buffer : buffer[..written];
    }

    /// <summary>Exact number of bytes <see cref="Write(Stat, Span{byte})"/> produces.</summary>
    public static int EncodedLength(Stat stat)
    {
        var length = 0;
        if (stat.PodName.Length > 0)
        {
            var bytes = Encoding.UTF8.GetByteCount(stat.PodName);
            length += 1 + VarintLength((ulong)bytes) + bytes;
        }
        length += DoubleLength(stat.AverageConcurrentRequests) + DoubleLength(stat.AverageProxiedConcurrentRequests)
            + DoubleLength(stat.RequestCount) + DoubleLength(stat.ProxiedRequestCount) + DoubleLength(stat.ProcessUptime);
        if (stat.Timestamp != 0) length += 1 + VarintLength((ulong)stat.Timestamp);
        return length;
    }

    /// <summary>Writes the stat into <paramref name="destination"/> (which must hold
    /// <see cref="EncodedLength"/> bytes) and returns the number of bytes written.</summary>
    public static int Write(Stat stat, Span<byte> destination)
    {
        var position = 0;
        if (stat.PodName.Length > 0)
        {
            var bytes = Encoding.UTF8.GetByteCount(stat.PodName);
            destination[position++] = Tag(1, WireLengthDelimited);
            position += WriteVarint(destination[position..], (ulong)bytes);
            position += Encoding.UTF8.GetBytes(stat.PodName, destination[position..]);
        }
        position += WriteDouble(destination[position..], 2, stat.AverageConcurrentRequests);
        position += WriteDouble(destination[position..], 3, stat.AverageProxiedConcurrentRequests);
        position += WriteDouble(destination[position..], 4, stat.RequestCount);
        position += WriteDouble(destination[position..], 5, stat.ProxiedRequestCount);
        position += WriteDouble(destination[position..], 6, stat.ProcessUptime);
        if (stat.Timestamp != 0)
        {
            destination[position++] = Tag(7, WireVarint);
            position += WriteVarint(destination[position..], (ulong)stat.Timestamp);
        }
        return position;
    }

    /// <summary>Decodes a stat; throws <see cref="StatDecodeException"/> on malformed input.</summary>
    public static Stat Decode(ReadOnlySpan<byte> data)
    {
        if (!TryDecode(data, out var stat, out var error)) throw new StatDecodeException(error!);
        return stat!;
    }

    /// <summary>Decodes a stat. Unknown fields are skipped; for repeated scalar fields the last one wins
    /// (protobuf's merge rule).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, out Stat? stat, out string? error)
    {
        string podName = "";
        double concurrency = 0, proxiedConcurrency = 0, requests = 0, proxiedRequests = 0, uptime = 0;
        long timestamp = 0;
        var reader = new Reader(data);
        stat = null;
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out var field, out var wireType, out error)) return false;
            switch (field, wireType)
            {
                case (1, WireLengthDelimited):
                    if (!reader.TryReadBytes(out var nameBytes, out error)) return false;
                    podName = Encoding.UTF8.GetString(nameBytes);
                    break;
                case (2, WireFixed64):
                    if (!reader.TryReadDouble(out concurrency, out error)) return false;
                    break;
                case (3, WireFixed64):
                    if (!reader.TryReadDouble(out proxiedConcurrency, out error)) return false;
                    break;
                case (4, WireFixed64):
                    if (!reader.TryReadDouble(out requests, out error)) return false;
                    break;
                case (5, WireFixed64):
                    if (!reader.TryReadDouble(out proxiedRequests, out error)) return false;
                    break;
                case (6, WireFixed64):
                    if (!reader.TryReadDouble(out uptime, out error)) return false;
                    break;
                case (7, WireVarint):
                    if (!reader.TryReadVarint(out var raw, out error)) return false;
                    timestamp = (long)raw;
                    break;
                default:
                    if (field is >= 1 and <= 7)
                    {
                        error = $"field {field} has wire type {wireType}, which does not match its declared type";
                        return false;
                    }
                    if (!reader.TrySkip(wireType, out error)) return false;
                    break;
            }
        }
        stat = new Stat
        {
            PodName = podName,
            AverageConcurrentRequests = concurrency,
            AverageProxiedConcurrentRequests = proxiedConcurrency,
            RequestCount = requests,
            ProxiedRequestCount = proxiedRequests,
            ProcessUptime = uptime,
            Timestamp = timestamp,
        };
        error = null;
        return true;
    }

    /// <summary>Encodes the activator's batch message (<c>WireStatMessages</c>: repeated field 1).</summary>
    public static byte[] EncodeMessages(IReadOnlyList<WireStatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        using var output = new MemoryStream();
        Span<byte> scratch = stackalloc byte[10];
        foreach (var message in messages)
        {
            var inner = EncodeMessage(message);
            output.WriteByte(Tag(1, WireLengthDelimited));
            output.Write(scratch[..WriteVarint(scratch, (ulong)inner.Length)]);
            output.Write(inner);
        }
        return output.ToArray();
    }

    /// <summary>Decodes the activator's batch message.</summary>
    public static IReadOnlyList<WireStatMessage> DecodeMessages(ReadOnlySpan<byte> data)
    {
        var result = new List<WireStatMessage>();
        var reader = new Reader(data);
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out var field, out var wireType, out var error)) throw new StatDecodeException(error!);
            if (field == 1 && wireType == WireLengthDelimited)
            {
                if (!reader.TryReadBytes(out var inner, out error)) throw new StatDecodeException(error!);
                result.Add(DecodeMessage(inner));
            }
            else if (!reader.TrySkip(wireType, out error)) throw new StatDecodeException(error!);
        }
        return result;
    }

    private static byte[] EncodeMessage(WireStatMessage message)
    {
        using var output = new MemoryStream();
        WriteLengthDelimited(output, 1, message.Namespace.Length == 0 ? [] : Encoding.UTF8.GetBytes(message.Namespace));
        WriteLengthDelimited(output, 2, message.Name.Length == 0 ? [] : Encoding.UTF8.GetBytes(message.Name));
        // An empty but present stat is still written (length 0), as protobuf does for a set message field.
        if (message.Stat is not null) WriteLengthDelimited(output, 3, Encode(message.Stat), always: true);
        return output.ToArray();
    }

    private static void WriteLengthDelimited(MemoryStream output, int field, byte[] bytes, bool always = false)
    {
        if (bytes.Length == 0 && !always) return;
        Span<byte> scratch = stackalloc byte[10];
        output.WriteByte(Tag(field, WireLengthDelimited));
        output.Write(scratch[..WriteVarint(scratch, (ulong)bytes.Length)]);
        output.Write(bytes);
    }

    private static WireStatMessage DecodeMessage(ReadOnlySpan<byte> data)
    {
        string ns = "", name = "";
        Stat? stat = null;
        var reader = new Reader(data);
        while (!reader.AtEnd)
        {
            if (!reader.TryReadTag(out var field, out var wireType, out var error)) throw new StatDecodeException(error!);
            if (wireType == WireLengthDelimited && field is >= 1 and <= 3)
            {
                if (!reader.TryReadBytes(out var bytes, out error)) throw new StatDecodeException(error!);
                switch (field)
                {
                    case 1: ns = Encoding.UTF8.GetString(bytes); break;
                    case 2: name = Encoding.UTF8.GetString(bytes); break;
                    default:
                        var decoded = Decode(bytes);
                        // Protobuf merges a repeated embedded message field; non-zero fields of the later copy win.
                        stat = stat is null ? decoded : Merge(stat, decoded);
                        break;
                }
            }
            else if (!reader.TrySkip(wireType, out error)) throw new StatDecodeException(error!);
        }
        return new WireStatMessage(ns, name, stat);
    }

    private static Stat Merge(Stat first, Stat second) => new()
    {
        PodName = second.PodName.Length > 0 ? second.PodName : first.PodName,
        AverageConcurrentRequests = Pick(first.AverageConcurrentRequests, second.AverageConcurrentRequests),
        AverageProxiedConcurrentRequests = Pick(first.AverageProxiedConcurrentRequests, second.AverageProxiedConcurrentRequests),
        RequestCount = Pick(first.RequestCount, second.RequestCount),
        ProxiedRequestCount = Pick(first.ProxiedRequestCount, second.ProxiedRequestCount),
        ProcessUptime = Pick(first.ProcessUptime, second.ProcessUptime),
        Timestamp = second.Timestamp != 0 ? second.Timestamp : first.Timestamp,
    };

    private static double Pick(double first, double second) => BitConverter.DoubleToInt64Bits(second) != 0 ? second : first;

    private static byte Tag(int field, int wireType) => (byte)((field << 3) | wireType);

    // proto3 omits a double only when its bit pattern is all zero (so -0.0 is still written, like Go's encoder).
    private static int DoubleLength(double value) => BitConverter.DoubleToInt64Bits(value) == 0 ? 0 : 9;

    private static int WriteDouble(Span<byte> destination, int field, double value)
    {
        if (BitConverter.DoubleToInt64Bits(value) == 0) return 0;
        destination[0] = Tag(field, WireFixed64);
        BinaryPrimitives.WriteDoubleLittleEndian(destination[1..], value);
        return 9;
    }

    private static int VarintLength(ulong value)
    {
        var length = 1;
        while (value >= 0x80) { value >>= 7; length++; }
        return length;
    }

    private static int WriteVarint(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly bool AtEnd => _position >= _data.Length;

        public bool TryReadTag(out int field, out int wireType, out string? error)
        {
            field = wireType = 0;
            if (!TryReadVarint(out var tag, out error)) return false;
            if (tag >> 3 == 0 || tag >> 3 > int.MaxValue)
            {
                error = $"invalid field number {tag >> 3}";
                return false;
            }
            field = (int)(tag >> 3);
            wireType = (int)(tag & 7);
            return true;
        }

        public bool TryReadVarint(out ulong value, out string? error)
        {
            value = 0;
            for (var shift = 0; shift < 70; shift += 7)
            {
                if (_position >= _data.Length)
                {
                    error = "unexpected end of data inside a varint";
                    return false;
                }
                var b = _data[_position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    error = null;
                    return true;
                }
            }
            error = "varint longer than 10 bytes";
            return false;
        }

        public bool TryReadDouble(out double value, out string? error)
        {
            value = 0;
            if (_data.Length - _position < 8)
            {
                error = "unexpected end of data inside a fixed64 field";
                return false;
            }
            value = BinaryPrimitives.ReadDoubleLittleEndian(_data.Slice(_position, 8));
            _position += 8;
            error = null;
            return true;
        }

        public bool TryReadBytes(out ReadOnlySpan<byte> value, out string? error)
        {
            value = default;
            if (!TryReadVarint(out var length, out error)) return false;
            if (length > (ulong)(_data.Length - _position))
            {
                error = "length-delimited field runs past the end of the data";
                return false;
            }
            value = _data.Slice(_position, (int)length);
            _position += (int)length;
            return true;
        }

        public bool TrySkip(int wireType, out string? error)
        {
            switch (wireType)
            {
                case WireVarint:
                    return TryReadVarint(out _, out error);
                case WireFixed64:
                    return Advance(8, out error);
                case WireLengthDelimited:
                    return TryReadBytes(out _, out error);
                case WireFixed32:
                    return Advance(4, out error);
                default:
                    error = wireType is WireStartGroup or WireEndGroup
                        ? "groups are not supported"
                        : $"invalid wire type {wireType}";
                    return false;
            }
        }

        private bool Advance(int count, out string? error)
        {
            if (_data.Length - _position < count)
            {
                error = "unexpected end of data inside a fixed-size field";
                return false;
            }
            _position += count;
            error = null;
            return true;
        }
    }
}

/// <summary>Raised when bytes are not a valid protobuf <c>Stat</c> / <c>WireStatMessages</c>.</summary>
public sealed class StatDecodeException(string message) : FormatException(message);
