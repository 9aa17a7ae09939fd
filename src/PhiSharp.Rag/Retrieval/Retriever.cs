using Microsoft.Extensions.AI;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Retrieval;

/// <summary>Which rankings a search uses.</summary>
public enum RetrievalMode { Lexical, Vector, Hybrid }

/// <summary>
/// Finds the chunks for a query: the store's full-text ranking, its cosine ranking when an embedder is given,
/// and both fused by weighted, normalised scores (<see cref="HybridFusion"/>; hybrid, the default when vectors are available).
/// With a <see cref="DenseCompanion"/> whose vectors the store has for every candidate, hybrid's vector evidence is
/// the mean of both models' cosines (<see cref="HybridFusion.TwoModels"/>); otherwise the embedder's alone.
/// </summary>
public sealed class Retriever(IRagStore store, IEmbeddingGenerator<string, Embedding<float>>? embedder = null,
    DenseCompanion? companion = null)
{
    bool _hasVectors;
    bool _modelMatched; // the store's recorded embedding model is this embedder's (checked once it is recorded)

    /// <summary>Each ranking contributes this many candidates (at least) to the fusion, so a chunk ranked
    /// moderately by both can overtake one ranked first by only one.</summary>
    const int MinFusionCandidates = 50;

    public RetrievalMode DefaultMode => embedder is null ? RetrievalMode.Lexical : RetrievalMode.Hybrid;

    /// <summary>
    /// The best <paramref name="top"/> chunks for <paramref name="query"/>. With <paramref name="mmrLambda"/> the
    /// mode's best 4 × top candidates are re-picked by maximal marginal relevance (λ in [0, 1]; 1 = the plain
    /// ranking), comparing chunks by the cosine of their vectors, or by their word overlap when they have none.
    /// </summary>
    public async Task<IReadOnlyList<RetrievedChunk>> SearchAsync(string query, int top, RetrievalMode? mode = null,
        double? mmrLambda = null, CancellationToken cancel = default)
    {
        if (mmrLambda is not { } lambda) return await RankAsync(query, top, mode, cancel);
        if (!(lambda >= 0 && lambda <= 1)) throw new ArgumentException($"--mmr must be between 0 and 1, not {lambda}");
        var candidates = await RankAsync(query, Math.Max(4 * top, MinMmrCandidates), mode, cancel);
        var picked = MaximalMarginalRelevance.Select(candidates.Select(c => c.Score).ToList(), Similarity(candidates), top, lambda);
        return picked.Select(i => candidates[i]).ToList();
    }

    /// <summary>MMR's candidate pool is at least this large, so that a small top-k still has alternatives.</summary>
    const int MinMmrCandidates = 20;

    Func<int, int, double> Similarity(IReadOnlyList<RetrievedChunk> chunks)
    {
        var vectors = store.ChunkVectors(chunks.Select(c => c.ChunkId).ToList());
        if (chunks.All(c => vectors.ContainsKey(c.ChunkId)))
            return (a, b) => VectorMath.Dot(vectors[chunks[a].ChunkId], vectors[chunks[b].ChunkId]);
        var words = chunks.Select(c => LexicalQuery.ContentWords(c.Text)).ToList();
        return (a, b) => MaximalMarginalRelevance.Jaccard(words[a], words[b]);
    }

    async Task<IReadOnlyList<RetrievedChunk>> RankAsync(string query, int top, RetrievalMode? mode, CancellationToken cancel)
    {
        LexicalQuery.Validate(query);
        if (top < 1) throw new ArgumentException($"--top must be at least 1, not {top}");
        var use = mode ?? DefaultMode;
        if (use != RetrievalMode.Lexical && embedder is null)
            throw new ArgumentException($"{use} retrieval needs an embedding model; without one only lexical (BM25) search is possible");

        if (use == RetrievalMode.Lexical) return store.SearchLexical(query, top);

        int candidates = use == RetrievalMode.Hybrid ? Math.Max(top * 4, MinFusionCandidates) : top;
        var (vectorHits, queryVector) = await VectorSearchAsync(query, candidates, cancel);
        if (use == RetrievalMode.Vector) return WithScores(vectorHits.Select(h => (h.ChunkId, (double)h.Score)).ToList());

        var lexical = store.SearchLexical(query, candidates);
        if (await MeanCosinesAsync(query, queryVector, [.. vectorHits.Select(h => h.ChunkId).Union(lexical.Select(h => h.ChunkId))], cancel) is { } mean)
            return WithScores(HybridFusion.Fuse(query, lexical, mean, HybridFusion.TwoModels).Take(top).ToList());
        return WithScores(HybridFusion.Fuse(query, lexical, vectorHits).Take(top).ToList());
    }

    /// <summary>The vector ranking and the query's unit vector.</summary>
    async Task<(IReadOnlyList<(long ChunkId, float Score)> Hits, float[] Query)> VectorSearchAsync(string query, int top, CancellationToken cancel)
    {
        _modelMatched = _modelMatched || EmbeddingModelRecord.CheckForSearch(store, embedder!);
        _hasVectors = _hasVectors || store.Counts().Vectors > 0;
        if (!_hasVectors)
            throw new InvalidOperationException("the database has no vectors: its documents were ingested without an embedding model");
        var embedding = await embedder!.GenerateAsync([query], cancellationToken: cancel);
        return (store.SearchVectors(embedding[0].Vector.Span, top), VectorCodec.Normalize(embedding[0].Vector.Span));
    }

    /// <summary>
    /// The mean of the embedder's and the companion's cosines for each candidate (both vector and full-text ones, so
    /// that every candidate has dense evidence), or null when there is no companion or the store lacks its vectors
    /// for some candidate (made by another model, or ingested without it): then hybrid uses the embedder alone.
    /// </summary>
    async Task<IReadOnlyList<(long ChunkId, float Score)>?> MeanCosinesAsync(string query, float[] queryVector, IReadOnlyList<long> ids,
        CancellationToken cancel)
    {
        if (companion is null || ids.Count == 0 || !EmbeddingModelRecord.CompanionMatches(store, companion)) return null;
        var second = store.CompanionVectors(ids);
        var first = store.ChunkVectors(ids);
        if (ids.Any(id => !second.ContainsKey(id) || !first.ContainsKey(id))) return null;
        var embedding = await companion.Embedder.GenerateAsync([companion.QueryPrefix + query], cancellationToken: cancel);
        var secondQuery = VectorCodec.Normalize(embedding[0].Vector.Span);
        var mean = new List<(long, float)>(ids.Count);
        foreach (long id in ids) mean.Add((id, (VectorMath.Dot(queryVector, first[id]) + VectorMath.Dot(secondQuery, second[id])) / 2));
        return mean;
    }

    IReadOnlyList<RetrievedChunk> WithScores(IReadOnlyList<(long Id, double Score)> ranked)
    {
        var byId = store.Chunks(ranked.Select(r => r.Id).ToList()).ToDictionary(c => c.ChunkId);
        return ranked.Where(r => byId.ContainsKey(r.Id)).Select(r => byId[r.Id] with { Score = r.Score }).ToList();
    }
}
