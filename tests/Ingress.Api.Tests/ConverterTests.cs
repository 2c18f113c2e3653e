using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Api.Coordination.V1;
using Ingress.Api.Core.V1;

namespace Ingress.Api.Tests;

public class ConverterTests
{
    [Fact]
    public void Int_or_string_keeps_the_token_kind()
    {
        var port = KubeJson.Deserialize<ServicePort>("""{"port":80,"targetPort":8080}""");
        var named = KubeJson.Deserialize<ServicePort>("""{"port":80,"targetPort":"http"}""");

        Assert.Equal(8080, port.TargetPort!.Value.IntValue);
        Assert.True(port.TargetPort.Value.IsInt);
        Assert.Equal("http", named.TargetPort!.Value.StringValue);
        Assert.False(named.TargetPort.Value.TryGetInt(out _));
        Assert.Equal("""{"port":80,"targetPort":8080}""", KubeJson.Serialize(port));
        Assert.Equal("""{"port":80,"targetPort":"http"}""", KubeJson.Serialize(named));
        Assert.Throws<JsonException>(() => KubeJson.Deserialize<ServicePort>("""{"targetPort":1.5}"""));
    }

    [Theory]
    [InlineData("500m", 0.5)]
    [InlineData("1Ki", 1024)]
    [InlineData("128Mi", 134217728)]
    [InlineData("1e3", 1000)]
    [InlineData("2", 2)]
    [InlineData("1.5G", 1500000000)]
    [InlineData("100u", 0.0001)]
    public void Quantity_parses_suffixes_and_exponents(string text, double expected)
    {
        var q = Quantity.Parse(text);

        Assert.Equal((decimal)expected, q.ToDecimal());
        Assert.Equal(text, q.ToString());
    }

    [Fact]
    public void Quantity_rounds_up_like_go_and_rejects_garbage()
    {
        Assert.Equal(1, Quantity.Parse("100m").Value());
        Assert.Equal(100, Quantity.Parse("100m").MilliValue());
        Assert.Equal(1, Quantity.Parse("1n").MilliValue());
        Assert.False(Quantity.TryParse("abc", out _));
        Assert.False(Quantity.TryParse("1.2.3", out _));
        Assert.Throws<JsonException>(() => KubeJson.Deserialize<ResourceRequirements>("""{"limits":{"cpu":"lots"}}"""));
    }

    [Fact]
    public void Quantity_writes_back_the_token_kind_it_was_read_from()
    {
        const string json = """{"limits":{"cpu":2,"memory":"128Mi"},"requests":{"cpu":"250m"}}""";

        var resources = KubeJson.Deserialize<ResourceRequirements>(json);

        Assert.Equal(2m, resources.Limits!["cpu"].ToDecimal());
        Assert.Equal(json, KubeJson.Serialize(resources));
        resources.Requests!["memory"] = "64Mi";
        Assert.Contains("\"memory\":\"64Mi\"", KubeJson.Serialize(resources), StringComparison.Ordinal);
    }

    [Fact]
    public void Times_are_written_as_rfc3339_seconds_in_utc_like_go()
    {
        var meta = KubeJson.Deserialize<Meta.V1.ObjectMeta>("""{"creationTimestamp":"2024-05-06T07:08:09.123+02:00"}""");

        Assert.Equal(new DateTimeOffset(2024, 5, 6, 5, 8, 9, 123, TimeSpan.Zero), meta.CreationTimestamp);
        Assert.Equal("""{"creationTimestamp":"2024-05-06T05:08:09Z"}""", KubeJson.Serialize(meta));
        Assert.Throws<JsonException>(() => KubeJson.Deserialize<Meta.V1.ObjectMeta>("""{"creationTimestamp":"yesterday"}"""));
        Assert.Throws<JsonException>(() => KubeJson.Deserialize<Meta.V1.ObjectMeta>("""{"creationTimestamp":"2024-05-06"}"""));
    }

    [Fact]
    public void Micro_times_keep_microseconds()
    {
        var lease = new Lease { Spec = new LeaseSpec { RenewTime = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1234560) } };

        var json = KubeJson.Serialize(lease);

        Assert.Contains("\"renewTime\":\"2024-01-02T03:04:05.123456Z\"", json, StringComparison.Ordinal);
        Assert.Equal(lease.Spec.RenewTime, KubeJson.Deserialize<Lease>(json).Spec!.RenewTime);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1h0m0s", 3_600_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("300ms", 300)]
    [InlineData("-2s", -2_000)]
    [InlineData("+6s", 6_000)]
    [InlineData("2h45m", 9_900_000)]
    [InlineData(".5s", 500)]
    public void Go_durations_parse(string text, long milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), GoDuration.Parse(text));

    [Fact]
    public void Go_durations_parse_small_units()
    {
        Assert.Equal(TimeSpan.FromTicks(10), GoDuration.Parse("1us"));
        Assert.Equal(TimeSpan.FromTicks(10), GoDuration.Parse("1µs"));
        Assert.Equal(TimeSpan.FromTicks(1), GoDuration.Parse("100ns"));
    }

    [Theory]
    [InlineData("", "time: invalid duration \"\"")]
    [InlineData("1", "time: missing unit in duration \"1\"")]
    [InlineData("1x", "time: unknown unit \"x\" in duration \"1x\"")]
    [InlineData("s", "time: invalid duration \"s\"")]
    [InlineData("-", "time: invalid duration \"-\"")]
    public void Go_duration_errors_read_like_go(string text, string message)
    {
        Assert.False(GoDuration.TryParse(text, out _, out var error));
        Assert.Equal(message, error);
    }

    [Theory]
    [InlineData(90_000, "1m30s")]
    [InlineData(3_600_000, "1h0m0s")]
    [InlineData(1_500, "1.5s")]
    [InlineData(500, "500ms")]
    [InlineData(0, "0s")]
    [InlineData(-2_000, "-2s")]
    [InlineData(6_000, "6s")]
    [InlineData(600_000, "10m0s")]
    [InlineData(3_723_000, "1h2m3s")]
    public void Go_durations_format_like_go(long milliseconds, string expected) =>
        Assert.Equal(expected, GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public void Go_durations_format_sub_millisecond_units()
    {
        Assert.Equal("1µs", GoDuration.Format(TimeSpan.FromTicks(10)));
        Assert.Equal("1.5ms", GoDuration.Format(TimeSpan.FromTicks(15_000)));
        Assert.Equal("100ns", GoDuration.Format(TimeSpan.FromTicks(1)));
    }
}
