using System.Net;
using System.Net.Sockets;

namespace PhiSharp.Server;

/// <summary>
/// The addresses `--host` names, never more: an IP address as given, a name (localhost included) as the addresses it
/// resolves to. Anything else is refused rather than widened to every interface, which is what Kestrel does with a
/// host it cannot parse.
/// </summary>
static class ListenAddresses
{
    public static IReadOnlyList<IPAddress> Resolve(string host, int port)
    {
        if (IPAddress.TryParse(host, out var address)) return [address];
        // An empty name would resolve to this machine's own addresses, every interface.
        if (string.IsNullOrWhiteSpace(host)) throw new ListenException($"The host '{host}' is empty: give an IP address or a host name.");
        IPAddress[] resolved;
        try
        {
            resolved = Dns.GetHostAddresses(host);
        }
        catch (SocketException e)
        {
            throw new ListenException($"The host '{host}' is neither an IP address nor a name this machine resolves ({e.Message}).", e);
        }
        if (resolved.Length == 0) throw new ListenException($"The host '{host}' resolves to no address.");
        // Port 0 would give each address its own free port, so one address is taken, the first the resolver gives.
        return port == 0 ? [resolved[0]] : resolved.Distinct().ToArray();
    }
}
