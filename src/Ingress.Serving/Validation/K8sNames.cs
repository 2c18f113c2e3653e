using System.Text.RegularExpressions;

namespace Ingress.Serving.Validation;

/// <summary>Kubernetes apimachinery name validators with their exact error texts (they surface inside
/// Knative's messages).</summary>
public static partial class K8sNames
{
    public const string Dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    public const string Dns1123SubdomainFmt = Dns1123LabelFmt + "(\\." + Dns1123LabelFmt + ")*";
    public const string Dns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
    public const string QualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";

    [GeneratedRegex("^" + Dns1123LabelFmt + "$")] private static partial Regex Dns1123LabelRx();
    [GeneratedRegex("^" + Dns1123SubdomainFmt + "$")] private static partial Regex Dns1123SubdomainRx();
    [GeneratedRegex("^" + Dns1035LabelFmt + "$")] private static partial Regex Dns1035LabelRx();
    [GeneratedRegex("^" + QualifiedNameFmt + "$")] private static partial Regex QualifiedNameRx();

    /// <summary>k8s validation.RegexError: <c>msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')</c>.</summary>
    public static string RegexError(string msg, string fmt, params string[] examples)
    {
        if (examples.Length == 0) return $"{msg} (regex used for validation is '{fmt}')";
        msg += " (e.g. ";
        for (var i = 0; i < examples.Length; i++)
        {
            if (i > 0) msg += " or ";
            msg += "'" + examples[i] + "', ";
        }
        return msg + "regex used for validation is '" + fmt + "')";
    }

    private static string MaxLen(int n) => $"must be no more than {n} characters";

    public static List<string> IsDns1123Label(string value)
    {
        var errs = new List<string>();
        if (value.Length > 63) errs.Add(MaxLen(63));
        if (!Dns1123LabelRx().IsMatch(value))
            errs.Add(RegexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", Dns1123LabelFmt, "my-name", "123-abc"));
        return errs;
    }

    public static List<string> IsDns1123Subdomain(string value)
    {
        var errs = new List<string>();
        if (value.Length > 253) errs.Add(MaxLen(253));
        if (!Dns1123SubdomainRx().IsMatch(value))
            errs.Add(RegexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", Dns1123SubdomainFmt, "example.com"));
        return errs;
    }

    public static List<string> IsDns1035Label(string value)
    {
        var errs = new List<string>();
        if (value.Length > 63) errs.Add(MaxLen(63));
        if (!Dns1035LabelRx().IsMatch(value))
            errs.Add(RegexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", Dns1035LabelFmt, "my-name", "abc-123"));
        return errs;
    }

    /// <summary>k8s IsQualifiedName (optional DNS-subdomain prefix, '/', name part).</summary>
    public static List<string> IsQualifiedName(string value)
    {
        var errs = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1: name = parts[0]; break;
            case 2:
                name = parts[1];
                if (parts[0].Length == 0) errs.Add("prefix part must be non-empty");
                else foreach (var e in IsDns1123Subdomain(parts[0])) errs.Add("prefix part " + e);
                break;
            default:
                return [RegexError("a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", QualifiedNameFmt, "MyName", "my.name", "123-abc") + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"];
        }
        if (name.Length == 0) errs.Add("name part must be non-empty");
        else if (name.Length > 63) errs.Add("name part " + MaxLen(63));
        if (!QualifiedNameRx().IsMatch(name))
            errs.Add("name part " + RegexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", QualifiedNameFmt, "MyName", "my.name", "123-abc"));
        return errs;
    }

    /// <summary>k8s IsFullyQualifiedDomainName(field.NewPath(path), name).ToAggregate() error text, or null.</summary>
    public static string? FullyQualifiedDomainNameError(string path, string name)
    {
        if (name.Length == 0) return $"{path}: Required value";
        if (name.EndsWith('.')) name = name[..^1];
        var errs = IsDns1123Subdomain(name);
        if (errs.Count > 0) return $"{path}: Invalid value: {Go.GoFormat.Quote(name)}: {string.Join(",", errs)}";
        var labels = name.Split('.');
        if (labels.Length < 2) return $"{path}: Invalid value: {Go.GoFormat.Quote(name)}: should be a domain with at least two segments separated by dots";
        foreach (var label in labels)
        {
            var le = IsDns1123Label(label);
            if (le.Count > 0) return $"{path}: Invalid value: {Go.GoFormat.Quote(label)}: {string.Join(",", le)}";
        }
        return null;
    }
}
