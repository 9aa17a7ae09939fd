using PhiSharp.Rag.Chunking;

namespace PhiSharp.Rag.Storage;

/// <summary>A stored chunk as retrieval returns it; <see cref="Score"/> is higher-is-better within one ranking.</summary>
public sealed record RetrievedChunk(long ChunkId, string Path, int Ordinal, string? Heading, string Text, double Score);

/// <summary>Row counts, for reports and for checking that a re-ingest changed nothing.</summary>
public sealed record StoreCounts(long Documents, long Chunks, long IndexedChunks, long Vectors);

/// <summary>
/// Where documents, chunks, their lexical index and their vectors live. Every document write is atomic: a
/// reader (or a process killed half-way) sees a document's old chunks or its new ones, never a mix.
/// </summary>
public interface IRagStore : IDisposable
{
    /// <summary>The content hash recorded when <paramref name="path"/> was last ingested, or null if it never was.</summary>
    string? DocumentHash(string path);

    /// <summary>Replaces everything stored for <paramref name="path"/> with <paramref name="chunks"/> (and their vectors,
    /// and the <see cref="Retrieval.DenseCompanion"/>'s, when given), in one transaction.</summary>
    void ReplaceDocument(string path, string hash, long bytes, IReadOnlyList<Chunk> chunks, IReadOnlyList<ReadOnlyMemory<byte>>? vectors,
        IReadOnlyList<ReadOnlyMemory<byte>>? companionVectors = null);

    /// <summary>Deletes <paramref name="path"/> with its chunks, their index entries and vectors, in one transaction.</summary>
    void RemoveDocument(string path);

    /// <summary>The stored documents whose paths lie under <paramref name="folder"/> (a full path).</summary>
    IReadOnlyList<string> DocumentsUnder(string folder);

    /// <summary>Whether some chunk of <paramref name="path"/> has no vector (it was ingested without an embedding model),
    /// or, with <paramref name="companion"/>, no companion vector either.</summary>
    bool LacksVectors(string path, bool companion = false);

    /// <summary>Every stored document some chunk of which has no vector (or, with <paramref name="companion"/>, no
    /// companion vector), by path.</summary>
    IReadOnlyList<string> DocumentsLackingVectors(bool companion = false);

    /// <summary>The embedding model the stored vectors were made with (its id, as recorded by the first ingest that
    /// had one), or null.</summary>
    string? EmbeddingModel();

    void RecordEmbeddingModel(string id);

    /// <summary>The <see cref="Retrieval.DenseCompanion"/>'s model, recorded as <see cref="EmbeddingModel"/> is, or null.</summary>
    string? CompanionModel();

    void RecordCompanionModel(string id);

    /// <summary>The best <paramref name="limit"/> chunks by the store's full-text ranking (BM25 in SQLite) for the words of <paramref name="query"/>.</summary>
    IReadOnlyList<RetrievedChunk> SearchLexical(string query, int limit);

    /// <summary>The <paramref name="top"/> chunk ids by cosine similarity to <paramref name="query"/>, best first
    /// (score = cosine); empty when no chunk has a vector.</summary>
    IReadOnlyList<(long ChunkId, float Score)> SearchVectors(ReadOnlySpan<float> query, int top);

    /// <summary>The chunks with these ids (order not kept; missing ids are left out), with score 0.</summary>
    IReadOnlyList<RetrievedChunk> Chunks(IReadOnlyCollection<long> ids);

    /// <summary>The unit-length vectors of those of these chunks that have one.</summary>
    IReadOnlyDictionary<long, float[]> ChunkVectors(IReadOnlyCollection<long> ids);

    /// <summary>The unit-length companion vectors of those of these chunks that have one.</summary>
    IReadOnlyDictionary<long, float[]> CompanionVectors(IReadOnlyCollection<long> ids);

    StoreCounts Counts();
}

/// <summary>The store cannot be used: not a database, not ours, a newer schema, or damaged. The message says which.</summary>
public sealed class RagStoreException(string message, Exception? inner = null) : Exception(message, inner);
