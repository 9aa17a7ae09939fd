using System.Numerics.Tensors;

namespace PhiSharp.Kernels;

/// <summary>Scaled dot-product attention for one query head over a contiguous run of cached keys and values.</summary>
public static class Attention
{
    /// <param name="query">The query head, already rotated.</param>
    /// <param name="keys">Cached keys of this head's KV group, one row of <c>headDim</c> per position.</param>
    /// <param name="values">Cached values, laid out like <paramref name="keys"/>.</param>
    /// <param name="first">First visible position (later than 0 under a sliding window).</param>
    /// <param name="last">Last visible position, inclusive (the query's own position: causal).</param>
    /// <param name="scores">Scratch of at least last - first + 1 floats.</param>
    /// <param name="output">The attended head, <c>headDim</c> floats.</param>
    public static void Head(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values,
        int first, int last, float scale, Span<float> scores, Span<float> output)
    {
        int headDim = query.Length;
        int count = last - first + 1;
        var s = scores[..count];
        for (int p = 0; p < count; p++)
            s[p] = TensorPrimitives.Dot(query, keys.Slice((first + p) * headDim, headDim)) * scale;
        Activations.SoftmaxInPlace(s);
        output.Clear();
        for (int p = 0; p < count; p++)
            TensorPrimitives.MultiplyAdd(values.Slice((first + p) * headDim, headDim), s[p], output, output);
    }
}
