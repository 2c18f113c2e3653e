using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;

namespace Ingress.ApiServer;

/// <summary>
/// The Kubernetes protobuf wire format for the core kinds kubectl 1.32+ sends as protobuf
/// (ConfigMap, Secret, Namespace, ServiceAccount): the 4-byte magic "k8s\0", then a runtime.Unknown
/// whose raw field holds the typed message. Field numbers follow k8s.io/api's generated.proto. The
/// schema is a small table of message descriptors, so decode and encode share one description.
/// </summary>
internal static class KubeProtobuf
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";
    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    private enum T { String, Bytes, Int64, Int32, Bool, Time, Message, MapString, MapBytes, RepeatedString, RepeatedMessage, RawJson }

    private sealed record Field(int Number, string Name, T Type, Message? Sub = null);

    private sealed class Message(params Field[] fields)
    {
        public Field[] Fields { get; } = fields;
        public Field? ByNumber(int n) => Fields.FirstOrDefault(f => f.Number == n);
        public Field? ByName(string name) => Fields.FirstOrDefault(f => f.Name == name);
    }

    private static readonly Message OwnerReference = new(
        new(1, "kind", T.String), new(3, "name", T.String), new(4, "uid", T.String), new(5, "apiVersion", T.String),
        new(6, "controller", T.Bool), new(7, "blockOwnerDeletion", T.Bool));

    private static readonly Message FieldsV1 = new(new Field(1, "Raw", T.RawJson));

    private static readonly Message ManagedFieldsEntry = new(
        new(1, "manager", T.String), new(2, "operation", T.String), new(3, "apiVersion", T.String), new(4, "time", T.Time),
        new(6, "fieldsType", T.String), new(7, "fieldsV1", T.Message, FieldsV1), new(8, "subresource", T.String));

    private static readonly Message ObjectMeta = new(
        new(1, "name", T.String), new(2, "generateName", T.String), new(3, "namespace", T.String), new(4, "selfLink", T.String),
        new(5, "uid", T.String), new(6, "resourceVersion", T.String), new(7, "generation", T.Int64),
        new(8, "creationTimestamp", T.Time), new(9, "deletionTimestamp", T.Time), new(10, "deletionGracePeriodSeconds", T.Int64),
        new(11, "labels", T.MapString), new(12, "annotations", T.MapString), new(13, "ownerReferences", T.RepeatedMessage, OwnerReference),
        new(14, "finalizers", T.RepeatedString), new(17, "managedFields", T.RepeatedMessage, ManagedFieldsEntry));

    private static readonly Message ObjectReference = new(
        new(1, "kind", T.String), new(2, "namespace", T.String), new(3, "name", T.String), new(4, "uid", T.String),
        new(5, "apiVersion", T.String), new(6, "resourceVersion", T.String), new(7, "fieldPath", T.String));

    private static readonly Message LocalObjectReference = new(new Field(1, "name", T.String));

    private static readonly Message NamespaceCondition = new(
        new(1, "type", T.String), new(2, "status", T.String), new(4, "lastTransitionTime", T.Time), new(5, "reason", T.String), new(6, "message", T.String));

    private static readonly Dictionary<string, Message> Kinds = new()
    {
        ["ConfigMap"] = new(new(1, "metadata", T.Message, ObjectMeta), new(2, "data", T.MapString), new(3, "binaryData", T.MapBytes), new(4, "immutable", T.Bool)),
        ["Secret"] = new(new(1, "metadata", T.Message, ObjectMeta), new(2, "data", T.MapBytes), new(3, "type", T.String), new(4, "stringData", T.MapString), new(5, "immutable", T.Bool)),
        ["Namespace"] = new(new(1, "metadata", T.Message, ObjectMeta),
            new(2, "spec", T.Message, new Message(new Field(1, "finalizers", T.RepeatedString))),
            new(3, "status", T.Message, new Message(new Field(1, "phase", T.String), new Field(2, "conditions", T.RepeatedMessage, NamespaceCondition)))),
        ["ServiceAccount"] = new(new(1, "metadata", T.Message, ObjectMeta), new(2, "secrets", T.RepeatedMessage, ObjectReference),
            new(3, "imagePullSecrets", T.RepeatedMessage, LocalObjectReference), new(4, "automountServiceAccountToken", T.Bool)),
    };

    private static readonly Message TypeMeta = new(new Field(1, "apiVersion", T.String), new Field(2, "kind", T.String));

    public static bool CanEncode(ResourceType rt) => rt.BuiltIn && rt.Group.Length == 0 && Kinds.ContainsKey(rt.Kind);

    /// <summary>Protobuf only when the client lists it before JSON (kubectl's typed clients do).</summary>
    public static bool Wanted(string accept)
    {
        var pb = accept.IndexOf(ContentType, StringComparison.Ordinal);
        if (pb < 0) return false;
        var json = accept.IndexOf("application/json", StringComparison.Ordinal);
        return json < 0 || pb < json;
    }

    public static JsonNode Decode(byte[] bytes, ResourceType rt)
    {
        if (!CanEncode(rt))
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
                    case 1: typeMeta = ReadMessage(unknown.ReadBytes(), TypeMeta); break;
                    case 2: raw = unknown.ReadBytes().ToByteArray(); break;
                    default: unknown.SkipLastField(); break;
                }
            }
            var kind = typeMeta?["kind"]?.ToString();
            if (raw is null) throw ApiException.BadRequest("the body of the request was in an unknown format: protobuf runtime.Unknown has no raw object");
            if (kind is not null && kind != rt.Kind)
                throw ApiException.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({rt.Kind})");
            var obj = ReadMessage(ByteString.CopyFrom(raw), Kinds[rt.Kind]);
            var result = new JsonObject { ["apiVersion"] = typeMeta?["apiVersion"]?.ToString() ?? rt.ApiVersion, ["kind"] = rt.Kind };
            foreach (var (k, v) in obj.ToList()) { obj.Remove(k); result[k] = v; }
            return result;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw ApiException.BadRequest("the body of the request was in an unknown format: invalid protobuf: " + e.Message);
        }
    }

    private static JsonObject ReadMessage(ByteString data, Message schema)
    {
        var input = data.CreateCodedInput();
        var obj = new JsonObject();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = schema.ByNumber(WireFormat.GetTagFieldNumber(tag));
            if (field is null) { input.SkipLastField(); continue; }
            switch (field.Type)
            {
                // Go decodes an empty string or zero number as "unset" (omitempty); so do we.
                case T.String: { var v = input.ReadString(); if (v.Length > 0) obj[field.Name] = v; break; }
                case T.Bytes: obj[field.Name] = Convert.ToBase64String(input.ReadBytes().ToByteArray()); break;
                case T.Int64: { var v = input.ReadInt64(); if (v != 0) obj[field.Name] = v; break; }
                case T.Int32: { var v = input.ReadInt32(); if (v != 0) obj[field.Name] = v; break; }
                case T.Bool: obj[field.Name] = input.ReadBool(); break;
                case T.RawJson: obj[field.Name] = JsonNode.Parse(input.ReadBytes().ToByteArray()); break;
                case T.Time:
                {
                    var t = ReadMessage(input.ReadBytes(), new Message(new Field(1, "s", T.Int64), new Field(2, "n", T.Int32)));
                    var seconds = t["s"]?.GetValue<long>() ?? 0;
                    obj[field.Name] = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                    break;
                }
                case T.Message:
                {
                    var sub = ReadMessage(input.ReadBytes(), field.Sub!);
                    obj[field.Name] = field.Sub == FieldsV1 ? sub["Raw"]?.DeepClone() : sub;
                    break;
                }
                case T.RepeatedString: Array(obj, field.Name).Add(input.ReadString()); break;
                case T.RepeatedMessage: Array(obj, field.Name).Add(ReadMessage(input.ReadBytes(), field.Sub!)); break;
                case T.MapString or T.MapBytes:
                {
                    var entry = input.ReadBytes().CreateCodedInput();
                    string key = "", value = "";
                    uint t;
                    while ((t = entry.ReadTag()) != 0)
                    {
                        var n = WireFormat.GetTagFieldNumber(t);
                        if (n == 1) key = entry.ReadString();
                        else if (n == 2) value = field.Type == T.MapString ? entry.ReadString() : Convert.ToBase64String(entry.ReadBytes().ToByteArray());
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

    public static byte[] Encode(JsonObject obj, ResourceType rt)
    {
        var raw = WriteMessage(obj, Kinds[rt.Kind]);
        var typeMeta = WriteMessage(new JsonObject { ["apiVersion"] = rt.ApiVersion, ["kind"] = rt.Kind }, TypeMeta);
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

    private static byte[] WriteMessage(JsonObject obj, Message schema)
    {
        using var ms = new MemoryStream();
        var output = new CodedOutputStream(ms);
        foreach (var field in schema.Fields)
        {
            var value = obj[field.Name];
            if (value is null) continue;
            switch (field.Type)
            {
                case T.String:
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteString(value.ToString());
                    break;
                case T.Bytes:
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.FromBase64(value.ToString()));
                    break;
                case T.Int64:
                    output.WriteTag(field.Number, WireFormat.WireType.Varint);
                    output.WriteInt64(value.GetValue<long>());
                    break;
                case T.Int32:
                    output.WriteTag(field.Number, WireFormat.WireType.Varint);
                    output.WriteInt32(value.GetValue<int>());
                    break;
                case T.Bool:
                    output.WriteTag(field.Number, WireFormat.WireType.Varint);
                    output.WriteBool(value.GetValue<bool>());
                    break;
                case T.RawJson:
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.CopyFrom(Encoding.UTF8.GetBytes(value.ToJsonString())));
                    break;
                case T.Time:
                {
                    var when = DateTimeOffset.Parse(value.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                    using var t = new MemoryStream();
                    var to = new CodedOutputStream(t);
                    to.WriteTag(1, WireFormat.WireType.Varint);
                    to.WriteInt64(when.ToUnixTimeSeconds());
                    to.Flush();
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.CopyFrom(t.ToArray()));
                    break;
                }
                case T.Message when value is JsonObject o:
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.CopyFrom(WriteMessage(o, field.Sub!)));
                    break;
                case T.Message when field.Sub == FieldsV1:
                    output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                    output.WriteBytes(ByteString.CopyFrom(WriteMessage(new JsonObject { ["Raw"] = value.DeepClone() }, FieldsV1)));
                    break;
                case T.RepeatedString when value is JsonArray a:
                    foreach (var s in a)
                    {
                        output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                        output.WriteString(s?.ToString() ?? "");
                    }
                    break;
                case T.RepeatedMessage when value is JsonArray a:
                    foreach (var m in a.OfType<JsonObject>())
                    {
                        output.WriteTag(field.Number, WireFormat.WireType.LengthDelimited);
                        output.WriteBytes(ByteString.CopyFrom(WriteMessage(m, field.Sub!)));
                    }
                    break;
                case T.MapString or T.MapBytes when value is JsonObject map:
                    foreach (var (k, v) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    {
                        using var e = new MemoryStream();
                        var eo = new CodedOutputStream(e);
                        eo.WriteTag(1, WireFormat.WireType.LengthDelimited);
                        eo.WriteString(k);
                        eo.WriteTag(2, WireFormat.WireType.LengthDelimited);
                        if (field.Type == T.MapString) eo.WriteString(v?.ToString() ?? "");
                        else eo.WriteBytes(ByteString.FromBase64(v?.ToString() ?? ""));
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
}
