using System.Net;

namespace PhiSharp.Server;

/// <summary>
/// A guard against DNS rebinding. A web page on attacker.example can make its own name resolve to 127.0.0.1; the
/// browser then counts the local server as the page's own origin and lets it send JSON and read the answers. The
/// browser still sends the page's name in the Host header, so a server that listens only on loopback answers only
/// requests addressed to a loopback name: localhost (and its subdomains), a loopback address, or the --host given.
/// A server listening on other interfaces was exposed on purpose and is reached by names it cannot know; there the
/// API key is the guard.
/// </summary>
sealed class LoopbackHosts(string configuredHost, IReadOnlyList<IPAddress> listening)
{
    /// <summary>Whether the check applies: every address listened on is a loopback address.</summary>
    public bool Enforced { get; } = listening.All(IPAddress.IsLoopback);

    public bool Allows(HostString host)
    {
        if (!Enforced) return true;
        if (!host.HasValue) return false; // HTTP/1.1 requires Host; Kestrel refuses its absence before we see it
        string name = host.Host.Trim('[', ']').TrimEnd('.');
        if (name.Equals(configuredHost.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)) return true;
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)) return true; // RFC 6761: always loopback
        return IPAddress.TryParse(name, out var address) && IPAddress.IsLoopback(address);
    }
}
