using PhiSharp.Kernels;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Tests.Kernels;

/// <summary>One attention head equals softmax(scale · q·K) · V computed in double, for head sizes with and without
/// the 8-float SIMD path (the 4-float one on ARM64, where Vector256 is not accelerated), for position counts around its 4-key tiles and, over a float16 cache, around its 64-position
/// widening tiles (the reference then uses the float16-rounded keys and values).</summary>
public class AttentionTests
{
    [Theory]
    [InlineData(96, 1)]
    [InlineData(96, 7)]
    [InlineData(96, 33)]
    [InlineData(64, 4)]
    [InlineData(80, 9)]   // Phi-2's head size
    [InlineData(12, 5)]   // not a multiple of 8: the library path (on ARM64 the 4-float scores, library weighted sum)
    [InlineData(10, 3)]   // not a multiple of 4: the library path everywhere
    public void Head_is_softmax_weighted_values(int headDim, int count)
    {
        var random = new Random(headDim * 100 + count);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        int first = 2, last = first + count - 1;
        var query = Random(headDim);
        var keys = Random((last + 1) * headDim);
        var values = Random((last + 1) * headDim);
        float scale = 1 / MathF.Sqrt(headDim);
        var output = new float[headDim];
        Attention.Head(query, keys, values, first, last, scale, new float[count + 3], output);
        AssertIsAttention(query, keys, values, first, count, scale, output);
    }

    [Theory]
    [InlineData(96, 1, 1, null)]
    [InlineData(96, 1, 64, null)]
    [InlineData(96, 5, 126, null)]  // two whole tiles and a part, five queries
    [InlineData(80, 4, 70, 50)]     // a sliding window: each query sees its own last 50 positions
    public void Heads_over_a_float16_cache_are_softmax_weighted_values(int headDim, int tokens, int position, int? window)
    {
        var random = new Random(headDim * 1000 + position);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        int length = position + tokens, queryStride = headDim + 3, outputStride = headDim + 5;
        var queries = Random(tokens * queryStride);
        var keys = Random(length * headDim).Select(v => (Half)v).ToArray();
        var values = Random(length * headDim).Select(v => (Half)v).ToArray();
        float scale = 1 / MathF.Sqrt(headDim);
        var outputs = new float[tokens * outputStride];
        var visibility = window is int v ? AttentionVisibility.SlidingWindow(v) : AttentionVisibility.Causal;
        Attention.Heads(queries, queryStride, tokens, position, visibility, head: 0, headDim, keys, values, scale,
            new float[tokens * length], length, new float[Attention.TileLength * headDim], outputs, outputStride);
        for (int b = 0; b < tokens; b++)
        {
            int last = position + b, first = window is int w ? Math.Max(0, last - w + 1) : 0;
            AssertIsAttention(queries.AsSpan(b * queryStride, headDim).ToArray(), keys.Select(k => (float)k).ToArray(),
                values.Select(v => (float)v).ToArray(), first, last - first + 1, scale, outputs.AsSpan(b * outputStride, headDim).ToArray());
        }
    }

    /// <summary>A pattern that no real model has, so only a kernel that applies HideKeys per head and per (query, key)
    /// matches the reference: head h hides key k when (k + h) % 3 == 1, except the query's own.</summary>
    sealed record EveryThirdKeyHidden : AttentionVisibility
    {
        public override int FirstKey(int head, int query) => 0;
        public override bool HidesKeysInRange => true;
        public static bool Hidden(int head, int query, int key) => key != query && (key + head) % 3 == 1;

        public override void HideKeys(int head, int query, int first, Span<float> scores)
        {
            for (int i = 0; i < scores.Length; i++)
                if (Hidden(head, query, first + i)) scores[i] = float.NegativeInfinity;
        }
    }

    [Theory]
    [InlineData(96, 1, 40, 0)]
    [InlineData(96, 5, 126, 1)]   // across 64-position tiles
    [InlineData(80, 3, 10, 2)]
    public void Hidden_keys_take_no_part_in_either_kernel(int headDim, int tokens, int position, int head)
    {
        var random = new Random(headDim + position + head);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        int length = position + tokens;
        var visibility = new EveryThirdKeyHidden();
        var queries = Random(tokens * headDim);
        var keys = Random(length * headDim).Select(v => (float)(Half)v).ToArray();   // float16-exact, for both caches
        var values = Random(length * headDim).Select(v => (float)(Half)v).ToArray();
        float scale = 1 / MathF.Sqrt(headDim);

        var half = new float[tokens * headDim];
        Attention.Heads(queries, headDim, tokens, position, visibility, head, headDim, keys.Select(k => (Half)k).ToArray(),
            values.Select(v => (Half)v).ToArray(), scale, new float[tokens * length], length, new float[Attention.TileLength * headDim], half, headDim);
        for (int b = 0; b < tokens; b++)
        {
            int query = position + b;
            var single = new float[headDim];
            Attention.Head(queries.AsSpan(b * headDim, headDim), keys, values, 0, query, scale, new float[length], single, visibility, head, query);
            var seen = Enumerable.Range(0, query + 1).Where(k => !EveryThirdKeyHidden.Hidden(head, query, k)).ToArray();
            Assert.True(seen.Length < query + 1 || query < 2, "the pattern hides something");
            AssertIsAttentionOver(queries.AsSpan(b * headDim, headDim).ToArray(), keys, values, seen, scale, single);
            AssertIsAttentionOver(queries.AsSpan(b * headDim, headDim).ToArray(), keys, values, seen, scale, half.AsSpan(b * headDim, headDim).ToArray());
        }
    }

    static void AssertIsAttention(float[] query, float[] keys, float[] values, int first, int count, float scale, float[] output) =>
        AssertIsAttentionOver(query, keys, values, Enumerable.Range(first, count).ToArray(), scale, output);

    static void AssertIsAttentionOver(float[] query, float[] keys, float[] values, int[] seen, float scale, float[] output)
    {
        int headDim = query.Length, count = seen.Length;

        var weights = new double[count];
        for (int p = 0; p < count; p++)
        {
            double dot = 0;
            for (int i = 0; i < headDim; i++) dot += query[i] * (double)keys[seen[p] * headDim + i];
            weights[p] = dot * scale;
        }
        double max = weights.Max(), total = weights.Sum(w => Math.Exp(w - max));
        for (int i = 0; i < headDim; i++)
        {
            double expected = 0;
            for (int p = 0; p < count; p++) expected += Math.Exp(weights[p] - max) / total * values[seen[p] * headDim + i];
            // float32 sums of ≤ 130 products of values in [-1, 1]: well within 1e-5.
            Assert.True(Math.Abs(output[i] - expected) <= 1e-5, $"dim {i}: {output[i]} vs {expected}");
        }
    }
}
