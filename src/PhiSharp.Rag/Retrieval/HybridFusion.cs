using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Retrieval;

/// <summary>The weights of a fusion: hybrid = VectorWeight · vector + (1 − VectorWeight) · lexical, with lexical
/// evidence = relative full-text score × coverage^CoverageExponent.</summary>
public sealed record FusionWeights(double VectorWeight, int CoverageExponent);

/// <summary>
/// Fuses a lexical and a vector ranking of chunks by weighted scores, each brought to [0, 1] first:
/// <list type="bullet">
/// <item>vector evidence: the cosine (or, with a <see cref="DenseCompanion"/>, the mean of the two models' cosines),
/// min-max normalised over the vector candidates (best 1, worst 0);</item>
/// <item>lexical evidence: the full-text score as a fraction of the best one, times the square of the chunk's
/// coverage of the query (the fraction of the query's words, as <see cref="LexicalQuery.Terms"/> gives them, that
/// occur among the chunk's heading and text words).</item>
/// </list>
/// hybrid = VectorWeight · vector + (1 − VectorWeight) · lexical (<see cref="FusionWeights"/>); a chunk missing from a
/// ranking gets 0 there. Why coverage: a full-text ranking puts some chunk first even when it shares a single common
/// word with a paraphrased question, and normalising by the best score alone (or fusing by rank, as reciprocal-rank
/// fusion does) turns that weak match into full evidence. Coverage keeps it weak, while a query whose words a chunk
/// all contains (a name, a term of art) keeps the full lexical weight. The weights and exponents were chosen on
/// tests/fixtures/rag/tuning.jsonl and tuning-paraphrased.jsonl (docs/RAG.md), not on the question sets the figures
/// are reported for.
/// </summary>
public static class HybridFusion
{
    /// <summary>With one embedding model (chosen on tuning.jsonl).</summary>
    public static readonly FusionWeights OneModel = new(VectorWeight: 0.5, CoverageExponent: 2);

    /// <summary>With a companion: the middle of the widest plateau on the two tuning sets (docs/RAG.md). Two models
    /// agreeing are stronger evidence, so the dense side weighs more.</summary>
    public static readonly FusionWeights TwoModels = new(VectorWeight: 0.75, CoverageExponent: 1);

    /// <summary>The fused ranking, best first; ties go to the better cosine, then the smaller id.</summary>
    /// <param name="weights">Default <see cref="OneModel"/>.</param>
    public static IReadOnlyList<(long Id, double Score)> Fuse(string query, IReadOnlyList<RetrievedChunk> lexical,
        IReadOnlyList<(long ChunkId, float Score)> vector, FusionWeights? weights = null)
    {
        var (vectorWeight, coverageExponent) = weights ?? OneModel;
        var scores = new Dictionary<long, (double Score, float Cosine)>();
        if (vector.Count > 0)
        {
            float best = vector.Max(h => h.Score), worst = vector.Min(h => h.Score);
            foreach (var (id, cosine) in vector)
                scores[id] = (vectorWeight * (best > worst ? (cosine - worst) / (double)(best - worst) : 1.0), cosine);
        }
        if (lexical.Count > 0)
        {
            var terms = LexicalQuery.Terms(query);
            double best = lexical.Max(h => h.Score);
            foreach (var hit in lexical)
            {
                double relative = best > 0 ? hit.Score / best : 1.0;
                double evidence = relative * Math.Pow(Coverage(terms, hit), coverageExponent);
                var (score, cosine) = scores.GetValueOrDefault(hit.ChunkId, (0, float.NegativeInfinity));
                scores[hit.ChunkId] = (score + (1 - vectorWeight) * evidence, cosine);
            }
        }
        return scores.OrderByDescending(p => p.Value.Score).ThenByDescending(p => p.Value.Cosine).ThenBy(p => p.Key)
            .Select(p => (p.Key, p.Value.Score)).ToList();
    }

    /// <summary>The fraction of <paramref name="terms"/> among the chunk's words (exact lower-cased words: no stemming).</summary>
    public static double Coverage(IReadOnlyList<string> terms, RetrievedChunk chunk)
    {
        if (terms.Count == 0) return 0;
        var words = LexicalQuery.ContentWords(chunk.Heading is null ? chunk.Text : chunk.Heading + " " + chunk.Text);
        return terms.Count(words.Contains) / (double)terms.Count;
    }
}
