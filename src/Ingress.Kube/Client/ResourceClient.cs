using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Ingress.Kube.Client;

public sealed record ListOptions(
    string? LabelSelector = null,
    string? FieldSelector = null,
    int? Limit = null,
    string? Continue = null,
    string? ResourceVersion = null);

public sealed record WatchOptions(
    string? ResourceVersion = null,
    string? LabelSelector = null,
    string? FieldSelector = null,
    bool AllowBookmarks = true,
    TimeSpan? ServerTimeout = null);

public sealed record WriteOptions(string? FieldManager = null, bool DryRun = false);

public sealed record PatchOptions(string? FieldManager = null, bool Force = false, string? Subresource = null);

public enum PropagationPolicy { Orphan, Background, Foreground }

public sealed record DeleteOptions(
    PropagationPolicy? Propagation = null,
    string? PreconditionUid = null,
    string? PreconditionResourceVersion = null,
    long? GracePeriodSeconds = null);

/// <summary>One page of a list: the items and the collection's resourceVersion to watch from.</summary>
public sealed record ObjectList<T>(IReadOnlyList<T> Items, string ResourceVersion, string? Continue)
{
    /// <summary>The headers of <see cref="Items"/>, same order.</summary>
    public IReadOnlyList<ObjectHeader> Headers { get; init; } = [];
    /// <summary>For a client that decodes for a cache (<see cref="ResourceClient{T}.ForCache"/>) of dynamic objects: each
    /// item's frozen JSON (<see cref="CompactJson.Freeze"/>), same order; otherwise empty.</summary>
    internal IReadOnlyList<JsonElement> Frozen { get; init; } = [];
}

public enum WatchEventType { Added, Modified, Deleted, Bookmark }

/// <summary>A watch event. <see cref="Object"/> is null for bookmarks; <see cref="Header"/> always carries the resourceVersion.</summary>
public sealed record WatchEvent<T>(WatchEventType Type, T? Object, ObjectHeader Header)
{
    /// <summary>As <see cref="ObjectList{T}.Frozen"/>, for the event's object.</summary>
    internal JsonElement? Frozen { get; init; }
}

/// <summary>
/// REST verbs of one resource. Typed by <see cref="JsonTypeInfo{T}"/>; the dynamic client is
/// <c>ResourceClient&lt;JsonObject&gt;</c>. Namespaces and names of written objects are read from their JSON.
/// </summary>
public sealed class ResourceClient<T> where T : class
{
    private readonly KubeClient _client;

    internal ResourceClient(KubeClient client, ResourceDescriptor resource, JsonTypeInfo<T> typeInfo)
    {
        _client = client;
        Resource = resource;
        TypeInfo = typeInfo;
    }

    public ResourceDescriptor Resource { get; }
    public JsonTypeInfo<T> TypeInfo { get; }
    public KubeClient Client => _client;

    /// <summary>Set on the client an informer decodes its cache with (<see cref="ForCache"/>).</summary>
    private bool _decodesForCache;

    /// <summary>Dynamic objects decoded for a cache come with their frozen JSON.</summary>
    private bool FreezesForCache => _decodesForCache && typeof(T) == typeof(JsonObject);

    /// <summary>
    /// The same resource, decoding lists and watch events as an informer cache keeps them: typed objects read their
    /// strings through <see cref="Cache.StringPool.Shared"/>; dynamic objects come with their JSON frozen
    /// (<see cref="CompactJson.Freeze"/>: compact, exact-size, without <c>metadata.managedFields</c>) for the cache to
    /// hold instead of a node tree.
    /// </summary>
    internal ResourceClient<T> ForCache()
    {
        var typeInfo = typeof(T) == typeof(JsonObject) ? TypeInfo : Cache.StringPool.Interning(TypeInfo);
        return new ResourceClient<T>(_client, Resource, typeInfo) { _decodesForCache = true };
    }

    public async Task<T> GetAsync(string? @namespace, string name, CancellationToken ct = default)
    {
        var req = new KubeClient.KubeRequest(HttpMethod.Get, Resource.ItemPath(@namespace, name), null, null, null, KubeClient.RequestKind.Read);
        return await ReadObjectAsync(req, ct).ConfigureAwait(false);
    }

    /// <summary>Like <see cref="GetAsync"/>, but null when the object does not exist.</summary>
    public async Task<T?> TryGetAsync(string? @namespace, string name, CancellationToken ct = default)
    {
        try
        {
            return await GetAsync(@namespace, name, ct).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    /// <summary>One page. Pass <see cref="ListOptions.Limit"/> and follow <see cref="ObjectList{T}.Continue"/>, or use <see cref="ListAllAsync"/>.</summary>
    public async Task<ObjectList<T>> ListAsync(string? @namespace = null, ListOptions? options = null, CancellationToken ct = default)
    {
        var q = new QueryBuilder()
            .Add("labelSelector", options?.LabelSelector)
            .Add("fieldSelector", options?.FieldSelector)
            .Add("limit", options?.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add("continue", options?.Continue)
            .Add("resourceVersion", options?.ResourceVersion);
        var req = new KubeClient.KubeRequest(HttpMethod.Get, Resource.CollectionPath(@namespace), q.Build(), null, null, KubeClient.RequestKind.Read);
        using var response = await _client.SendAsync(req, ct).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var doc = await JsonDocument.ParseAsync(stream, default, ct).ConfigureAwait(false);
        var root = doc.RootElement;
        string rv = "", cont = "";
        if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
        {
            rv = meta.TryGetProperty("resourceVersion", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
            cont = meta.TryGetProperty("continue", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
        }
        var items = new List<T>();
        var headers = new List<ObjectHeader>();
        var frozen = FreezesForCache ? new List<JsonElement>() : null;
        if (root.TryGetProperty("items", out var arr) && arr.ValueKind == JsonValueKind.Array)
        {
            items.Capacity = arr.GetArrayLength();
            headers.Capacity = items.Capacity;
            foreach (var item in arr.EnumerateArray())
            {
                var (obj, header, f) = DecodeEntry(item);
                items.Add(obj);
                headers.Add(header);
                if (f is { } e) frozen!.Add(e);
            }
        }
        return new ObjectList<T>(items, rv, cont.Length == 0 ? null : cont) { Headers = headers, Frozen = (IReadOnlyList<JsonElement>?)frozen ?? [] };
    }

    /// <summary>Every page, following continue tokens; the resourceVersion is the first page's.</summary>
    public async Task<ObjectList<T>> ListAllAsync(string? @namespace = null, ListOptions? options = null, CancellationToken ct = default)
    {
        options ??= new ListOptions();
        var page = await ListAsync(@namespace, options, ct).ConfigureAwait(false);
        if (page.Continue is null) return page;
        var items = new List<T>(page.Items);
        var headers = new List<ObjectHeader>(page.Headers);
        var frozen = new List<JsonElement>(page.Frozen);
        var rv = page.ResourceVersion;
        while (page.Continue is not null)
        {
            page = await ListAsync(@namespace, options with { Continue = page.Continue, ResourceVersion = null }, ct).ConfigureAwait(false);
            items.AddRange(page.Items);
            headers.AddRange(page.Headers);
            frozen.AddRange(page.Frozen);
        }
        return new ObjectList<T>(items, rv, null) { Headers = headers, Frozen = frozen };
    }

    /// <summary>
    /// A watch stream. Ends when the server closes it; an ERROR event is thrown as the typed exception
    /// (410 → <see cref="GoneException"/>).
    /// </summary>
    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync(string? @namespace = null, WatchOptions? options = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        options ??= new WatchOptions();
        var q = new QueryBuilder()
            .Add("watch", "true")
            .Add("resourceVersion", options.ResourceVersion)
            .Add("labelSelector", options.LabelSelector)
            .Add("fieldSelector", options.FieldSelector)
            .Add("allowWatchBookmarks", options.AllowBookmarks ? "true" : null)
            .Add("timeoutSeconds", options.ServerTimeout is { } t ? ((long)t.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
        var req = new KubeClient.KubeRequest(HttpMethod.Get, Resource.CollectionPath(@namespace), q.Build(), null, null, KubeClient.RequestKind.Watch);
        using var response = await _client.SendAsync(req, ct).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await foreach (var frame in JsonFrames.ReadAsync(stream, ct).ConfigureAwait(false))
        {
            WatchEvent<T> ev;
            using (var doc = JsonDocument.Parse(frame))
            {
                ev = DecodeEvent(doc.RootElement);
            }
            yield return ev;
        }
    }

    private WatchEvent<T> DecodeEvent(JsonElement root)
    {
        var type = root.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (!root.TryGetProperty("object", out var obj))
        {
            throw new JsonException("watch event without object");
        }
        switch (type)
        {
            case "ADDED":
            case "MODIFIED":
            case "DELETED":
                var (o, h, frozen) = DecodeEntry(obj);
                return new WatchEvent<T>(type == "ADDED" ? WatchEventType.Added : type == "MODIFIED" ? WatchEventType.Modified : WatchEventType.Deleted, o, h) { Frozen = frozen };
            case "BOOKMARK":
                return new WatchEvent<T>(WatchEventType.Bookmark, null, ObjectHeader.From(obj));
            case "ERROR":
                var status = obj.Deserialize(KubeJsonContext.Default.KubeStatus);
                throw KubeApiException.FromResponse(status?.Code ?? 500, status, obj.GetRawText(), null);
            default:
                throw new JsonException($"unknown watch event type \"{type}\"");
        }
    }

    public Task<T> CreateAsync(T obj, WriteOptions? options = null, CancellationToken ct = default)
    {
        var (body, header) = Encode(obj);
        var req = new KubeClient.KubeRequest(HttpMethod.Post, Resource.CollectionPath(header.Namespace), WriteQuery(options), body, "application/json", KubeClient.RequestKind.Write);
        return ReadObjectAsync(req, ct);
    }

    /// <summary>PUT of the whole object; metadata.resourceVersion makes it conditional (409 Conflict when stale).</summary>
    public Task<T> UpdateAsync(T obj, WriteOptions? options = null, CancellationToken ct = default) => Put(obj, null, options, ct);

    /// <summary>PUT to the status subresource: only status (and the resourceVersion check) apply.</summary>
    public Task<T> UpdateStatusAsync(T obj, WriteOptions? options = null, CancellationToken ct = default) => Put(obj, "status", options, ct);

    private Task<T> Put(T obj, string? subresource, WriteOptions? options, CancellationToken ct)
    {
        var (body, header) = Encode(obj);
        var req = new KubeClient.KubeRequest(HttpMethod.Put, Resource.ItemPath(header.Namespace, header.Name, subresource), WriteQuery(options), body, "application/json", KubeClient.RequestKind.Write);
        return ReadObjectAsync(req, ct);
    }

    /// <summary>PATCH: merge, JSON patch, strategic merge (built-in kinds only) or server-side apply (needs a field manager).</summary>
    public Task<T> PatchAsync(string? @namespace, string name, PatchType type, string patch, PatchOptions? options = null, CancellationToken ct = default)
    {
        var contentType = type switch
        {
            PatchType.Merge => "application/merge-patch+json",
            PatchType.Json => "application/json-patch+json",
            PatchType.StrategicMerge => "application/strategic-merge-patch+json",
            PatchType.Apply => "application/apply-patch+yaml",
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
        if (type == PatchType.Apply && string.IsNullOrEmpty(options?.FieldManager))
        {
            throw new ArgumentException("server-side apply needs a field manager", nameof(options));
        }
        var q = new QueryBuilder().Add("fieldManager", options?.FieldManager).Add("force", type == PatchType.Apply && options!.Force ? "true" : null);
        var req = new KubeClient.KubeRequest(HttpMethod.Patch, Resource.ItemPath(@namespace, name, options?.Subresource), q.Build(),
            Encoding.UTF8.GetBytes(patch), contentType, KubeClient.RequestKind.Write);
        return ReadObjectAsync(req, ct);
    }

    /// <summary>DELETE. Returns the object when the server answers with it (graceful deletion), else null.</summary>
    public async Task<T?> DeleteAsync(string? @namespace, string name, DeleteOptions? options = null, CancellationToken ct = default)
    {
        byte[]? body = null;
        if (options is not null)
        {
            var o = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1" };
            if (options.Propagation is { } p) o["propagationPolicy"] = p.ToString();
            if (options.GracePeriodSeconds is { } g) o["gracePeriodSeconds"] = g;
            if (options.PreconditionUid is not null || options.PreconditionResourceVersion is not null)
            {
                var pre = new JsonObject();
                if (options.PreconditionUid is { } uid) pre["uid"] = uid;
                if (options.PreconditionResourceVersion is { } rv) pre["resourceVersion"] = rv;
                o["preconditions"] = pre;
            }
            body = Encoding.UTF8.GetBytes(o.ToJsonString());
        }
        var req = new KubeClient.KubeRequest(HttpMethod.Delete, Resource.ItemPath(@namespace, name), null, body, "application/json", KubeClient.RequestKind.Write);
        using var response = await _client.SendAsync(req, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (bytes.Length == 0) return null;
        using var doc = JsonDocument.Parse(bytes);
        if (doc.RootElement.TryGetProperty("kind", out var k) && k.GetString() == "Status") return null;
        return Decode(doc.RootElement).Object;
    }

    private async Task<T> ReadObjectAsync(KubeClient.KubeRequest req, CancellationToken ct)
    {
        using var response = await _client.SendAsync(req, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        return JsonSerializer.Deserialize(bytes, TypeInfo) ?? throw new JsonException($"{req.Method} {req.Path}: empty answer");
    }

    /// <summary>An object and its header from one JSON element (list items, watch events), with the frozen JSON a
    /// cache keeps of a dynamic object when this client decodes for a cache.</summary>
    private (T Object, ObjectHeader Header, JsonElement? Frozen) DecodeEntry(JsonElement element)
    {
        if (!FreezesForCache)
        {
            var (o, h) = Decode(element);
            return (o, h, null);
        }
        var header = ObjectHeader.From(element, Cache.StringPool.Shared);
        var frozen = CompactJson.Freeze(element, Resource.ApiVersion, Resource.Kind, dropManagedFields: true);
        return ((T)(object)JsonObject.Create(frozen)!, header, frozen);
    }

    /// <summary>An object and its header from one JSON element (list items, watch events).</summary>
    internal (T Object, ObjectHeader Header) Decode(JsonElement element)
    {
        ObjectHeader header;
        T obj;
        if (typeof(T) == typeof(JsonObject))
        {
            header = ObjectHeader.From(element);
            // Clone: the element belongs to a pooled document that is disposed after decoding.
            var node = JsonObject.Create(element.Clone())!;
            // Items of a list may omit kind/apiVersion; a dynamic object should still say what it is.
            if (!node.ContainsKey("kind"))
            {
                var copy = new JsonObject { ["apiVersion"] = Resource.ApiVersion, ["kind"] = Resource.Kind };
                foreach (var (k, v) in node.ToArray())
                {
                    node.Remove(k);
                    copy[k] = v;
                }
                node = copy;
            }
            obj = (T)(object)node;
        }
        else
        {
            obj = element.Deserialize(TypeInfo) ?? throw new JsonException("null object");
            header = obj is Ingress.Api.IKubernetesObject ? null! : ObjectHeader.From(element);
            if (obj is Ingress.Api.IKubernetesObject typed)
            {
                // A header built from the model shares its strings instead of copying them.
                header = ObjectHeader.From(typed);
            }
        }
        return (obj, header);
    }

    internal (byte[] Body, ObjectHeader Header) Encode(T obj)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(obj, TypeInfo);
        using var doc = JsonDocument.Parse(body);
        var header = ObjectHeader.From(doc.RootElement);
        return (body, header);
    }

    private static string? WriteQuery(WriteOptions? o) =>
        new QueryBuilder().Add("fieldManager", o?.FieldManager).Add("dryRun", o?.DryRun == true ? "All" : null).Build();
}

internal sealed class QueryBuilder
{
    private readonly StringBuilder _sb = new();

    public QueryBuilder Add(string name, string? value)
    {
        if (string.IsNullOrEmpty(value)) return this;
        if (_sb.Length > 0) _sb.Append('&');
        _sb.Append(name).Append('=').Append(Uri.EscapeDataString(value));
        return this;
    }

    public string? Build() => _sb.Length == 0 ? null : _sb.ToString();
}

/// <summary>
/// Splits a stream of concatenated JSON values (newline-separated or not) into one frame per value,
/// yielding each as soon as its last byte arrives: watch events must not wait for a buffer to fill.
/// </summary>
internal static class JsonFrames
{
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int start = 0, end = 0;
        while (true)
        {
            // Emit every complete value already buffered.
            while (TryFrame(buffer.AsSpan(start, end - start), out var valueStart, out var valueLength, out var consumed))
            {
                if (valueLength > 0)
                {
                    yield return buffer.AsMemory(start + valueStart, valueLength).ToArray();
                }
                start += consumed;
            }
            if (start == end)
            {
                start = end = 0;
            }
            else if (start > 0 && end == buffer.Length)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                end -= start;
                start = 0;
            }
            if (end == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            var read = await stream.ReadAsync(buffer.AsMemory(end), ct).ConfigureAwait(false);
            if (read == 0)
            {
                yield break; // a truncated trailing value is dropped: the server closed mid-event
            }
            end += read;
        }
    }

    /// <summary>Finds one complete top-level value; false when more bytes are needed.</summary>
    private static bool TryFrame(ReadOnlySpan<byte> span, out int valueStart, out int valueLength, out int consumed)
    {
        valueStart = valueLength = consumed = 0;
        var ws = 0;
        while (ws < span.Length && span[ws] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t') ws++;
        if (ws == span.Length)
        {
            consumed = ws;
            valueLength = 0;
            return ws > 0;
        }
        var reader = new Utf8JsonReader(span[ws..], isFinalBlock: false, state: default);
        if (!reader.Read()) return false;
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            if (!reader.TrySkip()) return false;
        }
        valueStart = ws;
        valueLength = (int)reader.BytesConsumed;
        consumed = ws + valueLength;
        return true;
    }
}
