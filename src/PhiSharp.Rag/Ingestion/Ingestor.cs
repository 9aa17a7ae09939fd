using System.Security.Cryptography;
using Microsoft.Extensions.AI;
using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Ingestion;

/// <summary>Where an ingest run is: <paramref name="Done"/> of <paramref name="Total"/> files, the last being <paramref name="Path"/>.</summary>
public readonly record struct IngestProgress(int Done, int Total, string Path);

/// <summary>What an ingest run did to each file; <paramref name="Removed"/> counts stored documents whose files are gone.</summary>
public sealed record IngestReport(int Added, int Updated, int Unchanged, int Removed, int Chunks, IReadOnlyList<SkippedFile> Skipped);

/// <summary>
/// Files → chunks (→ vectors) → store. A file is keyed by its full path and identified by the SHA-256 of its
/// bytes: an unchanged file costs one hash and no write; a changed one has all its chunks replaced in one
/// transaction, so a run that dies part-way leaves every file either fully old or fully new, and the next run
/// picks up where it stopped. An unchanged file stored without vectors is re-ingested when an embedding model is
/// given, and documents under an ingested folder whose files no longer exist are removed.
/// </summary>
public sealed class Ingestor(IRagStore store, Chunker chunker, IEmbeddingGenerator<string, Embedding<float>>? embedder = null,
    VectorEncoding encoding = VectorEncoding.Float32)
{
    /// <summary>
    /// Expands <paramref name="paths"/> (files, and folders searched recursively, skipping dot-folders such as .git)
    /// into the files to ingest, in a stable order. A path that does not exist is an error; so is finding no file at all.
    /// </summary>
    public static IReadOnlyList<string> FindFiles(IEnumerable<string> paths, string? exclude = null)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var given in paths)
        {
            var full = Path.GetFullPath(given);
            if (File.Exists(full)) files.Add(full);
            else if (Directory.Exists(full)) AddFolder(full, files);
            else throw new FileNotFoundException($"no such file or folder: {given}", given);
        }
        // The store's own files (and its WAL and shared-memory companions) are never documents.
        if (exclude is not null) files.RemoveWhere(f => f.StartsWith(Path.GetFullPath(exclude), StringComparison.Ordinal));
        if (files.Count == 0) throw new ArgumentException($"no files found under {string.Join(", ", paths)}");
        return files.ToList();
    }

    static void AddFolder(string folder, SortedSet<string> files)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden };
        foreach (var file in Directory.EnumerateFiles(folder, "*", options)) files.Add(file);
        foreach (var sub in Directory.EnumerateDirectories(folder, "*", options))
            if (!Path.GetFileName(sub).StartsWith('.')) AddFolder(sub, files);
    }

    /// <param name="files">What <see cref="FindFiles"/> found.</param>
    /// <param name="folders">The folders given to <see cref="FindFiles"/>: stored documents under them whose files
    /// no longer exist are removed (nothing outside them is touched).</param>
    public async Task<IngestReport> IngestAsync(IReadOnlyList<string> files, IReadOnlyList<string>? folders = null,
        IProgress<IngestProgress>? progress = null, CancellationToken cancel = default)
    {
        EmbeddingModelRecord.CheckForIngest(store, embedder);
        int added = 0, updated = 0, unchanged = 0, chunkCount = 0;
        var skipped = new List<SkippedFile>();
        for (int i = 0; i < files.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var path = files[i];
            byte[] bytes;
            try { bytes = await File.ReadAllBytesAsync(path, cancel); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                skipped.Add(new SkippedFile(path, $"unreadable: {e.Message}"));
                progress?.Report(new(i + 1, files.Count, path));
                continue;
            }

            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            var previous = store.DocumentHash(path);
            if (previous == hash && (embedder is null || !store.LacksVectors(path))) unchanged++;
            else
            {
                var (document, skip) = DocumentReader.Extract(path, bytes);
                if (skip is not null) skipped.Add(skip);
                else
                {
                    var chunks = chunker.Split(document!);
                    var vectors = embedder is null ? null : await EmbedAsync(chunks, cancel);
                    store.ReplaceDocument(path, hash, bytes.Length, chunks, vectors);
                    chunkCount += chunks.Count;
                    if (previous is null) added++; else updated++;
                }
            }
            progress?.Report(new(i + 1, files.Count, path));
        }
        int removed = RemoveVanished(folders ?? []);
        return new IngestReport(added, updated, unchanged, removed, chunkCount, skipped);
    }

    int RemoveVanished(IReadOnlyList<string> folders)
    {
        int removed = 0;
        foreach (var folder in folders.Select(Path.GetFullPath).Where(Directory.Exists))
        {
            foreach (var path in store.DocumentsUnder(folder))
            {
                if (File.Exists(path)) continue;
                store.RemoveDocument(path);
                removed++;
            }
        }
        return removed;
    }

    async Task<IReadOnlyList<ReadOnlyMemory<byte>>> EmbedAsync(IReadOnlyList<Chunk> chunks, CancellationToken cancel)
    {
        if (chunks.Count == 0) return [];
        var embeddings = await embedder!.GenerateAsync(chunks.Select(EmbeddingText), cancellationToken: cancel);
        if (embeddings.Count != chunks.Count) throw new InvalidOperationException($"the embedder returned {embeddings.Count} vectors for {chunks.Count} texts");
        return embeddings.Select(e => (ReadOnlyMemory<byte>)VectorCodec.Encode(e.Vector.Span, encoding)).ToList();
    }

    /// <summary>The text a chunk is embedded (and found) by: its heading context, then its text.</summary>
    public static string EmbeddingText(Chunk chunk) => chunk.Heading is null ? chunk.Text : chunk.Heading + "\n" + chunk.Text;
}
