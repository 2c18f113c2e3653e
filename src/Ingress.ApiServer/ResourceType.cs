using System.Text.Json.Nodes;

namespace Ingress.ApiServer;

/// <summary>One printer column of a server-side Table (<c>additionalPrinterColumns</c> of a CRD, or a
/// built-in kind's column computed by <see cref="Compute"/>).</summary>
public sealed record PrinterColumn(string Name, string Type, string JsonPath, int Priority = 0, string Format = "",
    string Description = "")
{
    /// <summary>Built-in kinds compute some cells (e.g. a ConfigMap's DATA count) instead of a JSONPath.</summary>
    public Func<JsonObject, object?>? Compute { get; init; }
}

/// <summary>A served resource: one group/version/plural, its kind, scope and discovery metadata.</summary>
public sealed class ResourceType
{
    public required string Group { get; init; }
    public required string Version { get; init; }
    public required string Kind { get; init; }
    public required string Plural { get; init; }
    public required string Singular { get; init; }
    public required bool Namespaced { get; init; }
    public IReadOnlyList<string> ShortNames { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    /// <summary>Whether the /status subresource exists (then spec and status are written separately).</summary>
    public bool HasStatusSubresource { get; init; }
    /// <summary>Built-in kinds accept strategic merge patch and protobuf; custom resources do not.</summary>
    public bool BuiltIn { get; init; }
    /// <summary>Table columns after Name; empty means the default Age column.</summary>
    public IReadOnlyList<PrinterColumn> Columns { get; init; } = [];
    /// <summary>The CRD version's openAPIV3Schema (built-ins: their top-level fields, for strict field validation).</summary>
    public System.Text.Json.Nodes.JsonObject? Schema { get; init; }
    /// <summary>Whether this is the CRD version used for storage (all served versions share one store).</summary>
    public bool Storage { get; init; } = true;
    /// <summary>The version objects are stored at (the CRD's storage version, which may be unserved);
    /// with conversion strategy None only <c>apiVersion</c> differs between versions.</summary>
    public string? StorageVersion { get; init; }
    /// <summary>The CRD's <c>spec.conversion.strategy</c>: None (the default) or Webhook, which this server
    /// cannot call (a request needing conversion gets a clear error).</summary>
    public string ConversionStrategy { get; init; } = "None";

    private StructuralSchema? _compiled;
    /// <summary><see cref="Schema"/> compiled (strict field validation of every kind).</summary>
    internal StructuralSchema? CompiledSchema => Schema is null ? null : _compiled ??= StructuralSchema.Compile(Schema);
    /// <summary>The schema custom resources are pruned and validated with (null for built-ins, whose
    /// schema here lists top-level fields only).</summary>
    internal StructuralSchema? Structural => BuiltIn ? null : CompiledSchema;

    /// <summary>apiVersion of stored objects: group/storage version.</summary>
    public string StorageApiVersion => StorageVersion is null ? ApiVersion : Group.Length == 0 ? StorageVersion : Group + "/" + StorageVersion;

    /// <summary>Whether serving this version means converting from the storage version through a webhook.</summary>
    public bool NeedsWebhookConversion => ConversionStrategy == "Webhook" && StorageApiVersion != ApiVersion;

    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;
    public string ListKind => Kind + "List";
    /// <summary>Storage key shared by every version of the resource.</summary>
    public string StorageKey => Group + "/" + Plural;
    /// <summary>The name kubectl prints in messages: plural.group (or plural for the core group).</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : Plural + "." + Group;

    public static readonly IReadOnlyList<string> AllVerbs =
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
}
