using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// The ARM64 path of <see cref="Q4_0x8"/>: the same interleaved bytes, read 128 bits at a time. Chunk c's 32 bytes
/// are rows 0–3 then rows 4–7, each lane 4 bytes of one row, so its low nibbles against activation quadruplet c of
/// weights 0–15 and its high nibbles against quadruplet c of weights 16–31 give each row's products in its own lane
/// (<see cref="IntegerDot.QuadsByElement{TTier}"/>): no horizontal sums. The codes stay unsigned (0–15, exact as
/// signed bytes); the sums start at −8·Σa to take Q4_0's offset off.
/// </summary>
internal readonly unsafe partial struct Q4_0x8
{
    public static void OneTokenNeon<TTier>(byte* group, int blocks, Q8Row a, float* y) where TTier : struct, ISimdTier
    {
        Vector128<float> acc0 = default, acc1 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes, codes = block + CodesOffset;
            var x0 = Vector128.Load(a.Values + 32 * b);
            var x1 = Vector128.Load(a.Values + 32 * b + 16);
            Vector128<int> rows0 = Vector128.Create(-8 * a.Sums[b]), rows1 = rows0;
            NeonChunk<TTier>(codes, 0, x0, x1, ref rows0, ref rows1);
            NeonChunk<TTier>(codes, 1, x0, x1, ref rows0, ref rows1);
            NeonChunk<TTier>(codes, 2, x0, x1, ref rows0, ref rows1);
            NeonChunk<TTier>(codes, 3, x0, x1, ref rows0, ref rows1);
            float da = a.Scales[b];
            acc0 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(rows0), HalfScales.Load4(block) * da, acc0);
            acc1 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(rows1), HalfScales.Load4(block + 8) * da, acc1);
        }
        acc0.Store(y);
        acc1.Store(y + 4);
    }

    /// <summary>Chunk c's products for rows 0–3 (into <paramref name="rows0"/>) and 4–7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void NeonChunk<TTier>(byte* codes, [ConstantExpected(Max = 3)] byte c, Vector128<sbyte> x0, Vector128<sbyte> x1,
        ref Vector128<int> rows0, ref Vector128<int> rows1) where TTier : struct, ISimdTier
    {
        var mask = Vector128.Create((byte)0x0F);
        var q0 = Vector128.Load(codes + 32 * c);
        var q1 = Vector128.Load(codes + 32 * c + 16);
        rows0 = IntegerDot.QuadsByElement<TTier>(rows0, (q0 & mask).AsSByte(), x0, c);
        rows1 = IntegerDot.QuadsByElement<TTier>(rows1, (q1 & mask).AsSByte(), x0, c);
        rows0 = IntegerDot.QuadsByElement<TTier>(rows0, Vector128.ShiftRightLogical(q0, 4).AsSByte(), x1, c);
        rows1 = IntegerDot.QuadsByElement<TTier>(rows1, Vector128.ShiftRightLogical(q1, 4).AsSByte(), x1, c);
    }
}
