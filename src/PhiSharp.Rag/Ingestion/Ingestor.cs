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
/// given (stored documents outside the given paths too, so that vector search misses none), and documents under an
/// ingested folder whose files no longer exist are removed. With a <see cref="DenseCompanion"/> every chunk is embedded
/// by it too, and a stored file without companion vectors is re-ingested as one without vectors is.
/// </summary>
public sealed class Ingestor(IRagStore store, Chunker chunker, IEmbeddingGenerator<string, Embedding<float>>? embedder = null,
    VectorEncoding encoding = VectorEncoding.Float32, DenseCompanion? companion = null)
{
    /// <summary>
    /// Expands <paramref name="paths"/> (files, and folders searched recursively, skipping dot-folders such as .git)
    /// into the regular files to ingest, in a stable order; see <see cref="FileFinder"/> for links, FIFOs and devices.
    /// A path that does not exist is an error; so is finding no file at all.
    /// </summary>
    public static FoundFiles FindFiles(IEnumerable<string> paths, string? exclude = null) => FileFinder.Find(paths, exclude);

    /// <param name="found">What <see cref="FindFiles"/> found; what it skipped is reported as skipped.</param>
    /// <param name="folders">The folders given to <see cref="FindFiles"/>: stored documents under them whose files
    /// no longer exist are removed (nothing outside them is touched, nor anything that was skipped).</param>
    public async Task<IngestReport> IngestAsync(FoundFiles found, IReadOnlyList<string>? folders = null,
        IProgress<IngestProgress>? progress = null, CancellationToken cancel = default)
    {
        if (companion is not null && embedder is null) throw new ArgumentException("a companion embedding model needs a main one");
        EmbeddingModelRecord.CheckForIngest(store, embedder);
        if (companion is not null) EmbeddingModelRecord.CheckCompanionForIngest(store, companion);
        int added = 0, updated = 0, unchanged = 0, chunkCount = 0;
        var skipped = new List<SkippedFile>(found.Skipped);
        var files = embedder is null ? found.Files : [.. found.Files, .. StoredWithoutVectorsElsewhere(found.Files)];
        for (int i = 0; i < files.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var path = files[i];
            var bytes = await ReadAsync(path, skipped, cancel);
            if (bytes is null)
            {
                progress?.Report(new(i + 1, files.Count, path));
                continue;
            }

            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            var previous = store.DocumentHash(path);
            if (previous == hash && (embedder is null || !store.LacksVectors(path, companion is not null))) unchanged++;
            else
            {
                var (document, skip) = DocumentReader.Extract(path, bytes);
                if (skip is not null) skipped.Add(skip);
                else
                {
                    var chunks = chunker.Split(document!);
                    var vectors = embedder is null ? null : await EmbedAsync(embedder, chunks, cancel);
                    var companionVectors = companion is null ? null : await EmbedAsync(companion.Embedder, chunks, cancel);
                    store.ReplaceDocument(path, hash, bytes.Length, chunks, vectors, companionVectors);
                    chunkCount += chunks.Count;
                    if (previous is null) added++; else updated++;
                }
            }
            progress?.Report(new(i + 1, files.Count, path));
        }
        int removed = RemoveVanished(folders ?? [], skipped);
        return new IngestReport(added, updated, unchanged, removed, chunkCount, skipped);
    }

    /// <summary>Stored documents without vectors that this run was not given, whose files still exist: the store's first
    /// ingest with a model gives them vectors too. (One whose file is gone is left as it is: only an ingest of its
    /// folder removes it.)</summary>
    IEnumerable<string> StoredWithoutVectorsElsewhere(IReadOnlyList<string> given)
    {
        var set = given.ToHashSet(StringComparer.Ordinal);
        return store.DocumentsLackingVectors(companion is not null).Where(path => !set.Contains(path) && File.Exists(path));
    }

    /// <summary>
    /// The file's bytes, or null with the reason added to <paramref name="skipped"/>. The file is checked again
    /// although <see cref="FindFiles"/> found it regular: it may have been replaced since (an ingest with an embedding
    /// model takes minutes), and opening a FIFO would wait for a writer. A file too large to be a document is not
    /// read into memory at all.
    /// </summary>
    static async Task<byte[]?> ReadAsync(string path, List<SkippedFile> skipped, CancellationToken cancel)
    {
        string reason;
        if (FileKinds.Of(path) is { } kind && kind != FileKind.Regular) reason = FileKinds.NotRegular(kind);
        else
        {
            try
            {
                if (new FileInfo(path).Length <= DocumentReader.MaxFileBytes) return await File.ReadAllBytesAsync(path, cancel);
                reason = DocumentReader.TooLarge;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { reason = $"unreadable: {e.Message}"; }
        }
        skipped.Add(new SkippedFile(path, reason));
        return null;
    }

    /// <summary>A document whose file (or a folder above it) was skipped is kept: the file may well exist, only
    /// unreadable this time (File.Exists is false behind a folder that cannot be searched).</summary>
    int RemoveVanished(IReadOnlyList<string> folders, IReadOnlyList<SkippedFile> skipped)
    {
        int removed = 0;
        foreach (var folder in folders.Select(Path.GetFullPath).Where(Directory.Exists))
        {
            foreach (var path in store.DocumentsUnder(folder))
            {
                if (File.Exists(path) || skipped.Any(s => IsAtOrUnder(path, s.Path))) continue;
                store.RemoveDocument(path);
                removed++;
            }
        }
        return removed;
    }

    static bool IsAtOrUnder(string path, string folder) =>
        path == folder || path.StartsWith(Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    async Task<IReadOnlyList<ReadOnlyMemory<byte>>> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> model, IReadOnlyList<Chunk> chunks,
        CancellationToken cancel)
    {
        if (chunks.Count == 0) return [];
        var embeddings = await model.GenerateAsync(chunks.Select(EmbeddingText), cancellationToken: cancel);
        if (embeddings.Count != chunks.Count) throw new InvalidOperationException($"the embedder returned {embeddings.Count} vectors for {chunks.Count} texts");
        return embeddings.Select(e => (ReadOnlyMemory<byte>)VectorCodec.Encode(e.Vector.Span, encoding)).ToList();
    }

    /// <summary>The text a chunk is embedded (and found) by: its heading context, then its text.</summary>
    public static string EmbeddingText(Chunk chunk) => chunk.Heading is null ? chunk.Text : chunk.Heading + "\n" + chunk.Text;
}
