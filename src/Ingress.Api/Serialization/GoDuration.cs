using System.Globalization;
using System.Text;

namespace Ingress.Api;

/// <summary>
/// Go <c>time.Duration</c> strings (<c>1m30s</c>, <c>300ms</c>, <c>-1.5h</c>, <c>0</c>), as used by Knative's
/// annotations and config maps. <see cref="Format"/> writes what Go's <c>Duration.String()</c> writes, so
/// messages that quote a duration (<c>expected 6s &lt;= 5s &lt;= 1h0m0s</c>) read the same.
/// TimeSpan's resolution is 100 ns, so nanosecond digits below that are rounded away.
/// </summary>
public static class GoDuration
{
    private const long NanosPerTick = 100;

    public static TimeSpan Parse(string text) =>
        TryParse(text, out var d, out var error) ? d : throw new FormatException(error);

    public static bool TryParse(string? text, out TimeSpan duration) => TryParse(text, out duration, out _);

    /// <summary>Parses like Go's <c>time.ParseDuration</c>; the error text matches Go's.</summary>
    public static bool TryParse(string? text, out TimeSpan duration, out string? error)
    {
        duration = TimeSpan.Zero;
        error = null;
        var original = text ?? "";
        var s = original.AsSpan();
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s.SequenceEqual("0"))
        {
            return true;
        }
        if (s.IsEmpty)
        {
            error = $"time: invalid duration \"{original}\"";
            return false;
        }
        decimal totalNanos = 0;
        while (!s.IsEmpty)
        {
            // The number: digits, optional fraction.
            var i = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
            var intPart = s[..i];
            var fracPart = ReadOnlySpan<char>.Empty;
            if (i < s.Length && s[i] == '.')
            {
                var start = ++i;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }
                fracPart = s[start..i];
            }
            if (intPart.IsEmpty && fracPart.IsEmpty)
            {
                error = $"time: invalid duration \"{original}\"";
                return false;
            }
            s = s[i..];
            // The unit.
            var u = 0;
            while (u < s.Length && s[u] != '.' && !char.IsAsciiDigit(s[u]))
            {
                u++;
            }
            if (u == 0)
            {
                error = $"time: missing unit in duration \"{original}\"";
                return false;
            }
            var unit = s[..u].ToString();
            s = s[u..];
            decimal unitNanos = unit switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60m * 1_000_000_000m,
                "h" => 3600m * 1_000_000_000m,
                _ => -1m,
            };
            if (unitNanos < 0)
            {
                error = $"time: unknown unit \"{unit}\" in duration \"{original}\"";
                return false;
            }
            var number = decimal.Parse(intPart.IsEmpty ? "0" : intPart.ToString(), CultureInfo.InvariantCulture);
            if (!fracPart.IsEmpty)
            {
                number += decimal.Parse("0." + fracPart.ToString(), CultureInfo.InvariantCulture);
            }
            totalNanos += number * unitNanos;
            if (totalNanos > long.MaxValue)
            {
                error = $"time: invalid duration \"{original}\"";
                return false;
            }
        }
        var ticks = (long)decimal.Round(totalNanos / NanosPerTick, MidpointRounding.AwayFromZero);
        duration = TimeSpan.FromTicks(negative ? -ticks : ticks);
        return true;
    }

    /// <summary>Formats like Go's <c>Duration.String()</c>: <c>1h0m0s</c>, <c>1m30s</c>, <c>1.5s</c>, <c>500ms</c>, <c>0s</c>.</summary>
    public static string Format(TimeSpan duration)
    {
        var nanos = (decimal)duration.Ticks * NanosPerTick;
        if (nanos == 0)
        {
            return "0s";
        }
        var sb = new StringBuilder();
        if (nanos < 0)
        {
            sb.Append('-');
            nanos = -nanos;
        }
        if (nanos < 1_000_000_000m)
        {
            // Below one second Go picks the largest unit that keeps an integer part.
            var (div, unit) = nanos switch
            {
                < 1_000m => (1m, "ns"),
                < 1_000_000m => (1_000m, "µs"),
                _ => (1_000_000m, "ms"),
            };
            sb.Append(FormatFraction(nanos / div)).Append(unit);
            return sb.ToString();
        }
        var totalSeconds = nanos / 1_000_000_000m;
        var hours = decimal.Floor(totalSeconds / 3600m);
        var minutes = decimal.Floor((totalSeconds - hours * 3600m) / 60m);
        var seconds = totalSeconds - hours * 3600m - minutes * 60m;
        if (hours > 0)
        {
            sb.Append(hours.ToString("0", CultureInfo.InvariantCulture)).Append('h');
        }
        if (hours > 0 || minutes > 0)
        {
            sb.Append(minutes.ToString("0", CultureInfo.InvariantCulture)).Append('m');
        }
        sb.Append(FormatFraction(seconds)).Append('s');
        return sb.ToString();
    }

    private static string FormatFraction(decimal value) =>
        value.ToString("0.#########", CultureInfo.InvariantCulture);
}
