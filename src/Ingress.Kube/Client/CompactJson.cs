using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Kube.Cache;

namespace Ingress.Kube.Client;

/// <summary>
/// Builds a dynamic <see cref="JsonObject"/> that does not keep its source document alive. Why: a
/// <c>JsonObject.Create(element.Clone())</c> holds a copy of the object's UTF-8 text and the document's token
/// table, and once a reader touches it (every reconciler does) it also holds a node per property whose values still
/// point into that document: about 4.3 times the JSON size per cached object, against about 2.5 times for a tree of
/// plain nodes (measured on the objects 1,000 Knative Services make; docs/perf/cluster.md).
/// <list type="bullet">
/// <item>Strings become plain string values; property names and short strings are read through a
/// <see cref="StringPool"/> when one is given, so the repeated keys and values of a cache are shared.</item>
/// <item>Numbers and booleans stay backed by JSON (one small document per object holds them all), so every
/// conversion a reader may ask for (<c>GetValue&lt;int&gt;()</c> on a 64-bit value, <c>TryGetValue&lt;double&gt;</c>, the
/// original number text) behaves as it did on the document-backed object.</item>
/// <item><c>metadata.managedFields</c> can be dropped (informer caches: no controller reads them, and an update
/// that omits them leaves the server's unchanged).</item>
/// </list>
/// </summary>
public static class CompactJson
{
    /// <summary>The object <paramref name="element"/> as plain nodes (see the type's remarks).</summary>
    public static JsonObject ToObject(JsonElement element, StringPool? pool = null, bool dropManagedFields = false)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new ArgumentException($"expected a JSON object, found {element.ValueKind}", nameof(element));
        var scalars = Scalars(element);
        var builder = new Builder(pool, dropManagedFields, scalars);
        return (JsonObject)builder.Build(element, depth: 0, inMetadata: false)!;
    }

    /// <summary>Every number and boolean of <paramref name="element"/>, in document order, as elements of one
    /// exact-size document (none when there is none).</summary>
    private static JsonElement[] Scalars(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var count = 0;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            Collect(element, writer, ref count);
            writer.WriteEndArray();
        }
        if (count == 0) return [];
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        // Clone: an exact-size copy that owns its arrays (the parsed document rents them from the pool).
        var root = doc.RootElement.Clone();
        var result = new JsonElement[count];
        var i = 0;
        foreach (var e in root.EnumerateArray()) result[i++] = e;
        return result;

        static void Collect(JsonElement e, Utf8JsonWriter writer, ref int count)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject()) Collect(p.Value, writer, ref count);
                    break;
                case JsonValueKind.Array:
                    foreach (var x in e.EnumerateArray()) Collect(x, writer, ref count);
                    break;
                case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                    e.WriteTo(writer);
                    count++;
                    break;
            }
        }
    }

    private sealed class Builder(StringPool? pool, bool dropManagedFields, JsonElement[] scalars)
    {
        private int _next;

        public JsonNode? Build(JsonElement e, int depth, bool inMetadata)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    var obj = new JsonObject();
                    foreach (var p in e.EnumerateObject())
                    {
                        if (dropManagedFields && inMetadata && p.NameEquals("managedFields"))
                        {
                            Skip(p.Value);
                            continue;
                        }
                        var isMetadata = depth == 0 && p.NameEquals("metadata");
                        obj.Add(Pooled(p.Name), Build(p.Value, depth + 1, isMetadata));
                    }
                    return obj;
                case JsonValueKind.Array:
                    var arr = new JsonArray();
                    foreach (var x in e.EnumerateArray()) arr.Add(Build(x, depth + 1, false));
                    return arr;
                case JsonValueKind.String:
                    return JsonValue.Create(Pooled(e.GetString()!));
                case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                    return JsonValue.Create(scalars[_next++]);
                default:
                    return null;
            }
        }

        /// <summary>Steps over the scalars of a dropped subtree so that later ones stay matched.</summary>
        private void Skip(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject()) Skip(p.Value);
                    break;
                case JsonValueKind.Array:
                    foreach (var x in e.EnumerateArray()) Skip(x);
                    break;
                case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                    _next++;
                    break;
            }
        }

        private string Pooled(string s) => pool is not null && s.Length <= StringPool.MaxLength ? pool.Get(s) : s;
    }
}
