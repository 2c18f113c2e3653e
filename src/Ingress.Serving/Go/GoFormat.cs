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

    private static readonly (string Unit, long Ticks)[] DurationUnits =
    [
        ("ns", 0), ("us", 10), ("µs", 10), ("μs", 10), ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond), ("m", TimeSpan.TicksPerMinute), ("h", TimeSpan.TicksPerHour),
    ];

    /// <summary>time.ParseDuration. Nanosecond precision is reduced to .NET ticks (100ns); sub-tick values
    /// only matter for "is this whole seconds" checks, which <see cref="ParsedDuration.Nanoseconds"/> keeps.</summary>
    public static bool TryParseDuration(string s, out ParsedDuration value, out string? error)
    {
        value = default;
        error = $"time: invalid duration {Quote(s)}";
        var orig = s;
        var neg = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+')) { neg = s[0] == '-'; s = s[1..]; }
        if (s == "0") { error = null; return true; }
        if (s.Length == 0) return false;
        decimal totalNs = 0;
        while (s.Length > 0)
        {
            var i = 0;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            var num = s[..i];
            if (num.Length == 0 || num == "." || num.Count(c => c == '.') > 1) return false;
            s = s[i..];
            var j = 0;
            while (j < s.Length && !char.IsAsciiDigit(s[j]) && s[j] != '.') j++;
            var unit = s[..j];
            s = s[j..];
            if (unit.Length == 0) { error = $"time: missing unit in duration {Quote(orig)}"; return false; }
            decimal factor = unit switch
            {
                "ns" => 1m, "us" or "µs" or "μs" => 1_000m, "ms" => 1_000_000m, "s" => 1_000_000_000m,
                "m" => 60_000_000_000m, "h" => 3_600_000_000_000m, _ => -1m,
            };
            if (factor < 0) { error = $"time: unknown unit {Quote(unit)} in duration {Quote(orig)}"; return false; }
            if (!decimal.TryParse(num.EndsWith('.') ? num + "0" : num.StartsWith('.') ? "0" + num : num,
                    NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return false;
            totalNs += decimal.Truncate(n * factor);
            if (totalNs > long.MaxValue) return false;
        }
        error = null;
        value = new ParsedDuration((long)(neg ? -totalNs : totalNs));
        return true;
    }

    /// <summary>Go's time.Duration.String(), e.g. <c>1m30s</c>, <c>1.5s</c>, <c>10ms</c>, <c>0s</c>.</summary>
    public static string FormatDuration(long nanoseconds)
    {
        if (nanoseconds == 0) return "0s";
        var neg = nanoseconds < 0;
        var u = (ulong)(neg ? -nanoseconds : nanoseconds);
        string result;
        if (u < 1_000_000_000UL)
        {
            // Sub-second: ns, µs or ms with a fraction.
            string unit; ulong div;
            if (u < 1_000UL) { unit = "ns"; div = 1; }
            else if (u < 1_000_000UL) { unit = "µs"; div = 1_000; }
            else { unit = "ms"; div = 1_000_000; }
            result = Frac(u, div) + unit;
        }
        else
        {
            var sb = new StringBuilder();
            var hours = u / 3_600_000_000_000UL;
            var rem = u % 3_600_000_000_000UL;
            var mins = rem / 60_000_000_000UL;
            rem %= 60_000_000_000UL;
            if (hours > 0) sb.Append(hours).Append('h');
            if (hours > 0 || mins > 0) sb.Append(mins).Append('m');
            sb.Append(Frac(rem, 1_000_000_000UL)).Append('s');
            result = sb.ToString();
        }
        return neg ? "-" + result : result;

        static string Frac(ulong v, ulong div)
        {
            var whole = v / div;
            var frac = v % div;
            if (frac == 0) return whole.ToString(CultureInfo.InvariantCulture);
            var digits = div.ToString(CultureInfo.InvariantCulture).Length - 1;
            var f = frac.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
            return $"{whole}.{f}";
        }
    }
}

/// <summary>A Go time.Duration value (nanoseconds).</summary>
public readonly record struct ParsedDuration(long Nanoseconds)
{
    public TimeSpan ToTimeSpan() => TimeSpan.FromTicks(Nanoseconds / 100);
    public bool IsWholeSeconds => Nanoseconds % 1_000_000_000L == 0;
    public long WholeSeconds => Nanoseconds / 1_000_000_000L;
    public override string ToString() => GoFormat.FormatDuration(Nanoseconds);
}
