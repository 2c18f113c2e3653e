using System.Text.RegularExpressions;
using Ingress.Serving.Go;

namespace Ingress.Serving.Config;

/// <summary>A ConfigMap's data did not parse; <see cref="Exception.Message"/> is Knative's error text.</summary>
public sealed class ConfigMapParseException(string message) : Exception(message);

/// <summary>Readers mirroring <c>knative.dev/pkg/configmap</c>'s <c>AsString</c>, <c>AsInt</c>, ... : a missing
/// key leaves the default; a malformed one fails with <c>failed to parse "KEY": GO-ERROR</c>.</summary>
internal static partial class ConfigMapReader
{
    public static string String(IReadOnlyDictionary<string, string> data, string key, string current) =>
        data.TryGetValue(key, out var v) ? v : current;

    public static long Int(IReadOnlyDictionary<string, string> data, string key, long current, string func = "Atoi")
    {
        if (!data.TryGetValue(key, out var raw)) return current;
        if (!GoFormat.TryParseInt(raw, func, out var v, out var err, func == "Atoi" ? 64 : 64))
            throw new ConfigMapParseException($"failed to parse {GoFormat.Quote(key)}: {err}");
        return v;
    }

    public static bool Bool(IReadOnlyDictionary<string, string> data, string key, bool current)
    {
        if (!data.TryGetValue(key, out var raw)) return current;
        if (!GoFormat.TryParseBool(raw, out var v, out var err))
            throw new ConfigMapParseException($"failed to parse {GoFormat.Quote(key)}: {err}");
        return v;
    }

    public static ParsedDuration Duration(IReadOnlyDictionary<string, string> data, string key, ParsedDuration current)
    {
        if (!data.TryGetValue(key, out var raw)) return current;
        if (!GoFormat.TryParseDuration(raw, out var v, out var err))
            throw new ConfigMapParseException($"failed to parse {GoFormat.Quote(key)}: {err}");
        return v;
    }

    [GeneratedRegex(@"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")] private static partial Regex QuantityRx();

    /// <summary>resource.ParseQuantity's syntax check; the canonical text is kept as written.</summary>
    public static string? Quantity(IReadOnlyDictionary<string, string> data, string key, string? current)
    {
        if (!data.TryGetValue(key, out var raw)) return current;
        if (!IsQuantity(raw))
            throw new ConfigMapParseException($"failed to parse {GoFormat.Quote(key)}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
        return raw;
    }

    public static bool IsQuantity(string raw)
    {
        var m = QuantityRx().Match(raw);
        if (!m.Success) return false;
        var suffix = m.Groups[2].Value;
        return suffix is "" or "n" or "u" or "m" or "k" or "M" or "G" or "T" or "P" or "E" or "Ki" or "Mi" or "Gi" or "Ti" or "Pi" or "Ei"
            || Regex.IsMatch(suffix, "^[eE][-+]?[0-9]+$");
    }

    /// <summary>cm.AsStringSet: comma separated, trimmed, empty entries kept out.</summary>
    public static IReadOnlySet<string> StringSet(IReadOnlyDictionary<string, string> data, string key, IReadOnlySet<string> current)
    {
        if (!data.TryGetValue(key, out var raw)) return current;
        return raw.Split(',').Select(s => s.Trim()).Where(s => s.Length > 0).ToHashSet(StringComparer.Ordinal);
    }
}
