using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.ApiServer.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ingress.ApiServer.Http;

/// <summary>Routes every request by hand (no MVC, no endpoint routing): discovery, OpenAPI, and the
/// resource REST paths /api/v1/... and /apis/&lt;group&gt;/&lt;version&gt;/....</summary>
internal sealed partial class RequestHandler
{
    private readonly ResourceService _service;
    private readonly ResourceRegistry _registry;
    private readonly ApiServerOptions _options;
    private readonly ILogger _log;
    private readonly ApiServerMetrics _metrics;
    private static readonly Dictionary<string, JsonObject> NoSchemas = new();
    public string ServerAddress { get; set; } = "127.0.0.1:0";

    /// <summary>Cancelled when the host stops, so open watches end instead of holding shutdown.</summary>
    public CancellationToken Stopping { get; set; }

    public RequestHandler(ResourceService service, ResourceRegistry registry, ApiServerOptions options, ILogger log, ApiServerMetrics metrics)
    {
        _service = service;
        _registry = registry;
        _options = options;
        _log = log;
        _metrics = metrics;
    }

    public async Task HandleAsync(HttpContext ctx)
    {
        _metrics.Requests.Add(1);
        try
        {
            if (_options.Authenticate is { } authenticate ? !authenticate(ctx.Request)
                : _options.BearerToken is { } token && ctx.Request.Headers.Authorization.ToString() != "Bearer " + token)
                throw new ApiException(StatusReason.Unauthorized, "Unauthorized");
            await RouteAsync(ctx).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            await WriteStatusAsync(ctx, e).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { }
        catch (Exception e)
        {
            LogUnhandled(_log, ctx.Request.Method, ctx.Request.Path.Value ?? "", e);
            await WriteStatusAsync(ctx, new ApiException(StatusReason.InternalError, "Internal error occurred: " + e.Message)).ConfigureAwait(false);
        }
    }

    private static async Task WriteStatusAsync(HttpContext ctx, ApiException e)
    {
        if (ctx.Response.HasStarted) return;
        ctx.Response.StatusCode = e.Code;
        await WriteJsonAsync(ctx, e.ToStatus()).ConfigureAwait(false);
    }

    private static Task WriteJsonAsync(HttpContext ctx, JsonNode node, string contentType = "application/json")
    {
        ctx.Response.ContentType = contentType;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(node, JsonOptions.Compact);
        ctx.Response.ContentLength = bytes.Length;
        return ctx.Response.Body.WriteAsync(bytes).AsTask();
    }

    private static Task WriteBytesAsync(HttpContext ctx, byte[] json, int status = 200)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = json.Length;
        return ctx.Response.Body.WriteAsync(json).AsTask();
    }

    private async Task RouteAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "/";
        var segs = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var method = ctx.Request.Method;
        var accept = ctx.Request.Headers.Accept.ToString();
        if (segs.Length == 0) { await WriteJsonAsync(ctx, new JsonObject { ["paths"] = new JsonArray("/api", "/apis", "/version", "/openapi/v3") }); return; }
        switch (segs[0])
        {
            case "version" when segs.Length == 1:
                await WriteJsonAsync(ctx, Discovery.Version()); return;
            case "healthz" or "readyz" or "livez":
                ctx.Response.ContentType = "text/plain";
                await ctx.Response.WriteAsync("ok"); return;
            case "openapi":
                await OpenApiAsync(ctx, segs); return;
            case "api" when segs.Length == 1:
                await DiscoveryRootAsync(ctx, accept, core: true); return;
            case "apis" when segs.Length == 1:
                await DiscoveryRootAsync(ctx, accept, core: false); return;
            case "api" when segs.Length == 2:
                await WriteJsonAsync(ctx, Discovery.ResourceList(_registry, "", segs[1]) ?? throw NotFoundPath()); return;
            case "apis" when segs.Length == 2:
                await WriteJsonAsync(ctx, Discovery.Group(_registry, segs[1]) ?? throw NotFoundPath()); return;
            case "apis" when segs.Length == 3:
                await WriteJsonAsync(ctx, Discovery.ResourceList(_registry, segs[1], segs[2]) ?? throw NotFoundPath()); return;
            case "api":
                await ResourceAsync(ctx, "", segs[1], segs[2..], method, accept); return;
            case "apis":
                await ResourceAsync(ctx, segs[1], segs[2], segs[3..], method, accept); return;
        }
        throw NotFoundPath();
    }

    private static ApiException NotFoundPath() => new(StatusReason.NotFound, "the server could not find the requested resource");

    private async Task DiscoveryRootAsync(HttpContext ctx, string accept, bool core)
    {
        var aggregated = Discovery.NegotiateAggregated(accept);
        if (aggregated is not null)
        {
            await WriteJsonAsync(ctx, Discovery.Aggregated(_registry, core, aggregated),
                aggregated == "v2" ? Discovery.AggregatedV2 : Discovery.AggregatedV2Beta1);
            return;
        }
        await WriteJsonAsync(ctx, core ? Discovery.ApiVersions(ServerAddress) : Discovery.GroupList(_registry));
    }

    private async Task OpenApiAsync(HttpContext ctx, string[] segs)
    {
        if (segs.Length == 2 && segs[1] == "v2")
        {
            var pb = OpenApi.V2Protobuf();
            ctx.Response.ContentType = OpenApi.V2ProtobufContentType;
            ctx.Response.ContentLength = pb.Length;
            await ctx.Response.Body.WriteAsync(pb);
            return;
        }
        if (segs.Length >= 2 && segs[1] == "v3")
        {
            if (segs.Length == 2) { await WriteJsonAsync(ctx, OpenApi.Index(_registry)); return; }
            JsonObject? doc = null;
            if (segs.Length == 4 && segs[2] == "api") doc = OpenApi.GroupVersion(_registry, "", segs[3], NoSchemas);
            else if (segs.Length == 5 && segs[2] == "apis") doc = OpenApi.GroupVersion(_registry, segs[3], segs[4], NoSchemas);
            if (doc is not null) { await WriteJsonAsync(ctx, doc); return; }
        }
        throw NotFoundPath();
    }

    private async Task ResourceAsync(HttpContext ctx, string group, string version, string[] rest, string method, string accept)
    {
        string ns = "";
        // /api/v1/namespaces/{ns}/{resource}/... (but /api/v1/namespaces/{name}[/status] is the Namespace itself)
        if (rest.Length >= 3 && rest[0] == "namespaces" && !(group.Length == 0 && rest.Length == 3 && rest[2] is "status" or "finalize"))
        {
            ns = rest[1];
            rest = rest[2..];
        }
        if (rest.Length == 0 || rest.Length > 3) throw NotFoundPath();
        var rt = _registry.Find(group, version, rest[0]) ?? throw NotFoundPath();
        ResourceService.CheckConvertible(rt);
        var name = rest.Length >= 2 ? rest[1] : null;
        var sub = rest.Length == 3 ? rest[2] : null;
        if (sub is not null && (sub != "status" || !rt.HasStatusSubresource) && !(sub == "finalize" && rt.Kind == "Namespace")) throw NotFoundPath();
        if (sub == "finalize") sub = null;
        if (rt.Namespaced && ns.Length == 0 && !(name is null && method == "GET")) throw NotFoundPath();
        if (!rt.Namespaced && ns.Length > 0) throw NotFoundPath();
        var q = ctx.Request.Query;
        var options = new WriteOptions(q["dryRun"].ToString() == "All", NullIfEmpty(q["fieldManager"].ToString()), q["force"].ToString() == "true",
            q["fieldValidation"].ToString() == "Strict");

        switch (method)
        {
            case "GET" when name is null:
                if (q["watch"].ToString() is "true" or "1") await WatchAsync(ctx, rt, ns, accept);
                else await ListAsync(ctx, rt, ns, accept);
                return;
            case "GET":
            {
                var o = _service.Get(rt, ns, name);
                if (TableConverter.Wanted(accept))
                {
                    await WriteJsonAsync(ctx, TableConverter.Build(rt, [o], o.ResourceVersion, null, q["includeObject"].ToString()), TableConverter.ContentType);
                    return;
                }
                await WriteObjectAsync(ctx, rt, o.Json, o.ApiVersion, 200, accept);
                return;
            }
            case "POST" when name is null:
            {
                var body = await ReadObjectAsync(ctx, rt);
                var r = await _service.CreateAsync(rt, ns, body, options);
                await WriteObjectAsync(ctx, rt, r.Json, r.Object.ApiVersion, 201, accept);
                return;
            }
            case "PUT" when name is not null:
            {
                var body = await ReadObjectAsync(ctx, rt);
                var r = await _service.ReplaceAsync(rt, ns, name, sub, body, options);
                await WriteObjectAsync(ctx, rt, r.Json, r.Object.ApiVersion, 200, accept);
                return;
            }
            case "PATCH" when name is not null:
            {
                var contentType = (ctx.Request.ContentType ?? "").Split(';')[0].Trim();
                if (contentType is not (PatchTypes.Merge or PatchTypes.Json or PatchTypes.Strategic or PatchTypes.Apply))
                    throw new ApiException(StatusReason.UnsupportedMediaType, $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml{(rt.BuiltIn ? ", application/strategic-merge-patch+json" : "")}");
                if (contentType == PatchTypes.Strategic && !rt.BuiltIn)
                    throw new ApiException(StatusReason.UnsupportedMediaType,
                        $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
                var bytes = await ReadBodyAsync(ctx);
                JsonNode? patch;
                if (contentType == PatchTypes.Apply) patch = YamlToJson.Convert(Encoding.UTF8.GetString(bytes));
                else patch = ParseJson(bytes);
                if (patch is null) throw ApiException.BadRequest("the patch body is empty");
                var r = await _service.PatchAsync(rt, ns, name, sub, contentType, patch, options);
                await WriteObjectAsync(ctx, rt, r.Json, r.Object.ApiVersion, r.Created ? 201 : 200, accept);
                return;
            }
            case "DELETE" when name is not null && sub is null:
            {
                var (policy, uid, rv, dry) = await ReadDeleteOptionsAsync(ctx);
                var r = await _service.DeleteAsync(rt, ns, name, policy, uid, rv, options with { DryRun = options.DryRun || dry });
                await WriteObjectAsync(ctx, rt, r.Json, r.Object.ApiVersion, 200, accept);
                return;
            }
            case "DELETE" when name is null:
            {
                var (policy, _, _, dry) = await ReadDeleteOptionsAsync(ctx);
                var (items, _) = _service.Store.List(rt.StorageKey, rt.Namespaced && ns.Length > 0 ? ns : null);
                var label = LabelSelector.Parse(q["labelSelector"]);
                var field = FieldSelector.Parse(q["fieldSelector"]);
                var deleted = new List<byte[]>();
                foreach (var o in items.Where(o => (label?.Matches(o) ?? true) && (field?.Matches(o) ?? true)))
                {
                    try { deleted.Add((await _service.DeleteAsync(rt, o.Namespace, o.Name, policy, null, null, options with { DryRun = options.DryRun || dry })).Json); }
                    catch (ApiException e) when (e.Reason == StatusReason.NotFound) { }
                }
                await WriteListAsync(ctx, rt, deleted.Select(b => (b, rt.ApiVersion)).ToList(), _service.Store.CurrentResourceVersion, null, null);
                return;
            }
        }
        throw new ApiException(StatusReason.MethodNotAllowed, $"the server does not allow this method on the requested resource");
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private async Task<(PropagationPolicy, string?, string?, bool)> ReadDeleteOptionsAsync(HttpContext ctx)
    {
        var q = ctx.Request.Query;
        var policy = PropagationPolicy.Background;
        string? uid = null, rv = null;
        var dry = false;
        var text = q["propagationPolicy"].ToString();
        if (q["orphanDependents"].ToString() == "true") text = "Orphan";
        var bytes = await ReadBodyAsync(ctx);
        if (bytes.Length > 0)
        {
            var body = ParseJson(bytes) as JsonObject;
            if (body?["propagationPolicy"]?.ToString() is { } p) text = p;
            if (body?["orphanDependents"]?.GetValue<bool>() == true) text = "Orphan";
            uid = body?["preconditions"]?["uid"]?.ToString();
            rv = body?["preconditions"]?["resourceVersion"]?.ToString();
            dry = body?["dryRun"] is JsonArray d && d.Any(x => x?.ToString() == "All");
        }
        policy = text switch
        {
            "" or "Background" => PropagationPolicy.Background,
            "Foreground" => PropagationPolicy.Foreground,
            "Orphan" => PropagationPolicy.Orphan,
            _ => throw ApiException.BadRequest($"propagationPolicy: Unsupported value: \"{text}\": supported values: \"Foreground\", \"Background\", \"Orphan\""),
        };
        return (policy, uid, rv, dry);
    }

    private async Task<byte[]> ReadBodyAsync(HttpContext ctx)
    {
        var limit = _options.MaxRequestBodyBytes;
        if (ctx.Request.ContentLength > limit) throw TooLarge(limit);
        using var ms = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int n;
            while ((n = await ctx.Request.Body.ReadAsync(buffer, ctx.RequestAborted)) > 0)
            {
                ms.Write(buffer, 0, n);
                if (ms.Length > limit) throw TooLarge(limit);
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
        return ms.ToArray();
    }

    private static ApiException TooLarge(long limit) =>
        new(StatusReason.RequestEntityTooLarge, $"Request entity too large: limit is {limit}");

    private static JsonNode? ParseJson(byte[] bytes)
    {
        try
        {
            var node = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
            Materialize(node);
            return node;
        }
        catch (JsonException e) { throw ApiException.BadRequest($"the body of the request was in an unknown format: json parse error: {e.Message}"); }
        catch (ArgumentException e) { throw ApiException.BadRequest($"the body of the request was in an unknown format: json parse error: duplicate field: {e.Message}"); }
    }

    /// <summary>JsonObject parses lazily; walking it now turns a duplicate key into a 400 here rather
    /// than an exception deep inside a handler.</summary>
    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o: foreach (var (_, v) in o) Materialize(v); break;
            case JsonArray a: foreach (var v in a) Materialize(v); break;
        }
    }

    private async Task<JsonObject> ReadObjectAsync(HttpContext ctx, ResourceType rt)
    {
        var bytes = await ReadBodyAsync(ctx);
        var contentType = (ctx.Request.ContentType ?? "application/json").Split(';')[0].Trim();
        JsonNode? node = contentType switch
        {
            "application/json" or "" or "*/*" => ParseJson(bytes),
            "application/yaml" or "application/x-yaml" => YamlToJson.Convert(Encoding.UTF8.GetString(bytes)),
            "application/vnd.kubernetes.protobuf" => KubeProtobuf.Decode(bytes, rt),
            _ => throw new ApiException(StatusReason.UnsupportedMediaType, $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml{(rt.BuiltIn ? ", application/vnd.kubernetes.protobuf" : "")}"),
        };
        if (node is JsonObject o) return o;
        throw ApiException.BadRequest(node is null ? "the body of the request is empty" : "the body of the request must be a JSON object");
    }

    private static Task WriteObjectAsync(HttpContext ctx, ResourceType rt, byte[] json, string storedApiVersion, int status, string accept)
    {
        if (rt.BuiltIn && KubeProtobuf.Wanted(accept) && KubeProtobuf.CanEncode(rt))
        {
            var pb = KubeProtobuf.TryEncode(JsonNode.Parse(json)!.AsObject(), rt);
            if (pb is not null) return WriteProtobufAsync(ctx, pb, status);
            if (!KubeProtobuf.AcceptsJson(accept)) throw NotAcceptable(rt);
        }
        if (storedApiVersion != rt.ApiVersion) json = Rewrite(json, rt);
        return WriteBytesAsync(ctx, json, status);
    }

    private static Task WriteProtobufAsync(HttpContext ctx, byte[] pb, int status)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = KubeProtobuf.ContentType;
        ctx.Response.ContentLength = pb.Length;
        return ctx.Response.Body.WriteAsync(pb).AsTask();
    }

    private static ApiException NotAcceptable(ResourceType rt) =>
        new(StatusReason.NotAcceptable, $"only the following media types are accepted: application/json, application/yaml (this {rt.Kind} holds fields the protobuf encoding here cannot carry)");

    /// <summary>Served versions share storage without conversion; only apiVersion changes.</summary>
    private static byte[] Rewrite(byte[] json, ResourceType rt)
    {
        var o = JsonNode.Parse(json)!.AsObject();
        o["apiVersion"] = rt.ApiVersion;
        return StoredObject.Serialize(o);
    }

    private sealed record ContinueToken(string Key);

    private async Task ListAsync(HttpContext ctx, ResourceType rt, string ns, string accept)
    {
        var q = ctx.Request.Query;
        var label = LabelSelector.Parse(q["labelSelector"]);
        var field = FieldSelector.Parse(q["fieldSelector"]);
        var (items, rv) = _service.Store.List(rt.StorageKey, rt.Namespaced && ns.Length > 0 ? ns : null);
        // A list is what informers start from: never show a version that a crash could still lose.
        await _service.Store.WhenDurable(rv);
        IEnumerable<StoredObject> filtered = items;
        var cont = q["continue"].ToString();
        if (cont.Length > 0)
        {
            string after;
            try { after = Encoding.UTF8.GetString(Convert.FromBase64String(cont)); }
            catch (FormatException) { throw ApiException.BadRequest("continue key is not valid: illegal base64 data"); }
            filtered = filtered.Where(o => string.CompareOrdinal(o.Key, after) > 0);
        }
        if (label is not null) filtered = filtered.Where(label.Matches);
        if (field is not null) filtered = filtered.Where(field.Matches);
        var page = filtered.ToList();
        string? next = null;
        long? remaining = null;
        if (int.TryParse(q["limit"], out var limit) && limit > 0 && page.Count > limit)
        {
            remaining = page.Count - limit;
            page = page.GetRange(0, limit);
            next = Convert.ToBase64String(Encoding.UTF8.GetBytes(page[^1].Key));
        }
        if (TableConverter.Wanted(accept))
        {
            var table = TableConverter.Build(rt, page, rv, next, q["includeObject"].ToString());
            await WriteJsonAsync(ctx, table, TableConverter.ContentType);
            return;
        }
        if (rt.BuiltIn && KubeProtobuf.Wanted(accept) && KubeProtobuf.CanEncode(rt))
        {
            var pb = KubeProtobuf.TryEncodeList(rt, page.Select(o => o.Json), rv.ToString(), next, remaining);
            if (pb is not null) { await WriteProtobufAsync(ctx, pb, 200); return; }
            if (!KubeProtobuf.AcceptsJson(accept)) throw NotAcceptable(rt);
        }
        await WriteListAsync(ctx, rt, page.Select(o => (o.Json, o.ApiVersion)).ToList(), rv, next, remaining);
    }

    private static async Task WriteListAsync(HttpContext ctx, ResourceType rt, List<(byte[] Json, string ApiVersion)> items, long rv, string? next, long? remaining)
    {
        ctx.Response.ContentType = "application/json";
        // Written straight into the response pipe: large lists never get a second full-size buffer.
        var writer = ctx.Response.BodyWriter;
        await using (var w = new Utf8JsonWriter(writer, new JsonWriterOptions { SkipValidation = true, Encoder = JsonOptions.Compact.Encoder }))
        {
            w.WriteStartObject();
            w.WriteString("kind", rt.ListKind);
            w.WriteString("apiVersion", rt.ApiVersion);
            w.WriteStartObject("metadata");
            w.WriteString("resourceVersion", rv.ToString());
            if (next is not null) w.WriteString("continue", next);
            if (remaining is not null) w.WriteNumber("remainingItemCount", remaining.Value);
            w.WriteEndObject();
            w.WriteStartArray("items");
            var pending = 0;
            foreach (var (json, apiVersion) in items)
            {
                w.WriteRawValue(apiVersion == rt.ApiVersion ? json : Rewrite(json, rt), skipInputValidation: true);
                pending += json.Length;
                if (pending > 256 * 1024)
                {
                    await w.FlushAsync();
                    pending = 0;
                }
            }
            w.WriteEndArray();
            w.WriteEndObject();
            await w.FlushAsync();
        }
        await writer.FlushAsync();
    }

    private async Task WatchAsync(HttpContext ctx, ResourceType rt, string ns, string accept)
    {
        var q = ctx.Request.Query;
        var label = LabelSelector.Parse(q["labelSelector"]);
        var field = FieldSelector.Parse(q["fieldSelector"]);
        var rvText = q["resourceVersion"].ToString();
        long? fromRv = null;
        if (rvText.Length > 0 && rvText != "0")
        {
            if (!long.TryParse(rvText, out var parsed) || parsed < 0) throw ApiException.BadRequest($"invalid resource version \"{rvText}\"");
            fromRv = parsed;
        }
        if (q["sendInitialEvents"].ToString() == "true") fromRv = null;
        var table = TableConverter.Wanted(accept);
        var includeObject = q["includeObject"].ToString();
        var bookmarks = q["allowWatchBookmarks"].ToString() == "true";
        var timeout = int.TryParse(q["timeoutSeconds"], out var t) && t > 0 ? TimeSpan.FromSeconds(t) : Timeout.InfiniteTimeSpan;

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = table ? TableConverter.ContentType : "application/json";
        ctx.Response.Headers.CacheControl = "no-cache, private";
        var watcher = _service.Store.Watch(rt.StorageKey, rt.Namespaced && ns.Length > 0 ? ns : null,
            o => (label?.Matches(o) ?? true) && (field?.Matches(o) ?? true), fromRv);
        if (watcher is null)
        {
            var status = new ApiException(StatusReason.Expired, $"too old resource version: {fromRv} ({_service.Store.CurrentResourceVersion})").ToStatus();
            status["code"] = 410;
            await WriteEventAsync(ctx, "ERROR", JsonSerializer.SerializeToUtf8Bytes(status, JsonOptions.Compact));
            return;
        }
        _metrics.Watchers.Add(1);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, Stopping);
        if (timeout != Timeout.InfiniteTimeSpan) cts.CancelAfter(timeout);
        var first = true;
        try
        {
            // Synthetic ADDED events may show versions still waiting for their fsync.
            await watcher.Ready.WaitAsync(cts.Token);
            await ctx.Response.StartAsync(cts.Token);
            await ctx.Response.Body.FlushAsync(cts.Token);
            var reader = watcher.Events.Reader;
            while (!cts.IsCancellationRequested)
            {
                bool ready;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(cts.Token))
                {
                    if (bookmarks) idle.CancelAfter(_options.BookmarkInterval);
                    try { ready = await reader.WaitToReadAsync(idle.Token); }
                    catch (OperationCanceledException) when (!cts.IsCancellationRequested)
                    {
                        // The published (durable) version, read before checking the queue is empty: every
                        // event up to it is then already sent, so the bookmark never runs ahead of them.
                        var published = _service.Store.PublishedResourceVersion;
                        if (reader.Count == 0)
                        {
                            var bookmark = new JsonObject
                            {
                                ["kind"] = rt.Kind, ["apiVersion"] = rt.ApiVersion,
                                ["metadata"] = new JsonObject { ["resourceVersion"] = published.ToString() },
                            };
                            await WriteEventAsync(ctx, "BOOKMARK", JsonSerializer.SerializeToUtf8Bytes(bookmark, JsonOptions.Compact));
                        }
                        continue;
                    }
                }
                if (!ready) break;
                while (reader.TryRead(out var e))
                {
                    var type = e.Type switch { WatchEventType.Added => "ADDED", WatchEventType.Modified => "MODIFIED", _ => "DELETED" };
                    byte[] payload;
                    if (table)
                    {
                        payload = JsonSerializer.SerializeToUtf8Bytes(TableConverter.Build(rt, [e.Object], e.Object.ResourceVersion, null, includeObject, withColumns: first), JsonOptions.Compact);
                        first = false;
                    }
                    else payload = e.Object.ApiVersion == rt.ApiVersion ? e.Object.Json : Rewrite(e.Object.Json, rt);
                    await WriteEventAsync(ctx, type, payload, flush: reader.Count == 0);
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        finally
        {
            _service.Store.Unwatch(watcher);
            _metrics.Watchers.Add(-1);
        }
    }

    private static readonly byte[] EventPrefix = "{\"type\":\""u8.ToArray();
    private static readonly byte[] EventMiddle = "\",\"object\":"u8.ToArray();
    private static readonly byte[] EventSuffix = "}\n"u8.ToArray();

    private static async Task WriteEventAsync(HttpContext ctx, string type, byte[] objectJson, bool flush = true)
    {
        var body = ctx.Response.Body;
        var buffer = new byte[EventPrefix.Length + type.Length + EventMiddle.Length + objectJson.Length + EventSuffix.Length];
        var span = buffer.AsSpan();
        EventPrefix.CopyTo(span);
        var pos = EventPrefix.Length;
        pos += Encoding.ASCII.GetBytes(type, span[pos..]);
        EventMiddle.CopyTo(span[pos..]);
        pos += EventMiddle.Length;
        objectJson.CopyTo(span[pos..]);
        pos += objectJson.Length;
        EventSuffix.CopyTo(span[pos..]);
        await body.WriteAsync(buffer, ctx.RequestAborted);
        if (flush) await body.FlushAsync(ctx.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error for {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, string method, string path, Exception ex);
}
