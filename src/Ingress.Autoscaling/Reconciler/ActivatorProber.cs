using System.Collections.Concurrent;

namespace Ingress.Autoscaling.Reconciler;

/// <summary>
/// Checks that the activator answers behind an SKS's public service (spec §6.2 step 4, PA Inactive): GET
/// <c>/healthz</c> with <c>User-Agent: Knative-Autoscaling-Probe</c> and <c>K-Network-Probe: activator</c>;
/// success iff 200 with body exactly <c>activator</c>. Also runs upstream's asynchronous probe: every
/// <see cref="Period"/> until success or <see cref="Timeout"/>, at most one per PodAutoscaler.
/// </summary>
public sealed class ActivatorProber : IDisposable
{
    public const string UserAgent = "Knative-Autoscaling-Probe";
    public const string ProbeHeader = "K-Network-Probe";
    public const string ProbeValue = "activator";

    /// <summary>Upstream's async probe period and timeout.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Func<string, string, bool, Uri> _urlOf;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, byte> _running = new();
    private readonly CancellationTokenSource _stop = new();

    /// <param name="urlOf">(namespace, public service, h2c) → probe URL; default
    /// <c>http://&lt;svc&gt;.&lt;ns&gt;.svc.cluster.local:&lt;80|81&gt;/healthz</c>. Local mode and tests point it elsewhere.</param>
    public ActivatorProber(HttpClient? http = null, Func<string, string, bool, Uri>? urlOf = null, TimeProvider? time = null)
    {
        _ownsHttp = http is null;
        // One second per attempt: the probe is synchronous inside a reconcile and retried by the async probe.
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        _urlOf = urlOf ?? ClusterUrl;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The in-cluster probe URL: port 81 for h2c revisions, 80 otherwise.</summary>
    public static Uri ClusterUrl(string @namespace, string service, bool h2c) =>
        new($"http://{service}.{@namespace}.svc.cluster.local:{(h2c ? 81 : 80)}/healthz");

    /// <summary>One probe; errors count as failure.</summary>
    public async Task<bool> ProbeAsync(string @namespace, string service, bool h2c, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _urlOf(@namespace, service, h2c));
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
            request.Headers.TryAddWithoutValidation(ProbeHeader, ProbeValue);
            using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            if (response.StatusCode != System.Net.HttpStatusCode.OK) return false;
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            return body == ProbeValue;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>True while an asynchronous probe for <paramref name="key"/> runs.</summary>
    public bool IsProbing(string key) => _running.ContainsKey(key);

    /// <summary>Starts the asynchronous probe for <paramref name="key"/> unless one runs; <paramref name="done"/>
    /// is called once it succeeded or timed out (upstream then re-enqueues the PA after 1 s).</summary>
    public bool StartAsyncProbe(string key, string @namespace, string service, bool h2c, Action<string> done)
    {
        ArgumentNullException.ThrowIfNull(done);
        if (!_running.TryAdd(key, 0)) return false;
        _ = Task.Run(async () =>
        {
            try
            {
                var deadline = _time.GetUtcNow() + Timeout;
                while (!_stop.IsCancellationRequested)
                {
                    if (await ProbeAsync(@namespace, service, h2c, _stop.Token).ConfigureAwait(false)) break;
                    if (_time.GetUtcNow() >= deadline) break;
                    await Task.Delay(Period, _time, _stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                _running.TryRemove(key, out _);
            }
            done(key);
        });
        return true;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        if (_ownsHttp) _http.Dispose();
    }
}
