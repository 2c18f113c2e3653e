using System.Text.Json.Nodes;
using Ingress.Api;

namespace Ingress.ModelGen;

/// <summary>Everything the generator reads: core.yaml and every CRD under crds/.</summary>
public sealed class Inputs
{
    public const string CoreSchemaPath = "tools/Ingress.ModelGen/schemas/core.yaml";
    public const string CrdDirectory = "crds";

    public required IReadOnlyDictionary<string, string> Namespaces { get; init; }

    public required IReadOnlyDictionary<string, string> Versions { get; init; }

    public required IReadOnlyList<TypeHint> Hints { get; init; }

    public required IReadOnlyList<DefinitionSpec> Definitions { get; init; }

    public required IReadOnlyList<KindSpec> Kinds { get; init; }

    public static Inputs Load(string repoRoot)
    {
        var corePath = Path.Combine(repoRoot, CoreSchemaPath);
        var core = KubeYaml.Parse(File.ReadAllText(corePath)) as JsonObject
            ?? throw new GeneratorException($"{CoreSchemaPath}: expected a mapping");
        var crdFiles = new List<(string, string)>();
        var crdDir = Path.Combine(repoRoot, CrdDirectory);
        if (Directory.Exists(crdDir))
        {
            foreach (var file in Directory.EnumerateFiles(crdDir, "*.*", SearchOption.AllDirectories))
            {
                if (file.EndsWith(".yaml", StringComparison.Ordinal) || file.EndsWith(".yml", StringComparison.Ordinal))
                {
                    var rel = Path.GetRelativePath(repoRoot, file).Replace('\\', '/');
                    crdFiles.Add((rel, File.ReadAllText(file)));
                }
            }
        }
        return FromSources(core, crdFiles);
    }

    /// <summary>Builds the inputs from already-read sources (path, text) — what the tests use.</summary>
    public static Inputs FromSources(JsonObject core, IEnumerable<(string Path, string Text)> crdSources)
    {
        var namespaces = ReadStringMap(core, "namespaces");
        var versions = ReadStringMap(core, "versions");
        var hints = new List<TypeHint>();
        foreach (var h in core["typeHints"]?.AsArray() ?? [])
        {
            var o = h!.AsObject();
            hints.Add(new TypeHint(Str(o, "match"), Str(o, "path"), o["type"]?.GetValue<string>(), o["name"]?.GetValue<string>()));
        }
        var definitions = new List<DefinitionSpec>();
        foreach (var d in core["definitions"]?.AsArray() ?? [])
        {
            var o = d!.AsObject();
            definitions.Add(new DefinitionSpec(Str(o, "namespace"), Str(o, "name"), o["schema"]!.AsObject(), CoreSchemaPath));
        }
        var kinds = new List<KindSpec>();
        foreach (var k in core["kinds"]?.AsArray() ?? [])
        {
            var o = k!.AsObject();
            var group = o["group"]?.GetValue<string>() ?? "";
            var version = Str(o, "version");
            var kind = Str(o, "kind");
            kinds.Add(new KindSpec(
                group, version, kind,
                Str(o, "plural"),
                o["singular"]?.GetValue<string>() ?? kind.ToLowerInvariant(),
                Strings(o["shortNames"]),
                Strings(o["categories"]),
                (o["scope"]?.GetValue<string>() ?? "Namespaced") == "Namespaced",
                [version],
                o["schema"]!.AsObject(),
                CoreSchemaPath,
                NamespaceFor(namespaces, group, version)));
        }
        foreach (var (path, text) in crdSources.OrderBy(s => s.Path, StringComparer.Ordinal))
        {
            IReadOnlyList<JsonObject> docs;
            try
            {
                docs = KubeYaml.ParseDocuments(text);
            }
            catch (FormatException e)
            {
                throw new GeneratorException($"{path}: {e.Message}");
            }
            foreach (var doc in docs)
            {
                if (doc["kind"]?.GetValue<string>() != "CustomResourceDefinition")
                {
                    continue;
                }
                kinds.Add(FromCrd(doc, path, namespaces, versions));
            }
        }
        return new Inputs { Namespaces = namespaces, Versions = versions, Hints = hints, Definitions = definitions, Kinds = kinds };
    }

    private static KindSpec FromCrd(JsonObject crd, string path, IReadOnlyDictionary<string, string> namespaces, IReadOnlyDictionary<string, string> versions)
    {
        var spec = crd["spec"]?.AsObject() ?? throw new GeneratorException($"{path}: CRD without spec");
        var group = Str(spec, "group");
        var names = spec["names"]!.AsObject();
        var kind = Str(names, "kind");
        var versionList = spec["versions"]?.AsArray().Select(v => v!.AsObject()).ToList() ?? [];
        if (versionList.Count == 0)
        {
            throw new GeneratorException($"{path}: {kind} has no versions");
        }
        JsonObject chosen;
        if (versions.TryGetValue(group, out var wanted))
        {
            chosen = versionList.FirstOrDefault(v => v["name"]?.GetValue<string>() == wanted)
                ?? throw new GeneratorException($"{path}: core.yaml asks for version {wanted} of {group}, the CRD of {kind} has none");
        }
        else
        {
            chosen = versionList.FirstOrDefault(v => v["storage"]?.GetValue<bool>() == true) ?? versionList[0];
        }
        var version = Str(chosen, "name");
        var schema = chosen["schema"]?["openAPIV3Schema"]?.AsObject()
            ?? spec["validation"]?["openAPIV3Schema"]?.AsObject()
            ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
        var served = versionList.Where(v => v["served"]?.GetValue<bool>() != false).Select(v => Str(v, "name")).ToList();
        return new KindSpec(
            group, version, kind,
            Str(names, "plural"),
            names["singular"]?.GetValue<string>() ?? kind.ToLowerInvariant(),
            Strings(names["shortNames"]),
            Strings(names["categories"]),
            (spec["scope"]?.GetValue<string>() ?? "Namespaced") == "Namespaced",
            served,
            schema,
            path,
            NamespaceFor(namespaces, group, version));
    }

    /// <summary>C# namespace under <c>Ingress.Api</c>: the group's mapped prefix (or its first DNS label) plus the version.</summary>
    public static string NamespaceFor(IReadOnlyDictionary<string, string> namespaces, string group, string version)
    {
        var prefix = namespaces.TryGetValue(group, out var p) ? p : Naming.Pascal(group.Split('.')[0]);
        return $"{prefix}.{Naming.Version(version)}";
    }

    private static Dictionary<string, string> ReadStringMap(JsonObject core, string key)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in core[key]?.AsObject() ?? [])
        {
            map[k] = v!.GetValue<string>();
        }
        return map;
    }

    private static string Str(JsonObject o, string key) =>
        o[key]?.GetValue<string>() ?? throw new GeneratorException($"missing \"{key}\" in {o.ToJsonString()[..Math.Min(120, o.ToJsonString().Length)]}");

    private static List<string> Strings(JsonNode? node) => node?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [];
}

public sealed class GeneratorException(string message) : Exception(message);
