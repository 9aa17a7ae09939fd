namespace PhiSharp.Hub;

/// <summary>
/// An exclusive lock on one blob of the cache, held while it is downloaded and linked, so that two processes pulling
/// the same file at once never write the same <c>.incomplete</c> file (the second waits, then finds the blob). The
/// lock is the file huggingface_hub's <c>WeakFileLock</c> takes, <c>.locks/models--org--name/&lt;etag&gt;.lock</c>
/// under the cache, opened with <see cref="FileShare.None"/>: on Unix .NET takes <c>flock(LOCK_EX)</c> for that, as
/// Python's filelock does, so PhiSharp and Python tools exclude each other too. The lock goes with the process, so
/// a killed pull never leaves the blob locked; the empty lock file stays, as huggingface_hub leaves it.
/// </summary>
static class BlobLock
{
    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    /// <summary>Waits until the lock is free (or <paramref name="cancellation"/>); dispose the result to release it.</summary>
    public static async Task<IDisposable> AcquireAsync(string path, CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
            }
            catch (IOException e) when (IsHeldElsewhere(e))
            {
                await Task.Delay(Poll, cancellation);
            }
        }
    }

    /// <summary>Windows: ERROR_SHARING_VIOLATION (32) or ERROR_LOCK_VIOLATION (33) in the HRESULT. Unix: the errno of
    /// the failed flock, EWOULDBLOCK (11 on Linux, 35 on macOS), as the HResult itself.</summary>
    static bool IsHeldElsewhere(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 32 or 33 : e.HResult == (OperatingSystem.IsLinux() ? 11 : 35);
}
