using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ingress.ApiServer.Http;

/// <summary>
/// An <see cref="HttpMessageHandler"/> that hands each request straight to the API server's
/// <see cref="RequestHandler"/> in this process: no socket, no HTTP/1.1 framing, no Kestrel. The request's
/// method, path, query, headers and body become an <see cref="HttpContext"/>; the response's status and headers
/// are returned once the handler starts the response (first flush, <c>StartAsync</c>, or completion) and its body
/// streams through a pipe, so watches work as over a socket.
/// </summary>
/// <remarks>
/// Why: <c>ingress render</c> runs its controllers against an API server that only they use, for a few seconds.
/// Over loopback HTTP each of its ~27,000 requests paid for the client's connection pool, Kestrel's parser and
/// two trips through the kernel: about a third of the run's CPU (docs/perf/serving.md). Everything above the
/// transport (the client's retries and rate limit, the server's routing, admission and watch streams) is the
/// same code either way. Only what Kestrel would have added is missing: connection information, HTTP/2, TLS and
/// client certificates, none of which the handler reads for an in-process caller.
/// </remarks>
public sealed class InProcessApiHandler : HttpMessageHandler
{
    private readonly RequestDelegate _app;

    internal InProcessApiHandler(RequestDelegate app) => _app = app;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("request without a URI");
        var requestFeature = new HttpRequestFeature
        {
            Protocol = "HTTP/1.1",
            Scheme = uri.Scheme,
            Method = request.Method.Method,
            PathBase = "",
            Path = PathString.FromUriComponent(uri).Value ?? "/",
            QueryString = uri.Query,
            RawTarget = uri.PathAndQuery,
        };
        requestFeature.Headers.Host = uri.Authority;
        foreach (var (name, values) in request.Headers) requestFeature.Headers.Append(name, values.ToArray());
        if (request.Content is { } content)
        {
            foreach (var (name, values) in content.Headers) requestFeature.Headers.Append(name, values.ToArray());
            requestFeature.Body = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        }

        var exchange = new Exchange();
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(requestFeature);
        features.Set<IHttpResponseFeature>(exchange);
        features.Set<IHttpResponseBodyFeature>(exchange);
        features.Set<IHttpRequestLifetimeFeature>(exchange);
        var context = new DefaultHttpContext(features);

        var run = RunAsync(context, exchange);
        using (cancellationToken.Register(static e => ((Exchange)e!).Abort(), exchange))
        {
            await Task.WhenAny(exchange.Started, run).ConfigureAwait(false);
        }
        if (!exchange.HasStarted)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await run.ConfigureAwait(false); // surfaces what ended the handler before it answered
        }

        var response = new HttpResponseMessage((HttpStatusCode)exchange.StatusCode)
        {
            RequestMessage = request,
            Content = new StreamContent(new ResponseBodyStream(exchange)),
        };
        foreach (var (name, values) in exchange.Headers)
        {
            if (!response.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
                response.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        return response;
    }

    private async Task RunAsync(HttpContext context, Exchange exchange)
    {
        try
        {
            await _app(context).ConfigureAwait(false);
            await exchange.StartAsync().ConfigureAwait(false);
            await exchange.Pipe.Writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (!exchange.HasStarted)
            {
                // As Kestrel answers an exception thrown before the response started.
                exchange.StatusCode = StatusCodes.Status500InternalServerError;
                exchange.Headers.Clear();
                await exchange.StartAsync().ConfigureAwait(false);
                await exchange.Pipe.Writer.CompleteAsync().ConfigureAwait(false);
            }
            else
            {
                // As a connection reset mid-body: the reader sees an IOException.
                await exchange.Pipe.Writer.CompleteAsync(new IOException("the API server's handler failed: " + ex.Message, ex)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One request's response side: status, headers, body pipe, and the abort token the handler watches.</summary>
    private sealed class Exchange : IHttpResponseFeature, IHttpResponseBodyFeature, IHttpRequestLifetimeFeature
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _aborted = new();
        private readonly StartingWriter _writer;
        private List<(Func<object, Task> Callback, object State)>? _onStarting;
        private Stream? _stream;
        private int _abortedFlag;

        public Exchange()
        {
            // Up to 4 MiB in flight, as a loopback socket's buffers would hold: a list page never waits on its reader.
            Pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20, useSynchronizationContext: false));
            _writer = new StartingWriter(this, Pipe.Writer);
        }

        public Pipe Pipe { get; }
        public Task Started => _started.Task;

        public int StatusCode { get; set; } = StatusCodes.Status200OK;
        public string? ReasonPhrase { get; set; }
        public IHeaderDictionary Headers { get; set; } = new HeaderDictionary();
        public bool HasStarted { get; private set; }
        [Obsolete("Use IHttpResponseBodyFeature.Stream.")]
        public Stream Body { get => Stream; set => throw new NotSupportedException("the in-process response body cannot be replaced"); }
        public void OnStarting(Func<object, Task> callback, object state) => (_onStarting ??= []).Add((callback, state));
        public void OnCompleted(Func<object, Task> callback, object state) { } // nothing here needs them

        public Stream Stream => _stream ??= _writer.AsStream(leaveOpen: true);
        public PipeWriter Writer => _writer;
        public void DisableBuffering() { }
        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("the API server sends no files");

        public async Task StartAsync(CancellationToken cancellationToken = default)
        {
            if (HasStarted) return;
            if (_onStarting is { } callbacks)
            {
                _onStarting = null;
                for (var i = callbacks.Count - 1; i >= 0; i--) await callbacks[i].Callback(callbacks[i].State).ConfigureAwait(false);
            }
            HasStarted = true;
            _started.TrySetResult();
        }

        public async Task CompleteAsync()
        {
            await StartAsync().ConfigureAwait(false);
            await _writer.FlushAsync().ConfigureAwait(false);
        }

        public CancellationToken RequestAborted { get => _aborted.Token; set => throw new NotSupportedException(); }

        /// <summary>The client went away (cancelled before the answer, or disposed the body): the handler's token
        /// fires and its writes end.</summary>
        public void Abort()
        {
            if (Interlocked.Exchange(ref _abortedFlag, 1) != 0) return;
            try { _aborted.Cancel(); } catch (AggregateException) { }
            Pipe.Reader.Complete();
        }
    }

    /// <summary>The response pipe's writer, starting the response on the first flush as Kestrel does.</summary>
    private sealed class StartingWriter(Exchange exchange, PipeWriter inner) : PipeWriter
    {
        public override void Advance(int bytes) => inner.Advance(bytes);
        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
        public override void CancelPendingFlush() => inner.CancelPendingFlush();
        public override void Complete(Exception? exception = null) => inner.Complete(exception);
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;
        public override long UnflushedBytes => inner.UnflushedBytes;

        public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            await exchange.StartAsync(cancellationToken).ConfigureAwait(false);
            return await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        public override async ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            await exchange.StartAsync(cancellationToken).ConfigureAwait(false);
            return await inner.WriteAsync(source, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The body the client reads; disposing it before the end (a watch stopped) aborts the handler.</summary>
    private sealed class ResponseBodyStream(Exchange exchange) : Stream
    {
        private readonly Stream _inner = exchange.Pipe.Reader.AsStream(leaveOpen: true);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) exchange.Abort();
            base.Dispose(disposing);
        }
    }
}
