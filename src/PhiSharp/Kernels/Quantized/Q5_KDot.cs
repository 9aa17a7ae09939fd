using System.Runtime.Intrinsics;
using PhiSharp.Tensors;
using PhiSharp.Tensors.Blocks;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// Dot product of a Q5_K weight row ({ fp16 d; fp16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128] } per 256 weights:
/// Q4_K with a fifth bit, weight = d·s_j·q − dmin·m_j) with a Q8_K activation row. Sub-blocks 2p and 2p+1 take their
/// low 4 bits from the low and high nibbles of qs[32p + l] and their fifth bit from bits 2p and 2p+1 of qh[l].
/// </summary>
internal readonly unsafe struct Q5_KDot : IRowKernel
{
    const int BlockBytes = 176;

    public static int BlockWeights => 256;
    public static int RowBlockBytes => BlockBytes;
    public static bool GathersScales => false;

    public static float OneToken<TTier>(byte* row, int blocks, float* rowScales, Q8Row a) where TTier : struct, ISimdTier => Dot<TTier>(row, blocks, a);

    public static void FourTokens<TTier>(byte* row, int blocks, float* rowScales, in Q8Batch batch, int first, float* y, long yStride)
        where TTier : struct, ISimdTier => RowMajorRows.FourSingleTokens<Q5_KDot, TTier>(row, blocks, rowScales, batch, first, y, yStride);

    public static float Dot<TTier>(byte* row, int blocks, Q8Row a) where TTier : struct, ISimdTier
    {
        float sum = 0;
        Span<int> scales = stackalloc int[8], mins = stackalloc int[8];
        for (int b = 0; b < blocks; b++, row += BlockBytes)
        {
            var packed = new ReadOnlySpan<byte>(row + 4, 12);
            for (int j = 0; j < 8; j++) KScales.Get(packed, j, out scales[j], out mins[j]);
            sbyte* x = a.Values + b * 256;
            byte* qh = row + 16, qs = row + 48;
            int scaled = TTier.Width switch
            {
                256 => Vector256Tier<TTier>(qh, qs, x, scales),
                128 => Vector128Tier<TTier>(qh, qs, x, scales),
                _ => ScalarTier(qh, qs, x, scales),
            };
            sum += Q4_KDot.Combine(a, b, Fp16.ToSingle(*(ushort*)row), Fp16.ToSingle(*(ushort*)(row + 2)), scaled, mins);
        }
        return sum;
    }

    /// <summary>Σ_j s_j·Σ_{i in sub-block j} q_i·x_i over one super-block.</summary>
    static int ScalarTier(byte* qh, byte* qs, sbyte* x, ReadOnlySpan<int> scales)
    {
        int total = 0;
        for (int p = 0; p < 4; p++)
        {
            int low = 0, high = 0;
            for (int l = 0; l < 32; l++)
            {
                int lowCode = (qs[32 * p + l] & 0xF) | (((qh[l] >> (2 * p)) & 1) << 4);
                int highCode = (qs[32 * p + l] >> 4) | (((qh[l] >> (2 * p + 1)) & 1) << 4);
                low += lowCode * x[64 * p + l];
                high += highCode * x[64 * p + 32 + l];
            }
            total += scales[2 * p] * low + scales[2 * p + 1] * high;
        }
        return total;
    }

    static int Vector128Tier<TTier>(byte* qh, byte* qs, sbyte* x, ReadOnlySpan<int> scales) where TTier : struct, ISimdTier
    {
        var mask = Vector128.Create((byte)0x0F);
        var one = Vector128.Create((byte)1);
        var total = Vector128<int>.Zero;
        for (int p = 0; p < 4; p++)
        {
            Vector128<int> low = Vector128<int>.Zero, high = Vector128<int>.Zero;
            for (int h = 0; h < 32; h += 16)
            {
                var bytes = Vector128.Load(qs + 32 * p + h);
                var fifth = Vector128.Load(qh + h);
                var lowCode = (bytes & mask) | ((Vector128.ShiftRightLogical(fifth, 2 * p) & one) << 4);
                var highCode = Vector128.ShiftRightLogical(bytes, 4) | ((Vector128.ShiftRightLogical(fifth, 2 * p + 1) & one) << 4);
                low = IntegerDot.Add<TTier>(low, lowCode, Vector128.Load(x + 64 * p + h));
                high = IntegerDot.Add<TTier>(high, highCode, Vector128.Load(x + 64 * p + 32 + h));
            }
            total += low * scales[2 * p] + high * scales[2 * p + 1];
        }
        return Vector128.Sum(total);
    }

    static int Vector256Tier<TTier>(byte* qh, byte* qs, sbyte* x, ReadOnlySpan<int> scales) where TTier : struct, ISimdTier
    {
        var mask = Vector256.Create((byte)0x0F);
        var one = Vector256.Create((byte)1);
        var fifth = Vector256.Load(qh);
        var total = Vector256<int>.Zero;
        for (int p = 0; p < 4; p++)
        {
            var bytes = Vector256.Load(qs + 32 * p);
            var lowCode = (bytes & mask) | ((Vector256.ShiftRightLogical(fifth, 2 * p) & one) << 4);
            var highCode = Vector256.ShiftRightLogical(bytes, 4) | ((Vector256.ShiftRightLogical(fifth, 2 * p + 1) & one) << 4);
            total += IntegerDot.Add<TTier>(Vector256<int>.Zero, lowCode, Vector256.Load(x + 64 * p)) * scales[2 * p]
                   + IntegerDot.Add<TTier>(Vector256<int>.Zero, highCode, Vector256.Load(x + 64 * p + 32)) * scales[2 * p + 1];
        }
        return Vector256.Sum(total);
    }
}
