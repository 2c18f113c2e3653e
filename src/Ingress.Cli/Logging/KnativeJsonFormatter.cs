using System.Text.Encodings.Web;
using System.Text.Json;
using Serilog.Events;
using Serilog.Formatting;

namespace Ingress.Cli.Logging;

/// <summary>
/// One JSON object per line with the keys of Knative's zap encoder config (config-logging's
/// <c>encoderConfig</c>): <c>severity</c> (DEBUG, INFO, WARN, ERROR, FATAL), <c>timestamp</c> (ISO 8601, UTC),
/// <c>logger</c> (the category), <c>message</c> (rendered), then every structured property under its own name,
/// so the reconcile scope's <c>knative.dev/controller</c>, <c>knative.dev/key</c> and <c>knative.dev/traceid</c> are
/// top-level keys as in Knative's logs; an exception adds <c>error</c> and <c>stacktrace</c>. No <c>caller</c>:
/// .NET loggers do not know the call site.
/// </summary>
public sealed class KnativeJsonFormatter : ITextFormatter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    /// <summary>Properties that are carried by the fixed keys or exist for the text format only.</summary>
    private static readonly HashSet<string> Skipped = ["SourceContext", "KnativeKeys", "EventId", "{OriginalFormat}"];

    public void Format(LogEvent logEvent, TextWriter output)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("severity", Severity(logEvent.Level));
            json.WriteString("timestamp", logEvent.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            if (logEvent.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: string logger })
                json.WriteString("logger", logger);
            json.WriteString("message", Render(logEvent));
            foreach (var (name, value) in logEvent.Properties)
            {
                if (Skipped.Contains(name)) continue;
                json.WritePropertyName(name);
                WriteValue(json, value);
            }
            if (logEvent.Exception is { } ex)
            {
                json.WriteString("error", ex.Message);
                json.WriteString("stacktrace", ex.ToString());
            }
            json.WriteEndObject();
        }
        output.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        output.Write('\n');
    }

    /// <summary>The message with string values as they are: Serilog's own rendering quotes them, zap does not.</summary>
    private static string Render(LogEvent logEvent)
    {
        using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is Serilog.Parsing.PropertyToken p && logEvent.Properties.TryGetValue(p.PropertyName, out var v) && v is ScalarValue { Value: string raw })
                text.Write(raw);
            else
                token.Render(logEvent.Properties, text, System.Globalization.CultureInfo.InvariantCulture);
        }
        return text.ToString();
    }

    private static string Severity(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose or LogEventLevel.Debug => "DEBUG",
        LogEventLevel.Information => "INFO",
        LogEventLevel.Warning => "WARN",
        LogEventLevel.Error => "ERROR",
        _ => "FATAL",
    };

    private static void WriteValue(Utf8JsonWriter json, LogEventPropertyValue value)
    {
        switch (value)
        {
            case ScalarValue { Value: null }: json.WriteNullValue(); break;
            case ScalarValue { Value: bool b }: json.WriteBooleanValue(b); break;
            case ScalarValue { Value: int or long or short or byte or uint or ulong or ushort or sbyte } s: json.WriteRawValue(Convert.ToString(s.Value, System.Globalization.CultureInfo.InvariantCulture)!); break;
            case ScalarValue { Value: double d } when double.IsFinite(d): json.WriteNumberValue(d); break;
            case ScalarValue { Value: float or decimal or double } s: json.WriteStringValue(Convert.ToString(s.Value, System.Globalization.CultureInfo.InvariantCulture)); break;
            case ScalarValue { Value: TimeSpan t }: json.WriteStringValue(t.ToString("c", System.Globalization.CultureInfo.InvariantCulture)); break;
            case ScalarValue s: json.WriteStringValue(Convert.ToString(s.Value, System.Globalization.CultureInfo.InvariantCulture)); break;
            case SequenceValue seq:
                json.WriteStartArray();
                foreach (var item in seq.Elements) WriteValue(json, item);
                json.WriteEndArray();
                break;
            case StructureValue st:
                json.WriteStartObject();
                foreach (var p in st.Properties) { json.WritePropertyName(p.Name); WriteValue(json, p.Value); }
                json.WriteEndObject();
                break;
            case DictionaryValue d:
                json.WriteStartObject();
                foreach (var (k, v) in d.Elements) { json.WritePropertyName(Convert.ToString(k.Value, System.Globalization.CultureInfo.InvariantCulture) ?? ""); WriteValue(json, v); }
                json.WriteEndObject();
                break;
            default: json.WriteStringValue(value.ToString()); break;
        }
    }
}
