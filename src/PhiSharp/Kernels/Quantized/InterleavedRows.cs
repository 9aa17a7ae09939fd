using PhiSharp.Tensors;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// The matmul layout of weights that live in memory of our own: rows interleaved eight at a time
/// (<see cref="Q4_0x8"/>, <see cref="Q8_0x8"/>, <see cref="Q4_Kx8"/>, <see cref="Q6_Kx8"/>), so that one integer
/// multiply-add works for 8 rows. Each group is a permutation of its 8 rows' bytes (Q8_0's codes also move to
/// unsigned), so the rewrite happens in place and slices of whole groups stay valid.
/// </summary>
internal static unsafe class InterleavedRows
{
    public const int Group = 8;

    public static bool Supports(GgmlType type, int rows, int columns) => rows % Group == 0 && type switch
    {
        GgmlType.Q4_0 or GgmlType.Q8_0 => columns % 32 == 0,
        GgmlType.Q4_K or GgmlType.Q6_K => columns % 256 == 0,
        _ => false,
    };

    /// <summary>The interleaved layout <paramref name="tier"/>'s kernels read: Q8_0's codes unsigned for x86-avxvnni
    /// (<see cref="Q8_0x8.UnsignedCodes{TTier}"/>), every other type and tier the codes as stored.</summary>
    public static WeightLayout LayoutFor(GgmlType type, SimdTier tier) =>
        type == GgmlType.Q8_0 && tier == SimdTier.AvxVnni ? WeightLayout.RowsInterleavedUnsigned : WeightLayout.RowsInterleaved;

    /// <summary>Rewrites a row-major matrix in place, groups in parallel (it runs once, at load); <see cref="Supports"/>
    /// must hold.</summary>
    public static void Interleave(GgmlType type, byte* data, int rows, int columns, WeightLayout layout)
    {
        long groupBytes = Group * GgmlTypeInfo.RowByteSize(type, columns);
        nint start = (nint)data;
        bool unsignedCodes = layout == WeightLayout.RowsInterleavedUnsigned;
        Parallel.For(0, rows / Group, () => new byte[groupBytes], (g, _, scratch) =>
        {
            byte* group = (byte*)start + g * groupBytes;
            switch (type)
            {
                case GgmlType.Q4_0: Q4_0x8.Interleave(group, columns / 32, scratch); break;
                case GgmlType.Q8_0: Q8_0x8.Interleave(group, columns / 32, scratch, unsignedCodes); break;
                case GgmlType.Q4_K: Q4_Kx8.Interleave(group, columns / 256, scratch); break;
                default: Q6_Kx8.Interleave(group, columns / 256, scratch); break;
            }
            return scratch;
        }, _ => { });
    }

    /// <summary>y[t·yStride + j] = row j of the group · token t.</summary>
    public static void DotTokens<TTier>(GgmlType type, byte* group, int columns, in Q8Batch batch, int tokens, float* y, long yStride)
        where TTier : struct, ISimdTier
    {
        if (type == GgmlType.Q4_0) Q4_0x8.DotTokens<TTier>(group, columns / 32, batch, tokens, y, yStride);
        else if (TTier.Width != 256) RowByRow<TTier>(type, group, columns, batch, tokens, y, yStride);
        else if (type == GgmlType.Q8_0) Q8_0x8.DotTokens<TTier>(group, columns / 32, batch, tokens, y, yStride);
        else if (type == GgmlType.Q4_K) Q4_Kx8.DotTokens<TTier>(group, columns / 256, batch, tokens, y, yStride);
        else Q6_Kx8.DotTokens<TTier>(group, columns / 256, batch, tokens, y, yStride);
    }

    public static void DequantizeRow(in WeightTensor weight, byte* group, int j, Span<float> y)
    {
        int columns = weight.RowLength;
        if (weight.Type == GgmlType.Q4_0)
        {
            Q4_0x8.DequantizeRow(group, columns / 32, j, y);
            return;
        }
        int length = GgmlTypeInfo.BlockSize(weight.Type), bytes = GgmlTypeInfo.BlockBytes(weight.Type);
        byte* block = stackalloc byte[bytes];
        for (int b = 0; b < columns / length; b++)
        {
            Extract(weight.Type, weight.Layout == WeightLayout.RowsInterleavedUnsigned, group, b, j, block);
            Dequantize.Row(weight.Type, new ReadOnlySpan<byte>(block, bytes), y.Slice(b * length, length));
        }
    }

    /// <summary>The tiers narrower than 256 bits: each row's blocks rebuilt in the type's own form and run through its
    /// row-major kernel (simple rather than fast: these tiers are the portable fallback).</summary>
    static void RowByRow<TTier>(GgmlType type, byte* group, int columns, in Q8Batch batch, int tokens, float* y, long yStride)
        where TTier : struct, ISimdTier
    {
        int blocks = columns / GgmlTypeInfo.BlockSize(type);
        byte* block = stackalloc byte[GgmlTypeInfo.BlockBytes(type)];
        for (int t = 0; t < tokens; t++)
        {
            var a = batch.Row(t);
            for (int j = 0; j < Group; j++)
            {
                float sum = 0;
                for (int b = 0; b < blocks; b++)
                {
                    Extract(type, Q8_0x8.UnsignedCodes<TTier>(), group, b, j, block);
                    sum += type switch
                    {
                        GgmlType.Q8_0 => Q8_0x8.BlockDot<TTier>(block, a, b),
                        GgmlType.Q4_K => Q4_Kx8.BlockDot<TTier>(block, a, b),
                        _ => Q6_Kx8.BlockDot<TTier>(block, a, b),
                    };
                }
                y[t * yStride + j] = sum;
            }
        }
    }

    static void Extract(GgmlType type, bool unsignedCodes, byte* group, int b, int j, byte* block)
    {
        if (type == GgmlType.Q8_0) Q8_0x8.Extract(group, b, j, block, unsignedCodes);
        else if (type == GgmlType.Q4_K) Q4_Kx8.Extract(group, b, j, block);
        else Q6_Kx8.Extract(group, b, j, block);
    }
}
