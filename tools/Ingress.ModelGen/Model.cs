using System.Text.Json.Nodes;

namespace Ingress.ModelGen;

/// <summary>A top-level kind to generate: from a CRD or from core.yaml.</summary>
public sealed record KindSpec(
    string Group,
    string Version,
    string Kind,
    string Plural,
    string Singular,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    bool Namespaced,
    IReadOnlyList<string> ServedVersions,
    JsonObject Schema,
    string Source,
    string Namespace)
{
    /// <summary>What type hints match against: <c>serving.knative.dev/Service</c>, <c>core/Pod</c>.</summary>
    public string MatchKey => $"{(Group.Length == 0 ? "core" : Group)}/{Kind}";

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
}

/// <summary>A named, non-kind type declared in core.yaml (ObjectMeta, Container, ...).</summary>
public sealed record DefinitionSpec(string Namespace, string Name, JsonObject Schema, string Source);

/// <summary>
/// A rule from core.yaml's <c>typeHints</c>: for kinds matching <see cref="Match"/> and schema paths matching
/// <see cref="Path"/>, use an existing <see cref="Type"/> or give the generated class a <see cref="Name"/>.
/// </summary>
public sealed record TypeHint(string Match, string Path, string? Type, string? Name)
{
    private readonly System.Text.RegularExpressions.Regex _match = Glob(Match, @"[^/]*");
    private readonly System.Text.RegularExpressions.Regex _path = Glob(Path, @"[^./\[\]{}]*");

    public bool Matches(string kindKey, string path) => _match.IsMatch(kindKey) && _path.IsMatch(path);

    /// <summary><c>**</c> is any text, <c>*</c> is <paramref name="star"/> (one kind name, or one path segment).</summary>
    private static System.Text.RegularExpressions.Regex Glob(string glob, string star)
    {
        var sb = new System.Text.StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            if (glob[i] == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                sb.Append(".*");
                i++;
            }
            else if (glob[i] == '*')
            {
                sb.Append(star);
            }
            else
            {
                sb.Append(System.Text.RegularExpressions.Regex.Escape(glob[i].ToString()));
            }
        }
        return new System.Text.RegularExpressions.Regex(sb.Append('$').ToString(), System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    }
}

/// <summary>A C# type as written in generated code (fully qualified, without the nullable marker).</summary>
public sealed record TypeRef(string Text, bool IsValueType, string? Converter = null, bool ElementNullable = false)
{
    public static readonly TypeRef String = new("string", false);
    public static readonly TypeRef Long = new("long", true);
    public static readonly TypeRef Int = new("int", true);
    public static readonly TypeRef Double = new("double", true);
    public static readonly TypeRef Bool = new("bool", true);
    public static readonly TypeRef Time = new("global::System.DateTimeOffset", true);
    public static readonly TypeRef MicroTime = new("global::System.DateTimeOffset", true, "global::Ingress.Api.Rfc3339MicroTimeConverter");
    public static readonly TypeRef IntOrString = new("global::Ingress.Api.IntOrString", true);
    public static readonly TypeRef Quantity = new("global::Ingress.Api.Quantity", true);
    public static readonly TypeRef Node = new("global::System.Text.Json.Nodes.JsonNode", false);
    public static readonly TypeRef Object = new("global::System.Text.Json.Nodes.JsonObject", false);
    public static readonly TypeRef Array = new("global::System.Text.Json.Nodes.JsonArray", false);

    /// <summary>How the type reads as a collection element: JSON nodes may be null, anything else may not.</summary>
    public string ElementText => Text == Node.Text ? Text + "?" : Text;

    public static TypeRef ListOf(TypeRef element) => new($"global::System.Collections.Generic.List<{element.ElementText}>", false);

    public static TypeRef MapOf(TypeRef value) => new($"global::System.Collections.Generic.Dictionary<string, {value.ElementText}>", false);

    public bool IsCollection => Text.StartsWith("global::System.Collections.Generic.", StringComparison.Ordinal);
}

public sealed record PropertyModel(string JsonName, string Name, TypeRef Type, string? Description, string? Initializer);

/// <summary>One generated class.</summary>
public sealed class ClassModel(string ns, string name, string? description, KindSpec? kind, DefinitionSpec? definition, string file)
{
    public string Namespace { get; } = ns;

    public string Name { get; } = name;

    public string? Description { get; } = description;

    public KindSpec? Kind { get; } = kind;

    public DefinitionSpec? Definition { get; } = definition;

    /// <summary>Output file (relative to the repository) that holds this class.</summary>
    public string File { get; } = file;

    public List<PropertyModel> Properties { get; } = [];

    public List<string> Interfaces { get; } = [];

    /// <summary>Schema path of the first place this class came from (for messages).</summary>
    public string Origin { get; init; } = "";

    public string FullName => $"global::Ingress.Api.{Namespace}.{Name}";

    public string Key => $"{Namespace}.{Name}";

    /// <summary>Two classes of one name are the same class when their properties agree.</summary>
    public string Shape => string.Join(";", Properties.Select(p => $"{p.JsonName}:{p.Type.Text}:{p.Type.Converter}"));
}
