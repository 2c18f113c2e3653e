using Ingress.Api;
using Ingress.Autoscaling.GoCompat;

namespace Ingress.Autoscaling.Tests.Configuration;

public class GoCompatTests
{
    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(60_000_000_000L, "1m0s")]
    [InlineData(61_984_000_000L, "1m1.984s")]
    [InlineData(3_600_000_000_000L, "1h0m0s")]
    [InlineData(3_601_000_000_000L, "1h0m1s")]
    [InlineData(1_500_000_000L, "1.5s")]
    [InlineData(500_000_000L, "500ms")]
    [InlineData(1_000L, "1µs")]
    [InlineData(100L, "100ns")]
    [InlineData(-5_000_000_000L, "-5s")]
    [InlineData(6_000_000_000L, "6s")]
    public void Formats_durations_like_go(long nanos, string expected) => Assert.Equal(expected, GoDuration.Format(nanos));

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("60s", 60_000_000_000L)]
    [InlineData("1m1.984s", 61_984_000_000L)]
    [InlineData("1.5h", 5_400_000_000_000L)]
    [InlineData("-2s", -2_000_000_000L)]
    [InlineData("+3ms", 3_000_000L)]
    [InlineData("1h2m3s4ms5us6ns", 3_723_004_005_006L)]
    [InlineData(".5s", 500_000_000L)]
    [InlineData("2µs", 2_000L)]
    public void Parses_durations_like_go(string raw, long expected)
    {
        Assert.True(GoDuration.TryParseNanoseconds(raw, out var ns, out var error), error);
        Assert.Equal(expected, ns);
    }

    [Theory]
    [InlineData("", "time: invalid duration \"\"")]
    [InlineData("1", "time: missing unit in duration \"1\"")]
    [InlineData("10x", "time: unknown unit \"x\" in duration \"10x\"")]
    [InlineData("abc", "time: invalid duration \"abc\"")]
    [InlineData("-", "time: invalid duration \"-\"")]
    [InlineData(".s", "time: invalid duration \".s\"")]
    [InlineData(" 1s", "time: invalid duration \" 1s\"")]
    public void Rejects_durations_like_go(string raw, string expected)
    {
        Assert.False(GoDuration.TryParseNanoseconds(raw, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(-55.0, "-55")]
    [InlineData(0.95, "0.95")]
    [InlineData(0.001, "0.001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(1000000.0, "1e+06")]
    [InlineData(123456.0, "123456")]
    [InlineData(1.424, "1.424")]
    [InlineData(0.7 * 0.01, "0.006999999999999999")]
    [InlineData(1.5e-7, "1.5e-07")]
    public void Formats_floats_like_go_percent_v(double value, string expected) => Assert.Equal(expected, GoStrconv.FormatFloatV(value));

    [Theory]
    [InlineData("1", true, 1.0)]
    [InlineData("-1.5", true, -1.5)]
    [InlineData("1e3", true, 1000.0)]
    [InlineData(".5", true, 0.5)]
    [InlineData("5.", true, 5.0)]
    [InlineData(" 1", false, 0.0)]
    [InlineData("1 ", false, 0.0)]
    [InlineData("", false, 0.0)]
    [InlineData("1,5", false, 0.0)]
    [InlineData("0x10", false, 0.0)]
    public void Parses_floats_strictly(string raw, bool ok, double expected)
    {
        Assert.Equal(ok, GoStrconv.TryParseFloat(raw, out var value, out var error));
        if (ok) Assert.Equal(expected, value);
        else Assert.Equal($"strconv.ParseFloat: parsing \"{raw}\": invalid syntax", error);
    }

    [Fact]
    public void Float_overflow_is_out_of_range()
    {
        Assert.False(GoStrconv.TryParseFloat("1e400", out _, out var error));
        Assert.Equal("strconv.ParseFloat: parsing \"1e400\": value out of range", error);
    }

    [Theory]
    [InlineData("2147483647", true, null)]
    [InlineData("-2147483648", true, null)]
    [InlineData("2147483648", false, "strconv.ParseInt: parsing \"2147483648\": value out of range")]
    [InlineData("1.0", false, "strconv.ParseInt: parsing \"1.0\": invalid syntax")]
    [InlineData("1_000", false, "strconv.ParseInt: parsing \"1_000\": invalid syntax")]
    public void Parses_int32_like_go(string raw, bool ok, string? expected)
    {
        Assert.Equal(ok, GoStrconv.TryParseInt(raw, 32, out _, out var error, out _));
        Assert.Equal(expected, error);
    }
}
