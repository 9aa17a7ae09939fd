using System.Runtime.Intrinsics;
using PhiSharp.Tensors;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// Dot product of a Q6_K weight row ({ u8 ql[128]; u8 qh[64]; i8 scales[16]; fp16 d } per 256 weights: sixteen
/// sub-blocks of 16 with an 8-bit scale, weight = d·s·(q − 32), q six bits from a nibble of ql and two bits of qh)
/// with a Q8_K activation row: d_a·d·(Σ_g s_g·Σ q·a − 32·Σ_g s_g·Σ a).
/// </summary>
internal readonly unsafe struct Q6_KDot : IRowKernel
{
    const int BlockBytes = 210;

    public static int BlockWeights => 256;
    public static int RowBlockBytes => BlockBytes;
    public static bool GathersScales => false;

    public static float OneToken<TTier>(byte* row, int blocks, float* rowScales, Q8Row a) where TTier : struct, ISimdTier => Dot<TTier>(row, blocks, a);

    public static void FourTokens<TTier>(byte* row, int blocks, float* rowScales, in Q8Batch batch, int first, float* y, long yStride)
        where TTier : struct, ISimdTier => RowMajorRows.FourSingleTokens<Q6_KDot, TTier>(row, blocks, rowScales, batch, first, y, yStride);

    public static float Dot<TTier>(byte* row, int blocks, Q8Row a) where TTier : struct, ISimdTier
    {
        float sum = 0;
        for (int b = 0; b < blocks; b++, row += BlockBytes)
        {
            sbyte* scales = (sbyte*)row + 192;
            int* groupSums = a.Sums + b * 16;
            int offset = 0;
            for (int g = 0; g < 16; g++) offset += scales[g] * groupSums[g];

            sbyte* x = a.Values + b * 256;
            int scaled = 0;
            for (int half = 0; half < 2; half++)
            {
                byte* ql = row + 64 * half, qh = row + 128 + 32 * half;
                scaled += TTier.Width switch
                {
                    256 => Vector256Half<TTier>(ql, qh, scales + 8 * half, x + 128 * half),
                    128 => Vector128Half<TTier>(ql, qh, scales + 8 * half, x + 128 * half),
                    _ => ScalarHalf(ql, qh, scales + 8 * half, x + 128 * half),
                };
            }
            sum += a.Scales[b] * Fp16.ToSingle(*(ushort*)(row + 208)) * (scaled - 32 * offset);
        }
        return sum;
    }

    /// <summary>Σ s_g·Σ q·x over 128 weights: weights l, l+32, l+64, l+96 (l &lt; 32) take their low 4 bits from
    /// the low nibble of ql[l], of ql[l+32], the high nibble of ql[l], of ql[l+32], and their top 2 bits from bits
    /// 0–1, 2–3, 4–5, 6–7 of qh[l]; weights 16k..16k+15 use scale k.</summary>
    static int ScalarHalf(byte* ql, byte* qh, sbyte* scales, sbyte* x)
    {
        int total = 0;
        for (int k = 0; k < 4; k++)
        {
            for (int part = 0; part < 2; part++)
            {
                int dot = 0;
                for (int i = 16 * part; i < 16 * part + 16; i++)
                {
                    int nibble = k switch { 0 => ql[i] & 0xF, 1 => ql[i + 32] & 0xF, 2 => ql[i] >> 4, _ => ql[i + 32] >> 4 };
                    int q = nibble | (((qh[i] >> (2 * k)) & 3) << 4);
                    dot += q * x[32 * k + i];
                }
                total += scales[2 * k + part] * dot;
            }
        }
        return total;
    }

    static int Vector128Half<TTier>(byte* ql, byte* qh, sbyte* scales, sbyte* x) where TTier : struct, ISimdTier
    {
        var total = Vector128<int>.Zero;
        var mask = Vector128.Create((byte)0x0F);
        var two = Vector128.Create((byte)3);
        for (int part = 0; part < 2; part++)
        {
            var low = Vector128.Load(ql + 16 * part);
            var next = Vector128.Load(ql + 32 + 16 * part);
            var high = Vector128.Load(qh + 16 * part);
            var q0 = (low & mask) | Vector128.ShiftLeft(high & two, 4);
            var q1 = (next & mask) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(high, 2) & two, 4);
            var q2 = Vector128.ShiftRightLogical(low, 4) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(high, 4) & two, 4);
            var q3 = Vector128.ShiftRightLogical(next, 4) | Vector128.ShiftLeft(Vector128.ShiftRightLogical(high, 6), 4);
            sbyte* xs = x + 16 * part;
            total += IntegerDot.Add<TTier>(Vector128<int>.Zero, q0, Vector128.Load(xs)) * (int)scales[part];
            total += IntegerDot.Add<TTier>(Vector128<int>.Zero, q1, Vector128.Load(xs + 32)) * (int)scales[2 + part];
            total += IntegerDot.Add<TTier>(Vector128<int>.Zero, q2, Vector128.Load(xs + 64)) * (int)scales[4 + part];
            total += IntegerDot.Add<TTier>(Vector128<int>.Zero, q3, Vector128.Load(xs + 96)) * (int)scales[6 + part];
        }
        return Vector128.Sum(total);
    }

    static int Vector256Half<TTier>(byte* ql, byte* qh, sbyte* scales, sbyte* x) where TTier : struct, ISimdTier
    {
        var mask = Vector256.Create((byte)0x0F);
        var two = Vector256.Create((byte)3);
        var low = Vector256.Load(ql);
        var next = Vector256.Load(ql + 32);
        var high = Vector256.Load(qh);
        var q0 = (low & mask) | Vector256.ShiftLeft(high & two, 4);
        var q1 = (next & mask) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(high, 2) & two, 4);
        var q2 = Vector256.ShiftRightLogical(low, 4) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(high, 4) & two, 4);
        var q3 = Vector256.ShiftRightLogical(next, 4) | Vector256.ShiftLeft(Vector256.ShiftRightLogical(high, 6), 4);
        // Lanes 0–3 sum weights 0–15 (one scale), lanes 4–7 weights 16–31 (the next).
        var total = IntegerDot.Add<TTier>(Vector256<int>.Zero, q0, Vector256.Load(x)) * Scales(scales[0], scales[1]);
        total += IntegerDot.Add<TTier>(Vector256<int>.Zero, q1, Vector256.Load(x + 32)) * Scales(scales[2], scales[3]);
        total += IntegerDot.Add<TTier>(Vector256<int>.Zero, q2, Vector256.Load(x + 64)) * Scales(scales[4], scales[5]);
        total += IntegerDot.Add<TTier>(Vector256<int>.Zero, q3, Vector256.Load(x + 96)) * Scales(scales[6], scales[7]);
        return Vector256.Sum(total);
    }

    static Vector256<int> Scales(int first, int second) => Vector256.Create(Vector128.Create(first), Vector128.Create(second));
}
