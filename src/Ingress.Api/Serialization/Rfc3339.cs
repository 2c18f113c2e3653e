using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ingress.Api;

/// <summary>
/// Kubernetes times. <c>metav1.Time</c> is RFC 3339 with whole seconds in UTC (<c>2006-01-02T15:04:05Z</c>);
/// <c>metav1.MicroTime</c> keeps microseconds (<c>2006-01-02T15:04:05.000000Z</c>). Reading accepts any
/// RFC 3339 form (fractions, offsets).
/// </summary>
public static class Rfc3339
{
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture);

    public static string FormatMicro(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        TryParse(text, out var t) ? t : throw new FormatException($"not an RFC 3339 time: {text}");

    public static bool TryParse(string? text, out DateTimeOffset time)
    {
        time = default;
        // RFC 3339 requires the 'T' separator and an explicit offset ('Z' or ±hh:mm).
        if (string.IsNullOrEmpty(text) || text.Length < 20 || (text[10] != 'T' && text[10] != 't'))
        {
            return false;
        }
        var last = text[^1];
        if (last is not ('Z' or 'z') && text.IndexOfAny(['+', '-'], 19) < 0)
        {
            return false;
        }
        return DateTimeOffset.TryParse(text.ToUpperInvariant(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out time);
    }

    /// <summary>Truncates to whole seconds, the precision a <c>metav1.Time</c> survives a round trip with.</summary>
    public static DateTimeOffset TruncateToSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
}

/// <summary>JSON converter for <c>metav1.Time</c>: writes whole seconds in UTC, like Go.</summary>
public sealed class Rfc3339TimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"time: expected a string, got {reader.TokenType}");
        }
        var text = reader.GetString()!;
        return Rfc3339.TryParse(text, out var time) ? time : throw new JsonException($"time: not RFC 3339: {text}");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Rfc3339.Format(value));
}

/// <summary>JSON converter for <c>metav1.MicroTime</c> (Lease renew times, Event times): microseconds in UTC.</summary>
public sealed class Rfc3339MicroTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"time: expected a string, got {reader.TokenType}");
        }
        var text = reader.GetString()!;
        return Rfc3339.TryParse(text, out var time) ? time : throw new JsonException($"time: not RFC 3339: {text}");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Rfc3339.FormatMicro(value));
}
