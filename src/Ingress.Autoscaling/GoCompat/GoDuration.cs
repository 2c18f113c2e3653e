using System.Globalization;
using System.Text;

namespace Ingress.Autoscaling.GoCompat;

/// <summary>
/// Go <c>time.ParseDuration</c> and <c>time.Duration.String()</c> over nanoseconds. Upstream's config
/// values and error messages are Go durations (<c>60s</c>, <c>1m1.984s</c>, <c>1h0m0s</c>), and Go keeps
/// nanoseconds where <see cref="TimeSpan"/> keeps 100 ns ticks, so validation works on nanoseconds.
/// </summary>
public static class GoDuration
{
    public const long Nanosecond = 1;
    public const long Microsecond = 1000;
    public const long Millisecond = 1_000_000;
    public const long Second = 1_000_000_000;
    public const long Minute = 60 * Second;
    public const long Hour = 60 * Minute;

    /// <summary>Parses a Go duration (<c>"1h2m3.5s"</c>, <c>"-1.5h"</c>, <c>"0"</c>) into nanoseconds.</summary>
    public static bool TryParse(string raw, out long nanoseconds, out string? error)
    {
        nanoseconds = 0;
        error = null;
        var s = raw.AsSpan();
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s is "0") return true;
        string Invalid() => "time: invalid duration " + GoStrconv.Quote(raw);
        if (s.Length == 0) { error = Invalid(); return false; }
        ulong total = 0;
        const ulong limit = 1UL << 63;
        while (s.Length > 0)
        {
            if (!(s[0] == '.' || char.IsAsciiDigit(s[0]))) { error = Invalid(); return false; }
            // Integer part.
            ulong whole = 0;
            var start = s.Length;
            var overflow = false;
            while (s.Length > 0 && char.IsAsciiDigit(s[0]))
            {
                if (whole > (limit - 1) / 10) overflow = true;
                whole = whole * 10 + (ulong)(s[0] - '0');
                if (whole > limit) overflow = true;
                s = s[1..];
            }
            if (overflow) { error = Invalid(); return false; }
            var hasWhole = start != s.Length;
            // Fraction part: digits past what fits are ignored, like Go.
            ulong fraction = 0;
            double scale = 1;
            var hasFraction = false;
            if (s.Length > 0 && s[0] == '.')
            {
                s = s[1..];
                var fractionStart = s.Length;
                var fractionOverflow = false;
                while (s.Length > 0 && char.IsAsciiDigit(s[0]))
                {
                    if (!fractionOverflow)
                    {
                        if (fraction > (limit - 1) / 10) fractionOverflow = true;
                        else
                        {
                            var next = fraction * 10 + (ulong)(s[0] - '0');
                            if (next > limit) fractionOverflow = true;
                            else { fraction = next; scale *= 10; }
                        }
                    }
                    s = s[1..];
                }
                hasFraction = fractionStart != s.Length;
            }
            if (!hasWhole && !hasFraction) { error = Invalid(); return false; }
            var unitLength = 0;
            while (unitLength < s.Length && s[unitLength] != '.' && !char.IsAsciiDigit(s[unitLength])) unitLength++;
            if (unitLength == 0) { error = "time: missing unit in duration " + GoStrconv.Quote(raw); return false; }
            var unitText = s[..unitLength].ToString();
            s = s[unitLength..];
            ulong unit = unitText switch
            {
                "ns" => Nanosecond,
                "us" or "\u00b5s" or "\u03bcs" => Microsecond,
                "ms" => Millisecond,
                "s" => Second,
                "m" => Minute,
                "h" => Hour,
                _ => 0,
            };
            if (unit == 0)
            {
                error = "time: unknown unit " + GoStrconv.Quote(unitText) + " in duration " + GoStrconv.Quote(raw);
                return false;
            }
            if (whole > limit / unit) { error = Invalid(); return false; }
            whole *= unit;
            if (fraction > 0)
            {
                whole += (ulong)(fraction * (unit / scale));
                if (whole > limit) { error = Invalid(); return false; }
            }
            total += whole;
            if (total > limit) { error = Invalid(); return false; }
        }
        if (negative)
        {
            nanoseconds = -(long)total;
            return true;
        }
        if (total > long.MaxValue) { error = Invalid(); return false; }
        nanoseconds = (long)total;
        return true;
    }

    /// <summary>Go's <c>Duration.String()</c>.</summary>
    public static string Format(long nanoseconds)
    {
        if (nanoseconds == 0) return "0s";
        var negative = nanoseconds < 0;
        var u = negative ? (ulong)(-(nanoseconds + 1)) + 1 : (ulong)nanoseconds;
        var sb = new StringBuilder();
        if (u < (ulong)Second)
        {
            string unit;
            int precision;
            if (u < (ulong)Microsecond) { unit = "ns"; precision = 0; }
            else if (u < (ulong)Millisecond) { unit = "\u00b5s"; precision = 3; }
            else { unit = "ms"; precision = 6; }
            sb.Append(FormatFraction(u, precision)).Append(unit);
        }
        else
        {
            var seconds = FormatFraction(u, 9);
            var wholeSeconds = u / (ulong)Second;
            var secPart = wholeSeconds % 60;
            var frac = seconds.Contains('.') ? seconds[seconds.IndexOf('.')..] : "";
            var minutes = wholeSeconds / 60;
            if (minutes > 0)
            {
                var hours = minutes / 60;
                if (hours > 0) sb.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
                sb.Append((minutes % 60).ToString(CultureInfo.InvariantCulture)).Append('m');
            }
            sb.Append(secPart.ToString(CultureInfo.InvariantCulture)).Append(frac).Append('s');
        }
        return (negative ? "-" : "") + sb;
    }

    // value / 10^precision with trailing zeros (and a bare '.') trimmed, as Go's fmtFrac does.
    private static string FormatFraction(ulong value, int precision)
    {
        if (precision == 0) return value.ToString(CultureInfo.InvariantCulture);
        ulong pow = 1;
        for (var i = 0; i < precision; i++) pow *= 10;
        var whole = value / pow;
        var fraction = (value % pow).ToString(CultureInfo.InvariantCulture).PadLeft(precision, '0').TrimEnd('0');
        return fraction.Length == 0
            ? whole.ToString(CultureInfo.InvariantCulture)
            : whole.ToString(CultureInfo.InvariantCulture) + "." + fraction;
    }

    /// <summary>Nanoseconds → <see cref="TimeSpan"/> (sub-100 ns remainders are dropped).</summary>
    public static TimeSpan ToTimeSpan(long nanoseconds) => TimeSpan.FromTicks(nanoseconds / 100);

    /// <summary><see cref="TimeSpan"/> → nanoseconds.</summary>
    public static long FromTimeSpan(TimeSpan value) => value.Ticks * 100;

    /// <summary>Go <c>Duration.String()</c> of a <see cref="TimeSpan"/>.</summary>
    public static string Format(TimeSpan value) => Format(FromTimeSpan(value));
}
