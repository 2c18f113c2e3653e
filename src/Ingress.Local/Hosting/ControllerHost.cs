using Ingress.Autoscaling.Reconciler;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Kube.Leader;
using Ingress.Networking.Reconciler;
using Ingress.Serving;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Local.Hosting;

/// <summary>One module's controllers as registered on the shared informers, and how to run them.</summary>
public sealed class ControllerModule
{
    /// <summary>The <c>--controllers</c> name(s) the module answers for.</summary>
    public required string Name { get; init; }
    /// <summary>The controllers (their work queues tell when the module is idle).</summary>
    public required IReadOnlyList<Controller> Controllers { get; init; }
    /// <summary>Runs the module until cancelled (informers already started and synced).</summary>
    public required Func<CancellationToken, Task> RunAsync { get; init; }
    /// <summary>Releases the module's resources when the host is disposed.</summary>
    public Func<ValueTask>? Release { get; init; }
}

/// <summary>
/// The controller process shared by <c>ingress controller</c>, <c>ingress render</c> and <c>ingress up</c>: one
/// <see cref="SharedInformerFactory"/> for every selected module, informers started and synced before any
/// controller runs, controllers run under a Lease when leader election is on, metrics and health on one port,
/// and a clean stop when the token passed to <see cref="RunAsync"/> is cancelled.
/// </summary>
public sealed partial class ControllerHost : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _log;
    private readonly List<ControllerModule> _modules = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LeaderElector? _elector;
    private PrometheusExporter? _exporter;
    private MetricsServer? _metrics;
    private readonly TaskCompletionSource _metricsStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _running;
    private readonly Ingress.Kube.Diagnostics.IdleMemoryTrimmer? _trimmer;
    private Task? _trimming;

    /// <summary>Creates the informers and registers every selected module's controllers on them.</summary>
    public ControllerHost(KubeClient client, ControllerHostOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        Client = client ?? throw new ArgumentNullException(nameof(client));
        Options = options ?? new ControllerHostOptions();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _log = _loggerFactory.CreateLogger("Ingress.Local.ControllerHost");
        Informers = new SharedInformerFactory(client);
        // Before the modules create their queues, so that the trimmer sees every key added.
        if (Options.TrimMemoryWhenIdle is { } trim) _trimmer = new Ingress.Kube.Diagnostics.IdleMemoryTrimmer(trim, _log);
        RegisterModules();
        if (Options.ObservabilityComponent is { } component)
            Observability = new ObservabilityConfigWatcher(Informers, Options.SystemNamespace, component, _log);
    }

    /// <summary>Follows config-logging and config-observability when <see cref="ControllerHostOptions.ObservabilityComponent"/>
    /// is set: subscribe before <see cref="RunAsync"/> to apply log levels and tracing live.</summary>
    public ObservabilityConfigWatcher? Observability { get; }

    public KubeClient Client { get; }
    public ControllerHostOptions Options { get; }
    public SharedInformerFactory Informers { get; }
    public IReadOnlyList<ControllerModule> Modules => _modules;
    public IEnumerable<Controller> Controllers => _modules.SelectMany(m => m.Controllers);

    /// <summary>True once every informer has synced (what /readyz reports).</summary>
    public bool IsSynced => _synced.Task.IsCompleted;
    /// <summary>True while controllers run (always after sync when leader election is off).</summary>
    public bool IsLeading => _running;
    /// <summary>Completes when the informers have synced.</summary>
    public Task Synced => _synced.Task;

    /// <summary>Where /metrics, /healthz and /readyz are served (null when the port is 0); completes once listening.</summary>
    public async Task<Uri?> MetricsUriAsync(CancellationToken ct = default)
    {
        if (Options.MetricsPort == 0) return null;
        await _metricsStarted.Task.WaitAsync(ct).ConfigureAwait(false);
        return _metrics?.BaseUri;
    }

    /// <summary>Keys ready or being taken across every controller's queue (delayed retries not counted).</summary>
    public int ReadyKeys => Controllers.Sum(c => c.Queue.Count);

    private void RegisterModules()
    {
        var selected = Options.Controllers;
        if (selected.Contains(ControllerNames.Autoscaler))
        {
            var autoscaling = AutoscalingControllers.Register(Informers, Client,
                new AutoscalingControllerOptions { Time = Options.Time, Workers = Options.Workers }, _loggerFactory);
            _modules.Add(new ControllerModule
            {
                Name = ControllerNames.Autoscaler, Controllers = autoscaling.Controllers,
                RunAsync = autoscaling.RunAsync, Release = () => { autoscaling.Dispose(); return ValueTask.CompletedTask; },
            });
        }
        string[] servingNames = [ControllerNames.Service, ControllerNames.Configuration, ControllerNames.Revision, ControllerNames.Route, ControllerNames.DomainMapping, ControllerNames.NamespaceWildcardCert];
        if (servingNames.Any(selected.Contains))
        {
            var serving = ServingControllers.Register(Client, Informers, new ServingControllerOptions
            {
                SystemNamespace = Options.SystemNamespace, ClusterDomainName = Options.ClusterDomain, Workers = Options.Workers, Time = Options.Time,
                ImageDigests = Options.ImageDigests,
            }, _loggerFactory);
            // Serving registers its five controllers together; only the selected ones run (and count for idleness).
            var chosen = serving.Controllers.Where(c => selected.Contains(c.Name)).ToList();
            _modules.Add(new ControllerModule
            {
                Name = string.Join(",", chosen.Select(c => c.Name)), Controllers = chosen,
                RunAsync = ct => Task.WhenAll(chosen.Select(c => c.RunAsync(ct))), Release = serving.DisposeAsync,
            });
        }
        if (selected.Contains(ControllerNames.Ingress))
        {
            var networking = NetworkingControllers.Register(Client, Informers, new NetworkingControllerOptions
            {
                SystemNamespace = Options.SystemNamespace, ClusterDomain = Options.ClusterDomain, Workers = Options.Workers, Time = Options.Time,
                FixedProbeAnswer = Options.Probe switch { ProbeMode.Ready => true, ProbeMode.Unready => false, _ => null },
            }, _loggerFactory);
            _modules.Add(new ControllerModule
            {
                Name = ControllerNames.Ingress, Controllers = networking.Controllers, RunAsync = networking.RunAsync, Release = networking.DisposeAsync,
            });
        }
    }

    /// <summary>
    /// Starts informers, waits for their sync, then runs every module (under the Lease when leader election is
    /// on) until <paramref name="ct"/> is cancelled. Returns after every controller has stopped.
    /// </summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await RunCoreAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (!_synced.Task.IsCompleted && ex is not OperationCanceledException)
        {
            // Whoever waits for Synced (ingress up) learns that the host failed to start (e.g. its metrics port
            // is taken) instead of waiting forever.
            _synced.TrySetException(ex);
            throw;
        }
    }

    private async Task RunCoreAsync(CancellationToken ct)
    {
        LogStarting(_log, string.Join(",", _modules.Select(m => m.Name)), Options.LeaderElection);
        if (Options.MetricsPort != 0 && _metrics is null)
        {
            // Only our own meters (all named "Ingress.*"): Kestrel's and HttpClient's built-in meters record
            // several measurements per proxied request, and in `ingress up` the data plane shares this process,
            // so exporting them cost the data plane on every request for series nobody documented or scraped.
            _exporter = new PrometheusExporter(static m => m.Name.StartsWith("Ingress.", StringComparison.Ordinal));
            _metrics = new MetricsServer(_exporter, () => IsSynced);
            try
            {
                await _metrics.StartAsync(Options.MetricsBindAddress, Options.MetricsPort < 0 ? 0 : Options.MetricsPort, _loggerFactory, ct).ConfigureAwait(false);
            }
            finally
            {
                _metricsStarted.TrySetResult();
            }
            LogMetrics(_log, _metrics.BaseUri!.ToString());
        }
        Informers.Start(ct);
        try
        {
            await Informers.WaitForCacheSyncAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        _synced.TrySetResult();
        LogSynced(_log, Informers.Informers.Count);
        if (_trimmer is not null) _trimming = _trimmer.RunAsync(ct);
        if (!Options.LeaderElection)
        {
            await RunModulesAsync(ct).ConfigureAwait(false);
            return;
        }
        var election = new LeaderElectionOptions { LeaseName = Options.LeaseName, LeaseNamespace = Options.SystemNamespace };
        if (Options.LeaderIdentity is { Length: > 0 } identity) election = new LeaderElectionOptions { LeaseName = election.LeaseName, LeaseNamespace = election.LeaseNamespace, Identity = identity };
        _elector = new LeaderElector(Client, election);
        try
        {
            await _elector.RunAsync(RunModulesAsync, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task RunModulesAsync(CancellationToken ct)
    {
        _running = true;
        try
        {
            await Task.WhenAll(_modules.Select(m => RunModuleAsync(m, ct))).ConfigureAwait(false);
        }
        finally
        {
            _running = false;
        }
    }

    private async Task RunModuleAsync(ControllerModule module, CancellationToken ct)
    {
        try
        {
            await module.RunAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        LogModuleStopped(_log, module.Name);
    }

    public async ValueTask DisposeAsync()
    {
        if (_metrics is not null) await _metrics.DisposeAsync().ConfigureAwait(false);
        _exporter?.Dispose();
        await Informers.DisposeAsync().ConfigureAwait(false);
        foreach (var m in _modules) if (m.Release is not null) await m.Release().ConfigureAwait(false);
        _trimmer?.Dispose();
        if (_trimming is not null) await _trimming.ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting controllers {Modules} (leader election: {LeaderElection})")]
    private static partial void LogStarting(ILogger logger, string modules, bool leaderElection);

    [LoggerMessage(Level = LogLevel.Information, Message = "Metrics, /healthz and /readyz on {Url}")]
    private static partial void LogMetrics(ILogger logger, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} informers synced")]
    private static partial void LogSynced(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controllers of {Module} stopped")]
    private static partial void LogModuleStopped(ILogger logger, string module);
}
