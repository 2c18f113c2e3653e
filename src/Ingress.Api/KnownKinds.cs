using System.Text.Json.Serialization.Metadata;

namespace Ingress.Api;

/// <summary>One kind the project knows: identity, REST names and the CLR types that carry it.</summary>
public sealed record KnownKind(
    string Group,
    string Version,
    string Kind,
    string Plural,
    string Singular,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    bool Namespaced,
    IReadOnlyList<string> ServedVersions,
    Type Type,
    Type ListType,
    Type WatchEventType)
{
    /// <summary><c>group/version</c>, or just the version for the core group.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string ListKind => Kind + "List";

    /// <summary>Source-generated metadata for <see cref="Type"/>.</summary>
    public JsonTypeInfo TypeInfo => KubeJson.GetTypeInfo(Type);

    /// <summary><c>apiVersion</c> for another served version of this kind (same schema, different label).</summary>
    public string ApiVersionFor(string version) => Group.Length == 0 ? version : $"{Group}/{version}";
}

/// <summary>
/// Registry of every generated top-level kind: (group, version, kind) ↔ CLR type ↔ plural and short names.
/// A kind answers for each of its served versions (v1alpha1 and v1beta1 Knative manifests read into the v1 classes).
/// </summary>
public static partial class KnownKinds
{
    private static readonly Lazy<Index> Indexes = new(() => new Index(All));

    /// <summary>Every kind, in a stable order (generated).</summary>
    public static IReadOnlyList<KnownKind> All => Entries;

    /// <summary>Finds a kind by group, any served version, and kind name.</summary>
    public static bool TryGet(string group, string version, string kind, out KnownKind knownKind)
    {
        if (Indexes.Value.ByGroupKind.TryGetValue((group, kind), out var candidate) && candidate.ServedVersions.Contains(version))
        {
            knownKind = candidate;
            return true;
        }
        knownKind = null!;
        return false;
    }

    /// <summary>Finds a kind by <c>apiVersion</c> (<c>serving.knative.dev/v1alpha1</c>, <c>v1</c>) and kind.</summary>
    public static bool TryGetByApiVersion(string apiVersion, string kind, out KnownKind knownKind)
    {
        var (group, version) = SplitApiVersion(apiVersion);
        return TryGet(group, version, kind, out knownKind);
    }

    /// <summary>Finds a kind by group, served version and plural resource name (REST paths).</summary>
    public static bool TryGetByResource(string group, string version, string plural, out KnownKind knownKind)
    {
        if (Indexes.Value.ByGroupPlural.TryGetValue((group, plural), out var candidate) && candidate.ServedVersions.Contains(version))
        {
            knownKind = candidate;
            return true;
        }
        knownKind = null!;
        return false;
    }

    /// <summary>Finds a kind by its CLR type.</summary>
    public static bool TryGetByType(Type type, out KnownKind knownKind) =>
        Indexes.Value.ByType.TryGetValue(type, out knownKind!);

    public static KnownKind Get<T>()
        where T : class, IKubernetesObject<T>, new() =>
        TryGetByType(typeof(T), out var k) ? k : throw new InvalidOperationException($"{typeof(T)} is not a known kind");

    /// <summary>
    /// Kinds a command-line resource name may mean, like kubectl: plural, singular, short name or kind,
    /// case-insensitive, optionally qualified by group (<c>services.serving.knative.dev</c>, <c>ksvc</c>).
    /// </summary>
    public static IReadOnlyList<KnownKind> FindByName(string name)
    {
        var lower = name.ToLowerInvariant();
        var result = new List<KnownKind>();
        foreach (var k in All)
        {
            var names = new List<string> { k.Plural, k.Singular, k.Kind.ToLowerInvariant() };
            names.AddRange(k.ShortNames);
            foreach (var n in names)
            {
                if (lower == n || (k.Group.Length > 0 && lower == $"{n}.{k.Group}"))
                {
                    result.Add(k);
                    break;
                }
            }
        }
        return result;
    }

    /// <summary>Splits <c>apiVersion</c> into group and version (<c>v1</c> is the core group).</summary>
    public static (string Group, string Version) SplitApiVersion(string apiVersion)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? ("", apiVersion) : (apiVersion[..slash], apiVersion[(slash + 1)..]);
    }

    private sealed class Index
    {
        public Index(IReadOnlyList<KnownKind> all)
        {
            foreach (var k in all)
            {
                ByGroupKind[(k.Group, k.Kind)] = k;
                ByGroupPlural[(k.Group, k.Plural)] = k;
                ByType[k.Type] = k;
            }
        }

        public Dictionary<(string, string), KnownKind> ByGroupKind { get; } = [];

        public Dictionary<(string, string), KnownKind> ByGroupPlural { get; } = [];

        public Dictionary<Type, KnownKind> ByType { get; } = [];
    }
}
