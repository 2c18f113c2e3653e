using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Ingress.ApiServer;

/// <summary>
/// A CRD version's openAPIV3Schema compiled once into a tree, for what the real API server does with a
/// structural schema: prune unknown fields (respecting <c>x-kubernetes-preserve-unknown-fields</c>,
/// <c>x-kubernetes-embedded-resource</c>, <c>x-kubernetes-int-or-string</c>; apiVersion, kind and
/// metadata kept), drop nulls of non-nullable fields, and validate types, <c>enum</c>, <c>required</c>,
/// <c>minimum</c>/<c>maximum</c>, <c>pattern</c>, <c>minLength</c>/<c>maxLength</c> and
/// <c>minItems</c>/<c>maxItems</c>. anyOf/allOf/oneOf/not, formats, CEL rules and defaults are not
/// evaluated (documented in docs/apiserver.md).
/// </summary>
internal sealed class StructuralSchema
{
    public string? Type { get; private init; }
    public bool Nullable { get; private init; }
    public bool PreserveUnknownFields { get; private init; }
    public bool EmbeddedResource { get; private init; }
    public bool IntOrString { get; private init; }
    public Dictionary<string, StructuralSchema>? Properties { get; private init; }
    public StructuralSchema? AdditionalProperties { get; private init; }
    /// <summary><c>additionalProperties: true</c>: any key, kept as is.</summary>
    public bool AdditionalPropertiesAllowed { get; private init; }
    public StructuralSchema? Items { get; private init; }
    public string[]? Required { get; private init; }
    public JsonNode?[]? Enum { get; private init; }
    public double? Minimum { get; private init; }
    public double? Maximum { get; private init; }
    public bool ExclusiveMinimum { get; private init; }
    public bool ExclusiveMaximum { get; private init; }
    public string? Pattern { get; private init; }
    private Regex? _regex;
    public long? MinLength { get; private init; }
    public long? MaxLength { get; private init; }
    public long? MinItems { get; private init; }
    public long? MaxItems { get; private init; }

    /// <summary>Fields of ObjectMeta; anything else under metadata is dropped, as decoding into ObjectMeta does.</summary>
    private static readonly HashSet<string> ObjectMetaFields =
    [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ];

    public static StructuralSchema Compile(JsonObject schema)
    {
        Dictionary<string, StructuralSchema>? props = null;
        if (schema["properties"] is JsonObject p)
        {
            props = new Dictionary<string, StructuralSchema>(p.Count, StringComparer.Ordinal);
            foreach (var (k, v) in p) props[k] = v is JsonObject o ? Compile(o) : Open;
        }
        return new StructuralSchema
        {
            Type = Str(schema["type"]),
            Nullable = Bool(schema["nullable"]),
            PreserveUnknownFields = Bool(schema["x-kubernetes-preserve-unknown-fields"]),
            EmbeddedResource = Bool(schema["x-kubernetes-embedded-resource"]),
            IntOrString = Bool(schema["x-kubernetes-int-or-string"]),
            Properties = props,
            AdditionalProperties = schema["additionalProperties"] is JsonObject ap ? Compile(ap) : null,
            AdditionalPropertiesAllowed = schema["additionalProperties"] is JsonValue apv && apv.TryGetValue<bool>(out var b) && b,
            Items = schema["items"] is JsonObject items ? Compile(items) : null,
            Required = schema["required"] is JsonArray req ? req.Select(r => r?.ToString() ?? "").ToArray() : null,
            Enum = schema["enum"] is JsonArray e ? e.Select(x => x?.DeepClone()).ToArray() : null,
            Minimum = Num(schema["minimum"]),
            Maximum = Num(schema["maximum"]),
            ExclusiveMinimum = Bool(schema["exclusiveMinimum"]),
            ExclusiveMaximum = Bool(schema["exclusiveMaximum"]),
            Pattern = Str(schema["pattern"]),
            MinLength = (long?)Num(schema["minLength"]),
            MaxLength = (long?)Num(schema["maxLength"]),
            MinItems = (long?)Num(schema["minItems"]),
            MaxItems = (long?)Num(schema["maxItems"]),
        };
    }

    /// <summary>A schema that keeps and accepts anything (for a property without a usable schema).</summary>
    private static readonly StructuralSchema Open = new() { PreserveUnknownFields = true };

    private static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    private static bool Bool(JsonNode? n) => n is JsonValue v && v.TryGetValue<bool>(out var b) && b;
    private static double? Num(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? ToDouble(v) : null;

    /// <summary>A string whether the node holds a string or another string-kind value (a date, a Guid).</summary>
    private static string StringOf(JsonValue v) =>
        v.TryGetValue<string>(out var s) ? s : JsonSerializer.Deserialize<string>(v.ToJsonString()) ?? "";

    /// <summary>A number whether the node was parsed (JsonElement) or built in code (int, long, double...).</summary>
    private static double ToDouble(JsonValue v)
    {
        if (v.TryGetValue<double>(out var d)) return d;
        if (v.TryGetValue<long>(out var l)) return l;
        if (v.TryGetValue<int>(out var i)) return i;
        if (v.TryGetValue<decimal>(out var m)) return (double)m;
        if (v.TryGetValue<float>(out var f)) return f;
        if (v.TryGetValue<uint>(out var ui)) return ui;
        if (v.TryGetValue<ulong>(out var ul)) return ul;
        if (v.TryGetValue<short>(out var sh)) return sh;
        if (v.TryGetValue<JsonElement>(out var e)) return e.GetDouble();
        return double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture);
    }

    // ---------------------------------------------------------------------------------------------
    // Pruning

    /// <summary>Removes (when <paramref name="remove"/>) and lists the fields the schema does not declare,
    /// as the real server prunes a custom resource on every write. The root keeps apiVersion, kind and
    /// metadata. Also drops nulls of non-nullable properties, which the real server prunes before defaulting.
    /// Returns the dotted paths of unknown fields (nulls are not reported).</summary>
    public List<string> Prune(JsonObject root, bool remove)
    {
        var unknown = new List<string>();
        PruneObject(root, this, "", isResource: true, remove, unknown);
        return unknown;
    }

    private static void PruneObject(JsonObject obj, StructuralSchema s, string path, bool isResource, bool remove, List<string> unknown)
    {
        List<string>? drop = null;
        foreach (var (key, value) in obj)
        {
            var childPath = path.Length == 0 ? key : path + "." + key;
            if (isResource && key is "apiVersion" or "kind") continue;
            if (isResource && key == "metadata")
            {
                if (value is JsonObject meta)
                {
                    List<string>? metaDrop = null;
                    foreach (var (mk, _) in meta)
                        if (!ObjectMetaFields.Contains(mk)) { (metaDrop ??= []).Add(mk); unknown.Add(childPath + "." + mk); }
                    if (remove && metaDrop is not null) foreach (var mk in metaDrop) meta.Remove(mk);
                }
                continue;
            }
            StructuralSchema? child = null;
            if (s.Properties is not null && s.Properties.TryGetValue(key, out var p)) child = p;
            else if (s.AdditionalProperties is not null) child = s.AdditionalProperties;
            if (child is null)
            {
                if (s.PreserveUnknownFields || s.AdditionalPropertiesAllowed) continue;
                (drop ??= []).Add(key);
                unknown.Add(childPath);
                continue;
            }
            if (value is null)
            {
                if (!child.Nullable) (drop ??= []).Add(key);
                continue;
            }
            PruneValue(value, child, childPath, remove, unknown);
        }
        if (remove && drop is not null) foreach (var key in drop) obj.Remove(key);
    }

    private static void PruneValue(JsonNode value, StructuralSchema s, string path, bool remove, List<string> unknown)
    {
        switch (value)
        {
            case JsonObject o:
                // Without properties or additionalProperties, an object keeps nothing unless it preserves
                // unknown fields (the real server's rule; an object schema with neither is rare on purpose).
                if (s.Properties is null && s.AdditionalProperties is null && !s.EmbeddedResource &&
                    (s.PreserveUnknownFields || s.AdditionalPropertiesAllowed || s.Type is null)) return;
                PruneObject(o, s, path, s.EmbeddedResource, remove, unknown);
                break;
            case JsonArray a when s.Items is not null:
                for (var i = 0; i < a.Count; i++)
                    if (a[i] is { } item) PruneValue(item, s.Items, $"{path}[{i}]", remove, unknown);
                break;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Validation

    /// <summary>One failed rule, shaped like apimachinery's field.Error.</summary>
    public sealed record FieldError(string Field, string Reason, string Message)
    {
        public override string ToString() => Field + ": " + Message;
    }

    /// <summary>Validates <paramref name="root"/> (metadata, apiVersion and kind are the server's own).
    /// With <paramref name="old"/> (updates) an error is dropped when the value at its path is unchanged,
    /// which is the real server's validation ratcheting: stored objects stay writable.</summary>
    public List<FieldError> Validate(JsonObject root, JsonObject? old)
    {
        var errors = new List<FieldError>();
        ValidateObjectFields(root, old, this, "", isResource: true, errors);
        return errors;
    }

    private static void ValidateNode(JsonNode? value, JsonNode? old, bool hasOld, StructuralSchema s, string path, List<FieldError> errors)
    {
        var before = errors.Count;
        ValidateNodeCore(value, old, s, path, errors);
        // Ratcheting: errors inside an unchanged subtree are not this write's fault.
        if (errors.Count > before && hasOld && JsonNode.DeepEquals(value, old)) errors.RemoveRange(before, errors.Count - before);
    }

    private static void ValidateNodeCore(JsonNode? value, JsonNode? old, StructuralSchema s, string path, List<FieldError> errors)
    {
        if (value is null)
        {
            if (!s.Nullable && (s.Type is not null || s.IntOrString)) errors.Add(TypeError(path, s, "null"));
            return;
        }
        var actual = TypeOf(value);
        if (s.IntOrString)
        {
            if (actual is not ("integer" or "string")) { errors.Add(new FieldError(path, "FieldValueTypeInvalid", $"Invalid value: \"{actual}\": {path} in body must be of type integer,string: \"{actual}\"")); return; }
        }
        else if (s.Type is { } expected && !(expected == actual || (expected == "number" && actual == "integer")))
        {
            errors.Add(TypeError(path, s, actual));
            return;
        }
        if (s.Enum is { } allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
            errors.Add(new FieldError(path, "FieldValueNotSupported",
                $"Unsupported value: {Show(value)}: supported values: {string.Join(", ", allowed.Select(Show))}"));
        switch (value)
        {
            case JsonObject o:
                if (s.Properties is null && s.AdditionalProperties is null && !s.EmbeddedResource && s.Required is null) return;
                ValidateObjectFields(o, old as JsonObject, s, path, s.EmbeddedResource, errors);
                break;
            case JsonArray a:
                if (s.MaxItems is { } maxItems && a.Count > maxItems)
                    errors.Add(new FieldError(path, "FieldValueTooMany", $"Too many: {a.Count}: must have at most {maxItems} items"));
                if (s.MinItems is { } minItems && a.Count < minItems)
                    errors.Add(Invalid(path, value, $"{path} in body should have at least {minItems} items"));
                if (s.Items is not null)
                    for (var i = 0; i < a.Count; i++)
                        ValidateNode(a[i], null, false, s.Items, $"{path}[{i}]", errors);
                break;
            case JsonValue v when actual == "string":
            {
                var text = StringOf(v);
                if (s.MaxLength is { } maxLength && RuneCount(text) > maxLength)
                    errors.Add(new FieldError(path, "FieldValueTooLong", $"Too long: may not be more than {maxLength} bytes"));
                if (s.MinLength is { } minLength && RuneCount(text) < minLength)
                    errors.Add(Invalid(path, value, $"{path} in body should be at least {minLength} chars long"));
                if (s.Pattern is { } pattern && CompiledPattern(s) is { } regex && !Matches(regex, text))
                    errors.Add(Invalid(path, value, $"{path} in body should match '{pattern}'"));
                break;
            }
            case JsonValue v when actual is "integer" or "number":
            {
                var n = ToDouble(v);
                if (s.Minimum is { } min && (s.ExclusiveMinimum ? n <= min : n < min))
                    errors.Add(Invalid(path, value, $"{path} in body should be greater than {(s.ExclusiveMinimum ? "" : "or equal to ")}{Number(min)}"));
                if (s.Maximum is { } max && (s.ExclusiveMaximum ? n >= max : n > max))
                    errors.Add(Invalid(path, value, $"{path} in body should be less than {(s.ExclusiveMaximum ? "" : "or equal to ")}{Number(max)}"));
                break;
            }
        }
    }

    private static void ValidateObjectFields(JsonObject o, JsonObject? old, StructuralSchema s, string path, bool isResource, List<FieldError> errors)
    {
        foreach (var (key, child) in o)
        {
            if (isResource && key is "apiVersion" or "kind" or "metadata") continue;
            StructuralSchema? cs = null;
            if (s.Properties is not null && s.Properties.TryGetValue(key, out var p)) cs = p;
            else if (s.AdditionalProperties is not null) cs = s.AdditionalProperties;
            if (cs is null) continue;
            JsonNode? oldChild = null;
            var hasOld = old is not null && old.TryGetPropertyValue(key, out oldChild);
            ValidateNode(child, oldChild, hasOld, cs, path.Length == 0 ? key : path + "." + key, errors);
        }
        if (s.Required is null) return;
        foreach (var r in s.Required)
        {
            if (o.ContainsKey(r)) continue;
            if (old is not null && !old.ContainsKey(r)) continue; // ratcheting: missing before too
            errors.Add(new FieldError(path.Length == 0 ? r : path + "." + r, "FieldValueRequired", "Required value"));
        }
    }

    private static FieldError TypeError(string path, StructuralSchema s, string actual) =>
        new(path, "FieldValueTypeInvalid", $"Invalid value: \"{actual}\": {path} in body must be of type {s.Type}: \"{actual}\"");

    private static FieldError Invalid(string path, JsonNode value, string detail) =>
        new(path, "FieldValueInvalid", $"Invalid value: {Show(value)}: {detail}");

    private static string TypeOf(JsonNode value) => value switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => IsIntegral(v) ? "integer" : "number",
            _ => "null",
        },
        _ => "null",
    };

    private static bool IsIntegral(JsonValue v)
    {
        if (v.TryGetValue<long>(out _) || v.TryGetValue<int>(out _) || v.TryGetValue<uint>(out _) || v.TryGetValue<short>(out _) || v.TryGetValue<ulong>(out _)) return true;
        if (v.TryGetValue<JsonElement>(out var e)) return e.TryGetInt64(out _) || e.TryGetUInt64(out _);
        var d = ToDouble(v);
        return Math.Floor(d) == d && !double.IsInfinity(d) && Math.Abs(d) < 9.2e18;
    }

    /// <summary>How apimachinery prints a bad value: strings quoted, numbers and booleans bare.</summary>
    private static string Show(JsonNode? value) => value switch
    {
        null => "\"null\"",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => JsonSerializer.Serialize(StringOf(v)),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => IsIntegral(v) ? v.ToJsonString() : Number(ToDouble(v)),
        JsonValue v => v.ToJsonString(),
        _ => value.ToJsonString(),
    };

    private static string Number(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    private static int RuneCount(string s)
    {
        var n = 0;
        foreach (var _ in s.EnumerateRunes()) n++;
        return n;
    }

    /// <summary>ECMA-262/RE2 patterns mostly mean the same in .NET; one that does not compile is not enforced.</summary>
    private static Regex? CompiledPattern(StructuralSchema s)
    {
        if (s._regex is not null || s.Pattern is null) return s._regex;
        try { s._regex = new Regex(s.Pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(200)); }
        catch (ArgumentException) { return null; }
        return s._regex;
    }

    private static bool Matches(Regex regex, string text)
    {
        try { return regex.IsMatch(text); }
        catch (RegexMatchTimeoutException) { return true; }
    }

    /// <summary>Builds the 422 the real server answers: <c>Kind.group "name" is invalid: field: message</c>
    /// (several errors in brackets), with one cause per error.</summary>
    public static ApiException InvalidError(ResourceType rt, string name, IReadOnlyList<FieldError> errors)
    {
        var qualified = rt.Group.Length == 0 ? rt.Kind : rt.Kind + "." + rt.Group;
        var joined = errors.Count == 1 ? errors[0].ToString() : "[" + string.Join(", ", errors.Select(e => e.ToString())) + "]";
        var causes = new JsonArray();
        foreach (var e in errors) causes.Add(new JsonObject { ["reason"] = e.Reason, ["message"] = e.Message, ["field"] = e.Field });
        return new ApiException(StatusReason.Invalid, $"{qualified} \"{name}\" is invalid: {joined}", name, rt)
        {
            Causes = causes,
            DetailsKind = rt.Kind,
        };
    }
}
