using System.Text;

namespace Ingress.Serving.Go;

/// <summary>The subset of Go's text/template that Knative's domain, tag and container-name templates use:
/// literal text, actions <c>{{.Field}}</c>, chained map access <c>{{.Annotations.key}}</c>,
/// <c>{{index .Annotations "key"}}</c>, string literals and the <c>{{-</c>/<c>-}}</c> trim markers.
/// Errors are worded like Go's (<c>template: NAME:LINE:COL: executing "NAME" at &lt;.X&gt;: ...</c>)
/// because they are shown to users in ConfigMap errors and Route conditions.</summary>
public sealed class GoTemplate
{
    private readonly string _name;
    private readonly string _text;
    private readonly List<Node> _nodes;

    private GoTemplate(string name, string text, List<Node> nodes) { _name = name; _text = text; _nodes = nodes; }

    private abstract record Node;
    private sealed record TextNode(string Text) : Node;
    private sealed record ActionNode(int Pos, List<Arg> Args) : Node;
    private abstract record Arg(int Pos);
    private sealed record FieldArg(int Pos, string[] Idents) : Arg(Pos);   // .A.B ; Idents empty = "."
    private sealed record StringArg(int Pos, string Value) : Arg(Pos);
    private sealed record IdentArg(int Pos, string Name) : Arg(Pos);       // function name

    /// <summary>Parses <paramref name="text"/>; throws <see cref="GoTemplateException"/> with Go's parse error text.</summary>
    public static GoTemplate Parse(string name, string text)
    {
        var nodes = new List<Node>();
        var i = 0;
        var pendingTrimLeft = false;
        while (i < text.Length)
        {
            var open = text.IndexOf("{{", i, StringComparison.Ordinal);
            var literal = open < 0 ? text[i..] : text[i..open];
            if (pendingTrimLeft) literal = literal.TrimStart(' ', '\t', '\r', '\n');
            pendingTrimLeft = false;
            if (open < 0) { if (literal.Length > 0) nodes.Add(new TextNode(literal)); break; }
            var start = open + 2;
            if (start + 1 < text.Length && text[start] == '-' && (start + 1 >= text.Length || char.IsWhiteSpace(text[start + 1])))
            {
                literal = literal.TrimEnd(' ', '\t', '\r', '\n');
                start += 2;
            }
            if (literal.Length > 0) nodes.Add(new TextNode(literal));
            var close = text.IndexOf("}}", start, StringComparison.Ordinal);
            if (close < 0) throw new GoTemplateException($"template: {name}:{LineOf(text, open)}: unclosed action");
            var end = close;
            if (end - 2 >= start && text[end - 1] == '-' && char.IsWhiteSpace(text[end - 2]))
            {
                end -= 2;
                pendingTrimLeft = true;
            }
            var args = ParseArgs(name, text, start, end);
            if (args.Count == 0) throw new GoTemplateException($"template: {name}:{LineOf(text, open)}: missing value for command");
            if (args[0] is IdentArg fn && fn.Name != "index")
                throw new GoTemplateException($"template: {name}:{LineOf(text, open)}: function {GoFormat.Quote(fn.Name)} not defined");
            nodes.Add(new ActionNode(start, args));
            i = close + 2;
        }
        return new GoTemplate(name, text, nodes);
    }

    private static int LineOf(string text, int pos) => 1 + text.AsSpan(0, Math.Min(pos, text.Length)).Count('\n');

    private static List<Arg> ParseArgs(string name, string text, int start, int end)
    {
        var args = new List<Arg>();
        var i = start;
        while (i < end)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '.')
            {
                var p = i;
                var idents = new List<string>();
                while (i < end && text[i] == '.')
                {
                    i++;
                    var s = i;
                    while (i < end && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                    if (i == s)
                    {
                        if (idents.Count == 0 && (i >= end || char.IsWhiteSpace(text[i]))) break; // bare "."
                        throw new GoTemplateException($"template: {name}:{LineOf(text, p)}: unexpected {GoFormat.Quote(text[i..Math.Min(i + 1, end)])} in operand");
                    }
                    idents.Add(text[s..i]);
                }
                args.Add(new FieldArg(p, idents.ToArray()));
            }
            else if (c == '"')
            {
                var p = i;
                var sb = new StringBuilder();
                i++;
                while (i < end && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < end) { i++; sb.Append(text[i] switch { 'n' => '\n', 't' => '\t', _ => text[i] }); }
                    else sb.Append(text[i]);
                    i++;
                }
                if (i >= end) throw new GoTemplateException($"template: {name}:{LineOf(text, p)}: unterminated quoted string");
                i++;
                args.Add(new StringArg(p, sb.ToString()));
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var p = i;
                while (i < end && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                args.Add(new IdentArg(p, text[p..i]));
            }
            else
            {
                throw new GoTemplateException($"template: {name}:{LineOf(text, i)}: unexpected {GoFormat.Quote(c.ToString())} in command");
            }
        }
        return args;
    }

    /// <summary>Renders with <paramref name="data"/>; throws <see cref="GoTemplateException"/> with Go's execution error text.</summary>
    public string Execute(TemplateData data)
    {
        var sb = new StringBuilder();
        foreach (var node in _nodes)
        {
            switch (node)
            {
                case TextNode t: sb.Append(t.Text); break;
                case ActionNode a: sb.Append(Print(Evaluate(a, data))); break;
            }
        }
        return sb.ToString();
    }

    private sealed class NoValue { public static readonly NoValue Instance = new(); }

    private static string Print(object? v) => v switch
    {
        null => "<no value>",
        NoValue => "<no value>",
        string s => s,
        IReadOnlyDictionary<string, string> m => "map[" + string.Join(" ", m.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => k.Key + ":" + k.Value)) + "]",
        _ => v.ToString() ?? "",
    };

    private object? Evaluate(ActionNode action, TemplateData data)
    {
        var args = action.Args;
        if (args[0] is IdentArg { Name: "index" } fn)
        {
            if (args.Count < 2) throw Exec(fn.Pos, "index", "wrong number of args for index: want at least 1 got 0");
            var item = EvalArg(args[1], data);
            for (var k = 2; k < args.Count; k++)
            {
                var key = EvalArg(args[k], data);
                item = item switch
                {
                    IReadOnlyDictionary<string, string> m => key is string ks && m.TryGetValue(ks, out var v) ? v : "",
                    null => "",
                    _ => throw Exec(fn.Pos, "index", $"error calling index: cannot index slice/array with nil"),
                };
            }
            return item;
        }
        if (args.Count > 1) throw Exec(args[0].Pos, Describe(args[0]), $"can't give argument to non-function {Describe(args[0])}");
        return EvalArg(args[0], data);
    }

    private object? EvalArg(Arg arg, TemplateData data)
    {
        switch (arg)
        {
            case StringArg s: return s.Value;
            case FieldArg f:
                {
                    object? current = data;
                    foreach (var ident in f.Idents)
                    {
                        current = current switch
                        {
                            TemplateData d => d.Fields.TryGetValue(ident, out var v) ? v ?? new Dictionary<string, string>() as object
                                : throw Exec(f.Pos, Describe(f), $"can't evaluate field {ident} in type {d.TypeName}"),
                            IReadOnlyDictionary<string, string> m => m.TryGetValue(ident, out var mv) ? mv : NoValue.Instance,
                            NoValue => throw Exec(f.Pos, Describe(f), $"nil pointer evaluating interface {{}}.{ident}"),
                            _ => throw Exec(f.Pos, Describe(f), $"can't evaluate field {ident} in type string"),
                        };
                    }
                    return current is TemplateData td ? "{" + string.Join(" ", td.Fields.Values.Select(Print)) + "}" : current;
                }
            default: throw Exec(arg.Pos, Describe(arg), "unsupported argument");
        }
    }

    private static string Describe(Arg a) => a switch
    {
        FieldArg f => f.Idents.Length == 0 ? "." : "." + string.Join(".", f.Idents),
        StringArg s => GoFormat.Quote(s.Value),
        IdentArg i => i.Name,
        _ => "?",
    };

    private GoTemplateException Exec(int pos, string context, string message)
    {
        var before = _text[..pos];
        var nl = before.LastIndexOf('\n');
        var col = nl < 0 ? pos : pos - (nl + 1);
        return new GoTemplateException($"template: {_name}:{LineOf(_text, pos)}:{col}: executing {GoFormat.Quote(_name)} at <{context}>: {message}");
    }
}

/// <summary>The value a template runs against: a Go struct with a type name (for error texts) and
/// fields that are strings or string maps (a null map behaves like Go's nil map).</summary>
public sealed record TemplateData(string TypeName, IReadOnlyDictionary<string, object?> Fields);

public sealed class GoTemplateException(string message) : Exception(message);
