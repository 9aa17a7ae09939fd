using PhiSharp.Tensors;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// The matmul layout of weights that live in memory of our own: rows interleaved eight at a time
/// (<see cref="Q4_0x8"/>, <see cref="Q4_Kx8"/>, <see cref="Q6_Kx8"/>), so that one integer multiply-add works for 8 rows. Each group
/// is a permutation of its 8 rows' bytes, so the rewrite happens in place and slices of whole groups stay valid.
/// </summary>
internal static unsafe class InterleavedRows
{
    public const int Group = 8;

    public static bool Supports(GgmlType type, int rows, int columns) => rows % Group == 0 && type switch
    {
        GgmlType.Q4_0 => columns % 32 == 0,
        GgmlType.Q4_K or GgmlType.Q6_K => columns % 256 == 0,
        _ => false,
    };

    /// <summary>Rewrites a row-major matrix in place, groups in parallel (it runs once, at load); <see cref="Supports"/>
    /// must hold.</summary>
    public static void Interleave(GgmlType type, byte* data, int rows, int columns)
    {
        long groupBytes = Group * GgmlTypeInfo.RowByteSize(type, columns);
        nint start = (nint)data;
        Parallel.For(0, rows / Group, () => new byte[groupBytes], (g, _, scratch) =>
        {
            byte* group = (byte*)start + g * groupBytes;
            if (type == GgmlType.Q4_0) Q4_0x8.Interleave(group, columns / 32, scratch);
            else if (type == GgmlType.Q4_K) Q4_Kx8.Interleave(group, columns / 256, scratch);
            else Q6_Kx8.Interleave(group, columns / 256, scratch);
            return scratch;
        }, _ => { });
    }

    /// <summary>y[t·yStride + j] = row j of the group · token t.</summary>
    public static void DotTokens(GgmlType type, SimdTier tier, byte* group, int columns, in Q8Batch batch, int tokens, float* y, long yStride)
    {
        if (type == GgmlType.Q4_0) Q4_0x8.DotTokens(tier, group, columns / 32, batch, tokens, y, yStride);
        else if (type == GgmlType.Q4_K) Q4_Kx8.DotTokens(tier, group, columns / 256, batch, tokens, y, yStride);
        else Q6_Kx8.DotTokens(tier, group, columns / 256, batch, tokens, y, yStride);
    }

    public static void DequantizeRow(GgmlType type, byte* group, int columns, int j, Span<float> y)
    {
        if (type == GgmlType.Q4_0) Q4_0x8.DequantizeRow(group, columns / 32, j, y);
        else if (type == GgmlType.Q4_K) Q4_Kx8.DequantizeRow(group, columns / 256, j, y);
        else Q6_Kx8.DequantizeRow(group, columns / 256, j, y);
    }
}
