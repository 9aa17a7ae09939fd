using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// The ARM64 path of <see cref="Q6_Kx8"/>: each 16 weights (one scale) are 4 chunks of 4 codes per row, assembled from
/// their nibble and top bits 128 bits (4 rows) at a time and multiplied against the 4 quadruplets of the 16
/// activations, one row per 32-bit lane (<see cref="IntegerDot.QuadsByElement{TTier}"/>). The −32 offset is taken off
/// once per super-block, as the 256-bit path does.
/// </summary>
internal readonly unsafe partial struct Q6_Kx8
{
    public static void OneTokenNeon<TTier>(byte* group, int blocks, Q8Row a, float* y) where TTier : struct, ISimdTier
    {
        Vector128<float> acc0 = default, acc1 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
            int* groupSums = a.Sums + 16 * b;
            // Σ_g scale_g·Σ q·a per row: at most 16·127·(63·127·16), inside 32 bits.
            Vector128<int> scaled0 = default, scaled1 = default, offset0 = default, offset1 = default;
            for (int g = 0; g < 16; g++)
            {
                int h = g >> 3, k = (g >> 1) & 3, firstChunk = 4 * (g & 1);
                var x = Vector128.Load(a.Values + 256 * b + 16 * g);
                Vector128<int> dot0 = default, dot1 = default;
                NeonChunk<TTier>(block, h, k, firstChunk, x, 0, ref dot0, ref dot1);
                NeonChunk<TTier>(block, h, k, firstChunk + 1, x, 1, ref dot0, ref dot1);
                NeonChunk<TTier>(block, h, k, firstChunk + 2, x, 2, ref dot0, ref dot1);
                NeonChunk<TTier>(block, h, k, firstChunk + 3, x, 3, ref dot0, ref dot1);
                Vector128<int> scale0 = Scale4(block, g, 0), scale1 = Scale4(block, g, 4);
                scaled0 += dot0 * scale0;
                scaled1 += dot1 * scale1;
                offset0 += scale0 * groupSums[g];
                offset1 += scale1 * groupSums[g];
            }
            float da = a.Scales[b];
            acc0 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(scaled0 - (offset0 << 5)), HalfScales.Load4(block) * da, acc0);
            acc1 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(scaled1 - (offset1 << 5)), HalfScales.Load4(block + 8) * da, acc1);
        }
        acc0.Store(y);
        acc1.Store(y + 4);
    }

    /// <summary><see cref="Codes"/> e of half h, sub-block k, against quadruplet <paramref name="quad"/> of x, for rows 0–3
    /// and 4–7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void NeonChunk<TTier>(byte* block, int h, int k, int e, Vector128<sbyte> x, [ConstantExpected(Max = 3)] byte quad,
        ref Vector128<int> rows0, ref Vector128<int> rows1) where TTier : struct, ISimdTier
    {
        rows0 = IntegerDot.QuadsByElement<TTier>(rows0, Codes4(block, h, k, e, 0).AsSByte(), x, quad);
        rows1 = IntegerDot.QuadsByElement<TTier>(rows1, Codes4(block, h, k, e, 16).AsSByte(), x, quad);
    }

    /// <summary><see cref="Codes"/> for rows 0–3 (<paramref name="half"/> 0) or 4–7 (16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<byte> Codes4(byte* block, int h, int k, int e, int half)
    {
        byte* chunk = Chunk(block, h, e) + half;
        var low = Vector128.Load(chunk + 32 * (k & 1));
        var nibble = k < 2 ? low & Vector128.Create((byte)0x0F) : Vector128.ShiftRightLogical(low, 4);
        var high = Vector128.Load(chunk + 64).AsUInt32();
        var top = ((high >>> (2 * k)) & Vector128.Create(0x03030303u)) << 4;
        return nibble | top.AsByte();
    }

    /// <summary>Scale g of rows <paramref name="row"/>..+3, one row per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<int> Scale4(byte* block, int g, int row) =>
        Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalar(*(uint*)(block + ScalesOffset + 8 * g + row)).AsSByte()));
}
