using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Ingress.Kube.Cache;

/// <summary>
/// Shares equal short strings between the objects an informer caches. Ten thousand Knative Services
/// repeat the same label and annotation keys, namespaces, condition types and statuses, container
/// names, env names and values, API versions and kinds: decoded naively each copy is its own string
/// (about 12 MB of the 58 MB a 10,000-ksvc typed cache took). Typed informers decode through
/// <see cref="Interning{T}"/>, which reads every JSON string (values and dictionary keys) through this pool.
/// <para>
/// The pool is bounded: at <see cref="Capacity"/> entries it starts again empty, so unique values
/// (names, uids, resourceVersions) never grow it without bound and strings that repeat are re-admitted
/// at their next sighting. Strings already shared stay shared; only the pool's own references go.
/// </para>
/// </summary>
public sealed class StringPool
{
    /// <summary>
    /// Entries kept before the pool starts again. Default 8,192: a few hundred KB at most, several times the
    /// number of distinct repeated strings of any one kind, so each restart costs a few duplicates only.
    /// </summary>
    public const int Capacity = 8192;

    /// <summary>Longest string (in UTF-8 bytes) looked up. Default 64: keys, names and enum-like values;
    /// longer ones (images, URLs, messages) are rarely shared and cost a decode to compare.</summary>
    public const int MaxLength = 64;

    /// <summary>The pool every typed informer of the process shares.</summary>
    public static StringPool Shared { get; } = new();

    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public StringPool() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Count
    {
        get { lock (_gate) return _strings.Count; }
    }

    /// <summary>The pooled instance equal to <paramref name="chars"/> (allocated and admitted if new).</summary>
    public string Get(ReadOnlySpan<char> chars)
    {
        lock (_gate)
        {
            if (_lookup.TryGetValue(chars, out var pooled)) return pooled;
            if (_strings.Count >= Capacity) _strings.Clear();
            var s = new string(chars);
            _strings.Add(s, s);
            return s;
        }
    }

    /// <summary>Reads the current string token through the pool (long, escaped or split tokens are read as usual).</summary>
    public string Read(ref Utf8JsonReader reader)
    {
        if (reader.HasValueSequence || reader.ValueIsEscaped || reader.ValueSpan.Length > MaxLength) return reader.GetString()!;
        Span<char> chars = stackalloc char[MaxLength];
        var n = Encoding.UTF8.GetChars(reader.ValueSpan, chars);
        return Get(chars[..n]);
    }

    private static readonly ConditionalWeakTable<JsonSerializerOptions, JsonSerializerOptions> InterningOptions = new();

    /// <summary>
    /// The same contract as <paramref name="typeInfo"/> (its options and resolver, e.g. the generated
    /// context), reading every string through <see cref="Shared"/>. Writing is unchanged.
    /// </summary>
    public static JsonTypeInfo<T> Interning<T>(JsonTypeInfo<T> typeInfo)
    {
        var options = InterningOptions.GetValue(typeInfo.Options, static source =>
        {
            var copy = new JsonSerializerOptions(source);
            copy.Converters.Insert(0, new InterningStringConverter(Shared));
            copy.MakeReadOnly(populateMissingResolver: true);
            return copy;
        });
        return (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
    }

    /// <summary>As <see cref="Interning{T}(JsonTypeInfo{T})"/> with a pool of one's own (not cached: build it once).</summary>
    public static JsonTypeInfo<T> Interning<T>(JsonTypeInfo<T> typeInfo, StringPool pool)
    {
        var copy = new JsonSerializerOptions(typeInfo.Options);
        copy.Converters.Insert(0, new InterningStringConverter(pool));
        copy.MakeReadOnly(populateMissingResolver: true);
        return (JsonTypeInfo<T>)copy.GetTypeInfo(typeof(T));
    }

    private sealed class InterningStringConverter(StringPool pool) : JsonConverter<string>
    {
        public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String ? pool.Read(ref reader) : throw new JsonException($"expected a string, found {reader.TokenType}");

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

        public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => pool.Read(ref reader);

        public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);
    }
}
