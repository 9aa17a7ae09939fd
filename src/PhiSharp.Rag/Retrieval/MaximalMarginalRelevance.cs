namespace PhiSharp.Rag.Retrieval;

/// <summary>
/// Maximal marginal relevance (Carbonell &amp; Goldstein, SIGIR 1998): picks results one at a time, each maximising
/// λ · relevance − (1 − λ) · (its highest similarity to a result already picked), so that a near-copy of a chosen
/// chunk (an overlapping chunk, the same paragraph in two files) gives way to something new. λ = 1 is the plain
/// ranking; lower values trade relevance for variety.
/// </summary>
public static class MaximalMarginalRelevance
{
    /// <param name="candidates">The ranking to diversify, best first, with any higher-is-better score.</param>
    /// <param name="similarity">Similarity of two candidates (by index into <paramref name="candidates"/>), in [-1, 1].</param>
    /// <returns>Indices into <paramref name="candidates"/>, in the order picked.</returns>
    public static IReadOnlyList<int> Select(IReadOnlyList<double> candidates, Func<int, int, double> similarity, int top, double lambda)
    {
        if (!(lambda >= 0 && lambda <= 1)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "MMR's λ must be in [0, 1].");
        var relevance = Rescaled(candidates);
        var picked = new List<int>();
        var closest = new double[candidates.Count]; // each candidate's highest similarity to the picked ones
        var taken = new bool[candidates.Count];
        while (picked.Count < Math.Min(top, candidates.Count))
        {
            int best = -1;
            double bestValue = double.NegativeInfinity;
            for (int i = 0; i < candidates.Count; i++)
            {
                if (taken[i]) continue;
                double value = lambda * relevance[i] - (1 - lambda) * (picked.Count == 0 ? 0 : closest[i]);
                if (value > bestValue) (best, bestValue) = (i, value); // ties keep the better-ranked candidate
            }
            taken[best] = true;
            picked.Add(best);
            for (int i = 0; i < candidates.Count; i++)
                if (!taken[i]) closest[i] = picked.Count == 1 ? similarity(i, best) : Math.Max(closest[i], similarity(i, best));
        }
        return picked;
    }

    /// <summary>Scores as a fraction of the best one (BM25, cosine and fused scores are all higher-is-better and
    /// positive for real matches), so that every mode's relevance weighs alike against similarity; min–max scaling
    /// when the best score is not positive.</summary>
    static double[] Rescaled(IReadOnlyList<double> scores)
    {
        if (scores.Count == 0) return [];
        double min = scores.Min(), max = scores.Max();
        if (max > 0) return scores.Select(s => s / max).ToArray();
        return scores.Select(s => max > min ? (s - min) / (max - min) : 1.0).ToArray();
    }

    /// <summary>Word-set overlap |A ∩ B| / |A ∪ B|: the similarity used when chunks have no vectors.</summary>
    public static double Jaccard(IReadOnlySet<string> a, IReadOnlySet<string> b)
    {
        if (a.Count == 0 && b.Count == 0) return 1;
        int shared = a.Count(b.Contains);
        return (double)shared / (a.Count + b.Count - shared);
    }
}
