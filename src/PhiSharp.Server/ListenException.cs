namespace PhiSharp.Server;

/// <summary>
/// The server cannot listen where it was told: the host is neither an IP address nor a name that resolves, the
/// address is not this machine's, or the port is taken. An IOException, so `phi serve` prints its one-line message.
/// </summary>
public sealed class ListenException(string message, Exception? inner = null) : IOException(message, inner);
