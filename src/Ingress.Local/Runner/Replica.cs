using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Ingress.DataPlane.QueueProxy;
using Ingress.Local.Samples;
using Microsoft.Extensions.Logging;

namespace Ingress.Local.Runner;

/// <summary>What one replica runs: the user container and the queue-proxy container of a pod template.</summary>
public sealed record ReplicaSpec
{
    public required string Namespace { get; init; }
    public required string PodName { get; init; }
    public required string Image { get; init; }
    /// <summary>The container's command (replaces the image's program) and args.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];
    public IReadOnlyList<string> Args { get; init; } = [];
    /// <summary>The user container's environment (literal values only).</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    /// <summary>The port the user container listens on in the pod (its first containerPort, else USER_PORT, else 8080).</summary>
    public int UserPort { get; init; } = 8080;
    /// <summary>The queue-proxy container's environment; empty when the template has none (then only the app runs,
    /// and the queue-proxy defaults apply with REVISION_TIMEOUT_SECONDS=300).</summary>
    public IReadOnlyDictionary<string, string> QueueProxyEnv { get; init; } = new Dictionary<string, string>();
    public required string LogPath { get; init; }
}

/// <summary>Why a replica could not start: a closed set, reported on the Pod's status.</summary>
public enum ReplicaFailure { ImageNotMapped, AddressUnavailable, QueueProxyConfig, ProcessStartFailed }

public sealed class ReplicaStartException(ReplicaFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public ReplicaFailure Failure { get; } = failure;
}

/// <summary>Restart policy of external processes.</summary>
public sealed record RestartBackoff
{
    /// <summary>First wait after a crash. Default 1 s: kubelet starts at 10 s, but a local process restarts
    /// cheaply and a developer is waiting for it.</summary>
    public TimeSpan Initial { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Longest wait. Default 30 s (kubelet: 5 min), for the same reason.</summary>
    public TimeSpan Max { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>A process that ran this long resets the backoff. Default 10 s (kubelet resets after 10 min of running).</summary>
    public TimeSpan ResetAfter { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// One pod realised locally: the user program (a built-in sample in process, or an external process) and an
/// in-process queue-proxy in front of it, both on the replica's own loopback address (127.x.y.z; Linux routes
/// all of 127.0.0.0/8 on lo), so the queue-proxy keeps Knative's ports (8012, 8022, 9090, ...) as in a pod.
/// </summary>
public sealed partial class Replica : IAsyncDisposable
{
    private readonly ReplicaSpec _spec;
    private readonly ImageMap _images;
    private readonly RestartBackoff _backoff;
    private readonly ILogger _logger;
    private readonly ILoggerFactory? _loggerFactory;
    private CancellationTokenSource _stopping = new();
    private StreamWriter? _log;
    private ILocalApp? _app;
    private Task? _processLoop;
    private QueueProxyServer? _queueProxy;
    private volatile Process? _process;
    private int _restarts;

    private readonly Ingress.DataPlane.Hosting.InProcessEndpoints? _inProcess;

    public Replica(ReplicaSpec spec, ImageMap images, RestartBackoff backoff, ILoggerFactory? loggerFactory = null,
        Ingress.DataPlane.Hosting.InProcessEndpoints? inProcess = null)
    {
        _inProcess = inProcess;
        _spec = spec;
        _images = images;
        _backoff = backoff;
        _loggerFactory = loggerFactory;
        _logger = (ILogger?)loggerFactory?.CreateLogger<Replica>() ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    public ReplicaSpec Spec => _spec;
    /// <summary>The pod IP: the loopback address both containers listen on.</summary>
    public IPAddress Address { get; private set; } = IPAddress.Loopback;
    /// <summary>Where the user program listens (the pod's user port on <see cref="Address"/> for built-in samples; a
    /// free port on 127.0.0.1 for external processes, which may bind every address).</summary>
    public IPEndPoint AppEndpoint { get; private set; } = new(IPAddress.Loopback, 0);
    public QueueProxyServer? QueueProxy => _queueProxy;
    /// <summary>How many times the external process was restarted after exiting.</summary>
    public int Restarts => Volatile.Read(ref _restarts);
    /// <summary>What runs as the user container, for logs and the Pod's status.</summary>
    public string Program { get; private set; } = "";
    /// <summary>Raised (on a pool thread) when the external process exits.</summary>
    public event Action<Replica>? ProcessExited;
    /// <summary>Raised (on a pool thread) after the external process was started again.</summary>
    public event Action<Replica>? ProcessRestarted;

    /// <summary>Maps a port of the pod to the port it is served on here: the user port to the app's, others unchanged.</summary>
    public int MapPodPort(int podPort) => podPort == _spec.UserPort ? AppEndpoint.Port : podPort;

    public async Task StartAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_spec.LogPath)!);
        _log = new StreamWriter(new FileStream(_spec.LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        Exception? last = null;
        // A random address may be taken by someone else's listener on this shared machine: try a few.
        for (var attempt = 0; attempt < 8; attempt++)
        {
            Address = LoopbackAddresses.Next();
            try
            {
                await StartOnAddressAsync(ct);
                return;
            }
            catch (Exception ex) when (IsAddressInUse(ex))
            {
                last = ex;
                await StopContainersAsync();
            }
        }
        throw new ReplicaStartException(ReplicaFailure.AddressUnavailable, "no free loopback address for the pod", last);
    }

    private static bool IsAddressInUse(Exception ex) => Up.PortInUseException.IsAddressInUse(ex);

    private async Task StartOnAddressAsync(CancellationToken ct)
    {
        var mapped = _images.CommandFor(_spec.Image);
        var env = new Dictionary<string, string>(_spec.Env) { ["PORT"] = _spec.UserPort.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        ILocalApp? sample = mapped is null ? SampleApps.TryCreate(_spec.Image, env, _spec.UserPort, Address, _log) : null;
        if (sample is not null)
        {
            Program = "built-in " + sample.Name;
            _app = sample;
            await sample.StartAsync(ct);
            AppEndpoint = new IPEndPoint(Address, sample.Port);
        }
        else
        {
            var command = (_spec.Command.Count > 0 ? _spec.Command : mapped ?? []).Concat(_spec.Args).ToList();
            if (command.Count == 0)
                throw new ReplicaStartException(ReplicaFailure.ImageNotMapped,
                    $"image {_spec.Image} is neither a built-in sample ({string.Join(", ", SampleApps.Known)}) nor in images.yaml, and the container has no command");
            var port = FreePort();
            env["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            AppEndpoint = new IPEndPoint(IPAddress.Loopback, port);
            Program = string.Join(' ', command);
            var first = StartProcess(command, env); // a program that cannot start at all fails the replica
            _processLoop = Task.Run(() => SuperviseAsync(first, command, env, _stopping.Token), CancellationToken.None);
        }
        _queueProxy = new QueueProxyServer(QueueProxyOptionsFor(), _loggerFactory);
        await _queueProxy.StartAsync(ct);
    }

    private QueueProxyOptions QueueProxyOptionsFor()
    {
        var env = new Dictionary<string, string>(_spec.QueueProxyEnv);
        env.TryAdd("REVISION_TIMEOUT_SECONDS", "300");
        // Endpoints reach the local gateway and activator at once, so the 30 s quiet period pods get in a cluster
        // only delays scale-down here; a template may still set its own.
        env.TryAdd("QUEUE_DRAIN_QUIET_PERIOD_SECONDS", "1");
        env["USER_PORT"] = AppEndpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["SERVING_POD"] = _spec.PodName;
        env["SERVING_POD_IP"] = Address.ToString();
        // A template without Knative's queue-proxy container (a plain Deployment) gets Knative's default, TCP on the
        // user port, aimed like any other at where the app listens (the default's 127.0.0.1 is not the pod address).
        var probe = env.GetValueOrDefault("SERVING_READINESS_PROBE");
        if (string.IsNullOrEmpty(probe)) probe = "{\"tcpSocket\":{\"port\":0}}";
        env["SERVING_READINESS_PROBE"] = RewriteProbe(probe, _spec.UserPort, AppEndpoint);
        try
        {
            return QueueProxyOptions.FromEnvironment(env.GetValueOrDefault) with
            {
                ListenAddress = Address,
                UserHost = AppEndpoint.Address.ToString(),
                InProcess = _inProcess,
            };
        }
        catch (QueueProxyConfigException ex)
        {
            throw new ReplicaStartException(ReplicaFailure.QueueProxyConfig, ex.Message, ex);
        }
    }

    /// <summary>The pod's readiness probe points at the pod's user port on the pod IP; here the app may listen elsewhere.</summary>
    public static string RewriteProbe(string probeJson, int podUserPort, IPEndPoint app)
    {
        var node = JsonNode.Parse(probeJson);
        IEnumerable<JsonNode?> probes = node is JsonArray array ? array : [node];
        foreach (var probe in probes.OfType<JsonObject>())
        {
            foreach (var handlerName in new[] { "httpGet", "tcpSocket" })
            {
                if (probe[handlerName] is not JsonObject handler) continue;
                var port = handler["port"] switch
                {
                    JsonValue v when v.TryGetValue<int>(out var n) => n,
                    JsonValue v when v.TryGetValue<string>(out var s) && int.TryParse(s, out var n) => n,
                    _ => 0,
                };
                if (port == 0 || port == podUserPort) handler["port"] = app.Port;
                handler["host"] = app.Address.ToString();
            }
        }
        return node!.ToJsonString();
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private Process StartProcess(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> env)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in command.Skip(1)) info.ArgumentList.Add(arg);
        foreach (var (k, v) in env) info.Environment[k] = v;
        try
        {
            var process = Process.Start(info) ?? throw new InvalidOperationException("no process");
            _process = process;
            process.OutputDataReceived += (_, e) => WriteLog(e.Data);
            process.ErrorDataReceived += (_, e) => WriteLog(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            WriteLog($"started {string.Join(' ', command)} (pid {process.Id})");
            return process;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new ReplicaStartException(ReplicaFailure.ProcessStartFailed, $"starting {command[0]}: {ex.Message}", ex);
        }
    }

    private void WriteLog(string? line)
    {
        if (line is null || _log is not { } log) return;
        lock (log)
        {
            try { log.WriteLine(line); } catch (ObjectDisposedException) { }
        }
    }

    /// <summary>Restarts the process whenever it exits, waiting with exponential backoff (kubelet's CrashLoopBackOff).</summary>
    private async Task SuperviseAsync(Process process, IReadOnlyList<string> command, IReadOnlyDictionary<string, string> env, CancellationToken ct)
    {
        var delay = _backoff.Initial;
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            try { await process.WaitForExitAsync(ct); }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                await process.WaitForExitAsync(CancellationToken.None);
                process.Dispose();
                return;
            }
            var code = process.ExitCode;
            process.Dispose();
            if (Stopwatch.GetElapsedTime(started) >= _backoff.ResetAfter) delay = _backoff.Initial;
            WriteLog($"process exited with code {code}; restarting in {delay.TotalSeconds:F0} s");
            LogProcessExited(_spec.Namespace, _spec.PodName, code, delay.TotalSeconds);
            ProcessExited?.Invoke(this);
            try { await Task.Delay(delay, ct); } catch (OperationCanceledException) { return; }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _backoff.Max.Ticks));
            while (true)
            {
                try
                {
                    process = StartProcess(command, env);
                    Interlocked.Increment(ref _restarts);
                    ProcessRestarted?.Invoke(this);
                    break;
                }
                catch (ReplicaStartException ex)
                {
                    WriteLog(ex.Message);
                    try { await Task.Delay(delay, ct); } catch (OperationCanceledException) { return; }
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _backoff.Max.Ticks));
                }
            }
        }
    }

    /// <summary>The external process's id while one runs (for logs and tests).</summary>
    public int? ProcessId
    {
        get
        {
            try { return _process is { HasExited: false } p ? p.Id : null; }
            catch (InvalidOperationException) { return null; }
        }
    }

    /// <summary>Kills the external process and its children at once, synchronously: the last resort when this
    /// process is exiting and there is no time to stop replicas in order.</summary>
    public void KillProcessTree()
    {
        try { _process?.Kill(entireProcessTree: true); }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { }
    }

    /// <summary>Drains the queue-proxy (health checks fail, in-flight requests finish), then stops the app.
    /// Without <paramref name="drain"/> (the whole local mode stopping: nothing routes here any more) the
    /// queue-proxy stops at once.</summary>
    public async Task StopAsync(bool drain = true)
    {
        if (drain && _queueProxy is { } qp)
        {
            try { await qp.StopAsync(); } catch (OperationCanceledException) { }
        }
        await StopContainersAsync();
        if (_log is { } log)
        {
            lock (log) _log = null;
            await log.DisposeAsync();
        }
    }

    private async Task StopContainersAsync()
    {
        if (_queueProxy is { } qp)
        {
            _queueProxy = null;
            await qp.DisposeAsync();
        }
        if (_app is { } app)
        {
            _app = null;
            await app.DisposeAsync();
        }
        if (_processLoop is { } loop)
        {
            _processLoop = null;
            await _stopping.CancelAsync();
            await loop;
            _stopping.Dispose();
            _stopping = new CancellationTokenSource();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "pod {Namespace}/{Pod}: user process exited with code {ExitCode}; restarting in {DelaySeconds} s")]
    private partial void LogProcessExited(string @namespace, string pod, int exitCode, double delaySeconds);
}

/// <summary>Hands out loopback addresses for pods: random ones in 127.0.0.0/8 (except 127.0.0.0/24, which other
/// local tools use), so concurrent runners on one machine rarely meet; a taken one is retried by the caller.</summary>
public static class LoopbackAddresses
{
    public static IPAddress Next() =>
        new([127, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(0, 256), (byte)Random.Shared.Next(1, 255)]);
}
