using System.Text.Json.Nodes;

namespace Ingress.ModelGen;

/// <summary>Turns schemas (core.yaml definitions and kinds, CRD versions) into class models.</summary>
public sealed class Translator
{
    public const string OutputDirectory = "src/Ingress.Api/Generated";

    private static readonly string[] KindMembers = ["ApiGroup", "ApiVersionValue", "KindValue", "Plural", "Namespaced"];

    private readonly Inputs _inputs;
    private readonly Dictionary<string, ClassModel> _classes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DefinitionSpec> _definitions = new(StringComparer.Ordinal);
    private readonly Dictionary<ClassModel, int> _order = [];
    private readonly SortedSet<string> _collections = new(StringComparer.Ordinal);

    private sealed record Context(KindSpec? Kind, string Namespace, string File, string Source);

    public Translator(Inputs inputs)
    {
        _inputs = inputs;
        foreach (var d in inputs.Definitions)
        {
            if (!_definitions.TryAdd($"{d.Namespace}.{d.Name}", d))
            {
                throw new GeneratorException($"{d.Source}: definition {d.Namespace}.{d.Name} is declared twice");
            }
        }
    }

    /// <summary>Every class, in a stable order (file, then creation order within the file).</summary>
    public IEnumerable<ClassModel> Classes =>
        _classes.Values.OrderBy(c => c.File, StringComparer.Ordinal).ThenBy(c => _order[c]);

    /// <summary>Every collection type a property uses (for the JSON context's explicit registrations).</summary>
    public IReadOnlyCollection<string> CollectionTypes => _collections;

    public IEnumerable<ClassModel> KindClasses => Classes.Where(c => c.Kind is not null);

    public void Run()
    {
        foreach (var d in _inputs.Definitions)
        {
            EnsureDefinition($"{d.Namespace}.{d.Name}", d.Source);
        }
        foreach (var kind in _inputs.Kinds.OrderBy(k => k.Namespace, StringComparer.Ordinal).ThenBy(k => k.Kind, StringComparer.Ordinal))
        {
            BuildKind(kind);
        }
    }

    public static string FileFor(string ns, string name) => $"{OutputDirectory}/{ns.Replace('.', '/')}/{name}.g.cs";

    private ClassModel EnsureDefinition(string key, string from)
    {
        if (_classes.TryGetValue(key, out var existing))
        {
            return existing;
        }
        if (!_definitions.TryGetValue(key, out var def))
        {
            throw new GeneratorException($"{from}: unknown type {key} (declare it under definitions in {Inputs.CoreSchemaPath})");
        }
        var cls = New(def.Namespace, def.Name, def.Schema, null, def, FileFor(def.Namespace, def.Name), def.Source);
        _classes[key] = cls;
        FillProperties(cls, def.Schema, new Context(null, def.Namespace, cls.File, def.Source), "");
        return cls;
    }

    private void BuildKind(KindSpec kind)
    {
        var cls = New(kind.Namespace, kind.Kind, kind.Schema, kind, null, FileFor(kind.Namespace, kind.Kind), kind.Source);
        if (!_classes.TryAdd(cls.Key, cls))
        {
            throw new GeneratorException($"{kind.Source}: kind {kind.Kind} collides with {_classes[cls.Key].Origin} in namespace {kind.Namespace}");
        }
        FillProperties(cls, kind.Schema, new Context(kind, kind.Namespace, cls.File, kind.Source), "");
    }

    private ClassModel New(string ns, string name, JsonObject schema, KindSpec? kind, DefinitionSpec? def, string file, string origin)
    {
        var cls = new ClassModel(ns, name, schema["description"]?.GetValue<string>(), kind, def, file) { Origin = origin };
        _order[cls] = _order.Count;
        return cls;
    }

    private void FillProperties(ClassModel cls, JsonObject schema, Context ctx, string path)
    {
        var used = new HashSet<string>(StringComparer.Ordinal) { cls.Name, "AdditionalProperties" };
        if (cls.Kind is not null)
        {
            used.UnionWith(KindMembers);
            cls.Properties.Add(new PropertyModel("apiVersion", "ApiVersion", TypeRef.String, "APIVersion defines the versioned schema of this representation of an object.", "ApiVersionValue"));
            cls.Properties.Add(new PropertyModel("kind", "Kind", TypeRef.String, "Kind is a string value representing the REST resource this object represents.", "KindValue"));
            var meta = EnsureDefinition("Meta.V1.ObjectMeta", ctx.Source);
            cls.Properties.Add(new PropertyModel("metadata", "Metadata", new TypeRef(meta.FullName, false), "Standard object's metadata.", "new()"));
            used.UnionWith(["ApiVersion", "Kind", "Metadata"]);
        }
        foreach (var (jsonName, node) in schema["properties"]?.AsObject() ?? [])
        {
            if (cls.Kind is not null && jsonName is "apiVersion" or "kind" or "metadata")
            {
                continue;
            }
            var sub = node as JsonObject ?? throw new GeneratorException($"{ctx.Source}: {path}.{jsonName} is not a schema object");
            var name = Naming.Pascal(jsonName);
            if (used.Contains(name))
            {
                name += "Value";
            }
            for (var i = 2; used.Contains(name); i++)
            {
                name = Naming.Pascal(jsonName) + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            used.Add(name);
            var type = Resolve(sub, ctx, Join(path, jsonName), cls.Name, jsonName, singular: false);
            cls.Properties.Add(new PropertyModel(jsonName, name, type, sub["description"]?.GetValue<string>(), null));
        }
        var observed = cls.Properties.FirstOrDefault(p => p.JsonName == "observedGeneration");
        var conditions = cls.Properties.FirstOrDefault(p => p.JsonName == "conditions");
        if (observed?.Type.Text == "long" && conditions?.Type.Text == "global::System.Collections.Generic.List<global::Ingress.Api.Knative.Condition>")
        {
            cls.Interfaces.Add("global::Ingress.Api.Knative.IKnativeStatus");
        }
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private TypeRef Resolve(JsonObject schema, Context ctx, string path, string owner, string property, bool singular)
    {
        var named = schema["x-ingress-type"]?.GetValue<string>();
        string? className = null;
        if (ctx.Kind is not null)
        {
            foreach (var hint in _inputs.Hints)
            {
                if (hint.Matches(ctx.Kind.MatchKey, path))
                {
                    named ??= hint.Type;
                    className ??= hint.Name;
                }
            }
        }
        if (named is not null)
        {
            return NamedType(named, ctx, path);
        }
        var type = schema["type"]?.GetValue<string>();
        var format = schema["format"]?.GetValue<string>();
        if (format == "quantity" || (IsIntOrString(schema) && LooksLikeQuantity(schema)))
        {
            return TypeRef.Quantity;
        }
        if (IsIntOrString(schema))
        {
            return TypeRef.IntOrString;
        }
        switch (type)
        {
            case "string":
                return format switch
                {
                    "date-time" => TypeRef.Time,
                    "date-time-micro" => TypeRef.MicroTime,
                    _ => TypeRef.String,
                };
            case "integer":
                return format == "int32" ? TypeRef.Int : TypeRef.Long;
            case "number":
                return TypeRef.Double;
            case "boolean":
                return TypeRef.Bool;
            case "array":
                {
                    if (schema["items"] is not JsonObject items)
                    {
                        return TypeRef.Array;
                    }
                    var element = Resolve(items, ctx, path + "[]", owner, property, singular: true);
                    return Collection(TypeRef.ListOf(element));
                }
            case "object" or null:
                {
                    var properties = schema["properties"] as JsonObject;
                    if (properties is { Count: > 0 })
                    {
                        var name = className ?? owner + Naming.Pascal(singular ? Naming.Singular(property) : property);
                        return new TypeRef(BuildNested(schema, ctx, path, name).FullName, false);
                    }
                    if (schema["additionalProperties"] is JsonObject valueSchema)
                    {
                        var value = Resolve(valueSchema, ctx, path + "{}", owner, property, singular: true);
                        return Collection(TypeRef.MapOf(value));
                    }
                    return type is null ? TypeRef.Node : TypeRef.Object;
                }
            default:
                throw new GeneratorException($"{ctx.Source}: {path}: unsupported schema type \"{type}\"");
        }
    }

    private TypeRef Collection(TypeRef type)
    {
        _collections.Add(type.Text);
        return type;
    }

    private static bool IsIntOrString(JsonObject schema)
    {
        if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true || schema["format"]?.GetValue<string>() == "int-or-string")
        {
            return true;
        }
        if (schema["anyOf"] is JsonArray any)
        {
            var types = any.Select(a => a?["type"]?.GetValue<string>()).ToHashSet();
            return types.SetEquals(["integer", "string"]);
        }
        return false;
    }

    /// <summary>CRDs generated by controller-gen mark quantities as int-or-string with the quantity pattern.</summary>
    private static bool LooksLikeQuantity(JsonObject schema)
    {
        var pattern = schema["pattern"]?.GetValue<string>();
        if (pattern is null && schema["anyOf"] is JsonArray any)
        {
            pattern = any.Select(a => a?["pattern"]?.GetValue<string>()).FirstOrDefault(p => p is not null);
        }
        return pattern is not null && pattern.Contains("[KMGTPE]i", StringComparison.Ordinal);
    }

    private TypeRef NamedType(string named, Context ctx, string path)
    {
        var key = named.Replace("global::", "", StringComparison.Ordinal);
        if (key.StartsWith("Ingress.Api.", StringComparison.Ordinal))
        {
            key = key["Ingress.Api.".Length..];
        }
        switch (key)
        {
            case "IntOrString": return TypeRef.IntOrString;
            case "Quantity": return TypeRef.Quantity;
            case "JsonNode": return TypeRef.Node;
            case "JsonObject": return TypeRef.Object;
            case "Time": return TypeRef.Time;
            case "MicroTime": return TypeRef.MicroTime;
        }
        if (_classes.TryGetValue(key, out var existing) && existing.Definition is null)
        {
            return new TypeRef(existing.FullName, false);
        }
        return new TypeRef(EnsureDefinition(key, $"{ctx.Source}: {path}").FullName, false);
    }

    private ClassModel BuildNested(JsonObject schema, Context ctx, string path, string name)
    {
        var cls = New(ctx.Namespace, name, schema, null, null, ctx.File, $"{ctx.Source}: {ctx.Kind?.Kind}.{path}");
        FillProperties(cls, schema, ctx, path);
        if (_classes.TryGetValue(cls.Key, out var existing))
        {
            _order.Remove(cls);
            if (existing.Definition is null && existing.Kind is null && existing.Shape == cls.Shape)
            {
                return existing;
            }
            throw new GeneratorException(
                $"two different types would be named {cls.Key}: {existing.Origin} and {cls.Origin}; " +
                $"give one of them another name with a typeHint in {Inputs.CoreSchemaPath}");
        }
        _classes[cls.Key] = cls;
        return cls;
    }
}
