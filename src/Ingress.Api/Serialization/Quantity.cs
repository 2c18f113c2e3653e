using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Ingress.Api;

/// <summary>
/// A Kubernetes resource quantity (<c>500m</c>, <c>128Mi</c>, <c>1e3</c>, <c>2</c>). The original text is kept
/// verbatim so stored objects never change under us; <see cref="ToDecimal"/> gives the numeric value.
/// A quantity read from a JSON number is written back as a number (Go would write a string; we keep user
/// objects byte-equivalent instead). Quantities made in code are written as strings, like Go.
/// </summary>
[JsonConverter(typeof(QuantityJsonConverter))]
public readonly partial record struct Quantity
{
    private static readonly Dictionary<string, decimal> SuffixMultipliers = new(StringComparer.Ordinal)
    {
        [""] = 1m,
        ["n"] = 0.000000001m,
        ["u"] = 0.000001m,
        ["m"] = 0.001m,
        ["k"] = 1_000m,
        ["M"] = 1_000_000m,
        ["G"] = 1_000_000_000m,
        ["T"] = 1_000_000_000_000m,
        ["P"] = 1_000_000_000_000_000m,
        ["E"] = 1_000_000_000_000_000_000m,
        ["Ki"] = 1024m,
        ["Mi"] = 1024m * 1024,
        ["Gi"] = 1024m * 1024 * 1024,
        ["Ti"] = 1024m * 1024 * 1024 * 1024,
        ["Pi"] = 1024m * 1024 * 1024 * 1024 * 1024,
        ["Ei"] = 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
    };

    private Quantity(string text, bool fromNumber)
    {
        Text = text;
        FromJsonNumber = fromNumber;
    }

    /// <summary>The quantity exactly as written.</summary>
    public string Text { get; }

    /// <summary>True when the value was read from a JSON number token (written back as a number).</summary>
    public bool FromJsonNumber { get; }

    public static Quantity Parse(string text) =>
        TryParse(text, out var q) ? q : throw new FormatException($"quantities must match the regular expression '{QuantityPattern}': {text}");

    public static bool TryParse(string? text, out Quantity quantity)
    {
        quantity = default;
        if (text is null || TryGetDecimal(text) is null)
        {
            return false;
        }
        quantity = new Quantity(text, false);
        return true;
    }

    internal static Quantity FromNumberText(string text) => new(text, true);

    public static implicit operator Quantity(string text) => Parse(text);

    /// <summary>The numeric value (<c>500m</c> is 0.5, <c>1Ki</c> is 1024).</summary>
    public decimal ToDecimal() => TryGetDecimal(Text) ?? throw new FormatException($"invalid quantity: {Text}");

    /// <summary>The value in thousandths, rounded up like Go's <c>MilliValue()</c>.</summary>
    public long MilliValue() => (long)decimal.Ceiling(ToDecimal() * 1000m);

    /// <summary>The value rounded up to a whole number, like Go's <c>Value()</c>.</summary>
    public long Value() => (long)decimal.Ceiling(ToDecimal());

    public override string ToString() => Text ?? "";

    private const string QuantityPattern = @"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

    [GeneratedRegex(@"^(?<num>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:(?<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE](?<exp>[+-]?[0-9]+))?$", RegexOptions.CultureInvariant)]
    private static partial Regex QuantityRegex();

    private static decimal? TryGetDecimal(string text)
    {
        var match = QuantityRegex().Match(text);
        if (!match.Success)
        {
            return null;
        }
        if (!decimal.TryParse(match.Groups["num"].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }
        try
        {
            if (match.Groups["exp"].Success)
            {
                if (!int.TryParse(match.Groups["exp"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exp) || exp is > 28 or < -28)
                {
                    return null;
                }
                var scale = 1m;
                for (var i = 0; i < Math.Abs(exp); i++)
                {
                    scale *= 10m;
                }
                return exp >= 0 ? number * scale : number / scale;
            }
            return number * SuffixMultipliers[match.Groups["suffix"].Value];
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}

public sealed class QuantityJsonConverter : JsonConverter<Quantity>
{
    public override Quantity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            var text = System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
            return Quantity.FromNumberText(text);
        }
        if (reader.TokenType == JsonTokenType.String)
        {
            var text = reader.GetString()!;
            return Quantity.TryParse(text, out var q) ? q : throw new JsonException($"invalid quantity: {text}");
        }
        throw new JsonException($"quantity: expected a string or a number, got {reader.TokenType}");
    }

    public override void Write(Utf8JsonWriter writer, Quantity value, JsonSerializerOptions options)
    {
        if (value.FromJsonNumber)
        {
            writer.WriteRawValue(value.Text, skipInputValidation: false);
        }
        else
        {
            writer.WriteStringValue(value.Text ?? "");
        }
    }
}
