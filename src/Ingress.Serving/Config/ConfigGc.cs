using System.Globalization;
using Ingress.Serving.Go;

namespace Ingress.Serving.Config;

/// <summary>
/// config-gc: when the Configuration reconciler deletes Revisions that no Route needs any more (upstream
/// <c>pkg/gc</c>). A duration or the max count may be <c>disabled</c> (null here). Defaults are upstream's and keep
/// a fresh install's history: a non-active Revision goes only once it is older than 48 h, was last routed more than
/// 15 h ago and at least 20 non-active ones remain; beyond 1000 non-active ones the oldest go regardless of age.
/// </summary>
public sealed record ConfigGc
{
    public const string Name = "config-gc";

    /// <summary>Revisions created more recently than this are kept (null: disabled, no age bound). Default 48 h.</summary>
    public TimeSpan? RetainSinceCreateTime { get; init; } = TimeSpan.FromHours(48);
    /// <summary>Revisions routed more recently than this are kept (null: disabled). Default 15 h.</summary>
    public TimeSpan? RetainSinceLastActiveTime { get; init; } = TimeSpan.FromHours(15);
    /// <summary>Non-active Revisions always kept. Default 20.</summary>
    public long MinNonActiveRevisions { get; init; } = 20;
    /// <summary>Non-active Revisions kept at most, stale or not (null: disabled). Default 1000.</summary>
    public long? MaxNonActiveRevisions { get; init; } = 1000;

    public static ConfigGc Default { get; } = new();

    /// <summary>Upstream's NewConfigFromConfigMapFunc with its error texts.</summary>
    public static ConfigGc Parse(IReadOnlyDictionary<string, string> data)
    {
        var min = 20L;
        if (data.TryGetValue("min-non-active-revisions", out var rawMin))
        {
            if (!GoFormat.TryParseInt(rawMin, "ParseInt", out min, out var err))
                throw new ConfigMapParseException($"failed to parse data: failed to parse {GoFormat.Quote("min-non-active-revisions")}: {err}");
        }
        var c = Default with { MinNonActiveRevisions = min };
        c = c with
        {
            RetainSinceCreateTime = DisabledOrDuration(data, "retain-since-create-time", c.RetainSinceCreateTime),
            RetainSinceLastActiveTime = DisabledOrDuration(data, "retain-since-last-active-time", c.RetainSinceLastActiveTime),
            MaxNonActiveRevisions = DisabledOrCount(data, "max-non-active-revisions", c.MaxNonActiveRevisions),
        };
        if (c.MinNonActiveRevisions < 0)
            throw new ConfigMapParseException($"min-non-active-revisions must be non-negative, was: {c.MinNonActiveRevisions.ToString(CultureInfo.InvariantCulture)}");
        if (c.MaxNonActiveRevisions is { } max && c.MinNonActiveRevisions > max)
            throw new ConfigMapParseException(string.Create(CultureInfo.InvariantCulture,
                $"min-non-active-revisions({c.MinNonActiveRevisions}) must be <= max-non-active-revisions({max})"));
        return c;
    }

    private static TimeSpan? DisabledOrDuration(IReadOnlyDictionary<string, string> data, string key, TimeSpan? current)
    {
        var raw = data.GetValueOrDefault(key, "");
        if (raw.Length == 0) return current;
        if (raw.Equals("disabled", StringComparison.OrdinalIgnoreCase)) return null;
        if (!GoFormat.TryParseDuration(raw, out var d, out var err)) throw new ConfigMapParseException($"failed to parse {key}: {err}");
        if (d.Nanoseconds < 0) throw new ConfigMapParseException($"failed to parse {key}: must be non-negative");
        return d.ToTimeSpan();
    }

    private static long? DisabledOrCount(IReadOnlyDictionary<string, string> data, string key, long? current)
    {
        var raw = data.GetValueOrDefault(key, "");
        if (raw.Length == 0) return current;
        if (raw.Equals("disabled", StringComparison.OrdinalIgnoreCase)) return null;
        // strconv.ParseUint(raw, 10, 64): digits only (no sign), range errors above 2^64-1.
        if (raw.Length == 0 || !raw.All(char.IsAsciiDigit))
            throw new ConfigMapParseException($"failed to parse {key}: strconv.ParseUint: parsing {GoFormat.Quote(raw)}: invalid syntax");
        if (!ulong.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            throw new ConfigMapParseException($"failed to parse {key}: strconv.ParseUint: parsing {GoFormat.Quote(raw)}: value out of range");
        if (v > long.MaxValue) throw new ConfigMapParseException($"failed to parse {key}: value should be lower than {long.MaxValue.ToString(CultureInfo.InvariantCulture)}");
        return (long)v;
    }
}
