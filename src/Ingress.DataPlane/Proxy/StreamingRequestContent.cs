using System.Net;
using Microsoft.AspNetCore.Http;

namespace Ingress.DataPlane.Proxy;

/// <summary>
/// Request content that streams the client's body to the upstream as it arrives, flushing after every read so
/// that duplex exchanges (gRPC streams, long uploads read incrementally) make progress. It records whether the
/// upstream ever asked for the body, which is what makes a retry after a connection failure safe.
/// </summary>
internal sealed class StreamingRequestContent(Stream source, RequestDeadline? deadline) : HttpContent
{
    private const int BufferSize = 16 * 1024;
    private int _started;

    /// <summary>True once the upstream connection began consuming the body (the request was sent).</summary>
    public bool Started => Volatile.Read(ref _started) != 0;

    /// <summary>Set when reading from the client failed, so the error is charged to the client, not the upstream.</summary>
    public Exception? ClientReadError { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _started, 1);
        var token = deadline?.Token ?? cancellationToken;
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await source.ReadAsync(buffer.AsMemory(), token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    ClientReadError = ex;
                    throw;
                }
                if (read == 0) break;
                await stream.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                await stream.FlushAsync(token).ConfigureAwait(false);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
