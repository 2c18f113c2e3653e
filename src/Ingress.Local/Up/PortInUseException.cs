using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Ingress.Local.Up;

/// <summary>A listener of <c>ingress up</c> itself could not bind its port because something else holds it. Unlike a
/// replica's port (the runner retries another address), these ports are the user's choice, so <c>ingress up</c>
/// stops and says which port and which flag chooses it.</summary>
public sealed class PortInUseException(int port, string purpose, Exception inner)
    : Exception($"port {port} ({purpose}) is already in use", inner)
{
    public int Port { get; } = port;

    /// <summary>What the port is for and the flag that sets it, e.g. <c>metrics, --metrics-port</c>.</summary>
    public string Purpose { get; } = purpose;

    /// <summary>A bind failure of Kestrel (IOException → AddressInUseException → SocketException) or of a raw socket.</summary>
    public static bool IsAddressInUse(Exception ex) =>
        ex is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } ||
        (ex.InnerException is { } inner && IsAddressInUse(inner));

    /// <summary>The port of Kestrel's "Failed to bind to address http://127.0.0.1:8080: address already in use.", so a
    /// component with two listeners can say which one failed.</summary>
    public static int? PortFromMessage(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            var m = Regex.Match(e.Message, @"address \S*?:(\d+)(?:/|:|\s|$)");
            if (m.Success && int.TryParse(m.Groups[1].Value, out var port)) return port;
        }
        return null;
    }
}
