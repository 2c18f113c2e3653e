using System.Globalization;
using System.Text.Json.Nodes;
using Ingress.Kube.Client;
using Ingress.Kube.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ingress.Kube.Leader;

public sealed class LeaderElectionOptions
{
    public required string LeaseName { get; init; }
    public required string LeaseNamespace { get; init; }
    /// <summary>Who we are; unique per process. Default: host name plus a random suffix.</summary>
    public string Identity { get; init; } = $"{Environment.MachineName}_{Guid.NewGuid():N}"[..Math.Min(63, Environment.MachineName.Length + 33)];
    /// <summary>How long others wait after the last renewal before taking over. Default 15 s (client-go, Knative).</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>How long the leader keeps trying to renew before it gives up leading. Default 10 s (client-go, Knative).</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Interval between attempts to acquire or renew. Default 2 s (client-go, Knative).</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>On shutdown, clear the holder so a successor need not wait out the lease. Default true.</summary>
    public bool ReleaseOnCancel { get; init; } = true;
}

/// <summary>
/// Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules: a lease held by someone else
/// is taken only after it has gone unrenewed for LeaseDuration as measured on our own clock; the leader
/// renews every RetryPeriod and stops leading if it cannot renew within RenewDeadline; on shutdown it
/// releases the lease so a successor takes over at its next attempt.
/// </summary>
public sealed class LeaderElector
{
    private const string MicroTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";
    private readonly ResourceClient<JsonObject> _leases;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly KeyValuePair<string, object?> _leaseTag;
    private string? _observedRecord;
    private long _observedAt;
    private volatile bool _isLeader;

    public LeaderElector(KubeClient client, LeaderElectionOptions options)
    {
        if (options.RenewDeadline >= options.LeaseDuration) throw new ArgumentException("RenewDeadline must be shorter than LeaseDuration");
        if (options.RetryPeriod >= options.RenewDeadline) throw new ArgumentException("RetryPeriod must be shorter than RenewDeadline");
        Options = options;
        _leases = client.Dynamic(ResourceDescriptor.Leases);
        _time = client.Time;
        _logger = client.LoggerFactory.CreateLogger("Ingress.Kube.LeaderElection");
        _leaseTag = new("lease", $"{options.LeaseNamespace}/{options.LeaseName}");
    }

    public LeaderElectionOptions Options { get; }
    public bool IsLeader => _isLeader;
    /// <summary>The holder last seen on the lease.</summary>
    public string? ObservedLeader { get; private set; }

    /// <summary>
    /// Campaigns until <paramref name="ct"/> is cancelled. While leading, runs <paramref name="lead"/> with a
    /// token cancelled when leadership is lost or on shutdown; after losing, campaigns again.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> lead, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            if (!await AcquireAsync(ct).ConfigureAwait(false)) return;
            using var leading = CancellationTokenSource.CreateLinkedTokenSource(ct);
            SetLeader(true);
            Log.BecameLeader(_logger, Options.LeaseNamespace, Options.LeaseName, Options.Identity);
            var work = Task.Run(() => lead(leading.Token), CancellationToken.None);
            var lost = await RenewUntilLostAsync(work, ct).ConfigureAwait(false);
            SetLeader(false); // before the work sees cancellation: no one may believe we still lead
            leading.Cancel();
            try
            {
                await work.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            if (lost)
            {
                Log.LostLease(_logger, Options.LeaseNamespace, Options.LeaseName, Options.Identity);
                continue;
            }
            if (Options.ReleaseOnCancel)
            {
                await ReleaseAsync().ConfigureAwait(false);
            }
            return;
        }
    }

    private void SetLeader(bool value)
    {
        if (_isLeader == value) return;
        _isLeader = value;
        KubeMetrics.LeaderIsLeader.Add(value ? 1 : -1, _leaseTag);
        KubeMetrics.LeaderTransitions.Add(1, _leaseTag, new("direction", value ? "gained" : "lost"));
    }

    private async Task<bool> AcquireAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            if (await TryAcquireOrRenewAsync(ct).ConfigureAwait(false)) return true;
            try
            {
                await Task.Delay(Jittered(Options.RetryPeriod), _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return false;
    }

    /// <summary>Renews every RetryPeriod; returns true when renewal failed for RenewDeadline, false on shutdown or when the work ended.</summary>
    private async Task<bool> RenewUntilLostAsync(Task work, CancellationToken ct)
    {
        var lastRenew = _time.GetTimestamp();
        while (!ct.IsCancellationRequested && !work.IsCompleted)
        {
            try
            {
                await Task.WhenAny(work, Task.Delay(Options.RetryPeriod, _time, ct)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            if (ct.IsCancellationRequested || work.IsCompleted) return false;
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attempt.CancelAfter(Options.RenewDeadline);
            if (await TryAcquireOrRenewAsync(attempt.Token).ConfigureAwait(false))
            {
                lastRenew = _time.GetTimestamp();
            }
            else if (_time.GetElapsedTime(lastRenew) >= Options.RenewDeadline || (ObservedLeader is not null && ObservedLeader != Options.Identity))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>One attempt: create the lease, renew it, or take it over if it expired. False on any failure.</summary>
    internal async Task<bool> TryAcquireOrRenewAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var nowText = now.UtcDateTime.ToString(MicroTimeFormat, CultureInfo.InvariantCulture);
        var durationSeconds = (int)Math.Ceiling(Options.LeaseDuration.TotalSeconds);
        try
        {
            var lease = await _leases.TryGetAsync(Options.LeaseNamespace, Options.LeaseName, ct).ConfigureAwait(false);
            if (lease is null)
            {
                var created = new JsonObject
                {
                    ["apiVersion"] = "coordination.k8s.io/v1",
                    ["kind"] = "Lease",
                    ["metadata"] = new JsonObject { ["name"] = Options.LeaseName, ["namespace"] = Options.LeaseNamespace },
                    ["spec"] = new JsonObject
                    {
                        ["holderIdentity"] = Options.Identity,
                        ["leaseDurationSeconds"] = durationSeconds,
                        ["acquireTime"] = nowText,
                        ["renewTime"] = nowText,
                        ["leaseTransitions"] = 0,
                    },
                };
                await _leases.CreateAsync(created, null, ct).ConfigureAwait(false);
                Observe(Options.Identity, $"{Options.Identity}|{nowText}");
                return true;
            }
            var spec = lease["spec"] as JsonObject ?? new JsonObject();
            var holder = (string?)spec["holderIdentity"];
            var record = $"{holder}|{(string?)spec["renewTime"]}|{(string?)spec["leaseDurationSeconds"]?.ToString()}";
            Observe(holder, record);
            var theirDuration = spec["leaseDurationSeconds"] is JsonValue v && v.TryGetValue<int>(out var s) ? TimeSpan.FromSeconds(s) : Options.LeaseDuration;
            if (!string.IsNullOrEmpty(holder) && holder != Options.Identity && _time.GetElapsedTime(_observedAt) < theirDuration)
            {
                return false; // held by someone else, and renewed recently by our clock
            }
            var transitions = spec["leaseTransitions"] is JsonValue t && t.TryGetValue<int>(out var n) ? n : 0;
            var newSpec = new JsonObject
            {
                ["holderIdentity"] = Options.Identity,
                ["leaseDurationSeconds"] = durationSeconds,
                ["acquireTime"] = holder == Options.Identity ? spec["acquireTime"]?.DeepClone() : nowText,
                ["renewTime"] = nowText,
                ["leaseTransitions"] = holder == Options.Identity ? transitions : transitions + 1,
            };
            lease["spec"] = newSpec;
            await _leases.UpdateAsync(lease, null, ct).ConfigureAwait(false);
            Observe(Options.Identity, $"{Options.Identity}|{nowText}");
            return true;
        }
        catch (Exception ex) when (ex is KubeApiException or HttpRequestException or TimeoutException or IOException
                                   || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            Log.LeaseAttemptFailed(_logger, ex, Options.LeaseNamespace, Options.LeaseName);
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Observe(string? holder, string record)
    {
        ObservedLeader = holder;
        if (record != _observedRecord)
        {
            _observedRecord = record;
            _observedAt = _time.GetTimestamp();
        }
    }

    /// <summary>Hands the lease over: empty holder, 1 s duration, so the next candidate takes it at once.</summary>
    private async Task ReleaseAsync()
    {
        using var cts = new CancellationTokenSource(Options.RenewDeadline);
        try
        {
            var lease = await _leases.TryGetAsync(Options.LeaseNamespace, Options.LeaseName, cts.Token).ConfigureAwait(false);
            if (lease?["spec"] is not JsonObject spec || (string?)spec["holderIdentity"] != Options.Identity) return;
            var now = _time.GetUtcNow().UtcDateTime.ToString(MicroTimeFormat, CultureInfo.InvariantCulture);
            spec["holderIdentity"] = null;
            spec["leaseDurationSeconds"] = 1;
            spec["renewTime"] = now;
            spec["acquireTime"] = now;
            await _leases.UpdateAsync(lease, null, cts.Token).ConfigureAwait(false);
            Log.ReleasedLease(_logger, Options.LeaseNamespace, Options.LeaseName, Options.Identity);
        }
        catch (Exception ex) when (ex is KubeApiException or HttpRequestException or TimeoutException or IOException or OperationCanceledException)
        {
            Log.LeaseAttemptFailed(_logger, ex, Options.LeaseNamespace, Options.LeaseName);
        }
    }

    /// <summary>client-go's JitterFactor 1.2: up to 120 % extra, so candidates do not retry in step.</summary>
    private static TimeSpan Jittered(TimeSpan d) => d + TimeSpan.FromTicks((long)(d.Ticks * 1.2 * Random.Shared.NextDouble()));
}
