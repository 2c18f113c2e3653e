using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;

namespace Ingress.ApiServer;

/// <summary>
/// The Kubernetes protobuf wire format for the built-in kinds in <see cref="Wire.Kinds"/> (ConfigMap, Secret,
/// Namespace, ServiceAccount, Service, Endpoints, Pod, Event, Deployment, ReplicaSet): the 4-byte magic
/// "k8s\0", then a runtime.Unknown whose raw field holds the typed message. One table of message
/// descriptors (<see cref="Wire"/>) drives both decode and encode. An object holding a field the table
/// cannot express is never encoded lossily: the caller answers JSON instead.
/// </summary>
internal static partial class KubeProtobuf
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";
    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    internal enum T
    {
        String, Bytes, Int64, Int32, Bool, Time, MicroTime, Quantity, Message, MapString, MapBytes, MapQuantity,
        RepeatedString, RepeatedInt32, RepeatedInt64, RepeatedMessage, RawJson, IntOrString,
        /// <summary>A Go struct embedded inline: its own message on the wire, its fields flattened into the parent in JSON.</summary>
        Inline,
    }

    internal sealed record Field(int Number, string Name, T Type, Message? Sub = null);

    internal sealed class Message
    {
        public Message(params Field[] fields)
        {
            Fields = fields;
            foreach (var f in fields) _byNumber[f.Number] = f;
        }

        private readonly Dictionary<int, Field> _byNumber = [];
        private HashSet<string>? _jsonNames;
        public Field[] Fields { get; }
        public Field? ByNumber(int n) => _byNumber.GetValueOrDefault(n);

        /// <summary>The JSON keys this message accounts for (inline members' keys included).</summary>
        public HashSet<string> JsonNames => _jsonNames ??= Fields.SelectMany(f => f.Type == T.Inline ? f.Sub!.JsonNames : [f.Name]).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Fields that are pointers in Go, where zero is a value rather than "unset" (replicas: 0 scales down).</summary>
    private static readonly HashSet<string> ZeroIsAValue = ["replicas"];

    private static Message? SchemaOf(ResourceType rt) => rt.BuiltIn ? Wire.Kinds.GetValueOrDefault((rt.Group, rt.Kind)) : null;

    public static bool CanEncode(ResourceType rt) => SchemaOf(rt) is not null;

    /// <summary>Protobuf only when the client lists it before JSON (kubectl's typed clients do).</summary>
    public static bool Wanted(string accept)
    {
        var pb = accept.IndexOf(ContentType, StringComparison.Ordinal);
        if (pb < 0) return false;
        var json = accept.IndexOf("application/json", StringComparison.Ordinal);
        return json < 0 || pb < json;
    }

    /// <summary>Whether the client accepts JSON at all (then an object protobuf cannot express is sent as JSON).</summary>
    public static bool AcceptsJson(string accept) =>
        accept.Length == 0 || accept.Contains("application/json", StringComparison.Ordinal) || accept.Contains("*/*", StringComparison.Ordinal);

    public static JsonNode Decode(byte[] bytes, ResourceType rt)
    {
        var schema = SchemaOf(rt);
        if (schema is null)
            throw new ApiException(StatusReason.UnsupportedMediaType, $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (protobuf is not served for {rt.QualifiedName})");
        if (bytes.Length < 4 || !bytes.AsSpan(0, 4).SequenceEqual(Magic))
            throw ApiException.BadRequest("the body of the request was in an unknown format: protobuf body does not start with the Kubernetes magic \"k8s\\x00\"");
        try
        {
            var unknown = new CodedInputStream(bytes, 4, bytes.Length - 4);
            JsonObject? typeMeta = null;
            byte[]? raw = null;
            uint tag;
            while ((tag = unknown.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: typeMeta = ReadMessage(unknown.ReadBytes(), Wire.TypeMeta); break;
                    case 2: raw = unknown.ReadBytes().ToByteArray(); break;
                    default: unknown.SkipLastField(); break;
                }
            }
            var kind = typeMeta?["kind"]?.ToString();
            if (raw is null) throw ApiException.BadRequest("the body of the request was in an unknown format: protobuf runtime.Unknown has no raw object");
            if (kind is not null && kind != rt.Kind)
                throw ApiException.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({rt.Kind})");
            var obj = ReadMessage(ByteString.CopyFrom(raw), schema);
            var result = new JsonObject { ["apiVersion"] = typeMeta?["apiVersion"]?.ToString() ?? rt.ApiVersion, ["kind"] = rt.Kind };
            foreach (var (k, v) in obj.ToList()) { obj.Remove(k); result[k] = v; }
            return result;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw ApiException.BadRequest("the body of the request was in an unknown format: invalid protobuf: " + e.Message);
        }
    }

    private static readonly Message TimeMessage = new(new Field(1, "s", T.Int64), new Field(2, "n", T.Int32));
    private static readonly Message IntOrStringMessage = new(new Field(1, "type", T.Int64), new Field(2, "i", T.Int32), new Field(3, "s", T.String));
    private static readonly Message QuantityMessage = new(new Field(1, "string", T.String));

    private static JsonObject ReadMessage(ByteString data, Message schema, JsonObject? into = null)
    {
        var input = data.CreateCodedInput();
        var obj = into ?? new JsonObject();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = schema.ByNumber(WireFormat.GetTagFieldNumber(tag));
            if (field is null) { input.SkipLastField(); continue; }
            switch (field.Type)
            {
                // Go writes non-pointer fields even when empty; JSON omits them (omitempty), so do we.
                case T.String: { var v = input.ReadString(); if (v.Length > 0) obj[field.Name] = v; break; }
                case T.Bytes: obj[field.Name] = Convert.ToBase64String(input.ReadBytes().ToByteArray()); break;
                case T.Int64: { var v = input.ReadInt64(); if (v != 0 || ZeroIsAValue.Contains(field.Name)) obj[field.Name] = v; break; }
                case T.Int32: { var v = input.ReadInt32(); if (v != 0 || ZeroIsAValue.Contains(field.Name)) obj[field.Name] = v; break; }
                case T.Bool: obj[field.Name] = input.ReadBool(); break;
                case T.RawJson: obj[field.Name] = JsonNode.Parse(input.ReadBytes().ToByteArray()); break;
                case T.Quantity: obj[field.Name] = ReadMessage(input.ReadBytes(), QuantityMessage)["string"]?.ToString() ?? "0"; break;
                case T.IntOrString:
                {
                    var v = ReadMessage(input.ReadBytes(), IntOrStringMessage);
                    obj[field.Name] = v["type"]?.GetValue<long>() == 1 ? JsonValue.Create(v["s"]?.ToString() ?? "") : JsonValue.Create(v["i"]?.GetValue<int>() ?? 0);
                    break;
                }
                case T.Time or T.MicroTime:
                {
                    var t = ReadMessage(input.ReadBytes(), TimeMessage);
                    var when = DateTimeOffset.FromUnixTimeSeconds(t["s"]?.GetValue<long>() ?? 0).UtcDateTime;
                    obj[field.Name] = field.Type == T.Time
                        ? when.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
                        : when.AddTicks((t["n"]?.GetValue<int>() ?? 0) / 100).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
                    break;
                }
                case T.Message:
                {
                    var sub = ReadMessage(input.ReadBytes(), field.Sub!);
                    obj[field.Name] = field.Sub == Wire.FieldsV1 ? sub["Raw"]?.DeepClone() : sub;
                    break;
                }
                case T.Inline: ReadMessage(input.ReadBytes(), field.Sub!, obj); break;
                case T.RepeatedString: Array(obj, field.Name).Add(input.ReadString()); break;
                case T.RepeatedInt32 or T.RepeatedInt64:
                {
                    var list = Array(obj, field.Name);
                    if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                    {
                        var packed = input.ReadBytes().CreateCodedInput();
                        while (!packed.IsAtEnd) list.Add(packed.ReadInt64());
                    }
                    else list.Add(input.ReadInt64());
                    break;
                }
                case T.RepeatedMessage: Array(obj, field.Name).Add(ReadMessage(input.ReadBytes(), field.Sub!)); break;
                case T.MapString or T.MapBytes or T.MapQuantity:
                {
                    var entry = input.ReadBytes().CreateCodedInput();
                    string key = "", value = "";
                    uint t;
                    while ((t = entry.ReadTag()) != 0)
                    {
                        var n = WireFormat.GetTagFieldNumber(t);
                        if (n == 1) key = entry.ReadString();
                        else if (n == 2)
                            value = field.Type switch
                            {
                                T.MapString => entry.ReadString(),
                                T.MapBytes => Convert.ToBase64String(entry.ReadBytes().ToByteArray()),
                                _ => ReadMessage(entry.ReadBytes(), QuantityMessage)["string"]?.ToString() ?? "0",
                            };
                        else entry.SkipLastField();
                    }
                    if (obj[field.Name] is not JsonObject map) { map = new JsonObject(); obj[field.Name] = map; }
                    map[key] = value;
                    break;
                }
            }
        }
        return obj;
    }

    private static JsonArray Array(JsonObject obj, string name)
    {
        if (obj[name] is JsonArray a) return a;
        a = new JsonArray();
        obj[name] = a;
        return a;
    }

    /// <summary>Encodes one object, or returns null when it holds something the descriptors cannot express.</summary>
    public static byte[]? TryEncode(JsonObject obj, ResourceType rt)
    {
        var schema = SchemaOf(rt);
        if (schema is null) return null;
        var raw = TryWrite(obj, schema);
        return raw is null ? null : Wrap(raw, rt.ApiVersion, rt.Kind);
    }

    /// <summary>Encodes a list (<c>&lt;Kind&gt;List</c>: ListMeta, items), or null when an item cannot be expressed.</summary>
    public static byte[]? TryEncodeList(ResourceType rt, IEnumerable<byte[]> itemsJson, string resourceVersion, string? next, long? remaining)
    {
        var schema = SchemaOf(rt);
        if (schema is null) return null;
        using var ms = new MemoryStream();
        var output = new CodedOutputStream(ms);
        var listMeta = new JsonObject { ["resourceVersion"] = resourceVersion };
        if (next is not null) listMeta["continue"] = next;
        if (remaining is not null) listMeta["remainingItemCount"] = remaining.Value;
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(TryWrite(listMeta, Wire.ListMeta)!));
        foreach (var json in itemsJson)
        {
            var item = TryWrite(JsonNode.Parse(json)!.AsObject(), schema);
            if (item is null) return null;
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(item));
        }
        output.Flush();
        return Wrap(ms.ToArray(), rt.ApiVersion, rt.ListKind);
    }

    private static byte[] Wrap(byte[] raw, string apiVersion, string kind)
    {
        var typeMeta = TryWrite(new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind }, Wire.TypeMeta)!;
        using var ms = new MemoryStream();
        ms.Write(Magic);
        var output = new CodedOutputStream(ms);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(typeMeta));
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(raw));
        output.WriteTag(3, WireFormat.WireType.LengthDelimited);
        output.WriteString("");
        output.WriteTag(4, WireFormat.WireType.LengthDelimited);
        output.WriteString("");
        output.Flush();
        return ms.ToArray();
    }

    private static byte[]? TryWrite(JsonObject obj, Message schema)
    {
        try { return WriteMessage(obj, schema); }
        catch (Exception e) when (e is CannotEncode or InvalidOperationException or FormatException or JsonException or OverflowException) { return null; }
    }

    /// <summary>A value the descriptors cannot carry (an unknown field, or a value of another type).</summary>
    private sealed class CannotEncode(string what) : Exception(what);

    private static byte[] WriteMessage(JsonObject obj, Message schema)
    {
        foreach (var (key, _) in obj)
            if (!schema.JsonNames.Contains(key) && key is not "apiVersion" and not "kind") throw new CannotEncode(key);
        using var ms = new MemoryStream();
        var output = new CodedOutputStream(ms);
        foreach (var field in schema.Fields)
        {
            if (field.Type == T.Inline)
            {
                var inner = new JsonObject();
                foreach (var name in field.Sub!.JsonNames)
                    if (obj[name] is { } v) inner[name] = v.DeepClone();
                if (inner.Count == 0) continue;
                output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                output.WriteBytes(ByteString.CopyFrom(WriteMessage(inner, field.Sub!)));
                continue;
            }
            var value = obj[field.Name];
            if (value is null) continue;
            switch (field.Type)
            {
                case T.String:
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteString(value.GetValue<string>());
                    break;
                case T.Bytes:
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.FromBase64(value.GetValue<string>()));
                    break;
                case T.Int64:
                    output.WriteTag(field.Number, WireFormat.WireType.Varint);
                    output.WriteInt64(Long(value));
                    break;
                case T.Int32:
                    output.WriteTag(field.Number, WireFormat.WireType.Varint);
                    output.WriteInt32(checked((int)Long(value)));
                    break;
                case T.Bool:
                    output.WriteTag(field.Number, WireFormat.WireType.Varint);
                    output.WriteBool(value.GetValue<bool>());
                    break;
                case T.RawJson:
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.CopyFrom(Encoding.UTF8.GetBytes(value.ToJsonString())));
                    break;
                case T.Quantity:
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.CopyFrom(QuantityBytes(value)));
                    break;
                case T.IntOrString:
                {
                    var ios = value.GetValueKind() == JsonValueKind.String
                        ? new JsonObject { ["type"] = 1, ["s"] = value.GetValue<string>() }
                        : new JsonObject { ["type"] = 0, ["i"] = checked((int)Long(value)) };
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.CopyFrom(WriteMessage(ios, IntOrStringMessage)));
                    break;
                }
                case T.Time or T.MicroTime:
                {
                    var when = DateTimeOffset.Parse(value.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                    var t = new JsonObject { ["s"] = when.ToUnixTimeSeconds() };
                    var nanos = (int)(when.UtcTicks % TimeSpan.TicksPerSecond) * 100;
                    if (field.Type == T.MicroTime && nanos != 0) t["n"] = nanos;
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.CopyFrom(WriteMessage(t, TimeMessage)));
                    break;
                }
                case T.Message when field.Sub == Wire.FieldsV1:
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.CopyFrom(WriteMessage(new JsonObject { ["Raw"] = value.DeepClone() }, Wire.FieldsV1)));
                    break;
                case T.Message:
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.CopyFrom(WriteMessage(value.AsObject(), field.Sub!)));
                    break;
                case T.RepeatedString:
                    foreach (var s in value.AsArray())
                    {
                        output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                        output.WriteString(s!.GetValue<string>());
                    }
                    break;
                case T.RepeatedInt32 or T.RepeatedInt64:
                    foreach (var n in value.AsArray())
                    {
                        output.WriteTag(field.Number, WireFormat.WireType.Varint);
                        output.WriteInt64(Long(n!));
                    }
                    break;
                case T.RepeatedMessage:
                    foreach (var m in value.AsArray())
                    {
                        output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                        output.WriteBytes(ByteString.CopyFrom(WriteMessage(m!.AsObject(), field.Sub!)));
                    }
                    break;
                case T.MapString or T.MapBytes or T.MapQuantity:
                    foreach (var (k, v) in value.AsObject().OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    {
                        using var e = new MemoryStream();
                        var eo = new CodedOutputStream(e);
                        eo.WriteTag(1, WireFormat.WireType.LengthDelimited);
                        eo.WriteString(k);
                        eo.WriteTag(2, WireFormat.WireType.LengthDelimited);
                        if (field.Type == T.MapString) eo.WriteString(v?.GetValue<string>() ?? "");
                        else if (field.Type == T.MapBytes) eo.WriteBytes(ByteString.FromBase64(v?.GetValue<string>() ?? ""));
                        else eo.WriteBytes(ByteString.CopyFrom(QuantityBytes(v)));
                        eo.Flush();
                        output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                        output.WriteBytes(ByteString.CopyFrom(e.ToArray()));
                    }
                    break;
            }
        }
        output.Flush();
        return ms.ToArray();
    }

    /// <summary>An integer whether parsed from JSON or built in code as an int; a fraction cannot be encoded.</summary>
    private static long Long(JsonNode value)
    {
        var v = value.AsValue();
        if (v.TryGetValue<long>(out var l)) return l;
        if (v.TryGetValue<int>(out var i)) return i;
        throw new CannotEncode(value.ToJsonString());
    }

    /// <summary>A resource.Quantity: its canonical string (a JSON number such as <c>cpu: 1</c> becomes "1").</summary>
    private static byte[] QuantityBytes(JsonNode? value)
    {
        var text = value is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.ToJsonString() : value?.GetValue<string>() ?? "0";
        return WriteMessage(new JsonObject { ["string"] = text }, QuantityMessage);
    }
}
