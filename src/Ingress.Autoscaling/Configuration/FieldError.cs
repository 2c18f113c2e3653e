namespace Ingress.Autoscaling.Configuration;

/// <summary>One validation error in Knative's <c>apis.FieldError</c> shape: a message, the field paths it
/// applies to, and optional details.</summary>
public sealed record FieldError(string Message, IReadOnlyList<string> Paths, string Details = "")
{
    public FieldError(string message, params string[] paths) : this(message, (IReadOnlyList<string>)paths) { }

    /// <summary>Knative's <c>ErrInvalidValue</c>: <c>invalid value: &lt;value&gt;</c>.</summary>
    public static FieldError InvalidValue(string value, string path) => new($"invalid value: {value}", path);

    /// <summary>Knative's <c>ErrOutOfBoundsValue</c>: <c>expected &lt;lo&gt; &lt;= &lt;value&gt; &lt;= &lt;hi&gt;</c>.</summary>
    public static FieldError OutOfBounds(string value, string lower, string upper, string path) =>
        new($"expected {lower} <= {value} <= {upper}", path);

    /// <summary>Knative's <c>ViaField</c>: prefixes every path (<c>metadata.annotations</c> + <c>.</c> + key).</summary>
    public FieldError ViaField(string prefix) =>
        this with { Paths = Paths.Select(p => p.Length == 0 ? prefix : p.StartsWith('[') ? prefix + p : prefix + "." + p).ToArray() };
}

/// <summary>An accumulated list of <see cref="FieldError"/>s, formatted exactly like Knative's
/// <c>FieldError.Error()</c>: same message (and details) merged with their paths sorted (not de-duplicated) and comma-joined,
/// entries sorted by message, newline-separated, details on the line after their entry.</summary>
public sealed class FieldErrors
{
    private readonly List<FieldError> _errors = [];

    public IReadOnlyList<FieldError> Errors => _errors;

    public bool IsEmpty => _errors.Count == 0;

    public FieldErrors Add(FieldError? error)
    {
        if (error is not null) _errors.Add(error);
        return this;
    }

    public FieldErrors Also(FieldErrors other)
    {
        _errors.AddRange(other._errors);
        return this;
    }

    /// <summary>A copy with every path prefixed (Knative's <c>ViaField</c>), e.g.
    /// <c>ViaField("spec.template.metadata.annotations")</c> for a Service template.</summary>
    public FieldErrors ViaField(string prefix)
    {
        var copy = new FieldErrors();
        foreach (var e in _errors) copy._errors.Add(e.ViaField(prefix));
        return copy;
    }

    /// <summary>The error text, or <c>""</c> when there are no errors.</summary>
    public override string ToString()
    {
        var merged = _errors
            .GroupBy(e => (e.Message, e.Details))
            .Select(g => (g.Key.Message, g.Key.Details,
                // Like Knative: paths of merged errors are sorted but not de-duplicated.
                Paths: g.SelectMany(e => e.Paths).Order(StringComparer.Ordinal).ToArray()))
            .OrderBy(e => e.Message, StringComparer.Ordinal)
            .ThenBy(e => e.Details, StringComparer.Ordinal);
        return string.Join("\n", merged.Select(e =>
            e.Details.Length == 0 ? $"{e.Message}: {string.Join(", ", e.Paths)}" : $"{e.Message}: {string.Join(", ", e.Paths)}\n{e.Details}"));
    }
}
