using System.Text;

namespace Ingress.ModelGen;

/// <summary>How JSON names become C# names.</summary>
public static class Naming
{
    /// <summary><c>apiVersion</c> → <c>ApiVersion</c>; <c>x-kubernetes-list-type</c> → <c>XKubernetesListType</c>; <c>$ref</c> → <c>Ref</c>.</summary>
    public static string Pascal(string name)
    {
        var sb = new StringBuilder();
        var upperNext = true;
        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                upperNext = true;
                continue;
            }
            sb.Append(upperNext ? char.ToUpperInvariant(c) : c);
            upperNext = false;
        }
        if (sb.Length == 0)
        {
            return "Value";
        }
        if (char.IsAsciiDigit(sb[0]))
        {
            sb.Insert(0, '_');
        }
        return sb.ToString();
    }

    /// <summary><c>v1beta1</c> → <c>V1Beta1</c>; <c>v2</c> → <c>V2</c>.</summary>
    public static string Version(string version)
    {
        var sb = new StringBuilder();
        var upperNext = true;
        foreach (var c in version)
        {
            sb.Append(upperNext ? char.ToUpperInvariant(c) : c);
            upperNext = char.IsAsciiDigit(c);
        }
        return sb.ToString();
    }

    private static readonly HashSet<string> Invariant = new(StringComparer.OrdinalIgnoreCase)
    {
        "tls", "status", "https", "alias", "address", "ingress", "class", "access", "process", "success", "canaries",
    };

    /// <summary>A good-enough English singular for array item type names (<c>conditions</c> → <c>condition</c>).</summary>
    public static string Singular(string name)
    {
        if (Invariant.Contains(name) || name.Length < 3)
        {
            return name;
        }
        if (name.EndsWith("ies", StringComparison.Ordinal))
        {
            return name[..^3] + "y";
        }
        foreach (var suffix in new[] { "sses", "xes", "ches", "shes" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return name[..^2];
            }
        }
        if (name.EndsWith('s') && !name.EndsWith("ss", StringComparison.Ordinal) && !name.EndsWith("us", StringComparison.Ordinal) && !name.EndsWith("is", StringComparison.Ordinal))
        {
            return name[..^1];
        }
        return name;
    }

    /// <summary>Text for an XML doc comment: the first line of a description, escaped.</summary>
    public static string? DocSummary(string? description)
    {
        if (string.IsNullOrWhiteSpace(description))
        {
            return null;
        }
        var line = description.Trim().Split('\n')[0].Trim();
        if (line.Length > 240)
        {
            var cut = line.LastIndexOf(' ', 240);
            line = line[..(cut > 0 ? cut : 240)] + " …";
        }
        return line.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
    }

    /// <summary>C# string literal.</summary>
    public static string Literal(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
