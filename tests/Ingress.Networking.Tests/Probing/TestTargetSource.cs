using Ingress.Networking.Probing;

namespace Ingress.Networking.Tests.Probing;

/// <summary>A target source the test drives: it returns whatever targets the test set, or throws.</summary>
public sealed class TestTargetSource : IProbeTargetSource
{
    private readonly object _gate = new();
    private IReadOnlyList<ProbeTarget> _targets = [];
    private string? _error;
    public int Calls { get; private set; }

    public void Set(params ProbeTarget[] targets) { lock (_gate) { _targets = targets; _error = null; } }
    public void Fail(string error) { lock (_gate) _error = error; }

    public ValueTask<IReadOnlyList<ProbeTarget>> ListTargetsAsync(ProbeSubject subject, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Calls++;
            if (_error is not null) throw new ProbeTargetException(_error);
            return ValueTask.FromResult(_targets);
        }
    }

    /// <summary>One target per pod, each pod listening on its own port, probed as http://host:80.</summary>
    public static ProbeTarget[] PerPod(string url, params FakeGatewayPod[] pods) =>
        pods.Select(p => new ProbeTarget([p.IP], p.Port, 80, url)).ToArray();
}

/// <summary>Collects ready callbacks and lets a test wait for one.</summary>
public sealed class ReadyRecorder
{
    private readonly object _gate = new();
    private readonly List<ProbeSubject> _ready = [];
    private readonly SemaphoreSlim _signal = new(0);

    public void OnReady(ProbeSubject subject)
    {
        lock (_gate) _ready.Add(subject);
        _signal.Release();
    }

    public IReadOnlyList<ProbeSubject> Seen { get { lock (_gate) return _ready.ToList(); } }

    /// <summary>Waits (generously: CPU is shared) for the next ready callback.</summary>
    public async Task<ProbeSubject> NextAsync(TimeSpan? timeout = null)
    {
        if (!await _signal.WaitAsync(timeout ?? TimeSpan.FromSeconds(30))) throw new TimeoutException("no ready callback");
        lock (_gate) return _ready[^1];
    }

    /// <summary>True when no callback arrives within the window (used after cancellation, to show nothing fires).</summary>
    public async Task<bool> NoneWithinAsync(TimeSpan window) => !await _signal.WaitAsync(window);
}
