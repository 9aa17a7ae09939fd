using PhiSharp.Tensors;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// One quantized type's block math over a row as the file stores it (a mapped file, or a type with no interleaved
/// layout), per width: the operator of <see cref="RowMajorRows"/>, the driver that owns the rows, tiles and
/// remainders. Implemented by <see cref="Q4_0Dot"/>, <see cref="Q8_0Dot"/>, <see cref="Q4_KDot"/>,
/// <see cref="Q5_KDot"/> and <see cref="Q6_KDot"/>, each with its scalar reference beside its vector paths.
/// </summary>
internal unsafe interface IRowKernel
{
    /// <summary>Weights per block (32) or super-block (256).</summary>
    static abstract int BlockWeights { get; }

    /// <summary>Bytes of one block.</summary>
    static abstract int RowBlockBytes { get; }

    /// <summary>Whether the 256-bit paths read the row's fp16 block scales widened once per row
    /// (<see cref="HalfScales.Gather"/>) rather than per token.</summary>
    static abstract bool GathersScales { get; }

    /// <summary>Row · one token. <paramref name="rowScales"/>: the widened scales where <see cref="GathersScales"/> and
    /// the tier is 256 bits wide, else null.</summary>
    static abstract float OneToken<TTier>(byte* row, int blocks, float* rowScales, Q8Row a) where TTier : struct, ISimdTier;

    /// <summary>Row · tokens first..first+3 into y[t·yStride] (256-bit tiers): each block unpacked once where the type
    /// gains from it, else four single-token products.</summary>
    static abstract void FourTokens<TTier>(byte* row, int blocks, float* rowScales, in Q8Batch batch, int first, float* y, long yStride)
        where TTier : struct, ISimdTier;
}

/// <summary>The generic driver of the row-major kernels.</summary>
internal static unsafe class RowMajorRows
{
    /// <summary>y[t·yStride + r] = row r · token t for rows [start, end) of a <paramref name="type"/> matrix at
    /// <paramref name="data"/> (the matmul splits rows over threads).</summary>
    public static void DotRows<TTier>(GgmlType type, byte* data, int start, int end, int columns, in Q8Batch batch, int tokens,
        float* y, long yStride) where TTier : struct, ISimdTier
    {
        switch (type)
        {
            case GgmlType.Q4_0: DotRows<Q4_0Dot, TTier>(data, start, end, columns, batch, tokens, y, yStride); break;
            case GgmlType.Q8_0: DotRows<Q8_0Dot, TTier>(data, start, end, columns, batch, tokens, y, yStride); break;
            case GgmlType.Q4_K: DotRows<Q4_KDot, TTier>(data, start, end, columns, batch, tokens, y, yStride); break;
            case GgmlType.Q5_K: DotRows<Q5_KDot, TTier>(data, start, end, columns, batch, tokens, y, yStride); break;
            default: DotRows<Q6_KDot, TTier>(data, start, end, columns, batch, tokens, y, yStride); break;
        }
    }

    static void DotRows<TKernel, TTier>(byte* data, int start, int end, int columns, in Q8Batch batch, int tokens, float* y, long yStride)
        where TKernel : IRowKernel where TTier : struct, ISimdTier
    {
        int blocks = columns / TKernel.BlockWeights;
        long rowBytes = (long)blocks * TKernel.RowBlockBytes;
        bool gather = TKernel.GathersScales && TTier.Width == 256;
        float* scales = null;
        if (gather)
        {
            float* buffer = stackalloc float[blocks];
            scales = buffer;
        }
        for (int r = start; r < end; r++)
        {
            byte* row = data + r * rowBytes;
            if (gather) HalfScales.Gather(row, blocks, TKernel.RowBlockBytes, scales);
            int done = 0;
            if (TTier.Width == 256)
                for (; done + 4 <= tokens; done += 4)
                    TKernel.FourTokens<TTier>(row, blocks, scales, batch, done, y + done * yStride + r, yStride);
            for (; done < tokens; done++)
                y[done * yStride + r] = TKernel.OneToken<TTier>(row, blocks, scales, batch.Row(done));
        }
    }

    /// <summary><see cref="IRowKernel.FourTokens{TTier}"/> for types that gain nothing from sharing a block between
    /// tokens: four single-token products.</summary>
    public static void FourSingleTokens<TKernel, TTier>(byte* row, int blocks, float* rowScales, in Q8Batch batch, int first, float* y,
        long yStride) where TKernel : IRowKernel where TTier : struct, ISimdTier
    {
        for (int t = 0; t < 4; t++) y[t * yStride] = TKernel.OneToken<TTier>(row, blocks, rowScales, batch.Row(first + t));
    }
}
