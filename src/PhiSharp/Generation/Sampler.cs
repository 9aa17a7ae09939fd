using System.Numerics.Tensors;

namespace PhiSharp.Generation;

/// <summary>
/// Picks the next token from logits, in HF's processor order: repetition penalty, temperature, top-k, top-p, min-p,
/// then a draw. Owns its scratch, so sampling allocates nothing per token.
/// </summary>
public sealed class Sampler
{
    readonly SamplingOptions _options;
    readonly RandomStream _random;
    readonly float[] _scores;
    readonly int[] _order;
    readonly int[] _penalisedAt;
    int _penaltyStamp;

    public Sampler(SamplingOptions options, int vocabSize)
    {
        options.Validate();
        _options = options;
        _random = new RandomStream(options.Seed ?? (ulong)Random.Shared.NextInt64());
        _scores = new float[vocabSize];
        _order = new int[vocabSize];
        _penalisedAt = new int[vocabSize];
    }

    /// <param name="logits">The model's logits for the next position; modified in place by the penalty.</param>
    /// <param name="history">Every token so far, prompt included (for the repetition penalty).</param>
    public int Sample(Span<float> logits, ReadOnlySpan<int> history)
    {
        if (_options.RepetitionPenalty != 1f) ApplyRepetitionPenalty(logits, history, _options.RepetitionPenalty);
        if (_options.Temperature == 0f) return TensorPrimitives.IndexOfMax(logits);

        // Candidates sorted by logit, most likely first (keys negated because the sort is ascending).
        int n = logits.Length;
        for (int i = 0; i < n; i++)
        {
            _scores[i] = -logits[i] / _options.Temperature;
            _order[i] = i;
        }
        int count = n;
        if (_options.TopK > 0 && _options.TopK < count)
            count = _options.TopK;
        Array.Sort(_scores, _order, 0, n);
        // Masked tokens (logit −∞, so score +∞) sort last and must never be drawn, even by the fall-back below.
        while (count > 1 && float.IsPositiveInfinity(_scores[count - 1])) count--;

        // Softmax over the kept candidates.
        var probs = _scores.AsSpan(0, count);
        TensorPrimitives.Negate(probs, probs);
        float max = probs[0];
        TensorPrimitives.Subtract(probs, max, probs);
        TensorPrimitives.Exp(probs, probs);
        TensorPrimitives.Divide(probs, TensorPrimitives.Sum(probs), probs);

        if (_options.TopP < 1f)
        {
            float cumulative = 0;
            for (int i = 0; i < count; i++)
            {
                cumulative += probs[i];
                if (cumulative >= _options.TopP) { count = i + 1; break; }
            }
        }
        if (_options.MinP > 0f)
        {
            float threshold = _options.MinP * probs[0];
            int kept = 1;
            while (kept < count && probs[kept] >= threshold) kept++;
            count = kept;
        }

        double total = TensorPrimitives.Sum(probs[..count]);
        double r = _random.NextDouble() * total;
        for (int i = 0; i < count; i++)
        {
            r -= probs[i];
            if (r < 0) return _order[i];
        }
        return _order[count - 1];
    }

    /// <summary>HF's rule: a seen token's logit is divided by the penalty when positive, multiplied when negative.
    /// A token seen several times is penalised once, as HF's gather/scatter over the ids does.</summary>
    void ApplyRepetitionPenalty(Span<float> logits, ReadOnlySpan<int> history, float penalty)
    {
        _penaltyStamp++;
        foreach (int t in history)
        {
            if ((uint)t >= (uint)logits.Length) continue;   // an image placeholder (Phi-3-vision's −n) has no logit
            if (_penalisedAt[t] == _penaltyStamp) continue;
            _penalisedAt[t] = _penaltyStamp;
            logits[t] = logits[t] < 0 ? logits[t] * penalty : logits[t] / penalty;
        }
    }
}
