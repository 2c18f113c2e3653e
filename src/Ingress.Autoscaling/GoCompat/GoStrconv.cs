using System.Globalization;
using System.Text;

namespace Ingress.Autoscaling.GoCompat;

/// <summary>
/// Parsing and formatting that behaves like Go's <c>strconv</c> and <c>fmt</c>, because upstream's error
/// messages and accepted inputs are defined by them (config-autoscaler values, annotation values).
/// </summary>
public static class GoStrconv
{
    /// <summary>Go <c>strconv.ParseBool</c>.</summary>
    public static bool TryParseBool(string raw, out bool value, out string? error)
    {
        switch (raw)
        {
            case "1" or "t" or "T" or "TRUE" or "true" or "True":
                value = true; error = null; return true;
            case "0" or "f" or "F" or "FALSE" or "false" or "False":
                value = false; error = null; return true;
            default:
                value = false; error = $"strconv.ParseBool: parsing {Quote(raw)}: invalid syntax"; return false;
        }
    }

    /// <summary>Go <c>strconv.ParseInt(raw, 10, bits)</c>: optional sign, decimal digits only.</summary>
    public static bool TryParseInt(string raw, int bits, out long value, out string? error, out bool outOfRange)
    {
        value = 0; outOfRange = false;
        var s = raw.AsSpan();
        var negative = false;
        if (s.Length > 0 && (s[0] == '+' || s[0] == '-'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s.Length == 0 || s.ContainsAnyExcept("0123456789"))
        {
            error = $"strconv.ParseInt: parsing {Quote(raw)}: invalid syntax";
            return false;
        }
        var max = bits == 64 ? (System.Numerics.BigInteger)long.MaxValue : (System.Numerics.BigInteger.One << (bits - 1)) - 1;
        var magnitude = System.Numerics.BigInteger.Parse(s, CultureInfo.InvariantCulture);
        var signed = negative ? -magnitude : magnitude;
        if (signed > max || signed < -max - 1)
        {
            outOfRange = true;
            error = $"strconv.ParseInt: parsing {Quote(raw)}: value out of range";
            return false;
        }
        value = (long)signed;
        error = null;
        return true;
    }

    /// <summary>Go <c>strconv.Atoi</c> (64-bit int); errors use the <c>Atoi</c> function name.</summary>
    public static bool TryAtoi(string raw, out long value, out string? error)
    {
        var ok = TryParseInt(raw, 64, out value, out error, out _);
        if (!ok) error = error!.Replace("strconv.ParseInt", "strconv.Atoi", StringComparison.Ordinal);
        return ok;
    }

    /// <summary>Go <c>strconv.ParseFloat(raw, 64)</c> for decimal input, <c>inf</c>/<c>infinity</c>/<c>nan</c>;
    /// no surrounding whitespace. Hexadecimal floats and digit-separating underscores (which Go accepts only
    /// with a base prefix) are rejected as invalid syntax.</summary>
    public static bool TryParseFloat(string raw, out double value, out string? error)
    {
        value = 0;
        var s = raw.AsSpan();
        var body = s.Length > 0 && (s[0] == '+' || s[0] == '-') ? s[1..] : s;
        if (body.Equals("inf", StringComparison.OrdinalIgnoreCase) || body.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            value = s[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
            error = null;
            return true;
        }
        if (s.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            value = double.NaN;
            error = null;
            return true;
        }
        if (!IsDecimalFloat(body))
        {
            error = $"strconv.ParseFloat: parsing {Quote(raw)}: invalid syntax";
            return false;
        }
        value = double.Parse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
            CultureInfo.InvariantCulture);
        if (double.IsInfinity(value))
        {
            error = $"strconv.ParseFloat: parsing {Quote(raw)}: value out of range";
            return false;
        }
        error = null;
        return true;
    }

    private static bool IsDecimalFloat(ReadOnlySpan<char> s)
    {
        var i = 0;
        var digits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; digits++; }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; digits++; }
        }
        if (digits == 0) return false;
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            i++;
            if (i < s.Length && (s[i] == '+' || s[i] == '-')) i++;
            var expDigits = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; expDigits++; }
            if (expDigits == 0) return false;
        }
        return i == s.Length;
    }

    /// <summary>Go <c>fmt</c> <c>%v</c> of a float64: shortest round-trip digits, exponent form when the decimal
    /// exponent is &lt; -4 or ≥ 6 (Go's shortest <c>%g</c>, so 1000000 prints as <c>1e+06</c>).</summary>
    public static string FormatFloatV(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsPositiveInfinity(value)) return "+Inf";
        if (double.IsNegativeInfinity(value)) return "-Inf";
        if (value == 0) return double.IsNegative(value) ? "-0" : "0";
        // .NET's "R" gives the shortest round-trip digits (like Go's shortest formatting), in either plain or
        // E notation; we re-lay them out Go's way.
        var r = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = r[0] == '-';
        if (negative) r = r[1..];
        string digits;
        int exponent; // decimal exponent of the first digit
        var ePos = r.IndexOfAny(['E', 'e']);
        var mantissa = ePos >= 0 ? r[..ePos] : r;
        var exp10 = ePos >= 0 ? int.Parse(r[(ePos + 1)..], CultureInfo.InvariantCulture) : 0;
        var dot = mantissa.IndexOf('.');
        var intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        var fracPart = dot >= 0 ? mantissa[(dot + 1)..] : "";
        var all = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - all.Length;
        digits = all.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        exponent = intPart.Length - 1 - leadingZeros + exp10;
        var sb = new StringBuilder();
        if (negative) sb.Append('-');
        if (exponent < -4 || exponent >= 6)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(exponent < 0 ? '-' : '+');
            var absExp = Math.Abs(exponent);
            if (absExp < 10) sb.Append('0');
            sb.Append(absExp.ToString(CultureInfo.InvariantCulture));
        }
        else if (exponent < 0)
        {
            sb.Append("0.").Append('0', -exponent - 1).Append(digits);
        }
        else if (digits.Length <= exponent + 1)
        {
            sb.Append(digits).Append('0', exponent + 1 - digits.Length);
        }
        else
        {
            sb.Append(digits, 0, exponent + 1).Append('.').Append(digits, exponent + 1, digits.Length - exponent - 1);
        }
        return sb.ToString();
    }

    /// <summary>Go <c>%f</c>: six decimals.</summary>
    public static string FormatFloatF(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsInfinity(value) ? (value > 0 ? "+Inf" : "-Inf")
        : value.ToString("F6", CultureInfo.InvariantCulture);

    /// <summary>Go <c>strconv.Quote</c> for the characters config values realistically contain.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < 0x20 || c == 0x7F) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
