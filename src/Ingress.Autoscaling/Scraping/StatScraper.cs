using System.Net;
using System.Net.Http.Headers;
using Ingress.Api.Metrics;

namespace Ingress.Autoscaling.Scraping;

/// <summary>A ready pod to scrape: <paramref name="Authority"/> is <c>host:port</c> of its queue-proxy metrics
/// server (<c>podIP:9090</c> in a cluster); <paramref name="StartTime"/> is the pod's status.startTime.</summary>
public sealed record ScrapePod(string Authority, DateTimeOffset? StartTime);

/// <summary>Source of a revision's ready pods (Running, not terminating, PodReady True). The
/// Kubernetes-backed implementation reads the pod lister; tests and the local runner supply their own.</summary>
public interface IReadyPodSource
{
    /// <summary>The revision's ready pods; throws when they cannot be listed.</summary>
    IReadOnlyList<ScrapePod> ReadyPods();
}

/// <summary>Why a scrape produced no stat (closed set).</summary>
public enum ScrapeError
{
    None,
    /// <summary>Listing ready pods failed.</summary>
    PodListFailed,
    /// <summary>Some sampler ran out of pods to try (too many failures for a meaningful extrapolation).</summary>
    PodsExhausted,
    /// <summary>Every pod scrape failed with a 502/503 (looks like a mesh); the service is tried instead.</summary>
    DirectScrapingNotAvailable,
    /// <summary>Scraping through the service failed.</summary>
    ServiceScrapeFailed,
}

/// <summary>Result of one scrape: the extrapolated revision-wide stat, or no stat with the reason. No stat and
/// <see cref="ScrapeError.None"/> means the revision has no ready pods (nothing is recorded).</summary>
public readonly record struct ScrapeOutcome(Stat? Stat, ScrapeError Error, string? Message);

/// <summary>One failed HTTP scrape of a pod or service.</summary>
public sealed class ScrapeException(string message, bool mightBeMesh, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>502/503: the kind of answer a service mesh gives when pods are not directly addressable.</summary>
    public bool MightBeMesh { get; } = mightBeMesh;
}

/// <summary>
/// Scrapes one revision's queue-proxies the way upstream's autoscaler does (spec §4.3): a statistically
/// sized sample of ready pods (older pods preferred), field-wise sum extrapolated to all ready pods; when every
/// pod answer looks like a mesh error it falls back to scraping through the private service and remembers that
/// pods are not addressable.
/// </summary>
public sealed class StatScraper
{
    /// <summary>Upstream's HTTP client timeout for a scrape.</summary>
    public static readonly TimeSpan HttpTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Bytes read from a metrics response at most: a Stat with a 256-byte pod name and all numbers.</summary>
    public const int MaxBodyBytes = 6 * 10 + 256 + 20;

    /// <summary>Pod name of the aggregated stat.</summary>
    public const string AggregatedPodName = "service-scraper";

    /// <summary>Attempts per service-scrape worker before giving up.</summary>
    public const int ServiceScrapeMaxTries = 10;

    private static readonly Lazy<HttpClient> SharedClient = new(CreateHttpClient);

    private readonly HttpClient _client;
    private readonly IReadyPodSource _pods;
    private readonly Uri? _serviceUrl;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private bool _podsAddressable = true;

    /// <param name="pods">The revision's ready pods.</param>
    /// <param name="serviceUrl">Private service metrics URL (<c>http://&lt;svc&gt;.&lt;ns&gt;:9090/metrics</c>)
    /// for the mesh fallback; null disables the fallback.</param>
    /// <param name="client">HTTP client; defaults to one process-wide client (3 s timeout, pooled connections).</param>
    public StatScraper(IReadyPodSource pods, Uri? serviceUrl, TimeProvider? time = null, HttpClient? client = null, Random? random = null)
    {
        _pods = pods ?? throw new ArgumentNullException(nameof(pods));
        _serviceUrl = serviceUrl;
        _time = time ?? TimeProvider.System;
        _client = client ?? SharedClient.Value;
        _random = random ?? Random.Shared;
    }

    /// <summary>False after a mesh fallback succeeded: later scrapes go to the service directly.</summary>
    public bool PodsAddressable => _podsAddressable;

    /// <summary>The shared client: one <see cref="SocketsHttpHandler"/> with a large idle pool, like upstream's
    /// keep-alive transport with MaxIdleConns 1000.</summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 1000,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
        AllowAutoRedirect = false,
        UseProxy = false,
    })
    {
        Timeout = HttpTimeout,
    };

    /// <summary>Upstream's population-mean sample size: N ≤ 3 → N, else ceil(N·X / (N + X − 1)), X = 1.96²·100/5².</summary>
    public static int SampleSize(int population)
    {
        if (population <= 3) return Math.Max(population, 0);
        const double x = 1.96 * 1.96 * 100.0 / (5.0 * 5.0);
        return (int)Math.Ceiling(population * x / (population + x - 1));
    }

    /// <summary>Scrapes once. <paramref name="stableWindow"/> separates old pods (preferred) from young ones.</summary>
    public async Task<ScrapeOutcome> ScrapeAsync(TimeSpan stableWindow, CancellationToken cancellationToken = default)
    {
        if (_podsAddressable || _serviceUrl is null)
        {
            var outcome = await ScrapePodsAsync(stableWindow, cancellationToken).ConfigureAwait(false);
            if (outcome.Error != ScrapeError.DirectScrapingNotAvailable || _serviceUrl is null) return outcome;
        }
        var viaService = await ScrapeServiceAsync(stableWindow, cancellationToken).ConfigureAwait(false);
        if (viaService.Error == ScrapeError.None) _podsAddressable = false;
        return viaService;
    }

    private async Task<ScrapeOutcome> ScrapePodsAsync(TimeSpan stableWindow, CancellationToken cancellationToken)
    {
        IReadOnlyList<ScrapePod> ready;
        try
        {
            ready = _pods.ReadyPods();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new ScrapeOutcome(null, ScrapeError.PodListFailed, e.Message);
        }
        if (ready.Count == 0) return new ScrapeOutcome(null, ScrapeError.None, null);

        var now = _time.GetUtcNow();
        var old = new List<string>();
        var young = new List<string>();
        foreach (var pod in ready)
        {
            // Pods without a start time are young: they cannot have a full window of data yet.
            if (pod.StartTime is { } start && now - start >= stableWindow) old.Add(pod.Authority);
            else young.Add(pod.Authority);
        }
        var sampleSize = SampleSize(ready.Count);
        if (old.Count < sampleSize) Shuffle(young);
        else Shuffle(old);
        var candidates = old.Concat(young).ToArray();

        var next = -1;
        var sawNonMeshError = 0;
        var results = new Stat[sampleSize];
        var got = 0;
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = new Task<bool>[sampleSize];
        for (var w = 0; w < sampleSize; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                while (true)
                {
                    var mine = Interlocked.Increment(ref next);
                    if (mine >= candidates.Length || failed.IsCancellationRequested)
                    {
                        // One sampler without a pod spoils the sample: stop the others, like upstream's errgroup.
                        await failed.CancelAsync().ConfigureAwait(false);
                        return false;
                    }
                    try
                    {
                        var stat = await GetStatAsync(new Uri($"http://{candidates[mine]}{StatWire.MetricsPath}"), false, failed.Token).ConfigureAwait(false);
                        results[Interlocked.Increment(ref got) - 1] = stat;
                        return true;
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        // A request cut short because another sampler gave up says nothing about the mesh.
                        var cutShort = e is OperationCanceledException && failed.IsCancellationRequested;
                        if (!cutShort && e is not ScrapeException { MightBeMesh: true }) Interlocked.Exchange(ref sawNonMeshError, 1);
                    }
                }
            }, CancellationToken.None);
        }
        var succeeded = await Task.WhenAll(workers).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (succeeded.All(s => s)) return new ScrapeOutcome(Aggregate(results, sampleSize, ready.Count), ScrapeError.None, null);
        if (got > 0 || sawNonMeshError == 1)
            return new ScrapeOutcome(null, ScrapeError.PodsExhausted, "pods exhausted");
        return new ScrapeOutcome(null, ScrapeError.DirectScrapingNotAvailable, "all pod scrapes returned 503 error");
    }

    private async Task<ScrapeOutcome> ScrapeServiceAsync(TimeSpan stableWindow, CancellationToken cancellationToken)
    {
        int readyCount;
        try
        {
            readyCount = _pods.ReadyPods().Count;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new ScrapeOutcome(null, ScrapeError.PodListFailed, "failed to get endpoints");
        }
        if (readyCount == 0) return new ScrapeOutcome(null, ScrapeError.None, null);
        var sampleSize = SampleSize(readyCount);
        var seen = new HashSet<string>();
        var old = new List<Stat>();
        var young = new List<Stat>();
        var gate = new Lock();
        var youngCutoff = stableWindow.TotalSeconds;
        string? lastError = null;
        var workers = Enumerable.Range(0, sampleSize).Select(_ => Task.Run(async () =>
        {
            for (var tries = 1; ; tries++)
            {
                try
                {
                    // A new connection each time, so that the service's load balancing reaches other pods.
                    var stat = await GetStatAsync(_serviceUrl!, true, cancellationToken).ConfigureAwait(false);
                    lock (gate)
                    {
                        if (!seen.Add(stat.PodName)) throw new ScrapeException("did not receive stat from an unscraped pod", false);
                        if (stat.ProcessUptime >= youngCutoff)
                        {
                            old.Add(stat);
                            return true;
                        }
                        if (young.Count < sampleSize) young.Add(stat);
                        else return true;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    lock (gate) lastError = e.Message;
                    if (tries >= ServiceScrapeMaxTries) return false;
                }
            }
        }, CancellationToken.None)).ToArray();
        await Task.WhenAll(workers).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (old.Count + young.Count < sampleSize)
            return new ScrapeOutcome(null, ScrapeError.ServiceScrapeFailed, $"unsuccessful scrape, sampleSize={sampleSize}: {lastError}");
        var chosen = old.Take(sampleSize).Concat(young).Take(sampleSize).ToArray();
        return new ScrapeOutcome(Aggregate(chosen, sampleSize, readyCount), ScrapeError.None, null);
    }

    private async Task<Stat> GetStatAsync(Uri url, bool newConnection, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(StatWire.ContentType));
        if (newConnection) request.Headers.ConnectionClose = true;
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ScrapeException($"GET request for URL \"{url}\" failed: {e.Message}", false, e);
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is < 200 or >= 300)
                throw new ScrapeException($"GET request for URL \"{url}\" returned HTTP status {status}",
                    response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable);
            if (response.Content.Headers.ContentType?.ToString() != StatWire.ContentType)
                throw new ScrapeException("unsupported metric type", false);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[MaxBodyBytes];
            var length = 0;
            while (length < buffer.Length)
            {
                var read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                length += read;
            }
            if (!StatWire.TryDecode(buffer.AsSpan(0, length), out var stat, out var error))
                throw new ScrapeException($"unmarshalling failed: {error}", false);
            return stat!;
        }
    }

    /// <summary>Field-wise sum of the sample, each numeric field then ÷ sample × population.</summary>
    public static Stat Aggregate(IReadOnlyList<Stat> sample, int sampleSize, int population)
    {
        // Upstream sums only these four; the aggregated stat has no uptime.
        double concurrency = 0, proxiedConcurrency = 0, requests = 0, proxiedRequests = 0;
        foreach (var s in sample)
        {
            concurrency += s.AverageConcurrentRequests;
            proxiedConcurrency += s.AverageProxiedConcurrentRequests;
            requests += s.RequestCount;
            proxiedRequests += s.ProxiedRequestCount;
        }
        double Scale(double v) => v / sampleSize * population;
        return new Stat
        {
            PodName = AggregatedPodName,
            AverageConcurrentRequests = Scale(concurrency),
            AverageProxiedConcurrentRequests = Scale(proxiedConcurrency),
            RequestCount = Scale(requests),
            ProxiedRequestCount = Scale(proxiedRequests),
        };
    }

    private void Shuffle(List<string> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
