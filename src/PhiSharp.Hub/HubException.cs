namespace PhiSharp.Hub;

/// <summary>
/// A pull that cannot be done, in one sentence a user can act on: an unknown name, a file the repository lacks, a gated
/// repository without a token, offline mode, too little disk space, a network error, a checksum that does not match.
/// </summary>
public sealed class HubException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The Hub could not be asked (no connection, no answer, an HTTP error other than "no such file or
    /// revision"): as in hf_hub_download, what the cache holds for the revision may serve instead.</summary>
    internal bool CacheMayAnswer { get; init; }
}
