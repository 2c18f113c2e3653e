using System.Text.Json.Nodes;
using System.Threading.Channels;
using Ingress.Kube.Client;
using Ingress.Kube.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Ingress.Kube.Controller;

public enum EventType { Normal, Warning }

/// <summary>
/// Writes core/v1 Events about objects, in the background: a reconcile never waits on an event, and
/// events are dropped (not queued without bound) when the API server is slow. Default capacity 1000:
/// more pending events than that means the server is not keeping up and the newest matter less.
/// </summary>
public sealed class EventRecorder : IAsyncDisposable
{
    private readonly ResourceClient<JsonObject> _events;
    private readonly string _component;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<JsonObject> _pending;
    private readonly Task _writer;

    public EventRecorder(KubeClient client, string component, int capacity = 1000)
    {
        _events = client.Dynamic(ResourceDescriptor.Events);
        _component = component;
        _time = client.Time;
        _logger = client.LoggerFactory.CreateLogger("Ingress.Kube.Events");
        _pending = Channel.CreateBounded<JsonObject>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        _writer = Task.Run(WriteLoopAsync);
    }

    public void Record(ResourceDescriptor resource, ObjectHeader involved, EventType type, string reason, string message)
    {
        var now = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var ns = involved.Namespace ?? "default";
        var ev = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject
            {
                // client-go's naming: object name plus a unique suffix.
                ["name"] = $"{involved.Name}.{Guid.NewGuid():N}"[..Math.Min(253, involved.Name.Length + 17)],
                ["namespace"] = ns,
            },
            ["involvedObject"] = new JsonObject
            {
                ["apiVersion"] = resource.ApiVersion,
                ["kind"] = resource.Kind,
                ["namespace"] = involved.Namespace,
                ["name"] = involved.Name,
                ["uid"] = involved.Uid,
                ["resourceVersion"] = involved.ResourceVersion,
            },
            ["reason"] = reason,
            ["message"] = message,
            ["type"] = type.ToString(),
            ["count"] = 1,
            ["firstTimestamp"] = now,
            ["lastTimestamp"] = now,
            ["source"] = new JsonObject { ["component"] = _component },
            ["reportingComponent"] = _component,
        };
        _pending.Writer.TryWrite(ev);
    }

    private async Task WriteLoopAsync()
    {
        await foreach (var ev in _pending.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await _events.CreateAsync(ev).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.EventFailed(_logger, ex, (string?)ev["reason"] ?? "", (string?)ev["involvedObject"]?["name"] ?? "");
            }
        }
    }

    /// <summary>Writes what is pending, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }
}
