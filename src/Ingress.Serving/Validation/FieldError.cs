using System.Globalization;

namespace Ingress.Serving.Validation;

/// <summary>Severity of a <see cref="FieldError"/>; webhooks reject on <see cref="Error"/> and surface
/// <see cref="Warning"/> as admission warnings.</summary>
public enum DiagnosticLevel { Error = 0, Warning = 1 }

/// <summary>Knative's <c>apis.FieldError</c>: a tree of (message, paths, details) that flattens into the
/// exact user-visible text: one line per distinct message (sorted by message, then details), the paths of
/// equal messages merged, de-duplicated and sorted, details on the following line.
/// Immutable: every operation returns a new value. <c>null</c> means "no error".</summary>
public sealed class FieldError
{
    /// <summary>Path meaning "the current field" (dropped when prefixed).</summary>
    public const string CurrentField = "";

    public string Message { get; }
    public IReadOnlyList<string> Paths { get; }
    public string Details { get; }
    public DiagnosticLevel Level { get; }
    private readonly IReadOnlyList<FieldError> _children;

    public FieldError(string message, IEnumerable<string> paths, string details = "", DiagnosticLevel level = DiagnosticLevel.Error)
        : this(message, paths.ToArray(), details, level, []) { }

    private FieldError(string message, IReadOnlyList<string> paths, string details, DiagnosticLevel level, IReadOnlyList<FieldError> children)
    {
        Message = message;
        Paths = paths;
        Details = details;
        Level = level;
        _children = children;
    }

    private bool IsEmpty => Message.Length == 0 && Details.Length == 0 && _children.Count == 0 && Paths.Count == 0;

    /// <summary>Prefixes every path with <paramref name="prefix"/> (dotted; "[i]" parts glue to the previous part).</summary>
    public FieldError ViaField(params string[] prefix)
    {
        var paths = Paths.Select(p => Flatten([.. prefix, p])).ToArray();
        return new FieldError(Message, paths, Details, Level, _children.Select(c => c.ViaField(prefix)).ToArray());
    }

    public FieldError ViaIndex(int index) => ViaField(AsIndex(index));
    public FieldError ViaFieldIndex(string field, int index) => ViaIndex(index).ViaField(field);
    public FieldError ViaKey(string key) => ViaField($"[{key}]");
    public FieldError ViaFieldKey(string field, string key) => ViaKey(key).ViaField(field);

    /// <summary>Returns the same error tree at another level.</summary>
    public FieldError At(DiagnosticLevel level) =>
        new(Message, Paths, Details, level, _children.Select(c => c.At(level)).ToArray());

    /// <summary>Keeps only the errors at <paramref name="level"/>; null when nothing is left.</summary>
    public FieldError? Filter(DiagnosticLevel level)
    {
        var kept = Normalized().Where(e => e.Level == level).ToArray();
        return kept.Length == 0 ? null : new FieldError("", [], "", level, kept);
    }

    /// <summary>Every (message, paths, details) leaf, merged and sorted like Knative.</summary>
    public IReadOnlyList<FieldError> WrappedErrors()
    {
        var merged = new Dictionary<(DiagnosticLevel, string, string), List<string>>();
        var order = new List<(DiagnosticLevel Level, string Message, string Details)>();
        foreach (var e in Normalized())
        {
            var key = (e.Level, e.Message, e.Details);
            if (!merged.TryGetValue(key, out var paths))
            {
                merged[key] = paths = [];
                order.Add(key);
            }
            foreach (var p in e.Paths) if (!paths.Contains(p)) paths.Add(p);
        }
        return order
            .Select(k => new FieldError(k.Message, merged[(k.Level, k.Message, k.Details)].OrderBy(p => p, StringComparer.Ordinal).ToArray(), k.Details, k.Level, []))
            .OrderBy(e => e.Message, StringComparer.Ordinal).ThenBy(e => e.Details, StringComparer.Ordinal).ThenBy(e => e.Level)
            .ToArray();
    }

    private IEnumerable<FieldError> Normalized()
    {
        if (Message.Length > 0) yield return new FieldError(Message, Paths, Details, Level, []);
        foreach (var c in _children)
            foreach (var n in c.Normalized()) yield return n;
    }

    /// <summary>The Knative error text.</summary>
    public override string ToString() => string.Join("\n", WrappedErrors().Select(e =>
        e.Details.Length == 0 ? $"{e.Message}: {string.Join(", ", e.Paths)}" : $"{e.Message}: {string.Join(", ", e.Paths)}\n{e.Details}"));

    /// <summary><c>a.Also(b, c)</c>; either side may be null.</summary>
    public static FieldError? Also(FieldError? first, params FieldError?[] others)
    {
        var rest = others.Where(o => o is not null && !o.IsEmpty).Cast<FieldError>().ToArray();
        if (rest.Length == 0) return first is null || first.IsEmpty ? null : first;
        if (first is null || first.IsEmpty) return new FieldError("", [], "", DiagnosticLevel.Error, rest);
        return new FieldError(first.Message, first.Paths, first.Details, first.Level, [.. first._children, .. rest]);
    }

    private static string AsIndex(int i) => "[" + i.ToString(CultureInfo.InvariantCulture) + "]";

    private static string Flatten(IEnumerable<string> path)
    {
        var parts = new List<string>();
        foreach (var part in path)
            foreach (var p in part.Split('.'))
            {
                if (p == CurrentField) continue;
                if (parts.Count > 0 && p.StartsWith('[') && p.EndsWith(']')) parts[^1] += p;
                else parts.Add(p);
            }
        return string.Join(".", parts);
    }

    // ---- constructors mirroring knative.dev/pkg/apis ----
    public static FieldError MissingField(params string[] paths) => new("missing field(s)", paths);
    public static FieldError DisallowedFields(params string[] paths) => new("must not set the field(s)", paths);
    public static FieldError MissingOneOf(params string[] paths) => new("expected exactly one, got neither", paths);
    public static FieldError MultipleOneOf(params string[] paths) => new("expected exactly one, got both", paths);
    public static FieldError Generic(string diagnostic, params string[] paths) => new(diagnostic, paths);
    public static FieldError InvalidValue(object value, string path, params string[] details) =>
        new("invalid value: " + GoValue(value), [path], string.Join(", ", details));
    public static FieldError InvalidKeyName(string key, string path, params string[] details) =>
        new($"invalid key name {Go.GoFormat.Quote(key)}", [path], string.Join(", ", details));
    public static FieldError OutOfBoundsValue(object value, object lower, object upper, string path) =>
        new($"expected {GoValue(lower)} <= {GoValue(value)} <= {GoValue(upper)}", [path]);
    public static FieldError InvalidArrayValue(object value, string field, int index) =>
        InvalidValue(value, CurrentField).ViaFieldIndex(field, index);

    /// <summary>Go's <c>%v</c> for the value kinds Knative passes.</summary>
    public static string GoValue(object value) => value switch
    {
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "<nil>",
    };
}
