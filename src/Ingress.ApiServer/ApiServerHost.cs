using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Ingress.ApiServer.Admission;
using Ingress.ApiServer.Http;
using Ingress.ApiServer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.ApiServer;

/// <summary>
/// The embedded Kubernetes-compatible API server. Create, register admission hooks and preload CRDs,
/// then <see cref="StartAsync"/>; <see cref="BaseUri"/> is where kubectl and clients connect.
/// </summary>
public sealed partial class ApiServerHost : IAsyncDisposable
{
    private readonly ApiServerOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _log;
    private readonly List<IAdmissionHook> _hooks = [];
    private readonly List<JsonObject> _preloadedCrds = [];
    private readonly ApiServerMetrics _metrics = new();
    private ObjectStore? _store;
    private ResourceService? _service;
    private WebApplication? _app;
    private RequestHandler? _requestHandler;
    private readonly CancellationTokenSource _stopping = new();

    public ApiServerHost(ApiServerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? new ApiServerOptions();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _log = _loggerFactory.CreateLogger("Ingress.ApiServer");
        Registry = new ResourceRegistry();
    }

    /// <summary>Where the server listens, e.g. http://127.0.0.1:41234/ (set by StartAsync).</summary>
    public Uri BaseUri { get; private set; } = new("http://127.0.0.1/");

    public ApiServerOptions Options => _options;

    /// <summary>The kinds served now (built-in plus every CRD stored).</summary>
    public ResourceRegistry Registry { get; }

    /// <summary>Registers an admission hook. Call before StartAsync.</summary>
    public void AddAdmissionHook(IAdmissionHook hook)
    {
        if (_app is not null) throw new InvalidOperationException("Register admission hooks before StartAsync.");
        _hooks.Add(hook);
    }

    /// <summary>CustomResourceDefinitions stored at start (created, or replaced when already stored with
    /// a different spec). Call before StartAsync; later, CRDs are applied through the API like any object.</summary>
    public void PreloadCustomResourceDefinitions(IEnumerable<JsonObject> crds)
    {
        foreach (var crd in crds)
        {
            if (ResourceRegistry.ParseCrd(crd, out var error) is null)
                throw new ArgumentException($"CRD {crd["metadata"]?["name"]} is invalid: {error}", nameof(crds));
            _preloadedCrds.Add((JsonObject)crd.DeepClone());
        }
    }

    /// <summary>Number of stored objects (all kinds).</summary>
    public int ObjectCount => _store?.Count ?? 0;

    /// <summary>Current resourceVersion of the store.</summary>
    public long ResourceVersion => _store?.CurrentResourceVersion ?? 0;

    /// <summary>Highest resourceVersion published to watchers: with a data directory, the last fsynced one.</summary>
    internal long PublishedResourceVersion => _store?.PublishedResourceVersion ?? 0;

    /// <summary>Test seam: the WAL writer waits on this gate before each batch (a stalled disk).</summary>
    internal ManualResetEventSlim? TestWalWriteGate { get; init; }

    /// <summary>Garbage collection work still queued (tests wait for zero rather than sleeping).</summary>
    public int PendingGarbageCollection => _service?.Gc.Pending ?? 0;

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null) throw new InvalidOperationException("Already started.");
        WriteAheadLog? wal = _options.DataDirectory is { } dir ? new WriteAheadLog(dir, _log) { WriteGate = TestWalWriteGate } : null;
        _store = new ObjectStore(_options.WatchHistorySize, wal, _options.SnapshotEveryRecords, _log);
        var started = DateTime.UtcNow;
        _store.Recover();
        if (wal is not null) LogRecovered(_log, _store.Count, _store.CurrentResourceVersion, (DateTime.UtcNow - started).TotalMilliseconds);
        _service = new ResourceService(_store, Registry, _hooks);
        _metrics.ObserveStore(() => _store.Count, () => _store.CurrentResourceVersion);

        var crdType = Registry.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;
        foreach (var o in _store.List(crdType.StorageKey, null).Items) Registry.ApplyCustomResourceDefinition(o.ToJsonObject());
        var nsType = Registry.Find("", "v1", "namespaces")!;
        var bootstrap = new WriteOptions(false, "ingress-apiserver");
        foreach (var ns in _options.InitialNamespaces)
        {
            if (_store.Get(nsType.StorageKey, "", ns) is null)
                await _service.CreateAsync(nsType, "", new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } }, bootstrap, admit: false);
        }
        foreach (var crd in _preloadedCrds)
        {
            var name = crd["metadata"]!["name"]!.ToString();
            var existing = _store.Get(crdType.StorageKey, "", name);
            if (existing is null)
                await _service.CreateAsync(crdType, "", (JsonObject)crd.DeepClone(), bootstrap, admit: false);
            else if (!JsonNode.DeepEquals(existing.ToJsonObject()["spec"], crd["spec"]))
                await _service.UpdateAsync(crdType, "", name, null, bootstrap, cur => { cur["spec"] = crd["spec"]!.DeepClone(); return cur; }, admit: false);
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(_loggerFactory);
        // The embedding process owns signals: Kestrel's default console lifetime would swallow SIGTERM.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null; // enforced by the handler so the 413 carries a Status body
            k.Limits.MinRequestBodyDataRate = null;
            k.AddServerHeader = false;
            k.Listen(IPAddress.Parse(_options.BindAddress), _options.Port, listen =>
            {
                listen.Protocols = _options.TlsCertificatePath is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                if (_options.TlsCertificatePath is { } cert) listen.UseHttps(LoadCertificate(cert, _options.TlsKeyPathOrPassword));
            });
        });
        var app = builder.Build();
        var handler = new RequestHandler(_service, Registry, _options, _log, _metrics) { Stopping = _stopping.Token };
        app.Run(handler.HandleAsync);
        _requestHandler = handler;
        await app.StartAsync(cancellationToken);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address);
        var host = _options.BindAddress is "0.0.0.0" or "::" ? "127.0.0.1" : _options.BindAddress;
        BaseUri = new UriBuilder(uri.Scheme, host, uri.Port).Uri;
        handler.ServerAddress = $"{host}:{uri.Port}";
        LogListening(_log, BaseUri.ToString(), _options.DataDirectory ?? "(memory)");
    }

    /// <summary>Watch streams open on the store right now (over sockets or in process).</summary>
    public int OpenWatches => _store?.WatcherCount ?? 0;

    /// <summary>A transport for clients in this process (<see cref="Http.InProcessApiHandler"/>): each request goes to
    /// the same request handler Kestrel calls, without a socket. Valid once <see cref="StartAsync"/> returned.</summary>
    public HttpMessageHandler CreateInProcessHandler() =>
        new InProcessApiHandler((_requestHandler ?? throw new InvalidOperationException("start the API server first")).HandleAsync);

    /// <summary>
    /// Inserts <paramref name="obj"/> into the store exactly as given, bypassing create semantics and admission:
    /// uid, generation, resourceVersion (when numeric), labels, annotations, ownerReferences, finalizers,
    /// deletionTimestamp and status are kept; only a missing uid and creationTimestamp are filled in. Used by
    /// <c>ingress render</c> to load a cluster's current state. Call after <see cref="StartAsync"/> (CRDs must be
    /// stored for their kinds to resolve). Throws <see cref="ArgumentException"/> for an unknown kind or a missing name.
    /// </summary>
    public JsonObject LoadAsIs(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (_store is null || _service is null) throw new InvalidOperationException("Call StartAsync first.");
        var apiVersion = obj["apiVersion"]?.GetValue<string>() ?? throw new ArgumentException("apiVersion is missing", nameof(obj));
        var kind = obj["kind"]?.GetValue<string>() ?? throw new ArgumentException("kind is missing", nameof(obj));
        var rt = Registry.FindByKind(apiVersion, kind) ?? throw new ArgumentException($"no kind {kind} in {apiVersion} is served", nameof(obj));
        var copy = (JsonObject)obj.DeepClone();
        if (copy["metadata"] is not JsonObject meta) copy["metadata"] = meta = new JsonObject();
        var name = meta["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name)) throw new ArgumentException($"{kind} without metadata.name", nameof(obj));
        var ns = rt.Namespaced ? (meta["namespace"]?.GetValue<string>() ?? "default") : "";
        if (rt.Namespaced) meta["namespace"] = ns; else meta.Remove("namespace");
        if (meta["uid"] is null) meta["uid"] = Guid.NewGuid().ToString();
        if (meta["creationTimestamp"] is null) meta["creationTimestamp"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var stored = _store.Load(rt.StorageKey, ns, name, copy);
        if (rt.Group == "apiextensions.k8s.io" && rt.Kind == "CustomResourceDefinition") Registry.ApplyCustomResourceDefinition(stored.ToJsonObject());
        return stored.ToJsonObject();
    }

    private static X509Certificate2 LoadCertificate(string path, string? keyOrPassword)
    {
        if (path.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".crt", StringComparison.OrdinalIgnoreCase))
        {
            var pem = X509Certificate2.CreateFromPemFile(path, keyOrPassword);
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        return X509CertificateLoader.LoadPkcs12FromFile(path, keyOrPassword);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_app is null) return;
        var app = _app;
        _app = null;
        await _stopping.CancelAsync();
        await app.StopAsync(cancellationToken);
        await app.DisposeAsync();
        _service?.Gc.Stop();
        try { _store?.SnapshotNow(); } catch (IOException ex) { LogSnapshotFailed(_log, ex); }
        _store?.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _metrics.Dispose();
        _stopping.Dispose();
    }

    private sealed class EmbeddedLifetime : Microsoft.Extensions.Hosting.IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "API server listening on {Url} (data: {DataDirectory})")]
    private static partial void LogListening(ILogger logger, string url, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovered {Count} objects up to resourceVersion {ResourceVersion} in {Milliseconds} ms")]
    private static partial void LogRecovered(ILogger logger, int count, long resourceVersion, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot on shutdown failed")]
    private static partial void LogSnapshotFailed(ILogger logger, Exception ex);
}
