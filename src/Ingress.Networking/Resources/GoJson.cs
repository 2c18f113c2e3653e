using System.Globalization;
using System.Text;

namespace Ingress.Networking.Resources;

/// <summary>
/// The byte-level pieces of Go's <c>encoding/json.Marshal</c> needed to reproduce K-Network-Hash: compact output,
/// HTML-safe string escaping (<c>&lt; &gt; &amp;</c> as \u003c \u003e \u0026, U+2028/U+2029 escaped, \b and \f short
/// forms as Go ≥ 1.22 writes them, other control characters as \u00XX, invalid UTF-16 as U+FFFD).
/// </summary>
public sealed class GoJsonWriter
{
    private readonly StringBuilder _sb = new(256);
    private readonly Stack<bool> _first = new();

    public override string ToString() => _sb.ToString();

    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(_sb.ToString());

    public GoJsonWriter BeginObject() { Separator(); _sb.Append('{'); _first.Push(true); return this; }
    public GoJsonWriter EndObject() { _first.Pop(); _sb.Append('}'); return this; }
    public GoJsonWriter BeginArray() { Separator(); _sb.Append('['); _first.Push(true); return this; }
    public GoJsonWriter EndArray() { _first.Pop(); _sb.Append(']'); return this; }

    /// <summary>Writes <c>"name":</c>; the value written next belongs to it.</summary>
    public GoJsonWriter Name(string name)
    {
        Separator();
        WriteString(_sb, name);
        _sb.Append(':');
        _pendingValueAfterName = true;
        return this;
    }

    public GoJsonWriter String(string value) { Separator(); WriteString(_sb, value); return this; }
    public GoJsonWriter Number(long value) { Separator(); _sb.Append(value.ToString(CultureInfo.InvariantCulture)); return this; }
    public GoJsonWriter Bool(bool value) { Separator(); _sb.Append(value ? "true" : "false"); return this; }
    public GoJsonWriter Null() { Separator(); _sb.Append("null"); return this; }

    private bool _pendingValueAfterName;

    private void Separator()
    {
        if (_pendingValueAfterName)
        {
            _pendingValueAfterName = false;
            return;
        }
        if (_first.Count == 0) return;
        if (_first.Peek())
        {
            _first.Pop();
            _first.Push(false);
        }
        else
        {
            _sb.Append(',');
        }
    }

    /// <summary>Go's <c>encoding/json</c> string encoding with HTML escaping on.</summary>
    public static void WriteString(StringBuilder sb, string value)
    {
        sb.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': sb.Append("\\\""); continue;
                case '\\': sb.Append("\\\\"); continue;
                case '\n': sb.Append("\\n"); continue;
                case '\r': sb.Append("\\r"); continue;
                case '\t': sb.Append("\\t"); continue;
                case '\b': sb.Append("\\b"); continue;
                case '\f': sb.Append("\\f"); continue;
                case '<': sb.Append("\\u003c"); continue;
                case '>': sb.Append("\\u003e"); continue;
                case '&': sb.Append("\\u0026"); continue;
                case '\u2028': sb.Append("\\u2028"); continue;
                case '\u2029': sb.Append("\\u2029"); continue;
            }
            if (c < 0x20)
            {
                sb.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                sb.Append(c).Append(value[i + 1]);
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                sb.Append('\ufffd');
            }
            else
            {
                sb.Append(c);
            }
        }
        sb.Append('"');
    }
}
