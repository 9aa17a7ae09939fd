using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using PhiSharp.Tensors;
using PhiSharp.Tensors.Blocks;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// Dot product of a Q4_K weight row ({ fp16 d; fp16 dmin; u8 scales[12]; u8 qs[128] } per 256 weights: eight
/// sub-blocks of 32 with 6-bit scale s_j and minimum m_j, weight = d·s_j·q − dmin·m_j) with a Q8_K activation row:
/// per super-block d_a·(d·Σ_j s_j·Σ q·a − dmin·Σ_j m_j·Σ a), the inner sums exact in integers. Bytes 32p..32p+31
/// of qs hold sub-block 2p in their low nibbles and 2p+1 in their high nibbles.
/// </summary>
internal readonly unsafe struct Q4_KDot : IRowKernel
{
    const int BlockBytes = 144;

    public static int BlockWeights => 256;
    public static int RowBlockBytes => BlockBytes;
    public static bool GathersScales => false;

    public static float OneToken<TTier>(byte* row, int blocks, float* rowScales, Q8Row a) where TTier : struct, ISimdTier => Dot<TTier>(row, blocks, a);

    /// <summary>Four tokens at once (256-bit tiers): each super-block's scales and codes unpacked once.</summary>
    public static void FourTokens<TTier>(byte* row, int blocks, float* rowScales, in Q8Batch batch, int first, float* y, long yStride) where TTier : struct, ISimdTier
    {
        Q8Row a0 = batch.Row(first), a1 = batch.Row(first + 1), a2 = batch.Row(first + 2), a3 = batch.Row(first + 3);
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        Span<int> scales = stackalloc int[8], mins = stackalloc int[8];
        var mask = Vector256.Create((byte)0x0F);
        for (int b = 0; b < blocks; b++, row += BlockBytes)
        {
            var packed = new ReadOnlySpan<byte>(row + 4, 12);
            for (int j = 0; j < 8; j++) KScales.Get(packed, j, out scales[j], out mins[j]);
            Vector256<int> t0 = default, t1 = default, t2 = default, t3 = default;
            for (int p = 0; p < 4; p++)
            {
                var bytes = Vector256.Load(row + 16 + 32 * p);
                var low = bytes & mask;
                var high = Vector256.ShiftRightLogical(bytes, 4);
                int sl = scales[2 * p], sh = scales[2 * p + 1], at = b * 256 + 64 * p;
                t0 += Scaled<TTier>(low, high, a0.Values + at, sl, sh);
                t1 += Scaled<TTier>(low, high, a1.Values + at, sl, sh);
                t2 += Scaled<TTier>(low, high, a2.Values + at, sl, sh);
                t3 += Scaled<TTier>(low, high, a3.Values + at, sl, sh);
            }
            float d = Fp16.ToSingle(*(ushort*)row), dmin = Fp16.ToSingle(*(ushort*)(row + 2));
            s0 += Combine(a0, b, d, dmin, Vector256.Sum(t0), mins);
            s1 += Combine(a1, b, d, dmin, Vector256.Sum(t1), mins);
            s2 += Combine(a2, b, d, dmin, Vector256.Sum(t2), mins);
            s3 += Combine(a3, b, d, dmin, Vector256.Sum(t3), mins);
        }
        y[0] = s0;
        y[yStride] = s1;
        y[2 * yStride] = s2;
        y[3 * yStride] = s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Scaled<TTier>(Vector256<byte> low, Vector256<byte> high, sbyte* x, int lowScale, int highScale) where TTier : struct, ISimdTier =>
        IntegerDot.Add<TTier>(Vector256<int>.Zero, low, Vector256.Load(x)) * lowScale +
        IntegerDot.Add<TTier>(Vector256<int>.Zero, high, Vector256.Load(x + 32)) * highScale;

    /// <summary>One super-block's share: d_a·(d·Σ s_j·Σ q·a − dmin·Σ m_j·Σ a).</summary>
    internal static float Combine(Q8Row a, int b, float d, float dmin, int scaled, ReadOnlySpan<int> mins)
    {
        int* groupSums = a.Sums + b * 16;
        int minSum = 0;
        for (int j = 0; j < 8; j++) minSum += mins[j] * (groupSums[2 * j] + groupSums[2 * j + 1]);
        return a.Scales[b] * (d * scaled - dmin * minSum);
    }

    public static float Dot<TTier>(byte* row, int blocks, Q8Row a) where TTier : struct, ISimdTier
    {
        float sum = 0;
        Span<int> scales = stackalloc int[8], mins = stackalloc int[8];
        for (int b = 0; b < blocks; b++, row += BlockBytes)
        {
            var packed = new ReadOnlySpan<byte>(row + 4, 12);
            for (int j = 0; j < 8; j++) KScales.Get(packed, j, out scales[j], out mins[j]);
            sbyte* x = a.Values + b * 256;
            byte* q = row + 16;
            int scaled = TTier.Width switch
            {
                256 => Vector256Tier<TTier>(q, x, scales),
                128 => Vector128Tier<TTier>(q, x, scales),
                _ => ScalarTier(q, x, scales),
            };
            sum += Combine(a, b, Fp16.ToSingle(*(ushort*)row), Fp16.ToSingle(*(ushort*)(row + 2)), scaled, mins);
        }
        return sum;
    }

    /// <summary>Σ_j s_j·Σ_{i in sub-block j} q_i·x_i over one super-block.</summary>
    static int ScalarTier(byte* q, sbyte* x, ReadOnlySpan<int> scales)
    {
        int total = 0;
        for (int p = 0; p < 4; p++)
        {
            int low = 0, high = 0;
            for (int l = 0; l < 32; l++)
            {
                low += (q[32 * p + l] & 0xF) * x[64 * p + l];
                high += (q[32 * p + l] >> 4) * x[64 * p + 32 + l];
            }
            total += scales[2 * p] * low + scales[2 * p + 1] * high;
        }
        return total;
    }

    static int Vector128Tier<TTier>(byte* q, sbyte* x, ReadOnlySpan<int> scales) where TTier : struct, ISimdTier
    {
        var mask = Vector128.Create((byte)0x0F);
        var total = Vector128<int>.Zero;
        for (int p = 0; p < 4; p++)
        {
            Vector128<int> low = Vector128<int>.Zero, high = Vector128<int>.Zero;
            for (int h = 0; h < 32; h += 16)
            {
                var bytes = Vector128.Load(q + 32 * p + h);
                low = IntegerDot.Add<TTier>(low, bytes & mask, Vector128.Load(x + 64 * p + h));
                high = IntegerDot.Add<TTier>(high, Vector128.ShiftRightLogical(bytes, 4), Vector128.Load(x + 64 * p + 32 + h));
            }
            total += low * scales[2 * p] + high * scales[2 * p + 1];
        }
        return Vector128.Sum(total);
    }

    static int Vector256Tier<TTier>(byte* q, sbyte* x, ReadOnlySpan<int> scales) where TTier : struct, ISimdTier
    {
        var mask = Vector256.Create((byte)0x0F);
        var total = Vector256<int>.Zero;
        for (int p = 0; p < 4; p++)
        {
            var bytes = Vector256.Load(q + 32 * p);
            total += Scaled<TTier>(bytes & mask, Vector256.ShiftRightLogical(bytes, 4), x + 64 * p, scales[2 * p], scales[2 * p + 1]);
        }
        return Vector256.Sum(total);
    }
}
