using Ingress.Api.Metrics;

namespace Ingress.Autoscaling.Tests.Wire;

public class StatWireTests
{
    [Fact]
    public void Encodes_fields_in_number_order_with_protobuf_wire_types()
    {
        var stat = new Stat { PodName = "p", AverageConcurrentRequests = 1.0, Timestamp = 300 };
        // 0A 01 'p' | tag 2 fixed64 = 1.0 little endian | tag 7 varint 300 = AC 02
        byte[] expected = [0x0A, 0x01, 0x70, 0x11, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x38, 0xAC, 0x02];
        Assert.Equal(expected, StatWire.Encode(stat));
    }

    [Fact]
    public void Omits_zero_fields_like_proto3()
    {
        Assert.Empty(StatWire.Encode(new Stat()));
        Assert.Equal([0x0A, 0x03, (byte)'p', (byte)'o', (byte)'d'], StatWire.Encode(new Stat { PodName = "pod" }));
    }

    [Fact]
    public void Round_trips_every_field_including_negative_timestamp()
    {
        var stat = new Stat
        {
            PodName = "hello-00001-deployment-7d9c-xk2p9",
            AverageConcurrentRequests = 12.5,
            AverageProxiedConcurrentRequests = 2.25,
            RequestCount = 40,
            ProxiedRequestCount = 3,
            ProcessUptime = 61.5,
            Timestamp = -5,
        };
        var bytes = StatWire.Encode(stat);
        Assert.Equal(StatWire.EncodedLength(stat), bytes.Length);
        Assert.Equal(stat, StatWire.Decode(bytes));
    }

    [Fact]
    public void Skips_unknown_fields_and_last_value_wins()
    {
        // field 9 varint 5, field 2 = 1.0, field 2 = 2.0, field 10 fixed32, field 11 bytes "xy"
        byte[] data = [0x48, 0x05, 0x11, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x11, 0, 0, 0, 0, 0, 0, 0, 0x40,
            0x55, 1, 2, 3, 4, 0x5A, 0x02, (byte)'x', (byte)'y'];
        var stat = StatWire.Decode(data);
        Assert.Equal(2.0, stat.AverageConcurrentRequests);
    }

    [Theory]
    [InlineData(new byte[] { 0x11, 0, 0 }, "unexpected end of data inside a fixed64 field")]
    [InlineData(new byte[] { 0x0A, 0x05, 0x70 }, "length-delimited field runs past the end of the data")]
    [InlineData(new byte[] { 0x4B }, "groups are not supported")]
    [InlineData(new byte[] { 0x10, 0x01 }, "field 2 has wire type 0, which does not match its declared type")]
    [InlineData(new byte[] { 0x38, 0x80 }, "unexpected end of data inside a varint")]
    public void Rejects_malformed_input(byte[] data, string error)
    {
        Assert.False(StatWire.TryDecode(data, out _, out var message));
        Assert.Equal(error, message);
        Assert.Throws<StatDecodeException>(() => StatWire.Decode(data));
    }

    [Fact]
    public void Wire_stat_messages_round_trip()
    {
        var messages = new[]
        {
            new WireStatMessage("default", "hello-00001", new Stat { PodName = "activator-1", AverageConcurrentRequests = 1, RequestCount = 1 }),
            new WireStatMessage("ns2", "other", new Stat()),
        };
        var decoded = StatWire.DecodeMessages(StatWire.EncodeMessages(messages));
        Assert.Equal(messages, decoded);
    }
}
