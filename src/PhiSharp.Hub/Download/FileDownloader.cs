using System.Buffers;

namespace PhiSharp.Hub;

/// <summary>
/// hf_hub_download into the cache, for one file: HEAD for the commit, etag and size; nothing to do when the snapshot
/// already has the file; a link when the blob is there; otherwise a download into <c>blobs/&lt;etag&gt;.incomplete</c>,
/// verified, then renamed to the blob, all under the blob's lock (<see cref="BlobLock"/>). Unlike huggingface_hub today (which gives each attempt its own temporary file)
/// the <c>.incomplete</c> file is kept when a download is interrupted and the next pull continues it with a
/// <c>Range</c> request, as huggingface_hub did before its pull request #4228; a download that fails verification or meets a full disk
/// leaves no file behind.
/// </summary>
sealed class FileDownloader(HubOptions options, HubClient client, HubCache cache)
{
    const int BufferBytes = 1 << 20;

    public async Task<string> DownloadAsync(string repoId, string file, string revision, IProgress<PullProgress>? progress,
        CancellationToken cancellation)
    {
        if (options.Offline)
            return cache.Find(repoId, file, revision)
                   ?? throw new HubException($"'{repoId}/{file}' is not in the cache ({options.CacheDirectory}) and offline mode is on (--offline or HF_HUB_OFFLINE)");
        FileMetadata metadata;
        try
        {
            metadata = await client.GetFileMetadataAsync(repoId, file, revision, cancellation);
        }
        catch (HubException e) when (e.CacheMayAnswer && cache.Find(repoId, file, revision) is { } cached)
        {
            // As hf_hub_download: when the Hub cannot be asked, the file last seen at this revision serves.
            return cached;
        }
        string pointer = cache.PointerPath(repoId, metadata.Commit, file);
        string blob = cache.BlobPath(repoId, metadata.Etag);
        if (!File.Exists(pointer))
        {
            using (await BlobLock.AcquireAsync(cache.LockPath(repoId, metadata.Etag), cancellation))
            {
                // Checked again under the lock: another process may have fetched and linked the file while this one waited.
                if (!File.Exists(blob)) await FetchBlobAsync(repoId, file, metadata, blob, progress, cancellation);
                if (!File.Exists(pointer)) cache.Link(repoId, metadata.Commit, file, metadata.Etag);
            }
        }
        cache.WriteRef(repoId, revision, metadata.Commit);
        return pointer;
    }

    async Task FetchBlobAsync(string repoId, string file, FileMetadata metadata, string blob, IProgress<PullProgress>? progress,
        CancellationToken cancellation)
    {
        string folder = Path.GetDirectoryName(blob)!;
        string incomplete = blob + ".incomplete";
        long have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
        if (have > metadata.Size)
        {
            File.Delete(incomplete); // not a prefix of this file
            have = 0;
        }
        long free = options.FreeBytes(folder);
        if (free < metadata.Size - have)
            throw new HubException($"not enough disk space for '{repoId}/{file}': it needs {Size(metadata.Size - have)} and " +
                                   $"{folder} has {Size(free)} free; free some space, or set HF_HUB_CACHE to a larger disk");
        Directory.CreateDirectory(folder);
        cache.Tag();

        var hash = Verifier.For(metadata.Etag, metadata.Size);
        try
        {
            // Unbuffered: what was received is on disk, so even a killed process leaves a download to resume.
            await using (var output = new FileStream(incomplete, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0))
            {
                using var response = await client.OpenAsync(repoId, file, metadata.Location, have, cancellation);
                if (have > 0 && response.StatusCode != System.Net.HttpStatusCode.PartialContent)
                    have = 0; // the server ignored Range and sends the whole file (as http_get handles it)
                output.SetLength(have);
                await HashExistingAsync(output, have, hash, cancellation);
                output.Position = have;
                await using var body = await response.Content.ReadAsStreamAsync(cancellation);
                byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
                try
                {
                    long done = have;
                    progress?.Report(new PullProgress(PullStage.Download, file, done, metadata.Size));
                    for (int n; (n = await ReadAsync(body, buffer, repoId, file, done, metadata.Size, options.ReadTimeout, cancellation)) > 0;)
                    {
                        await output.WriteAsync(buffer.AsMemory(0, n), cancellation);
                        hash?.AppendData(buffer, 0, n);
                        done += n;
                        progress?.Report(new PullProgress(PullStage.Download, file, done, metadata.Size));
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                await output.FlushAsync(cancellation);
                if (output.Length != metadata.Size)
                    throw new HubException($"the download of '{repoId}/{file}' stopped at {Size(output.Length)} of {Size(metadata.Size)}; " +
                                           "run the same command again to resume it");
            }
            if (hash is not null && !hash.Matches(metadata.Etag))
            {
                File.Delete(incomplete);
                throw new HubException($"'{repoId}/{file}' failed verification: its {hash.Name} is {hash.Hex} but the Hub's etag is " +
                                       $"{metadata.Etag}; the download was deleted");
            }
            File.Move(incomplete, blob, overwrite: true);
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            File.Delete(incomplete);
            throw new HubException($"the disk filled up while downloading '{repoId}/{file}' into {folder}; the partial file was deleted");
        }
        finally
        {
            hash?.Dispose();
        }
    }

    /// <summary>A connection the server drops, or one that stops sending, is an interrupted download, kept for the next
    /// pull to resume.</summary>
    static async ValueTask<int> ReadAsync(Stream body, byte[] buffer, string repoId, string file, long done, long total, TimeSpan timeout,
        CancellationToken cancellation)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        wait.CancelAfter(timeout);
        try
        {
            return await body.ReadAsync(buffer, wait.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new HubException($"the download of '{repoId}/{file}' stalled at {Size(done)} of {Size(total)} (no data for " +
                                   $"{timeout.TotalSeconds:0.#} s, HF_HUB_DOWNLOAD_TIMEOUT); run the same command again to resume it");
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !IsDiskFull(e))
        {
            throw new HubException($"the download of '{repoId}/{file}' was interrupted at {Size(done)} of {Size(total)} ({e.Message}); " +
                                   "run the same command again to resume it", e);
        }
    }

    static async Task HashExistingAsync(FileStream output, long length, Verifier? hash, CancellationToken cancellation)
    {
        if (hash is null || length == 0) return;
        output.Position = 0;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            for (long left = length; left > 0;)
            {
                int n = await output.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellation);
                if (n == 0) break;
                hash.AppendData(buffer, 0, n);
                left -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>ENOSPC (28) on Unix, ERROR_DISK_FULL (112) or ERROR_HANDLE_DISK_FULL (39) on Windows.</summary>
    static bool IsDiskFull(Exception e) => e is IOException && (e.HResult & 0xFFFF) is 28 or 39 or 112;

    internal static string Size(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F2} GiB"
        : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):F1} MiB" : $"{bytes} bytes";
}
