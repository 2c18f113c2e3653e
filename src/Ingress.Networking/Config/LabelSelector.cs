using System.Text;
using System.Text.RegularExpressions;

namespace Ingress.Networking.Config;

/// <summary>One <c>matchExpressions</c> entry of a Kubernetes label selector.</summary>
public sealed record LabelSelectorRequirement(string Key, string Operator, IReadOnlyList<string>? Values);

/// <summary>
/// A Kubernetes <c>metav1.LabelSelector</c> as config-istio carries it. Our own small type so that config parsing
/// does not wait for the generated models; <see cref="Validate"/> reproduces apimachinery's
/// <c>LabelSelectorAsSelector</c> errors and <see cref="Matches"/> its <c>Selector.Matches</c>.
/// </summary>
public sealed record LabelSelector(
    IReadOnlyDictionary<string, string>? MatchLabels,
    IReadOnlyList<LabelSelectorRequirement>? MatchExpressions)
{
    /// <summary>Returns null when the selector converts to a valid selector, else apimachinery's error text.</summary>
    public string? Validate()
    {
        if (MatchLabels is not null)
        {
            foreach (var (key, value) in MatchLabels)
            {
                var keyError = LabelValidation.ValidateLabelKey(key);
                if (keyError is not null) return keyError;
                var valueError = LabelValidation.ValidateLabelValue(value, "values[0]");
                if (valueError is not null) return valueError;
            }
        }
        if (MatchExpressions is not null)
        {
            foreach (var expr in MatchExpressions)
            {
                var values = expr.Values ?? [];
                switch (expr.Operator)
                {
                    case "In":
                    case "NotIn":
                    case "Exists":
                    case "DoesNotExist":
                        break;
                    default:
                        return $"{GoFormat.Quote(expr.Operator)} is not a valid label selector operator";
                }
                var keyError = LabelValidation.ValidateLabelKey(expr.Key);
                if (keyError is not null) return keyError;
                if ((expr.Operator is "In" or "NotIn") && values.Count == 0)
                    return "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty";
                if ((expr.Operator is "Exists" or "DoesNotExist") && values.Count != 0)
                    return $"values: Invalid value: {GoFormat.StringSlice(values)}: values set must be empty for exists and does not exist";
                for (var i = 0; i < values.Count; i++)
                {
                    var valueError = LabelValidation.ValidateLabelValue(values[i], $"values[{i}]");
                    if (valueError is not null) return valueError;
                }
            }
        }
        return null;
    }

    /// <summary>Whether the labels satisfy every requirement. An empty selector matches everything.</summary>
    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        labels ??= EmptyLabels;
        if (MatchLabels is not null)
        {
            foreach (var (key, value) in MatchLabels)
            {
                if (!labels.TryGetValue(key, out var actual) || actual != value) return false;
            }
        }
        if (MatchExpressions is not null)
        {
            foreach (var expr in MatchExpressions)
            {
                var has = labels.TryGetValue(expr.Key, out var actual);
                var values = expr.Values ?? [];
                var ok = expr.Operator switch
                {
                    "In" => has && values.Contains(actual!),
                    "NotIn" => !has || !values.Contains(actual!),
                    "Exists" => has,
                    "DoesNotExist" => !has,
                    _ => false,
                };
                if (!ok) return false;
            }
        }
        return true;
    }

    private static readonly IReadOnlyDictionary<string, string> EmptyLabels = new Dictionary<string, string>();

    /// <summary>Go's <c>%v</c> of a <c>*metav1.LabelSelector</c> inside a struct is a pointer address; we print a stable form instead.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("&LabelSelector{");
        if (MatchLabels is not null)
            sb.Append("MatchLabels:").Append(string.Join(",", MatchLabels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + ":" + kv.Value)));
        sb.Append('}');
        return sb.ToString();
    }
}

/// <summary>Kubernetes label key and value validation with apimachinery's messages.</summary>
public static partial class LabelValidation
{
    private const string QualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string QualifiedNameErr = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    private const string LabelValueErr = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

    [GeneratedRegex("^" + QualifiedNameFmt + "$")]
    private static partial Regex QualifiedName();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123LabelLower();

    [GeneratedRegex("^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$")]
    private static partial Regex Dns1123LabelAnyCase();

    /// <summary>Errors of <c>validation.IsDNS1123Subdomain</c>; empty when valid.</summary>
    public static IReadOnlyList<string> Dns1123SubdomainErrors(string value)
    {
        var errors = new List<string>();
        if (value.Length > 253) errors.Add("must be no more than 253 characters");
        if (!Dns1123Subdomain().IsMatch(value))
            errors.Add("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
        return errors;
    }

    /// <summary><c>validation.IsDNS1123Label</c> (lower case, at most 63).</summary>
    public static bool IsDns1123Label(string value) => value.Length <= 63 && Dns1123LabelLower().IsMatch(value);

    /// <summary>net-istio's own <c>isDNS1123Label</c>, which also accepts upper case.</summary>
    public static bool IsNetIstioDnsLabel(string value) => value.Length <= 63 && Dns1123LabelAnyCase().IsMatch(value);

    internal static string? ValidateLabelKey(string key)
    {
        var path = "key";
        var parts = key.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                var prefix = parts[0];
                name = parts[1];
                if (prefix.Length == 0)
                    return $"{path}: Invalid value: {GoFormat.Quote(key)}: prefix part must be non-empty";
                var prefixErrors = Dns1123SubdomainErrors(prefix);
                if (prefixErrors.Count > 0)
                    return $"{path}: Invalid value: {GoFormat.Quote(key)}: prefix part {prefixErrors[0]}";
                break;
            default:
                return $"{path}: Invalid value: {GoFormat.Quote(key)}: a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
        }
        if (name.Length == 0)
            return $"{path}: Invalid value: {GoFormat.Quote(key)}: name part must be non-empty";
        if (name.Length > 63)
            return $"{path}: Invalid value: {GoFormat.Quote(key)}: name part must be no more than 63 characters";
        if (!QualifiedName().IsMatch(name))
            return $"{path}: Invalid value: {GoFormat.Quote(key)}: {QualifiedNameErr} (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
        return null;
    }

    internal static string? ValidateLabelValue(string value, string path)
    {
        if (value.Length > 63)
            return $"{path}: Invalid value: {GoFormat.Quote(value)}: must be no more than 63 characters";
        if (value.Length > 0 && !QualifiedName().IsMatch(value))
            return $"{path}: Invalid value: {GoFormat.Quote(value)}: {LabelValueErr} (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
        return null;
    }
}

/// <summary>Small helpers that print values the way Go's fmt verbs do, for exact error texts.</summary>
public static class GoFormat
{
    /// <summary>Go's <c>%q</c> for plain printable strings.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < 0x20) sb.Append("\\x").Append(((int)c).ToString("x2")); else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Go's <c>%#v</c> of a <c>[]string</c>.</summary>
    public static string StringSlice(IReadOnlyList<string> values) =>
        "[]string{" + string.Join(", ", values.Select(Quote)) + "}";
}
