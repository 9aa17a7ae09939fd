using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// The ARM64 path of <see cref="Q8_0x8"/> (signed codes, the layout of every tier but x86-avxvnni): chunk c (codes
/// 4c..4c+3 of the 8 rows, rows 0–3 then 4–7) against activation quadruplet c, one row per 32-bit lane
/// (<see cref="IntegerDot.QuadsByElement{TTier}"/>).
/// </summary>
internal readonly unsafe partial struct Q8_0x8
{
    public static void OneTokenNeon<TTier>(byte* group, int blocks, Q8Row a, float* y) where TTier : struct, ISimdTier
    {
        Vector128<float> acc0 = default, acc1 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes, codes = block + CodesOffset;
            var x0 = Vector128.Load(a.Values + 32 * b);
            var x1 = Vector128.Load(a.Values + 32 * b + 16);
            // Two chains per register half, so consecutive dot products do not wait on each other.
            Vector128<int> rows0 = default, rows1 = default, next0 = default, next1 = default;
            NeonChunk<TTier>(codes, 0, x0, 0, ref rows0, ref rows1);
            NeonChunk<TTier>(codes, 1, x0, 1, ref next0, ref next1);
            NeonChunk<TTier>(codes, 2, x0, 2, ref rows0, ref rows1);
            NeonChunk<TTier>(codes, 3, x0, 3, ref next0, ref next1);
            NeonChunk<TTier>(codes, 4, x1, 0, ref rows0, ref rows1);
            NeonChunk<TTier>(codes, 5, x1, 1, ref next0, ref next1);
            NeonChunk<TTier>(codes, 6, x1, 2, ref rows0, ref rows1);
            NeonChunk<TTier>(codes, 7, x1, 3, ref next0, ref next1);
            float da = a.Scales[b];
            acc0 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(rows0 + next0), HalfScales.Load4(block) * da, acc0);
            acc1 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(rows1 + next1), HalfScales.Load4(block + 8) * da, acc1);
        }
        acc0.Store(y);
        acc1.Store(y + 4);
    }

    /// <summary>Chunk c's products for rows 0–3 and 4–7 against quadruplet <paramref name="quad"/> of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void NeonChunk<TTier>(byte* codes, int c, Vector128<sbyte> x, [ConstantExpected(Max = 3)] byte quad,
        ref Vector128<int> rows0, ref Vector128<int> rows1) where TTier : struct, ISimdTier
    {
        rows0 = IntegerDot.QuadsByElement<TTier>(rows0, Vector128.Load((sbyte*)codes + 32 * c), x, quad);
        rows1 = IntegerDot.QuadsByElement<TTier>(rows1, Vector128.Load((sbyte*)codes + 32 * c + 16), x, quad);
    }
}
