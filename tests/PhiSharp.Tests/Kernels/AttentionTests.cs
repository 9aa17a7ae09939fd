using PhiSharp.Kernels;

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
    [InlineData(96, 1)]
    [InlineData(96, 64)]
    [InlineData(96, 130)]  // two whole tiles and a part
    [InlineData(80, 70)]
    public void Head_over_a_float16_cache_is_softmax_weighted_values(int headDim, int count)
    {
        var random = new Random(headDim * 1000 + count);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        int first = 1, last = first + count - 1;
        var query = Random(headDim);
        var keys = Random((last + 1) * headDim).Select(v => (Half)v).ToArray();
        var values = Random((last + 1) * headDim).Select(v => (Half)v).ToArray();
        float scale = 1 / MathF.Sqrt(headDim);
        var output = new float[headDim];
        Attention.Head(query, keys, values, first, last, scale, new float[count], new float[Attention.TileLength * headDim], output);
        AssertIsAttention(query, keys.Select(k => (float)k).ToArray(), values.Select(v => (float)v).ToArray(), first, count, scale, output);
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
