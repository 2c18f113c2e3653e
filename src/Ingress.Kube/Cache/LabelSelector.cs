namespace Ingress.Kube.Cache;

/// <summary>
/// A parsed label selector in Kubernetes' string form: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>,
/// <c>a in (x,y)</c>, <c>a notin (x)</c>, <c>a</c>, <c>!a</c>, joined by commas.
/// </summary>
public sealed class LabelSelector
{
    public enum Operator { Equals, NotEquals, In, NotIn, Exists, DoesNotExist }

    public sealed record Requirement(string Key, Operator Op, IReadOnlyList<string> Values);

    public static readonly LabelSelector Everything = new([], "");

    private LabelSelector(IReadOnlyList<Requirement> requirements, string text)
    {
        Requirements = requirements;
        Text = text;
    }

    public IReadOnlyList<Requirement> Requirements { get; }
    public string Text { get; }
    public bool IsEmpty => Requirements.Count == 0;

    public static LabelSelector FromEquality(IReadOnlyDictionary<string, string> labels) =>
        Parse(string.Join(",", labels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        var reqs = new List<Requirement>();
        foreach (var part in SplitTopLevel(text))
        {
            var p = part.Trim();
            if (p.Length == 0) continue;
            reqs.Add(ParseOne(p, text));
        }
        return new LabelSelector(reqs, text.Trim());
    }

    private static Requirement ParseOne(string p, string whole)
    {
        if (p.StartsWith('!')) return new Requirement(Key(p[1..], whole), Operator.DoesNotExist, []);
        var ne = p.IndexOf("!=", StringComparison.Ordinal);
        if (ne > 0) return new Requirement(Key(p[..ne], whole), Operator.NotEquals, [p[(ne + 2)..].Trim()]);
        var eq = p.IndexOf('=');
        if (eq > 0)
        {
            var value = p[(eq + 1)..];
            if (value.StartsWith('=')) value = value[1..];
            return new Requirement(Key(p[..eq], whole), Operator.Equals, [value.Trim()]);
        }
        var open = p.IndexOf('(');
        if (open > 0 && p.EndsWith(')'))
        {
            var head = p[..open].Trim();
            var values = p[(open + 1)..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (head.EndsWith(" notin", StringComparison.Ordinal)) return new Requirement(Key(head[..^6], whole), Operator.NotIn, values);
            if (head.EndsWith(" in", StringComparison.Ordinal)) return new Requirement(Key(head[..^3], whole), Operator.In, values);
            throw new FormatException($"label selector \"{whole}\": cannot parse \"{p}\"");
        }
        return new Requirement(Key(p, whole), Operator.Exists, []);
    }

    private static string Key(string k, string whole)
    {
        k = k.Trim();
        if (k.Length == 0 || k.Contains(' ')) throw new FormatException($"label selector \"{whole}\": bad key \"{k}\"");
        return k;
    }

    private static IEnumerable<string> SplitTopLevel(string s)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '(') depth++;
            else if (s[i] == ')') depth--;
            else if (s[i] == ',' && depth == 0)
            {
                yield return s[start..i];
                start = i + 1;
            }
        }
        yield return s[start..];
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var r in Requirements)
        {
            var has = labels.TryGetValue(r.Key, out var v);
            var ok = r.Op switch
            {
                Operator.Equals => has && v == r.Values[0],
                Operator.NotEquals => !has || v != r.Values[0],
                Operator.In => has && r.Values.Contains(v!),
                Operator.NotIn => !has || !r.Values.Contains(v!),
                Operator.Exists => has,
                Operator.DoesNotExist => !has,
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }

    public override string ToString() => Text;
}
