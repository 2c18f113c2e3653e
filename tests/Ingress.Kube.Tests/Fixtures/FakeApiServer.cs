using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Kube.Cache;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ingress.Kube.Tests.Fixtures;

/// <summary>A fault to inject: requests matching <see cref="Match"/> get <see cref="Status"/> (0: only the delay), <see cref="Times"/> times.</summary>
public sealed class FaultRule
{
    public required Func<HttpRequest, bool> Match { get; init; }
    public int Status { get; init; }
    public int Times { get; set; } = 1;
    public TimeSpan? RetryAfter { get; init; }
    public TimeSpan Delay { get; init; }
    public string Reason { get; init; } = "";
    public JsonObject? Details { get; init; }
    public int Hits;
}

/// <summary>
/// A small Kestrel-based Kubernetes endpoint for tests: list/watch/get/create/update/patch/delete of any
/// resource as JSON, numeric resourceVersions, finalizers and generation, and fault injection (faults,
/// dropped watches, compaction so resumes get 410, restarts on the same port with the same data).
/// </summary>
public sealed class FakeApiServer : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
    private readonly List<(long Rv, string Prefix, string? Ns, string Type, JsonObject Obj)> _history = [];
    private readonly List<Watcher> _watchers = [];
    private readonly List<FaultRule> _faults = [];
    private long _rv = 100;
    private long _compactedThrough;
    private WebApplication? _app;
    private int _port;

    public Uri Url => new($"http://127.0.0.1:{_port}");
    public ConcurrentQueue<string> Requests { get; } = new();
    public ConcurrentQueue<string> DeleteBodies { get; } = new();
    public ConcurrentQueue<string> AuthorizationHeaders { get; } = new();
    public int WatchRequests;

    public static async Task<FakeApiServer> StartAsync()
    {
        var s = new FakeApiServer();
        await s.StartOnPortAsync(0);
        return s;
    }

    private async Task StartOnPortAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        _app = app;
        var addr = app.Urls.First();
        _port = new Uri(addr).Port;
    }

    /// <summary>Stops the server (dropping every connection) and starts it again on the same port with the same data.</summary>
    public async Task RestartAsync(TimeSpan downtime = default)
    {
        await StopAsync();
        if (downtime > TimeSpan.Zero) await Task.Delay(downtime);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await StartOnPortAsync(_port);
                return;
            }
            catch (IOException) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }

    public async Task StopAsync()
    {
        if (_app is null) return;
        DropWatches();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    public FaultRule AddFault(FaultRule rule)
    {
        lock (_gate) _faults.Add(rule);
        return rule;
    }

    /// <summary>Ends every open watch (the client sees the stream close).</summary>
    public void DropWatches()
    {
        lock (_gate)
        {
            foreach (var w in _watchers) w.Cancel.Cancel();
            _watchers.Clear();
        }
    }

    /// <summary>Forgets history: any watch resuming from an older resourceVersion gets 410 Expired.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _compactedThrough = _rv;
            _history.Clear();
        }
    }

    /// <summary>Sends a BOOKMARK with the current resourceVersion to every watch that allows them.</summary>
    public void SendBookmarks()
    {
        lock (_gate)
        {
            foreach (var w in _watchers.Where(w => w.Bookmarks))
            {
                var o = new JsonObject { ["kind"] = "Bookmark", ["metadata"] = new JsonObject { ["resourceVersion"] = _rv.ToString() } };
                w.Events.Writer.TryWrite(Event("BOOKMARK", o));
            }
        }
    }

    public string CurrentResourceVersion { get { lock (_gate) return _rv.ToString(); } }

    // ---- direct store access for tests (no HTTP) ----

    public JsonObject Put(string apiVersion, string plural, JsonObject obj)
    {
        var meta = (JsonObject)obj["metadata"]!;
        lock (_gate)
        {
            var prefix = $"{apiVersion}/{plural}";
            return Write(prefix, (string?)meta["namespace"], (string)meta["name"]!, obj.DeepClone().AsObject(), created: !_objects.ContainsKey(Key(prefix, (string?)meta["namespace"], (string)meta["name"]!)));
        }
    }

    public JsonObject? Get(string apiVersion, string plural, string? ns, string name)
    {
        lock (_gate) return _objects.GetValueOrDefault(Key($"{apiVersion}/{plural}", ns, name))?.DeepClone().AsObject();
    }

    public IReadOnlyList<JsonObject> List(string apiVersion, string plural, string? ns = null)
    {
        var prefix = $"{apiVersion}/{plural}|";
        lock (_gate)
        {
            return _objects.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)
                                        && (ns is null || (string?)kv.Value["metadata"]!["namespace"] == ns))
                .Select(kv => kv.Value.DeepClone().AsObject()).ToList();
        }
    }

    public bool Remove(string apiVersion, string plural, string? ns, string name)
    {
        lock (_gate)
        {
            var prefix = $"{apiVersion}/{plural}";
            if (!_objects.Remove(Key(prefix, ns, name), out var old)) return false;
            var rv = ++_rv;
            old["metadata"]!["resourceVersion"] = rv.ToString();
            Publish(rv, prefix, ns, "DELETED", old);
            return true;
        }
    }

    // ---- HTTP ----

    private static string Key(string prefix, string? ns, string name) => $"{prefix}|{ns}|{name}";

    private sealed record Route(string Prefix, string ApiVersion, string Plural, string? Ns, string? Name, string? Sub);

    private static Route? Parse(string path)
    {
        var segs = path.Trim('/').Split('/');
        int i;
        string apiVersion;
        if (segs.Length >= 2 && segs[0] == "api") { apiVersion = segs[1]; i = 2; }
        else if (segs.Length >= 3 && segs[0] == "apis") { apiVersion = $"{segs[1]}/{segs[2]}"; i = 3; }
        else return null;
        string? ns = null;
        if (segs.Length > i + 2 && segs[i] == "namespaces") { ns = Uri.UnescapeDataString(segs[i + 1]); i += 2; }
        if (segs.Length <= i) return null;
        var plural = segs[i];
        var name = segs.Length > i + 1 ? Uri.UnescapeDataString(segs[i + 1]) : null;
        var sub = segs.Length > i + 2 ? segs[i + 2] : null;
        return new Route($"{apiVersion}/{plural}", apiVersion, plural, ns, name, sub);
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var req = ctx.Request;
        Requests.Enqueue($"{req.Method} {req.Path}{req.QueryString}");
        if (req.Headers.Authorization.Count > 0) AuthorizationHeaders.Enqueue(req.Headers.Authorization.ToString());
        FaultRule? fault = null;
        lock (_gate)
        {
            fault = _faults.FirstOrDefault(f => f.Times > 0 && f.Match(req));
            if (fault is not null)
            {
                fault.Times--;
                Interlocked.Increment(ref fault.Hits);
            }
        }
        if (fault is not null)
        {
            if (fault.Delay > TimeSpan.Zero)
            {
                try { await Task.Delay(fault.Delay, ctx.RequestAborted); } catch (OperationCanceledException) { return; }
            }
            if (fault.Status != 0)
            {
                if (fault.RetryAfter is { } ra) ctx.Response.Headers.RetryAfter = ((int)Math.Ceiling(ra.TotalSeconds)).ToString();
                await StatusAsync(ctx, fault.Status, fault.Reason, $"injected {fault.Status}", fault.Details);
                return;
            }
        }
        var route = Parse(req.Path.Value ?? "");
        if (route is null)
        {
            await StatusAsync(ctx, 404, "NotFound", "the server could not find the requested resource");
            return;
        }
        switch (req.Method)
        {
            case "GET" when route.Name is null && req.Query["watch"] == "true":
                await WatchAsync(ctx, route);
                return;
            case "GET" when route.Name is null:
                await ListAsync(ctx, route);
                return;
            case "GET":
                JsonObject? found;
                lock (_gate) found = _objects.GetValueOrDefault(Key(route.Prefix, route.Ns, route.Name))?.DeepClone().AsObject();
                if (found is null) await NotFound(ctx, route); else await JsonAsync(ctx, 200, found);
                return;
            case "POST":
                await CreateAsync(ctx, route);
                return;
            case "PUT":
                await UpdateAsync(ctx, route);
                return;
            case "PATCH":
                await PatchAsync(ctx, route);
                return;
            case "DELETE":
                await DeleteAsync(ctx, route);
                return;
        }
        await StatusAsync(ctx, 405, "MethodNotAllowed", "method not allowed");
    }

    private async Task ListAsync(HttpContext ctx, Route route)
    {
        var selector = LabelSelector.Parse(ctx.Request.Query["labelSelector"]);
        var field = (string?)ctx.Request.Query["fieldSelector"];
        var limit = int.TryParse(ctx.Request.Query["limit"], out var l) && l > 0 ? l : int.MaxValue;
        var start = int.TryParse(ctx.Request.Query["continue"], out var c) ? c : 0;
        JsonArray items;
        string rv;
        string? cont = null;
        lock (_gate)
        {
            var all = Matching(route, selector, field).OrderBy(o => Key(route.Prefix, (string?)o["metadata"]!["namespace"], (string)o["metadata"]!["name"]!), StringComparer.Ordinal).ToList();
            var page = all.Skip(start).Take(limit).Select(o => (JsonNode?)o.DeepClone()).ToArray();
            items = new JsonArray(page);
            if (start + page.Length < all.Count) cont = (start + page.Length).ToString();
            rv = _rv.ToString();
        }
        var meta = new JsonObject { ["resourceVersion"] = rv };
        if (cont is not null) meta["continue"] = cont;
        await JsonAsync(ctx, 200, new JsonObject { ["kind"] = "List", ["apiVersion"] = route.ApiVersion, ["metadata"] = meta, ["items"] = items });
    }

    private IEnumerable<JsonObject> Matching(Route route, LabelSelector selector, string? field)
    {
        var prefix = route.Prefix + "|";
        foreach (var (k, o) in _objects)
        {
            if (!k.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (Matches(o, route.Ns, selector, field)) yield return o;
        }
    }

    private static bool Matches(JsonObject o, string? ns, LabelSelector selector, string? field)
    {
        var meta = o["metadata"] as JsonObject;
        if (ns is not null && (string?)meta?["namespace"] != ns) return false;
        if (field is { Length: > 0 } && field.StartsWith("metadata.name=", StringComparison.Ordinal) && (string?)meta?["name"] != field["metadata.name=".Length..]) return false;
        var labels = (meta?["labels"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => (string)kv.Value!) ?? [];
        return selector.Matches(labels);
    }

    private sealed class Watcher
    {
        public required string Prefix;
        public string? Ns;
        public required LabelSelector Selector;
        public string? Field;
        public bool Bookmarks;
        public readonly System.Threading.Channels.Channel<string> Events = System.Threading.Channels.Channel.CreateUnbounded<string>();
        public readonly CancellationTokenSource Cancel = new();
    }

    private static string Event(string type, JsonObject obj) => new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString();

    private async Task WatchAsync(HttpContext ctx, Route route)
    {
        Interlocked.Increment(ref WatchRequests);
        var q = ctx.Request.Query;
        var w = new Watcher
        {
            Prefix = route.Prefix, Ns = route.Ns, Selector = LabelSelector.Parse(q["labelSelector"]), Field = q["fieldSelector"],
            Bookmarks = q["allowWatchBookmarks"] == "true",
        };
        var fromText = (string?)q["resourceVersion"];
        lock (_gate)
        {
            if (long.TryParse(fromText, out var from) && from > 0)
            {
                if (from < _compactedThrough)
                {
                    var status = new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["message"] = $"too old resource version: {from} ({_compactedThrough})", ["reason"] = "Expired", ["code"] = 410 };
                    w.Events.Writer.TryWrite(Event("ERROR", status));
                    w.Events.Writer.TryComplete();
                }
                else
                {
                    foreach (var h in _history.Where(h => h.Rv > from && h.Prefix == route.Prefix && Matches(h.Obj, route.Ns, w.Selector, w.Field)))
                    {
                        w.Events.Writer.TryWrite(Event(h.Type, h.Obj));
                    }
                }
            }
            else
            {
                // No resourceVersion: start with synthetic ADDED events for what exists, as a real server does.
                foreach (var o in Matching(route, w.Selector, w.Field)) w.Events.Writer.TryWrite(Event("ADDED", o));
            }
            if (!w.Events.Reader.Completion.IsCompleted) _watchers.Add(w);
        }
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        using var timeout = int.TryParse(q["timeoutSeconds"], out var ts) ? new CancellationTokenSource(TimeSpan.FromSeconds(ts)) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, w.Cancel.Token, timeout.Token);
        try
        {
            await ctx.Response.Body.FlushAsync(linked.Token);
            await foreach (var line in w.Events.Reader.ReadAllAsync(linked.Token))
            {
                await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), linked.Token);
                await ctx.Response.Body.FlushAsync(linked.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
        finally
        {
            lock (_gate) _watchers.Remove(w);
        }
    }

    private async Task CreateAsync(HttpContext ctx, Route route)
    {
        var body = await ReadBodyAsync(ctx);
        if (body is null) { await StatusAsync(ctx, 400, "BadRequest", "no body"); return; }
        var meta = body["metadata"] as JsonObject ?? new JsonObject();
        body["metadata"] = meta;
        var name = (string?)meta["name"];
        if (string.IsNullOrEmpty(name) && (string?)meta["generateName"] is { } gen) meta["name"] = name = gen + Guid.NewGuid().ToString("N")[..5];
        if (string.IsNullOrEmpty(name)) { await StatusAsync(ctx, 422, "Invalid", "name is required", Causes(("metadata.name", "FieldValueRequired", "Required value"))); return; }
        JsonObject created;
        lock (_gate)
        {
            if (_objects.ContainsKey(Key(route.Prefix, route.Ns, name)))
            {
                created = null!;
            }
            else
            {
                created = Write(route.Prefix, route.Ns, name, body, created: true);
            }
        }
        if (created is null) { await StatusAsync(ctx, 409, "AlreadyExists", $"{route.Plural} \"{name}\" already exists"); return; }
        await JsonAsync(ctx, 201, created);
    }

    private async Task UpdateAsync(HttpContext ctx, Route route)
    {
        var body = await ReadBodyAsync(ctx);
        if (body is null || route.Name is null) { await StatusAsync(ctx, 400, "BadRequest", "no body"); return; }
        JsonObject? result;
        string? error;
        lock (_gate)
        {
            (result, error) = ApplyUpdate(route, body, (string?)body["metadata"]?["resourceVersion"]);
        }
        await Answer(ctx, route, result, error);
    }

    private (JsonObject? Result, string? Error) ApplyUpdate(Route route, JsonObject body, string? expectedRv)
    {
        if (!_objects.TryGetValue(Key(route.Prefix, route.Ns, route.Name!), out var current)) return (null, "NotFound");
        if (!string.IsNullOrEmpty(expectedRv) && expectedRv != (string?)current["metadata"]!["resourceVersion"]) return (null, "Conflict");
        JsonObject next;
        if (route.Sub == "status")
        {
            next = current.DeepClone().AsObject();
            next["status"] = body["status"]?.DeepClone();
        }
        else
        {
            next = body.DeepClone().AsObject();
            if (current["status"] is { } st) next["status"] = st.DeepClone(); else next.Remove("status");
            var meta = next["metadata"] as JsonObject ?? new JsonObject();
            next["metadata"] = meta;
            foreach (var keep in new[] { "uid", "creationTimestamp", "deletionTimestamp", "generation" })
            {
                if (current["metadata"]![keep] is { } v) meta[keep] = v.DeepClone(); else meta.Remove(keep);
            }
            if (!JsonNode.DeepEquals(current["spec"], next["spec"]))
            {
                meta["generation"] = ((long?)current["metadata"]!["generation"] ?? 1) + 1;
            }
        }
        return (Write(route.Prefix, route.Ns, route.Name!, next, created: false), null);
    }

    private async Task PatchAsync(HttpContext ctx, Route route)
    {
        var type = ctx.Request.ContentType ?? "";
        var text = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
        JsonNode? patch;
        try { patch = JsonNode.Parse(text); } catch (JsonException) { await StatusAsync(ctx, 400, "BadRequest", "bad patch"); return; }
        JsonObject? result = null;
        string? error = null;
        var created = false;
        lock (_gate)
        {
            var exists = _objects.TryGetValue(Key(route.Prefix, route.Ns, route.Name!), out var current);
            if (!exists && type.StartsWith("application/apply-patch", StringComparison.Ordinal) && patch is JsonObject applyBody)
            {
                var meta = applyBody["metadata"] as JsonObject ?? new JsonObject();
                applyBody["metadata"] = meta;
                meta["name"] = route.Name;
                result = Write(route.Prefix, route.Ns, route.Name!, applyBody, created: true);
                created = true;
            }
            else if (!exists)
            {
                error = "NotFound";
            }
            else
            {
                var next = current!.DeepClone().AsObject();
                string? expected = null;
                if (type.StartsWith("application/json-patch", StringComparison.Ordinal))
                {
                    if (!JsonPatch.TryApply(next, patch as JsonArray, out var failure)) error = "Invalid:" + failure;
                }
                else
                {
                    expected = (string?)patch?["metadata"]?["resourceVersion"];
                    MergeInto(next, patch as JsonObject ?? new JsonObject());
                }
                if (error is null)
                {
                    if (route.Sub != "status") next["metadata"]!["resourceVersion"] = current["metadata"]!["resourceVersion"]!.DeepClone();
                    (result, error) = ApplyUpdate(route, next, expected);
                }
            }
        }
        if (created) { await JsonAsync(ctx, 201, result!); return; }
        await Answer(ctx, route, result, error);
    }

    private async Task DeleteAsync(HttpContext ctx, Route route)
    {
        var text = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
        if (text.Length > 0) DeleteBodies.Enqueue(text);
        var opts = text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null;
        JsonObject? result = null;
        string? error = null;
        lock (_gate)
        {
            var key = Key(route.Prefix, route.Ns, route.Name!);
            if (!_objects.TryGetValue(key, out var current)) error = "NotFound";
            else if (opts?["preconditions"] is JsonObject pre
                     && ((pre["uid"] is { } u && (string?)u != (string?)current["metadata"]!["uid"])
                         || (pre["resourceVersion"] is { } r && (string?)r != (string?)current["metadata"]!["resourceVersion"])))
            {
                error = "Conflict";
            }
            else if (current["metadata"]!["finalizers"] is JsonArray { Count: > 0 })
            {
                var next = current.DeepClone().AsObject();
                next["metadata"]!["deletionTimestamp"] ??= DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
                result = Write(route.Prefix, route.Ns, route.Name!, next, created: false);
            }
            else
            {
                _objects.Remove(key);
                var rv = ++_rv;
                current["metadata"]!["resourceVersion"] = rv.ToString();
                Publish(rv, route.Prefix, route.Ns, "DELETED", current);
                result = current;
            }
        }
        await Answer(ctx, route, result, error);
    }

    /// <summary>Stores an object (new rv, and uid etc. when created); an object being deleted with no finalizers left goes away.</summary>
    private JsonObject Write(string prefix, string? ns, string name, JsonObject obj, bool created)
    {
        var meta = (JsonObject)obj["metadata"]!;
        var rv = ++_rv;
        meta["name"] = name;
        if (ns is not null) meta["namespace"] = ns;
        meta["resourceVersion"] = rv.ToString();
        if (created)
        {
            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
            meta["generation"] = 1L;
        }
        var key = Key(prefix, ns, name);
        if (meta["deletionTimestamp"] is not null && meta["finalizers"] is not JsonArray { Count: > 0 })
        {
            _objects.Remove(key);
            Publish(rv, prefix, ns, "DELETED", obj);
            return obj.DeepClone().AsObject();
        }
        _objects[key] = obj;
        Publish(rv, prefix, ns, created ? "ADDED" : "MODIFIED", obj);
        return obj.DeepClone().AsObject();
    }

    private void Publish(long rv, string prefix, string? ns, string type, JsonObject obj)
    {
        var snapshot = obj.DeepClone().AsObject();
        _history.Add((rv, prefix, ns, type, snapshot));
        foreach (var w in _watchers)
        {
            if (w.Prefix == prefix && Matches(snapshot, w.Ns, w.Selector, w.Field)) w.Events.Writer.TryWrite(Event(type, snapshot));
        }
    }

    private static void MergeInto(JsonObject target, JsonObject patch)
    {
        foreach (var (k, v) in patch.ToList())
        {
            if (v is null) target.Remove(k);
            else if (v is JsonObject vo && target[k] is JsonObject to) MergeInto(to, vo);
            else target[k] = v.DeepClone();
        }
    }

    private async Task Answer(HttpContext ctx, Route route, JsonObject? result, string? error)
    {
        switch (error)
        {
            case null: await JsonAsync(ctx, 200, result!); break;
            case "NotFound": await NotFound(ctx, route); break;
            case "Conflict":
                await StatusAsync(ctx, 409, "Conflict", $"Operation cannot be fulfilled on {route.Plural} \"{route.Name}\": the object has been modified; please apply your changes to the latest version and try again");
                break;
            default:
                await StatusAsync(ctx, 422, "Invalid", error);
                break;
        }
    }

    private static JsonObject Causes(params (string Field, string Reason, string Message)[] causes) =>
        new() { ["causes"] = new JsonArray(causes.Select(c => (JsonNode?)new JsonObject { ["field"] = c.Field, ["reason"] = c.Reason, ["message"] = c.Message }).ToArray()) };

    private static Task NotFound(HttpContext ctx, Route route) =>
        StatusAsync(ctx, 404, "NotFound", $"{route.Plural} \"{route.Name}\" not found", new JsonObject { ["name"] = route.Name, ["kind"] = route.Plural });

    private static async Task<JsonObject?> ReadBodyAsync(HttpContext ctx)
    {
        try { return await JsonNode.ParseAsync(ctx.Request.Body) as JsonObject; }
        catch (JsonException) { return null; }
    }

    private static async Task JsonAsync(HttpContext ctx, int code, JsonObject body)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString());
    }

    internal static Task StatusAsync(HttpContext ctx, int code, string reason, string message, JsonObject? details = null)
    {
        var s = new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure", ["message"] = message, ["code"] = code };
        if (reason.Length > 0) s["reason"] = reason;
        if (details is not null) s["details"] = details.DeepClone();
        return JsonAsync(ctx, code, s);
    }
}

/// <summary>RFC 6902 subset: add, replace, remove, test on object members and array indexes.</summary>
internal static class JsonPatch
{
    public static bool TryApply(JsonObject doc, JsonArray? ops, out string failure)
    {
        failure = "";
        if (ops is null) { failure = "not an array"; return false; }
        foreach (var op in ops.OfType<JsonObject>())
        {
            var path = ((string?)op["path"] ?? "").Split('/').Skip(1).Select(s => s.Replace("~1", "/").Replace("~0", "~")).ToArray();
            if (path.Length == 0) { failure = "empty path"; return false; }
            JsonNode? parent = doc;
            foreach (var seg in path[..^1])
            {
                parent = parent switch
                {
                    JsonObject o => o[seg],
                    JsonArray a when int.TryParse(seg, out var i) && i < a.Count => a[i],
                    _ => null,
                };
                if (parent is null) { failure = $"path {op["path"]} not found"; return false; }
            }
            var last = path[^1];
            var kind = (string?)op["op"];
            var value = op["value"]?.DeepClone();
            switch (parent, kind)
            {
                case (JsonObject o, "add" or "replace"): o[last] = value; break;
                case (JsonObject o, "remove"): if (!o.Remove(last)) { failure = "missing"; return false; } break;
                case (JsonObject o, "test"): if (!JsonNode.DeepEquals(o[last], value)) { failure = "test failed"; return false; } break;
                case (JsonArray a, "add"): if (last == "-") a.Add(value); else a.Insert(int.Parse(last), value); break;
                case (JsonArray a, "replace"): a[int.Parse(last)] = value; break;
                case (JsonArray a, "remove"): a.RemoveAt(int.Parse(last)); break;
                default: failure = $"unsupported op {kind}"; return false;
            }
        }
        return true;
    }
}
