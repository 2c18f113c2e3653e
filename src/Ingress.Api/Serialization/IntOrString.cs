using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ingress.Api;

/// <summary>
/// Kubernetes' <c>int-or-string</c> (Go <c>intstr.IntOrString</c>): either a 32-bit integer or a string
/// such as a port name or a percentage. The JSON token kind is kept, so a value written back is the
/// value that was read.
/// </summary>
[JsonConverter(typeof(IntOrStringJsonConverter))]
public readonly record struct IntOrString
{
    private IntOrString(int? intValue, string? stringValue)
    {
        IntValue = intValue;
        StringValue = stringValue;
    }

    /// <summary>The integer form; null when this holds a string.</summary>
    public int? IntValue { get; }

    /// <summary>The string form; null when this holds an integer.</summary>
    public string? StringValue { get; }

    public bool IsInt => IntValue.HasValue;

    public static IntOrString FromInt(int value) => new(value, null);

    public static IntOrString FromString(string value) => new(null, value ?? throw new ArgumentNullException(nameof(value)));

    public static implicit operator IntOrString(int value) => FromInt(value);

    public static implicit operator IntOrString(string value) => FromString(value);

    /// <summary>
    /// The integer, or for a string the integer it spells (Go's <c>IntValue()</c> returns 0 for strings that do not
    /// parse; we report that as false instead so callers can tell).
    /// </summary>
    public bool TryGetInt(out int value)
    {
        if (IntValue is int i)
        {
            value = i;
            return true;
        }
        return int.TryParse(StringValue, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public override string ToString() => IntValue?.ToString(CultureInfo.InvariantCulture) ?? StringValue ?? "";
}

public sealed class IntOrStringJsonConverter : JsonConverter<IntOrString>
{
    public override IntOrString Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Number when reader.TryGetInt32(out var i) => IntOrString.FromInt(i),
            JsonTokenType.Number => throw new JsonException("int-or-string: number is not a 32-bit integer"),
            JsonTokenType.String => IntOrString.FromString(reader.GetString()!),
            _ => throw new JsonException($"int-or-string: expected a number or a string, got {reader.TokenType}"),
        };

    public override void Write(Utf8JsonWriter writer, IntOrString value, JsonSerializerOptions options)
    {
        if (value.IntValue is int i)
        {
            writer.WriteNumberValue(i);
        }
        else
        {
            writer.WriteStringValue(value.StringValue ?? "");
        }
    }
}
