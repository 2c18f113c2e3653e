using System.Buffers;
using System.Text.Json;

namespace Ingress.Kube.Client;

/// <summary>
/// The form in which informer caches keep dynamic objects: the object's JSON, compact, in one exact-size document
/// (<see cref="Freeze"/>), read through short-lived <c>JsonObject</c> views (<see cref="Cache.CacheEntry{T}.Object"/>).
/// Why: a <c>JsonObject</c> that readers have walked holds a node, a dictionary and a value per property, about 6 times
/// the JSON's size for the objects 1,000 Knative Services make (a Deployment of 4.4 KB of JSON: 46 KB); a plain node
/// tree without the document still costs about 4 times (30 KB), where the frozen document costs about 2.3 times
/// (10 KB). Figures: docs/perf/cluster.md.
/// </summary>
public static class CompactJson
{
    /// <summary>
    /// <paramref name="element"/> (an object) copied into a document of its own, without whitespace, and, when
    /// <paramref name="dropManagedFields"/>, without <c>metadata.managedFields</c> (no controller reads them, and an
    /// update that omits them leaves the server's as they are). An object without <c>kind</c> (list items may omit
    /// it) gets <paramref name="apiVersion"/> and <paramref name="kind"/> first, so that it still says what it is.
    /// The result owns its memory: nothing is rented, nothing needs disposing.
    /// </summary>
    public static JsonElement Freeze(JsonElement element, string? apiVersion = null, string? kind = null, bool dropManagedFields = false)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new ArgumentException($"expected a JSON object, found {element.ValueKind}", nameof(element));
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            writer.WriteStartObject();
            if (kind is not null && !element.TryGetProperty("kind", out _))
            {
                if (apiVersion is not null && !element.TryGetProperty("apiVersion", out _)) writer.WriteString("apiVersion", apiVersion);
                writer.WriteString("kind", kind);
            }
            foreach (var property in element.EnumerateObject())
            {
                if (dropManagedFields && property.NameEquals("metadata") && property.Value.ValueKind == JsonValueKind.Object)
                {
                    writer.WritePropertyName("metadata");
                    writer.WriteStartObject();
                    foreach (var m in property.Value.EnumerateObject())
                    {
                        if (m.NameEquals("managedFields")) continue;
                        m.WriteTo(writer);
                    }
                    writer.WriteEndObject();
                }
                else
                {
                    property.WriteTo(writer);
                }
            }
            writer.WriteEndObject();
        }
        using var parsed = JsonDocument.Parse(buffer.WrittenMemory);
        // Clone: an exact-size copy of the text and token table that owns its arrays (a parsed document rents its
        // token table from the shared pool and would hold the buffer's slack).
        return parsed.RootElement.Clone();
    }
}
