namespace PhiSharp.Rag.Retrieval;

/// <summary>
/// Reciprocal-rank fusion (Cormack, Clarke &amp; Büttcher, SIGIR 2009): score(d) = Σ over rankings of 1 / (k + rank(d)),
/// rank counted from 1. It fuses rankings whose scores are on different scales (BM25 and cosine) using ranks only;
/// k = 60 is the paper's value, damping the weight of the very top ranks.
/// </summary>
public static class ReciprocalRankFusion
{
    public const int DefaultK = 60;

    /// <summary>The fused ranking, best first; ties go to the id seen at the better single rank, then the smaller id.</summary>
    public static IReadOnlyList<(long Id, double Score)> Fuse(IReadOnlyList<IReadOnlyList<long>> rankings, int k = DefaultK)
    {
        if (k < 1) throw new ArgumentException($"the RRF constant must be at least 1, not {k}", nameof(k));
        var scores = new Dictionary<long, (double Score, int BestRank)>();
        foreach (var ranking in rankings)
        {
            for (int i = 0; i < ranking.Count; i++)
            {
                var (score, bestRank) = scores.GetValueOrDefault(ranking[i], (0, int.MaxValue));
                scores[ranking[i]] = (score + 1.0 / (k + i + 1), Math.Min(bestRank, i + 1));
            }
        }
        return scores.OrderByDescending(p => p.Value.Score).ThenBy(p => p.Value.BestRank).ThenBy(p => p.Key)
            .Select(p => (p.Key, p.Value.Score)).ToList();
    }
}
