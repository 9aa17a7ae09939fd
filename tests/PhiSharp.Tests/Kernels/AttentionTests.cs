using PhiSharp.Kernels;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Tests.Kernels;

/// <summary>One attention head equals softmax(scale · q·K) · V computed in double, for head sizes with and without
/// the 8-float SIMD path, for position counts around its 4-key tiles and, over a float16 cache, around its 64-position
/// widening tiles (the reference then uses the float16-rounded keys and values).</summary>
public class AttentionTests
{
    [Theory]
    [InlineData(96, 1)]
    [InlineData(96, 7)]
    [InlineData(96, 33)]
    [InlineData(64, 4)]
    [InlineData(80, 9)]   // Phi-2's head size
    [InlineData(12, 5)]   // not a multiple of 8: the library path
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

    static void AssertIsAttention(float[] query, float[] keys, float[] values, int first, int count, float scale, float[] output)
    {
        int headDim = query.Length;

        var weights = new double[count];
        for (int p = 0; p < count; p++)
        {
            double dot = 0;
            for (int i = 0; i < headDim; i++) dot += query[i] * (double)keys[(first + p) * headDim + i];
            weights[p] = dot * scale;
        }
        double max = weights.Max(), total = weights.Sum(w => Math.Exp(w - max));
        for (int i = 0; i < headDim; i++)
        {
            double expected = 0;
            for (int p = 0; p < count; p++) expected += Math.Exp(weights[p] - max) / total * values[(first + p) * headDim + i];
            // float32 sums of ≤ 128 products of values in [-1, 1]: well within 1e-5.
            Assert.True(Math.Abs(output[i] - expected) <= 1e-5, $"dim {i}: {output[i]} vs {expected}");
        }
    }
}
