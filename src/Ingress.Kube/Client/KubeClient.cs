using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Ingress.Kube.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace Ingress.Kube.Client;

/// <summary>Client-wide settings. Every default says why it was chosen.</summary>
public sealed class KubeClientOptions
{
    /// <summary>
    /// Requests per second. Default 50: one process runs about ten controllers, and Knative multiplies
    /// client-go's 5 QPS by the number of controllers. <see cref="Unlimited"/> (positive infinity) turns the
    /// client's token bucket off, for an API server in the same process that a rate limit would not protect.
    /// </summary>
    public double Qps { get; init; } = 50;
    /// <summary>The <see cref="Qps"/> value that means "no client rate limit" (client-go says this with a negative QPS;
    /// infinity says it without a sign convention).</summary>
    public const double Unlimited = double.PositiveInfinity;
    /// <summary>Burst above <see cref="Qps"/>. Default 100: Knative's 10 per controller, ten controllers.</summary>
    public int Burst { get; init; } = 100;
    /// <summary>Retries after the first attempt. Default 5: with 200 ms doubling this covers ~6 s of API server restart.</summary>
    public int MaxRetries { get; init; } = 5;
    /// <summary>First retry delay (doubled each time, with jitter). Default 200 ms, as client-go's watch backoff starts near there.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Cap of a retry delay, including a server's Retry-After. Default 30 s: longer waits belong to the work queue.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Per-attempt timeout of a non-watch request. Default 30 s: the API server's own default request timeout is 60 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public string UserAgent { get; init; } = "ingress/0.1";
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

public enum PatchType { Merge, Json, StrategicMerge, Apply }

/// <summary>
/// The REST core: one HttpClient per connection, a token bucket in front, Polly retries where they are
/// safe, and Status answers mapped to typed exceptions. Get per-resource clients from
/// <see cref="Dynamic"/> and <see cref="Resource{T}"/>.
/// </summary>
public sealed class KubeClient : IDisposable
{
    private readonly HttpClient _http;
    /// <summary>Null when <see cref="KubeClientOptions.Qps"/> is <see cref="KubeClientOptions.Unlimited"/>.</summary>
    private readonly TokenBucket? _limiter;
    private readonly ResiliencePipeline<HttpResponseMessage> _readPipeline;
    private readonly ResiliencePipeline<HttpResponseMessage> _writePipeline;
    private readonly BearerTokenSource _token;
    private readonly ILogger _logger;

    public KubeClient(KubeConnection connection, KubeClientOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        Connection = connection;
        Options = options ?? new KubeClientOptions();
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = LoggerFactory.CreateLogger("Ingress.Kube.Client");
        _http = new HttpClient(connection.CreateHandler(), disposeHandler: true)
        {
            BaseAddress = connection.Server,
            Timeout = Timeout.InfiniteTimeSpan, // watches are long; per-attempt timeouts are ours
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(Options.UserAgent);
        _limiter = double.IsPositiveInfinity(Options.Qps) ? null : new TokenBucket(Options.Qps, Options.Burst, Options.Time);
        _token = new BearerTokenSource(connection.BearerToken, connection.BearerTokenFile, Options.Time);
        _readPipeline = BuildPipeline(isRead: true);
        _writePipeline = BuildPipeline(isRead: false);
    }

    public KubeConnection Connection { get; }
    public KubeClientOptions Options { get; }
    public ILoggerFactory LoggerFactory { get; }
    public TimeProvider Time => Options.Time;

    /// <summary>A client over <see cref="JsonObject"/> for any resource.</summary>
    public ResourceClient<JsonObject> Dynamic(ResourceDescriptor resource) => new(this, resource, DynamicJson.JsonObjectType);

    /// <summary>A typed client; <paramref name="typeInfo"/> usually comes from a source-generated context.</summary>
    public ResourceClient<T> Resource<T>(ResourceDescriptor resource, JsonTypeInfo<T> typeInfo) where T : class => new(this, resource, typeInfo);

    public void Dispose() => _http.Dispose();

    internal sealed record KubeRequest(HttpMethod Method, string Path, string? Query, byte[]? Body, string? ContentType, RequestKind Kind);

    internal enum RequestKind { Read, Write, Watch }

    private sealed class RequestState
    {
        public static readonly ResiliencePropertyKey<RequestState> Key = new("kube.request");
        public required KubeRequest Request { get; init; }
        public int Attempt;
    }

    /// <summary>Sends with rate limit and retries; returns a 2xx response or throws a <see cref="KubeApiException"/>.</summary>
    internal async Task<HttpResponseMessage> SendAsync(KubeRequest request, CancellationToken ct)
    {
        var response = await SendWithRetriesAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized && _token.Refresh())
        {
            // The token file rotated under us: one more try with the new token.
            response.Dispose();
            response = await SendWithRetriesAsync(request, ct).ConfigureAwait(false);
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            throw KubeApiException.FromResponse((int)response.StatusCode, KubeApiException.TryParseStatus(body), body, RetryAfterOf(response));
        }
    }

    private async Task<HttpResponseMessage> SendWithRetriesAsync(KubeRequest request, CancellationToken ct)
    {
        if (request.Kind == RequestKind.Watch)
        {
            // Watches are retried by the informer's reflector, with its own backoff.
            return await SendOnceAsync(request, ct).ConfigureAwait(false);
        }
        var pipeline = request.Kind == RequestKind.Read ? _readPipeline : _writePipeline;
        var context = ResilienceContextPool.Shared.Get(ct);
        context.Properties.Set(RequestState.Key, new RequestState { Request = request });
        try
        {
            return await pipeline.ExecuteAsync(
                static async (ctx, self) =>
                {
                    var state = ctx.Properties.GetValue(RequestState.Key, null!);
                    state.Attempt++;
                    return await self.SendOnceAsync(state.Request, ctx.CancellationToken).ConfigureAwait(false);
                }, context, this).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(KubeRequest request, CancellationToken ct)
    {
        if (_limiter is not null)
        {
            var waitStart = Stopwatch.GetTimestamp();
            await _limiter.WaitAsync(ct).ConfigureAwait(false);
            var waited = Stopwatch.GetElapsedTime(waitStart).TotalSeconds;
            if (waited > 0.001) KubeMetrics.ClientRateLimitWait.Record(waited);
        }

        using var message = new HttpRequestMessage(request.Method, request.Query is null ? request.Path : $"{request.Path}?{request.Query}");
        if (_token.Current is { } token)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType ?? "application/json");
        }
        var verb = VerbOf(request);
        var start = Stopwatch.GetTimestamp();
        using var timeout = request.Kind == RequestKind.Watch ? null : CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout?.CancelAfter(Options.RequestTimeout);
        try
        {
            var response = await _http.SendAsync(message,
                request.Kind == RequestKind.Watch ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead,
                timeout?.Token ?? ct).ConfigureAwait(false);
            KubeMetrics.ClientRequests.Add(1, new("verb", verb), new("code", (int)response.StatusCode));
            KubeMetrics.ClientRequestDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, new KeyValuePair<string, object?>("verb", verb));
            return response;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            KubeMetrics.ClientRequests.Add(1, new("verb", verb), new("code", 0));
            throw new TimeoutException($"{verb} {request.Path} got no answer within {Options.RequestTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException)
        {
            KubeMetrics.ClientRequests.Add(1, new("verb", verb), new("code", 0));
            throw;
        }
    }

    private ResiliencePipeline<HttpResponseMessage> BuildPipeline(bool isRead)
    {
        var retry = new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = Math.Max(1, Options.MaxRetries),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = Options.RetryBaseDelay,
            MaxDelay = Options.RetryMaxDelay,
            ShouldHandle = args => ValueTask.FromResult(IsRetryable(args.Outcome, isRead)),
            DelayGenerator = args =>
            {
                // Honour Retry-After (429 and 5xx) when the server gives one; otherwise exponential with jitter.
                var after = args.Outcome.Result is { } r ? RetryAfterOf(r) : null;
                return ValueTask.FromResult(after is { } a ? (TimeSpan?)(a > Options.RetryMaxDelay ? Options.RetryMaxDelay : a) : null);
            },
            OnRetry = args =>
            {
                var state = args.Context.Properties.GetValue(RequestState.Key, null!);
                var verb = VerbOf(state.Request);
                KubeMetrics.ClientRetries.Add(1, new KeyValuePair<string, object?>("verb", verb));
                var reason = args.Outcome.Exception?.Message ?? $"HTTP {(int)args.Outcome.Result!.StatusCode}";
                Log.Retrying(_logger, verb, state.Request.Path, state.Attempt + 1, args.RetryDelay.TotalMilliseconds, reason);
                return ValueTask.CompletedTask;
            },
        };
        if (Options.MaxRetries <= 0)
        {
            return ResiliencePipeline<HttpResponseMessage>.Empty;
        }
        return new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = Options.Time }.AddRetry(retry).Build();
    }

    /// <summary>
    /// The retry rule. Reads: any transport failure, timeout, 429 or 5xx. Writes: only when the request
    /// provably was not processed: the connection was never made, a 429, or a 5xx carrying Retry-After
    /// (the server asking to come back). A write that may have reached the server is never repeated here;
    /// optimistic concurrency and the work queue handle it.
    /// </summary>
    internal static bool IsRetryable(Outcome<HttpResponseMessage> outcome, bool isRead)
    {
        if (outcome.Exception is { } ex)
        {
            if (ex is OperationCanceledException) return false; // the caller cancelled
            if (ex is HttpRequestException hre && hre.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
            {
                return true;
            }
            return isRead && ex is HttpRequestException or IOException or TimeoutException;
        }
        var code = (int)outcome.Result!.StatusCode;
        if (code == 429) return true;
        if (code >= 500 && code != 501)
        {
            return isRead || RetryAfterOf(outcome.Result) is not null;
        }
        return false;
    }

    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response)
    {
        var ra = response.Headers.RetryAfter;
        if (ra is null) return null;
        if (ra.Delta is { } d) return d;
        if (ra.Date is { } date)
        {
            var delta = date - DateTimeOffset.UtcNow;
            return delta > TimeSpan.Zero ? delta : TimeSpan.Zero;
        }
        return null;
    }

    private static string VerbOf(KubeRequest r) => r.Kind == RequestKind.Watch ? "WATCH" : r.Method.Method;
}
