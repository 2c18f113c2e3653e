using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ingress.ApiServer.Admission;
using Ingress.ApiServer.Patching;
using Ingress.ApiServer.Storage;

namespace Ingress.ApiServer;

/// <summary>Options of one write, from the query string and the DeleteOptions body.</summary>
internal sealed record WriteOptions(bool DryRun, string? FieldManager, bool Force = false, bool StrictFields = false);

/// <summary>What a write produced: the stored object (or the last state of a deleted one) and whether it was created.</summary>
internal sealed record WriteResult(StoredObject Object, bool Created, byte[] Json);

/// <summary>
/// The API server's semantics over the store: system metadata (uid, creationTimestamp,
/// resourceVersion, generation), the status subresource split, optimistic concurrency, generateName,
/// admission, finalizers and deletionTimestamp, and ownerReference garbage collection.
/// </summary>
internal sealed class ResourceService
{
    private readonly ObjectStore _store;
    private readonly ResourceRegistry _registry;
    private readonly IReadOnlyList<IAdmissionHook> _hooks;
    private readonly GarbageCollector _gc;
    private static readonly ResourceType NamespaceType = BuiltInKinds.Create().First(t => t.Kind == "Namespace");

    public ResourceService(ObjectStore store, ResourceRegistry registry, IReadOnlyList<IAdmissionHook> hooks)
    {
        _store = store;
        _registry = registry;
        _hooks = hooks;
        _gc = new GarbageCollector(this, store, registry);
    }

    public ObjectStore Store => _store;
    public GarbageCollector Gc => _gc;

    public static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");

    private const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private static JsonObject Meta(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m) return m;
        if (obj["metadata"] is not null) throw ApiException.BadRequest("metadata must be an object");
        m = new JsonObject();
        obj["metadata"] = m;
        return m;
    }

    private static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private void CheckTypeMeta(ResourceType rt, JsonObject obj)
    {
        var apiVersion = Str(obj["apiVersion"]);
        var kind = Str(obj["kind"]);
        if (apiVersion is not null && apiVersion != rt.ApiVersion && !(SameGroup(apiVersion, rt) && kind == rt.Kind))
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({rt.ApiVersion})");
        if (kind is not null && kind != rt.Kind)
            throw ApiException.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({rt.Kind})");
        obj["apiVersion"] = rt.ApiVersion;
        obj["kind"] = rt.Kind;
        // Keep apiVersion/kind first in the output, as the real server does.
        var ordered = obj.ToList();
        if (ordered.Count > 2 && (ordered[0].Key != "apiVersion" || ordered[1].Key != "kind"))
        {
            obj.Clear();
            obj["apiVersion"] = rt.ApiVersion;
            obj["kind"] = rt.Kind;
            foreach (var (k, v) in ordered) if (k is not "apiVersion" and not "kind") obj[k] = v;
        }
    }

    private static bool SameGroup(string apiVersion, ResourceType rt)
    {
        var slash = apiVersion.IndexOf('/');
        var group = slash < 0 ? "" : apiVersion[..slash];
        return group == rt.Group;
    }

    private static void ValidateName(ResourceType rt, string name, string field = "metadata.name")
    {
        var ok = name.Length is > 0 and <= 253 && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1]) &&
                 name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.');
        if (!ok)
            throw ApiException.Invalid(rt, name, field,
                $"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
    }

    /// <summary>fieldValidation=Strict: fields a CRD's schema does not declare are a 400, as the real server answers.</summary>
    private static void CheckStrictFields(ResourceType rt, JsonObject obj, WriteOptions options, JsonObject? old = null)
    {
        if (!options.StrictFields || rt.CompiledSchema is not { } schema) return;
        var unknown = schema.Prune(obj, remove: false);
        // Fields already stored (written without strict validation) are not this request's fault.
        if (old is not null && unknown.Count > 0) unknown = unknown.Except(schema.Prune(old, remove: false)).ToList();
        if (unknown.Count == 0) return;
        throw ApiException.BadRequest(
            $"{rt.Kind} in version \"{rt.Version}\" cannot be handled as a {rt.Kind}: strict decoding error: " +
            string.Join(", ", unknown.Select(u => $"unknown field \"{u}\"")));
    }

    /// <summary>
    /// The real server's write pipeline after decoding: mutating admission, then (custom resources) pruning
    /// of fields the schema does not declare and schema validation, then validating admission. Pruning runs
    /// after the mutating hooks because the real server prunes what mutating webhooks return too.
    /// </summary>
    private void Admit(ResourceType rt, AdmissionOperation op, string? sub, JsonObject obj, JsonObject? old, WriteOptions options, bool admit)
    {
        var meta = obj["metadata"] as JsonObject;
        var hooks = admit && _hooks.Count > 0 ? _hooks.Where(h => h.Handles(rt.Group, rt.Kind)).ToList() : [];
        AdmissionRequest? request = hooks.Count == 0 ? null : new AdmissionRequest(rt.Group, rt.Version, rt.Kind, rt.Plural, sub,
            Str(meta?["namespace"]) ?? "", Str(meta?["name"]) ?? "", op, obj, old, options.DryRun, options.FieldManager);
        foreach (var hook in hooks)
        {
            var r = hook.Mutate(request!);
            if (!r.Allowed) throw Denied(hook, r);
        }
        if (op != AdmissionOperation.Delete && rt.Structural is { } schema)
        {
            schema.Prune(obj, remove: true);
            var errors = schema.Validate(obj, old);
            if (errors.Count > 0) throw StructuralSchema.InvalidError(rt, Str(meta?["name"]) ?? "", errors);
        }
        foreach (var hook in hooks)
        {
            var r = hook.Validate(request!);
            if (!r.Allowed) throw Denied(hook, r);
        }
    }

    /// <summary>Conversion strategy None: objects are stored at the storage version, whatever version the
    /// request used; responses get the request's apiVersion back (<see cref="Http.RequestHandler"/>).</summary>
    private static void ToStorageVersion(ResourceType rt, JsonObject obj)
    {
        if (rt.StorageApiVersion != rt.ApiVersion) obj["apiVersion"] = rt.StorageApiVersion;
    }

    /// <summary>A version that needs a conversion webhook cannot be served: answer that plainly rather
    /// than hand out an object of another version's shape.</summary>
    public static void CheckConvertible(ResourceType rt)
    {
        if (rt.NeedsWebhookConversion)
            throw new ApiException(StatusReason.InternalError,
                $"conversion webhook for {rt.StorageApiVersion}, Kind={rt.Kind} failed: this API server does not call conversion webhooks " +
                $"(spec.conversion.strategy: Webhook on {rt.QualifiedName}); use version {rt.StorageVersion} or conversion strategy None");
    }

    private static ApiException Denied(IAdmissionHook hook, AdmissionResult r)
    {
        var reason = r.Code switch { 422 => StatusReason.Invalid, 403 => StatusReason.Forbidden, 409 => StatusReason.Conflict, _ => StatusReason.BadRequest };
        return new ApiException(reason, $"admission webhook \"{hook.Name}\" denied the request: {r.Message}");
    }

    /// <summary>Server-managed parts of special kinds: a CRD must parse and gets Established status; a
    /// Namespace is Active.</summary>
    private static void ApplyKindStrategy(ResourceType rt, JsonObject obj, JsonObject? old = null)
    {
        if (rt.Group == "apiextensions.k8s.io" && rt.Kind == "CustomResourceDefinition")
        {
            var parsed = ResourceRegistry.ParseCrd(obj, out var error);
            if (parsed is null)
                throw new ApiException(StatusReason.Invalid, $"CustomResourceDefinition.apiextensions.k8s.io \"{Str(obj["metadata"]?["name"])}\" is invalid: {error}");
            var now = Now();
            // storedVersions lists every version objects may still be stored at: the old list plus the
            // current storage version (what a storage-version migration would later trim).
            var stored = (old?["status"]?["storedVersions"] as JsonArray)?.Select(v => v?.ToString() ?? "").ToList() ?? [];
            var storageVersion = ResourceRegistry.StorageVersionOf(obj);
            if (storageVersion is not null && !stored.Contains(storageVersion)) stored.Add(storageVersion);
            obj["status"] = new JsonObject
            {
                ["acceptedNames"] = obj["spec"]!["names"]!.DeepClone(),
                ["storedVersions"] = new JsonArray(stored.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
                ["conditions"] = new JsonArray(
                    new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["reason"] = "NoConflicts", ["message"] = "no conflicts found", ["lastTransitionTime"] = now },
                    new JsonObject { ["type"] = "Established", ["status"] = "True", ["reason"] = "InitialNamesAccepted", ["message"] = "the initial names have been accepted", ["lastTransitionTime"] = now }),
            };
        }
        else if (rt.Group == "" && rt.Kind == "Namespace")
        {
            var status = obj["status"] as JsonObject ?? new JsonObject();
            status["phase"] = obj["metadata"]?["deletionTimestamp"] is null ? "Active" : "Terminating";
            obj["status"] = status;
        }
    }

    private void AfterCommit(ResourceType rt, StoredObject stored, bool deleted)
    {
        if (rt.Group == "apiextensions.k8s.io" && rt.Kind == "CustomResourceDefinition")
        {
            if (deleted) _registry.RemoveCustomResourceDefinition(stored.Name);
            else _registry.ApplyCustomResourceDefinition(stored.ToJsonObject());
        }
    }

    public async Task<WriteResult> CreateAsync(ResourceType rt, string ns, JsonObject obj, WriteOptions options, bool admit = true)
    {
        CheckConvertible(rt);
        CheckTypeMeta(rt, obj);
        CheckStrictFields(rt, obj, options);
        var meta = Meta(obj);
        if (rt.Namespaced)
        {
            var bodyNs = Str(meta["namespace"]);
            if (!string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            meta["namespace"] = ns;
            if (_store.Get(NamespaceType.StorageKey, "", ns) is null)
                throw ApiException.NotFound(NamespaceType, ns);
        }
        else meta.Remove("namespace");
        var name = Str(meta["name"]);
        var generateName = Str(meta["generateName"]);
        if (string.IsNullOrEmpty(name))
        {
            if (string.IsNullOrEmpty(generateName))
                throw ApiException.Invalid(rt, "", "metadata.name", "Required value: name or generateName is required");
            name = generateName + string.Concat(Enumerable.Range(0, 5).Select(_ => NameAlphabet[RandomNumberGenerator.GetInt32(NameAlphabet.Length)]));
            meta["name"] = name;
        }
        ValidateName(rt, name);
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = Now();
        meta["generation"] = 1;
        meta.Remove("resourceVersion");
        meta.Remove("deletionTimestamp");
        meta.Remove("deletionGracePeriodSeconds");
        meta.Remove("selfLink");
        if (rt.HasStatusSubresource) obj.Remove("status");
        ApplyKindStrategy(rt, obj);
        if (options.FieldManager is not null) ManagedFields.Record(obj, null, options.FieldManager, "Update", rt.ApiVersion);
        Admit(rt, AdmissionOperation.Create, null, obj, null, options, admit);
        ToStorageVersion(rt, obj);
        if (options.DryRun)
        {
            meta["resourceVersion"] = _store.CurrentResourceVersion.ToString();
            var bytes = StoredObject.Serialize(obj);
            return new WriteResult(StoredObject.From(obj, bytes, 0), true, bytes);
        }
        var (outcome, stored, durable) = _store.Commit(rt.StorageKey, rt.Namespaced ? ns : "", name, 0, obj);
        if (outcome == CommitOutcome.AlreadyExists) throw ApiException.AlreadyExists(rt, name);
        await durable.ConfigureAwait(false);
        AfterCommit(rt, stored!, false);
        return new WriteResult(stored!, true, stored!.Json);
    }

    public StoredObject Get(ResourceType rt, string ns, string name) =>
        _store.Get(rt.StorageKey, rt.Namespaced ? ns : "", name) ?? throw ApiException.NotFound(rt, name);

    /// <summary>
    /// Read-modify-write with retry: <paramref name="mutate"/> gets a fresh copy of the stored object and
    /// returns the desired full object; the write is retried if another writer got in between, unless the
    /// caller pinned a resourceVersion (then that is a 409).
    /// </summary>
    public async Task<WriteResult> UpdateAsync(ResourceType rt, string ns, string name, string? sub, WriteOptions options,
        Func<JsonObject, JsonObject> mutate, string managerOperation = "Update", bool admit = true)
    {
        ns = rt.Namespaced ? ns : "";
        CheckConvertible(rt);
        for (var attempt = 0; ; attempt++)
        {
            var current = _store.Get(rt.StorageKey, ns, name) ?? throw ApiException.NotFound(rt, name);
            var old = current.ToJsonObject();
            var desired = mutate(current.ToJsonObject());
            CheckTypeMeta(rt, desired);
            if (sub is null) CheckStrictFields(rt, desired, options, old);
            var meta = Meta(desired);
            var bodyName = Str(meta["name"]);
            if (!string.IsNullOrEmpty(bodyName) && bodyName != name)
                throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
            var bodyNs = Str(meta["namespace"]);
            if (rt.Namespaced && !string.IsNullOrEmpty(bodyNs) && bodyNs != ns)
                throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            var pinned = Str(meta["resourceVersion"]);
            if (!string.IsNullOrEmpty(pinned) && pinned != current.ResourceVersion.ToString())
                throw ApiException.Conflict(rt, name);

            // A client that rewrites managedFields itself (kubectl's client-side to server-side apply
            // migration does) is honoured; otherwise the server records the writer's fields.
            var clientManagedFields = meta["managedFields"] is { } mf && !JsonNode.DeepEquals(mf, old["metadata"]?["managedFields"]);
            var result = Prepare(rt, old, desired, sub);
            if (options.FieldManager is not null && sub is null && managerOperation == "Update" && !clientManagedFields)
                ManagedFields.Record(result, old, options.FieldManager, "Update", rt.ApiVersion);
            ApplyKindStrategy(rt, result, old);
            Admit(rt, AdmissionOperation.Update, sub, result, old, options, admit);
            ToStorageVersion(rt, result);
            var rm = Meta(result);
            rm["resourceVersion"] = current.ResourceVersion.ToString();
            if (JsonNode.DeepEquals(result, old)) return new WriteResult(current, false, current.Json);

            var finalize = rm["deletionTimestamp"] is not null && (rm["finalizers"] is not JsonArray f || f.Count == 0);
            if (options.DryRun)
            {
                var bytes = StoredObject.Serialize(result);
                return new WriteResult(StoredObject.From(result, bytes, current.ResourceVersion), false, bytes);
            }
            var (outcome, stored, durable) = _store.Commit(rt.StorageKey, ns, name, current.ResourceVersion, finalize ? null : result);
            if (outcome == CommitOutcome.NotFound) throw ApiException.NotFound(rt, name);
            if (outcome == CommitOutcome.VersionMismatch)
            {
                if (!string.IsNullOrEmpty(pinned) || attempt > 50) throw ApiException.Conflict(rt, name);
                continue;
            }
            await durable.ConfigureAwait(false);
            AfterCommit(rt, stored!, finalize);
            if (finalize) _gc.OwnerDeleted(rt, stored!, PropagationPolicy.Background);
            return new WriteResult(stored!, false, stored!.Json);
        }
    }

    /// <summary>Merges system metadata and the spec/status split into the desired object.</summary>
    private static JsonObject Prepare(ResourceType rt, JsonObject old, JsonObject desired, string? sub)
    {
        JsonObject result;
        var oldMeta = (JsonObject)old["metadata"]!;
        if (sub == "status")
        {
            result = (JsonObject)old.DeepClone();
            if (desired["status"] is { } st) result["status"] = st.DeepClone(); else result.Remove("status");
            return result;
        }
        result = desired;
        var meta = Meta(result);
        foreach (var key in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation" })
        {
            if (oldMeta[key] is { } v) meta[key] = v.DeepClone(); else meta.Remove(key);
        }
        if (meta["managedFields"] is null && oldMeta["managedFields"] is { } mf) meta["managedFields"] = mf.DeepClone();
        if (rt.Namespaced) meta["namespace"] = oldMeta["namespace"]?.DeepClone();
        meta["name"] = oldMeta["name"]?.DeepClone();
        meta.Remove("selfLink");
        if (rt.HasStatusSubresource)
        {
            if (old["status"] is { } st) result["status"] = st.DeepClone(); else result.Remove("status");
        }
        if (!SpecEquals(old, result))
            meta["generation"] = (oldMeta["generation"]?.GetValue<long>() ?? 1) + 1;
        return result;
    }

    /// <summary>Everything but metadata and status counts as spec for generation purposes.</summary>
    private static bool SpecEquals(JsonObject a, JsonObject b)
    {
        var keys = a.Select(kv => kv.Key).Concat(b.Select(kv => kv.Key)).Where(k => k is not "metadata" and not "status" and not "apiVersion" and not "kind").Distinct();
        return keys.All(k => JsonNode.DeepEquals(a[k], b[k]));
    }

    public Task<WriteResult> ReplaceAsync(ResourceType rt, string ns, string name, string? sub, JsonObject body, WriteOptions options) =>
        UpdateAsync(rt, ns, name, sub, options, _ => (JsonObject)body.DeepClone());

    public async Task<WriteResult> PatchAsync(ResourceType rt, string ns, string name, string? sub, string patchType, JsonNode patch, WriteOptions options)
    {
        if (patchType == PatchTypes.Apply)
        {
            if (patch is not JsonObject applied) throw ApiException.BadRequest("apply patch must be an object");
            if (_store.Get(rt.StorageKey, rt.Namespaced ? ns : "", name) is null && sub is null)
            {
                var created = (JsonObject)applied.DeepClone();
                var m = Meta(created);
                if (string.IsNullOrEmpty(Str(m["name"]))) m["name"] = name;
                try
                {
                    var r = await CreateAsync(rt, ns, created, options with { FieldManager = null }).ConfigureAwait(false);
                    if (options.DryRun || options.FieldManager is null) return r;
                    return await UpdateAsync(rt, ns, name, null, options, cur => ServerSideApply.Apply(cur, applied, options.FieldManager, options.Force, rt), "Apply").ConfigureAwait(false) with { Created = true };
                }
                catch (ApiException e) when (e.Reason == StatusReason.AlreadyExists) { /* raced with another writer: apply as update */ }
            }
            return await UpdateAsync(rt, ns, name, sub, options,
                cur => ServerSideApply.Apply(cur, applied, options.FieldManager ?? "", options.Force, rt), "Apply").ConfigureAwait(false);
        }
        return await UpdateAsync(rt, ns, name, sub, options, cur => patchType switch
        {
            PatchTypes.Merge => MergePatch.Apply(cur, patch) as JsonObject ?? throw ApiException.BadRequest("merge patch must produce an object"),
            PatchTypes.Json => JsonPatch.Apply(cur, patch as JsonArray ?? throw ApiException.BadRequest("json patch must be an array")) as JsonObject
                               ?? throw ApiException.BadRequest("json patch must produce an object"),
            PatchTypes.Strategic => StrategicMergePatch.Apply(cur, patch) as JsonObject ?? throw ApiException.BadRequest("patch must produce an object"),
            _ => throw new ApiException(StatusReason.UnsupportedMediaType, $"the media type \"{patchType}\" is not supported"),
        }).ConfigureAwait(false);
    }

    public async Task<WriteResult> DeleteAsync(ResourceType rt, string ns, string name, PropagationPolicy policy,
        string? preconditionUid, string? preconditionRv, WriteOptions options, bool admit = true)
    {
        ns = rt.Namespaced ? ns : "";
        for (var attempt = 0; ; attempt++)
        {
            var current = _store.Get(rt.StorageKey, ns, name) ?? throw ApiException.NotFound(rt, name);
            if (preconditionUid is not null && preconditionUid != current.Uid)
                throw new ApiException(StatusReason.Conflict,
                    $"Operation cannot be fulfilled on {rt.QualifiedName} \"{name}\": Precondition failed: UID in precondition: {preconditionUid}, UID in object meta: {current.Uid}", name, rt);
            if (preconditionRv is not null && preconditionRv != current.ResourceVersion.ToString())
                throw ApiException.Conflict(rt, name);
            var obj = current.ToJsonObject();
            Admit(rt, AdmissionOperation.Delete, null, obj, obj, options, admit);
            if (options.DryRun) return new WriteResult(current, false, current.Json);
            var meta = Meta(obj);
            var finalizers = meta["finalizers"] as JsonArray ?? new JsonArray();
            if (policy == PropagationPolicy.Orphan) await _gc.OrphanDependentsAsync(current).ConfigureAwait(false);
            if (rt.Group == "" && rt.Kind == "Namespace" && !finalizers.Any(f => Str(f) == "kubernetes") &&
                _store.All().Any(x => x.Obj.Namespace == name && _registry.FindByStorageKey(x.StorageKey) is { Namespaced: true }))
            {
                finalizers.Add("kubernetes");
                meta["finalizers"] = finalizers;
            }
            if (policy == PropagationPolicy.Foreground && _gc.HasDependents(current) && !finalizers.Any(f => Str(f) == "foregroundDeletion"))
            {
                finalizers.Add("foregroundDeletion");
                meta["finalizers"] = finalizers;
            }
            StoredObject? stored;
            CommitOutcome outcome;
            Task durable;
            var graceful = finalizers.Count > 0;
            if (graceful)
            {
                if (meta["deletionTimestamp"] is not null && JsonNode.DeepEquals(meta["finalizers"], current.ToJsonObject()["metadata"]?["finalizers"]))
                    return new WriteResult(current, false, current.Json);
                meta["deletionTimestamp"] ??= Now();
                meta["deletionGracePeriodSeconds"] ??= 0;
                ApplyKindStrategy(rt, obj, current.ToJsonObject());
                (outcome, stored, durable) = _store.Commit(rt.StorageKey, ns, name, current.ResourceVersion, obj);
            }
            else (outcome, stored, durable) = _store.Commit(rt.StorageKey, ns, name, current.ResourceVersion, null);
            if (outcome == CommitOutcome.NotFound) throw ApiException.NotFound(rt, name);
            if (outcome == CommitOutcome.VersionMismatch) { if (attempt > 50) throw ApiException.Conflict(rt, name); continue; }
            await durable.ConfigureAwait(false);
            if (graceful)
            {
                if (policy == PropagationPolicy.Foreground) _gc.ForegroundPending(rt, stored!);
                if (rt.Kind == "Namespace" && rt.Group == "") _gc.NamespaceDeleted(name);
            }
            else
            {
                AfterCommit(rt, stored!, true);
                _gc.OwnerDeleted(rt, stored!, policy);
                if (rt.Kind == "Namespace" && rt.Group == "") _gc.NamespaceDeleted(name);
            }
            return new WriteResult(stored!, false, stored!.Json);
        }
    }
}

internal enum PropagationPolicy { Background, Foreground, Orphan }

internal static class PatchTypes
{
    public const string Merge = "application/merge-patch+json";
    public const string Json = "application/json-patch+json";
    public const string Strategic = "application/strategic-merge-patch+json";
    public const string Apply = "application/apply-patch+yaml";
}
