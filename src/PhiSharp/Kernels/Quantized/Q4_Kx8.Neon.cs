using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// The ARM64 path of <see cref="Q4_Kx8"/>: each 32 bytes of a pair's codes, read as rows 0–3 and rows 4–7, serve
/// two sub-blocks (low nibbles 2p, high nibbles 2p+1), one row per 32-bit lane
/// (<see cref="IntegerDot.QuadsByElement{TTier}"/>). Scales and minimums of 4 rows are decoded per register.
/// </summary>
internal readonly unsafe partial struct Q4_Kx8
{
    public static void OneTokenNeon<TTier>(byte* group, int blocks, Q8Row a, float* y) where TTier : struct, ISimdTier
    {
        Vector128<float> acc0 = default, acc1 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
            int* groupSums = a.Sums + 16 * b;
            // Per row: Σ_s scale_s·Σ q·a (exact in 32 bits, as in FourTokens) and Σ_s min_s·Σ a.
            Vector128<int> scaled0 = default, scaled1 = default, mins0 = default, mins1 = default;
            for (int p = 0; p < 4; p++)
            {
                byte* codes = block + CodesOffset + 256 * p;
                sbyte* x = a.Values + 256 * b + 64 * p;
                Vector128<sbyte> lowA = Vector128.Load(x), lowB = Vector128.Load(x + 16);
                Vector128<sbyte> highA = Vector128.Load(x + 32), highB = Vector128.Load(x + 48);
                Vector128<int> low0 = default, low1 = default, high0 = default, high1 = default;
                NeonChunk<TTier>(codes, 0, lowA, highA, 0, ref low0, ref low1, ref high0, ref high1);
                NeonChunk<TTier>(codes, 1, lowA, highA, 1, ref low0, ref low1, ref high0, ref high1);
                NeonChunk<TTier>(codes, 2, lowA, highA, 2, ref low0, ref low1, ref high0, ref high1);
                NeonChunk<TTier>(codes, 3, lowA, highA, 3, ref low0, ref low1, ref high0, ref high1);
                NeonChunk<TTier>(codes, 4, lowB, highB, 0, ref low0, ref low1, ref high0, ref high1);
                NeonChunk<TTier>(codes, 5, lowB, highB, 1, ref low0, ref low1, ref high0, ref high1);
                NeonChunk<TTier>(codes, 6, lowB, highB, 2, ref low0, ref low1, ref high0, ref high1);
                NeonChunk<TTier>(codes, 7, lowB, highB, 3, ref low0, ref low1, ref high0, ref high1);
                int s = 2 * p;
                scaled0 += low0 * Scale4(block, s, 0) + high0 * Scale4(block, s + 1, 0);
                scaled1 += low1 * Scale4(block, s, 4) + high1 * Scale4(block, s + 1, 4);
                int lowSum = groupSums[2 * s] + groupSums[2 * s + 1], highSum = groupSums[2 * s + 2] + groupSums[2 * s + 3];
                mins0 += Min4(block, s, 0) * lowSum + Min4(block, s + 1, 0) * highSum;
                mins1 += Min4(block, s, 4) * lowSum + Min4(block, s + 1, 4) * highSum;
            }
            float da = a.Scales[b];
            acc0 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(scaled0), HalfScales.Load4(block) * da, acc0);
            acc1 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(scaled1), HalfScales.Load4(block + 8) * da, acc1);
            acc0 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(mins0), HalfScales.Load4(block + MinScalesOffset) * -da, acc0);
            acc1 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(mins1), HalfScales.Load4(block + MinScalesOffset + 8) * -da, acc1);
        }
        acc0.Store(y);
        acc1.Store(y + 4);
    }

    /// <summary>Chunk c of a pair for rows 0–3 and 4–7: low nibbles (sub-block 2p) against quadruplet
    /// <paramref name="quad"/> of <paramref name="low"/>, high nibbles (2p+1) against the same of <paramref name="high"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void NeonChunk<TTier>(byte* codes, int c, Vector128<sbyte> low, Vector128<sbyte> high, [ConstantExpected(Max = 3)] byte quad,
        ref Vector128<int> low0, ref Vector128<int> low1, ref Vector128<int> high0, ref Vector128<int> high1) where TTier : struct, ISimdTier
    {
        var mask = Vector128.Create((byte)0x0F);
        var q0 = Vector128.Load(codes + 32 * c);
        var q1 = Vector128.Load(codes + 32 * c + 16);
        low0 = IntegerDot.QuadsByElement<TTier>(low0, (q0 & mask).AsSByte(), low, quad);
        low1 = IntegerDot.QuadsByElement<TTier>(low1, (q1 & mask).AsSByte(), low, quad);
        high0 = IntegerDot.QuadsByElement<TTier>(high0, Vector128.ShiftRightLogical(q0, 4).AsSByte(), high, quad);
        high1 = IntegerDot.QuadsByElement<TTier>(high1, Vector128.ShiftRightLogical(q1, 4).AsSByte(), high, quad);
    }

    /// <summary>Byte k of the packed scales of rows <paramref name="row"/>..+3, one row per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<int> Packed4(byte* block, int k, int row) =>
        Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalar(*(uint*)(block + PackedScalesOffset + 8 * k + row)).AsByte())).AsInt32();

    /// <summary><see cref="Scale"/> for 4 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<int> Scale4(byte* block, int s, int row) => s < 4
        ? Packed4(block, s, row) & Vector128.Create(63)
        : (Packed4(block, s + 4, row) & Vector128.Create(0xF)) | ((Packed4(block, s - 4, row) >>> 6) << 4);

    /// <summary><see cref="Min"/> for 4 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<int> Min4(byte* block, int s, int row) => s < 4
        ? Packed4(block, s + 4, row) & Vector128.Create(63)
        : (Packed4(block, s + 4, row) >>> 4) | ((Packed4(block, s, row) >>> 6) << 4);
}
