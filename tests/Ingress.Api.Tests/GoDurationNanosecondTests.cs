namespace Ingress.Api.Tests;

/// <summary>The nanosecond core of <see cref="GoDuration"/> (shared by every project since the autoscaler's and
/// the serving config's own copies were folded into it).</summary>
public class GoDurationNanosecondTests
{
    [Theory]
    [InlineData("1h2m3s4ms5us6ns", 3_723_004_005_006L)]
    [InlineData("1m1.984s", 61_984_000_000L)]
    [InlineData("-1.5h", -5_400_000_000_000L)]
    [InlineData("0.000000001s", 1L)]
    [InlineData("9223372036854775807ns", long.MaxValue)]
    [InlineData("-9223372036854775808ns", long.MinValue)]
    public void Parses_to_the_nanosecond(string raw, long expected)
    {
        Assert.True(GoDuration.TryParseNanoseconds(raw, out var ns, out var error), error);
        Assert.Equal(expected, ns);
    }

    [Theory]
    [InlineData("9223372036854775808ns", "time: invalid duration \"9223372036854775808ns\"")]
    [InlineData("1\u00e9s", "time: unknown unit \"\\xc3\\xa9s\" in duration \"1\\xc3\\xa9s\"")]
    [InlineData("1\"", "time: unknown unit \"\\\"\" in duration \"1\\\"\"")]
    public void Errors_quote_like_the_time_package(string raw, string expected)
    {
        Assert.False(GoDuration.TryParseNanoseconds(raw, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(1L, "1ns")]
    [InlineData(1_500L, "1.5µs")]
    [InlineData(61_984_000_000L, "1m1.984s")]
    [InlineData(long.MinValue, "-2562047h47m16.854775808s")]
    public void Formats_nanoseconds_like_go(long ns, string expected) => Assert.Equal(expected, GoDuration.Format(ns));

    [Fact]
    public void TimeSpan_parsing_rounds_to_the_nearest_tick()
    {
        Assert.Equal(TimeSpan.FromTicks(2), GoDuration.Parse("150ns"));
        Assert.Equal(TimeSpan.FromTicks(1), GoDuration.Parse("149ns"));
        Assert.Equal(TimeSpan.FromTicks(-2), GoDuration.Parse("-150ns"));
        Assert.Equal(TimeSpan.FromTicks(1), GoDuration.ToTimeSpan(199));
    }
}
