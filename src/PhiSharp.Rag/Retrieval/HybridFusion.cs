using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Retrieval;

/// <summary>
/// Fuses a lexical and a vector ranking of chunks by weighted scores, each brought to [0, 1] first:
/// <list type="bullet">
/// <item>vector evidence: the cosine, min-max normalised over the vector candidates (best 1, worst 0);</item>
/// <item>lexical evidence: the full-text score as a fraction of the best one, times the square of the chunk's
/// coverage of the query (the fraction of the query's words, as <see cref="LexicalQuery.Terms"/> gives them, that
/// occur among the chunk's heading and text words).</item>
/// </list>
/// hybrid = <see cref="VectorWeight"/> · vector + (1 − <see cref="VectorWeight"/>) · lexical; a chunk missing from a
/// ranking gets 0 there. Why coverage: a full-text ranking puts some chunk first even when it shares a single common
/// word with a paraphrased question, and normalising by the best score alone (or fusing by rank, as reciprocal-rank
/// fusion does) turns that weak match into full evidence. Coverage keeps it weak, while a query whose words a chunk
/// all contains (a name, a term of art) keeps the full lexical weight. The weight and the exponent were chosen on
/// tests/fixtures/rag/tuning.jsonl (docs/RAG.md), not on the question sets the figures are reported for.
/// </summary>
public static class HybridFusion
{
    public const double VectorWeight = 0.5;
    public const int CoverageExponent = 2;

    /// <summary>The fused ranking, best first; ties go to the better cosine, then the smaller id.</summary>
    public static IReadOnlyList<(long Id, double Score)> Fuse(string query, IReadOnlyList<RetrievedChunk> lexical,
        IReadOnlyList<(long ChunkId, float Score)> vector)
    {
        var scores = new Dictionary<long, (double Score, float Cosine)>();
        if (vector.Count > 0)
        {
            float best = vector.Max(h => h.Score), worst = vector.Min(h => h.Score);
            foreach (var (id, cosine) in vector)
                scores[id] = (VectorWeight * (best > worst ? (cosine - worst) / (double)(best - worst) : 1.0), cosine);
        }
        if (lexical.Count > 0)
        {
            var terms = LexicalQuery.Terms(query);
            double best = lexical.Max(h => h.Score);
            foreach (var hit in lexical)
            {
                double relative = best > 0 ? hit.Score / best : 1.0;
                double evidence = relative * Math.Pow(Coverage(terms, hit), CoverageExponent);
                var (score, cosine) = scores.GetValueOrDefault(hit.ChunkId, (0, float.NegativeInfinity));
                scores[hit.ChunkId] = (score + (1 - VectorWeight) * evidence, cosine);
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
