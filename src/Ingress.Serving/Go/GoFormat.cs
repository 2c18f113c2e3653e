using System.Globalization;
using System.Text;

namespace Ingress.Serving.Go;

/// <summary>Reproductions of the Go standard library's user-visible formats (strconv errors, %q quoting,
/// time.Duration). Why: Knative's error messages embed them verbatim and users compare them.</summary>
public static class GoFormat
{
    /// <summary>Go's <c>%q</c> / <c>strconv.Quote</c> for the printable ASCII and common escapes.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var r in s.EnumerateRunes())
        {
            switch (r.Value)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\v': sb.Append("\\v"); break;
                default:
                    if (r.Value < 0x20 || r.Value == 0x7f) sb.Append("\\x").Append(r.Value.ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(r.ToString());
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>strconv.Atoi / ParseInt(s, 10, 64) semantics. Returns null and the Go error text on failure.</summary>
    public static bool TryParseInt(string s, string func, out long value, out string? error, int bits = 64)
    {
        value = 0;
        error = null;
        var body = s.StartsWith('+') || s.StartsWith('-') ? s[1..] : s;
        if (body.Length == 0 || !body.All(char.IsAsciiDigit))
        {
            error = $"strconv.{func}: parsing {Quote(s)}: invalid syntax";
            return false;
        }
        if (!long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)
            || (bits == 32 && (value > int.MaxValue || value < int.MinValue)))
        {
            error = $"strconv.{func}: parsing {Quote(s)}: value out of range";
            return false;
        }
        return true;
    }

    /// <summary>strconv.ParseBool: accepts 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False.</summary>
    public static bool TryParseBool(string s, out bool value, out string? error)
    {
        error = null;
        switch (s)
        {
            case "1" or "t" or "T" or "TRUE" or "true" or "True": value = true; return true;
            case "0" or "f" or "F" or "FALSE" or "false" or "False": value = false; return true;
            default:
                value = false;
                error = $"strconv.ParseBool: parsing {Quote(s)}: invalid syntax";
                return false;
        }
    }

    /// <summary>strconv.ParseFloat(s, 64) with Go's error text.</summary>
    public static bool TryParseFloat(string s, out double value, out string? error)
    {
        error = null;
        if (s.Length > 0 && !s.Contains(' ') && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            return true;
        value = 0;
        error = $"strconv.ParseFloat: parsing {Quote(s)}: invalid syntax";
        return false;
    }

    /// <summary>time.ParseDuration, with Go's error texts (the one implementation: <see cref="Api.GoDuration"/>).</summary>
    public static bool TryParseDuration(string s, out ParsedDuration value, out string? error)
    {
        var ok = Api.GoDuration.TryParseNanoseconds(s, out var nanos, out error);
        value = new ParsedDuration(ok ? nanos : 0);
        return ok;
    }

    /// <summary>Go's time.Duration.String(), e.g. <c>1m30s</c>, <c>1.5s</c>, <c>10ms</c>, <c>0s</c>.</summary>
    public static string FormatDuration(long nanoseconds) => Api.GoDuration.Format(nanoseconds);
}

/// <summary>A Go time.Duration value (nanoseconds).</summary>
public readonly record struct ParsedDuration(long Nanoseconds)
{
    public TimeSpan ToTimeSpan() => Api.GoDuration.ToTimeSpan(Nanoseconds);
    public bool IsWholeSeconds => Nanoseconds % 1_000_000_000L == 0;
    public long WholeSeconds => Nanoseconds / 1_000_000_000L;
    public override string ToString() => GoFormat.FormatDuration(Nanoseconds);
}
