using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Ingress.DataPlane.Hosting;

/// <summary>
/// The HTTP servers of this process that other components of the same process may reach without a socket.
/// Why: in local mode the gateway, the activator and every queue-proxy run in one process, and a loopback TCP hop
/// between them costs more than the proxies' own work (two kernel round trips and a thread-pool wake-up per read;
/// a profile of <c>ingress up</c> under load showed 71 % of its time in the kernel, a third of it scheduling). A
/// <see cref="KestrelHost"/> created with a registry also listens in memory and registers itself under each address
/// and bound port it serves on TCP; an <see cref="Proxy.HttpForwarder"/> given the registry connects in memory when the
/// target address is registered and over TCP otherwise. Requests still pass through both servers' whole pipelines
/// (HTTP parsing, routing, breaker, metrics); only the bytes skip the kernel. The TCP listeners stay, for probes,
/// kubectl and anything outside the process.
/// </summary>
public sealed class InProcessEndpoints
{
    private static readonly Meter Meter = new("Ingress.DataPlane.InProcess");
    private static readonly Counter<long> Connections = Meter.CreateCounter<long>("inprocess_connections",
        description: "Connections opened to a server of the same process without a socket");

    private readonly ConcurrentDictionary<IPEndPoint, InMemoryListener> _listeners = new();

    /// <summary>Connections opened in memory since start (all registries of the process).</summary>
    public long OpenedConnections => Interlocked.Read(ref _opened);
    private long _opened;

    /// <summary>Whether a server of this process is registered at <paramref name="endpoint"/>.</summary>
    public bool IsRegistered(IPEndPoint endpoint) => _listeners.ContainsKey(endpoint);

    internal void Register(IPEndPoint endpoint, InMemoryListener listener) => _listeners[endpoint] = listener;

    internal void Unregister(IPEndPoint endpoint, InMemoryListener listener) =>
        _listeners.TryRemove(new KeyValuePair<IPEndPoint, InMemoryListener>(endpoint, listener));

    /// <summary>Opens an in-memory connection to the server registered at <paramref name="host"/>:<paramref name="port"/>,
    /// or returns null when none is (or it no longer accepts).</summary>
    /// <param name="inlineContinuations">Run each side's read continuation on the writer's thread (no thread hop).
    /// Safe for HTTP/1.1, where a side never writes while the other's write is on its stack; HTTP/2 answers frames
    /// from its read loop while holding write locks, so h2c connections hop through the thread pool instead.</param>
    public Stream? TryConnect(string host, int port, bool inlineContinuations)
    {
        if (!IPAddress.TryParse(host, out var address) || !_listeners.TryGetValue(new IPEndPoint(address, port), out var listener))
            return null;
        var stream = listener.TryConnect(inlineContinuations);
        if (stream is null) return null;
        Interlocked.Increment(ref _opened);
        Connections.Add(1);
        return stream;
    }

    /// <summary>A <see cref="SocketsHttpHandler.ConnectCallback"/>: in memory when the target is registered, else TCP
    /// as the handler's own connect does it (no Nagle).</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var request = context.InitialRequestMessage;
        var http11 = request.Version.Major < 2 || request.VersionPolicy == HttpVersionPolicy.RequestVersionOrLower;
        if (TryConnect(context.DnsEndPoint.Host, context.DnsEndPoint.Port, http11) is { } stream)
            return stream;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>Where a <see cref="KestrelHost"/> listens in memory: the TCP endpoint it mirrors (its port is filled in
/// once the TCP listener is bound).</summary>
internal sealed class InMemoryEndPoint(IPAddress address) : EndPoint
{
    public IPAddress Address { get; } = address;
    public InMemoryListener? Listener { get; set; }
    public override string ToString() => $"inmemory://{Address}";
}

/// <summary>Kestrel's transport: in-memory endpoints bind here, every other endpoint goes to the socket transport.</summary>
internal sealed class InMemoryTransportFactory(IConnectionListenerFactory sockets) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is InMemoryEndPoint
        || sockets is not IConnectionListenerFactorySelector selector || selector.CanBind(endpoint);

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not InMemoryEndPoint memory) return sockets.BindAsync(endpoint, cancellationToken);
        var listener = new InMemoryListener(memory);
        memory.Listener = listener;
        return ValueTask.FromResult<IConnectionListener>(listener);
    }
}

/// <summary>Accepts the connections that <see cref="InProcessEndpoints.TryConnect"/> opens.</summary>
internal sealed class InMemoryListener(InMemoryEndPoint endpoint) : IConnectionListener
{
    private readonly Channel<InMemoryConnection> _pending = Channel.CreateUnbounded<InMemoryConnection>(new UnboundedChannelOptions { SingleReader = true });
    private long _ids;

    public EndPoint EndPoint => endpoint;

    /// <summary>The TCP endpoint this listener mirrors, once bound.</summary>
    public IPEndPoint? Public { get; set; }

    /// <summary>
    /// Bytes one direction holds before its writer waits: 4 MiB, what Linux lets a loopback TCP connection hold (send
    /// buffers autotune up to 4 MiB). Why not Pipe's 64 KiB default: HTTP/1.1 peers that stream a body back while the
    /// request is still being sent (SocketsHttpHandler reads the response only once the request is out) rely on the
    /// connection buffering it, and would deadlock on a smaller buffer where TCP does not. Memory is only used while a
    /// side is not reading.
    /// </summary>
    internal const int BufferedBytes = 4 * 1024 * 1024;

    public Stream? TryConnect(bool inlineContinuations)
    {
        PipeScheduler scheduler = inlineContinuations ? new NonReentrantInlineScheduler() : PipeScheduler.ThreadPool;
        var options = new PipeOptions(readerScheduler: scheduler, writerScheduler: scheduler, useSynchronizationContext: false,
            pauseWriterThreshold: BufferedBytes, resumeWriterThreshold: BufferedBytes / 2);
        var toServer = new Pipe(options);
        var toClient = new Pipe(options);
        var id = Interlocked.Increment(ref _ids);
        var local = Public ?? new IPEndPoint(endpoint.Address, 0);
        var connection = new InMemoryConnection($"inmem-{local.Port}-{id}", new DuplexPipe(toServer.Reader, toClient.Writer),
            new DuplexPipe(toClient.Reader, toServer.Writer), local);
        if (!_pending.Writer.TryWrite(connection)) return null;
        return new InMemoryClientStream(connection);
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _pending.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _pending.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        // Connections nobody accepted: their clients see the connection end.
        while (_pending.Reader.TryRead(out var connection)) connection.Abort();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Runs a continuation on the thread that made it runnable (a flush or a read on the other side), as Kestrel's socket
/// transport does with inline scheduling, unless that thread is already running a continuation of the same
/// connection: then it goes to the thread pool. Why the guard: Kestrel flushes a response while holding its
/// connection's output lock, and the client's read continuation it runs inline may send the next request on the same
/// connection (pipelined keep-alive, full-duplex bodies), whose inline server continuation would re-enter that lock on
/// the same thread (monitors are re-entrant) mid-flush. Nesting across different connections stays inline.
/// </summary>
internal sealed class NonReentrantInlineScheduler : PipeScheduler
{
    [ThreadStatic] private static NonReentrantInlineScheduler? t_running;

    public override void Schedule(Action<object?> action, object? state)
    {
        if (t_running == this)
        {
            System.Threading.ThreadPool.UnsafeQueueUserWorkItem(action, state, preferLocal: false);
            return;
        }
        var previous = t_running;
        t_running = this;
        try
        {
            action(state);
        }
        finally
        {
            t_running = previous;
        }
    }
}

internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;
    public PipeWriter Output { get; } = output;
}

/// <summary>The server's side of an in-memory connection, as Kestrel sees a transport connection.</summary>
internal sealed class InMemoryConnection : ConnectionContext, IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature,
    IConnectionLifetimeFeature, IConnectionEndPointFeature
{
    private static readonly IPEndPoint Peer = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _closed = new();
    private readonly FeatureCollection _features = new();
    private readonly IDuplexPipe _client;
    private int _aborted;

    public InMemoryConnection(string id, IDuplexPipe transport, IDuplexPipe client, IPEndPoint local)
    {
        ConnectionId = id;
        Transport = transport;
        _client = client;
        LocalEndPoint = local;
        // What a loopback TCP peer would look like: the queue-proxy appends it to X-Forwarded-For.
        RemoteEndPoint = Peer;
        _features.Set<IConnectionIdFeature>(this);
        _features.Set<IConnectionTransportFeature>(this);
        _features.Set<IConnectionItemsFeature>(this);
        _features.Set<IConnectionLifetimeFeature>(this);
        _features.Set<IConnectionEndPointFeature>(this);
    }

    public override string ConnectionId { get; set; }
    public override IFeatureCollection Features => _features;
    public override IDictionary<object, object?> Items { get; set; } = new ConnectionItems();
    public override IDuplexPipe Transport { get; set; }
    public override CancellationToken ConnectionClosed { get => _closed.Token; set => throw new NotSupportedException(); }
    public override EndPoint? LocalEndPoint { get; set; }
    public override EndPoint? RemoteEndPoint { get; set; }

    /// <summary>Called when the client side goes away: Kestrel treats it as the peer closing the socket.</summary>
    internal void ClientClosed()
    {
        try { _closed.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>The client's ends: it reads <see cref="IDuplexPipe.Input"/> and writes <see cref="IDuplexPipe.Output"/>.</summary>
    internal IDuplexPipe Client => _client;

    internal bool IsAborted => Volatile.Read(ref _aborted) != 0;

    public override void Abort(ConnectionAbortedException abortReason)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0) return;
        // As a reset socket: the server's reads end with the abort, and the client's next (or pending) read fails.
        _client.Output.Complete(abortReason);
        _client.Input.CancelPendingRead();
        ClientClosed();
    }

    public override ValueTask DisposeAsync()
    {
        Transport.Input.Complete();
        Transport.Output.Complete();
        ClientClosed();
        _closed.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The client's side of an in-memory connection: reads what the server writes, writes what it reads.</summary>
internal sealed class InMemoryClientStream(InMemoryConnection connection) : Stream
{
    private readonly PipeReader input = connection.Client.Input;
    private readonly PipeWriter output = connection.Client.Output;
    private int _disposed;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (connection.IsAborted) throw Aborted(null);
        ReadResult result;
        try
        {
            result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConnectionAbortedException or InvalidOperationException)
        {
            throw Aborted(ex);
        }
        if (result.IsCanceled)
        {
            input.AdvanceTo(result.Buffer.Start);
            throw Aborted(null);
        }
        var data = result.Buffer;
        if (buffer.IsEmpty)
        {
            // A zero-byte read waits until data or the end arrives and consumes nothing: the client's pool uses
            // it to watch an idle connection, and a 0 returned at once would read as the server closing it.
            input.AdvanceTo(data.Start);
            return 0;
        }
        if (data.IsEmpty)
        {
            input.AdvanceTo(data.End);
            return 0; // completed: the server closed the connection
        }
        var length = (int)Math.Min(data.Length, buffer.Length);
        var slice = data.Slice(0, length);
        slice.CopyTo(buffer.Span);
        input.AdvanceTo(slice.End);
        return length;
    }

    private static IOException Aborted(Exception? inner) => new("the in-process connection was aborted by the server", inner);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (connection.IsAborted) throw Aborted(null);
        FlushResult result;
        try
        {
            result = await output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            throw new IOException("the in-process connection is closed", ex);
        }
        if (result.IsCompleted) throw new IOException("the in-process connection was closed by the server");
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override void Flush() { }

    // SocketsHttpHandler only uses the asynchronous methods; the synchronous ones exist for completeness.
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // As closing a socket: the server reads the end of its input, and its writes are no longer read.
            output.Complete();
            input.Complete();
            connection.ClientClosed();
        }
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        Dispose(true);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A plain dictionary for <see cref="ConnectionContext.Items"/>.</summary>
internal sealed class ConnectionItems : Dictionary<object, object?>
{
}
