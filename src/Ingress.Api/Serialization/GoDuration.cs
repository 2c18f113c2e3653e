using System.Globalization;
using System.Text;

namespace Ingress.Api;

/// <summary>
/// Go <c>time.Duration</c> strings (<c>1m30s</c>, <c>300ms</c>, <c>-1.5h</c>, <c>0</c>), as used by Knative's
/// annotations and config maps — the one implementation every project uses. The core works on nanoseconds, as Go
/// does (validation such as "is this whole seconds" needs them, and <see cref="TimeSpan"/> keeps only 100 ns ticks);
/// the <see cref="TimeSpan"/> overloads round to the nearest tick. <see cref="Format(long)"/> writes what Go's
/// <c>Duration.String()</c> writes, so messages that quote a duration (<c>expected 6s &lt;= 5s &lt;= 1h0m0s</c>)
/// read the same; parse errors are Go's texts.
/// </summary>
public static class GoDuration
{
    public const long Nanosecond = 1;
    public const long Microsecond = 1000;
    public const long Millisecond = 1_000_000;
    public const long Second = 1_000_000_000;
    public const long Minute = 60 * Second;
    public const long Hour = 60 * Minute;
    private const long NanosPerTick = 100;

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var d, out var error) ? d : throw new FormatException(error);

    public static bool TryParse(string? text, out TimeSpan duration) => TryParse(text, out duration, out _);

    /// <summary>Parses like Go's <c>time.ParseDuration</c>, rounded to the nearest 100 ns tick; the error text matches Go's.</summary>
    public static bool TryParse(string? text, out TimeSpan duration, out string? error)
    {
        duration = TimeSpan.Zero;
        if (!TryParseNanoseconds(text ?? "", out var nanos, out error)) return false;
        duration = FromNanosecondsRounded(nanos);
        return true;
    }

    /// <summary>Go's <c>time.ParseDuration</c> into nanoseconds, with Go's overflow rules and error texts
    /// (<c>time: invalid duration "x"</c>, <c>time: missing unit in duration "1"</c>,
    /// <c>time: unknown unit "x" in duration "1x"</c>).</summary>
    public static bool TryParseNanoseconds(string raw, out long nanoseconds, out string? error)
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
        string Invalid() => "time: invalid duration " + Quote(raw);
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
            if (unitLength == 0) { error = "time: missing unit in duration " + Quote(raw); return false; }
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
                error = "time: unknown unit " + Quote(unitText) + " in duration " + Quote(raw);
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

    /// <summary>Formats like Go's <c>Duration.String()</c>: <c>1h0m0s</c>, <c>1m30s</c>, <c>1.5s</c>, <c>500ms</c>, <c>0s</c>.</summary>
    public static string Format(TimeSpan duration) => Format(FromTimeSpan(duration));

    /// <summary>Go's <c>Duration.String()</c> of nanoseconds.</summary>
    public static string Format(long nanoseconds)
    {
        if (nanoseconds == 0) return "0s";
        var negative = nanoseconds < 0;
        var u = negative ? (ulong)(-(nanoseconds + 1)) + 1 : (ulong)nanoseconds;
        var sb = new StringBuilder();
        if (u < (ulong)Second)
        {
            // Below one second Go picks the largest unit that keeps an integer part.
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

    /// <summary>Nanoseconds → <see cref="TimeSpan"/>, sub-100 ns remainders dropped (truncation toward zero).</summary>
    public static TimeSpan ToTimeSpan(long nanoseconds) => TimeSpan.FromTicks(nanoseconds / NanosPerTick);

    /// <summary><see cref="TimeSpan"/> → nanoseconds.</summary>
    public static long FromTimeSpan(TimeSpan value) => value.Ticks * NanosPerTick;

    private static TimeSpan FromNanosecondsRounded(long nanoseconds)
    {
        var ticks = nanoseconds / NanosPerTick;
        var rest = nanoseconds % NanosPerTick;
        if (Math.Abs(rest) * 2 >= NanosPerTick) ticks += Math.Sign(rest);
        return TimeSpan.FromTicks(ticks);
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

    /// <summary>The time package's own quote: ASCII as is (with <c>"</c> and <c>\</c> escaped), every byte of a
    /// non-ASCII or control character as <c>\xNN</c>.</summary>
    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in s.EnumerateRunes())
        {
            if (rune.Value >= 0x80 || rune.Value < ' ')
            {
                var n = rune.EncodeToUtf8(bytes);
                for (var i = 0; i < n; i++) sb.Append("\\x").Append(bytes[i].ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                if (rune.Value is '"' or '\\') sb.Append('\\');
                sb.Append((char)rune.Value);
            }
        }
        return sb.Append('"').ToString();
    }
}
