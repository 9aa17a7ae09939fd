using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;
using PhiSharp.Server.Embeddings;

namespace PhiSharp.Server.Rag;

/// <summary>
/// The server's document store (`--rag-db`) and its retriever. A store is one database connection (SQLite or a
/// PostgreSQL session), which is not safe for concurrent use, so searches take turns.
/// </summary>
sealed class ServedRag(IRagStore store, ServedEmbedder? embedder, DenseCompanion? companion = null) : IDisposable
{
    readonly SemaphoreSlim _turn = new(1, 1);
    readonly Retriever _retriever = NewRetriever(store, embedder, companion);

    public bool HasEmbedder => embedder is not null;

    static Retriever NewRetriever(IRagStore store, ServedEmbedder? embedder, DenseCompanion? companion)
    {
        // With another model than the documents' every grounded answer would rest on noise: refuse at start.
        if (embedder is not null) EmbeddingModelRecord.CheckForSearch(store, embedder);
        // The companion is used only within a search's turn, so it needs no wrapper of its own.
        return new Retriever(store, embedder, embedder is null ? null : companion);
    }

    /// <summary>Hybrid when the server has an embedding model and the database has vectors, else lexical (BM25).</summary>
    public RetrievalMode DefaultMode { get; } = embedder is not null && store.Counts().Vectors > 0 ? RetrievalMode.Hybrid : RetrievalMode.Lexical;

    public async Task<IReadOnlyList<RetrievedChunk>> SearchAsync(string question, int top, RetrievalMode mode, double? mmrLambda, CancellationToken ct)
    {
        await _turn.WaitAsync(ct);
        try
        {
            return await _retriever.SearchAsync(question, top, mode, mmrLambda, ct);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // The question is empty or too long, or vectors were asked of a database that has none.
            throw ApiException.BadRequest($"Retrieval failed: {e.Message}.", "rag", "invalid_value");
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>The store belongs to whoever created the server.</summary>
    public void Dispose() => _turn.Dispose();
}
