using System.Runtime.Intrinsics;
using PhiSharp.Tensors;

namespace PhiSharp.Kernels.Quantized;

/// <summary>Dot product of a Q8_0 weight row ({ fp16 d; i8 qs[32] }) with a Q8_0 activation row.</summary>
internal readonly unsafe struct Q8_0Dot : IRowKernel
{
    const int BlockBytes = 34;

    public static int BlockWeights => 32;
    public static int RowBlockBytes => BlockBytes;
    public static bool GathersScales => false;

    public static float OneToken<TTier>(byte* row, int blocks, float* rowScales, Q8Row a) where TTier : struct, ISimdTier => Dot<TTier>(row, blocks, a);

    public static void FourTokens<TTier>(byte* row, int blocks, float* rowScales, in Q8Batch batch, int first, float* y, long yStride)
        where TTier : struct, ISimdTier => RowMajorRows.FourSingleTokens<Q8_0Dot, TTier>(row, blocks, rowScales, batch, first, y, yStride);

    public static float Dot<TTier>(byte* row, int blocks, Q8Row a) where TTier : struct, ISimdTier => TTier.Width switch
    {
        256 => Vector256Tier<TTier>(row, blocks, a),
        128 => Vector128Tier<TTier>(row, blocks, a),
        _ => ScalarTier(row, blocks, a),
    };

    static float ScalarTier(byte* row, int blocks, Q8Row a)
    {
        float sum = 0;
        for (int b = 0; b < blocks; b++, row += BlockBytes)
        {
            sbyte* w = (sbyte*)row + 2, x = a.Values + b * 32;
            int dot = 0;
            for (int i = 0; i < 32; i++) dot += w[i] * x[i];
            sum += Fp16.ToSingle(*(ushort*)row) * a.Scales[b] * dot;
        }
        return sum;
    }

    static float Vector128Tier<TTier>(byte* row, int blocks, Q8Row a) where TTier : struct, ISimdTier
    {
        var acc = Vector128<float>.Zero;
        for (int b = 0; b < blocks; b++, row += BlockBytes)
        {
            float scale = Fp16.ToSingle(*(ushort*)row) * a.Scales[b];
            sbyte* w = (sbyte*)row + 2, x = a.Values + b * 32;
            var dot = IntegerDot.AddSigned<TTier>(Vector128<int>.Zero, Vector128.Load(w), Vector128.Load(x));
            dot = IntegerDot.AddSigned<TTier>(dot, Vector128.Load(w + 16), Vector128.Load(x + 16));
            acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(dot), Vector128.Create(scale), acc);
        }
        return Vector128.Sum(acc);
    }

    static float Vector256Tier<TTier>(byte* row, int blocks, Q8Row a) where TTier : struct, ISimdTier
    {
        Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
        int b = 0;
        for (; b + 1 < blocks; b += 2, row += 2 * BlockBytes)
        {
            acc0 = Block<TTier>(row, b, a, acc0);
            acc1 = Block<TTier>(row + BlockBytes, b + 1, a, acc1);
        }
        if (b < blocks) acc0 = Block<TTier>(row, b, a, acc0);
        return Vector256.Sum(acc0 + acc1);
    }

    static Vector256<float> Block<TTier>(byte* block, int b, Q8Row a, Vector256<float> acc) where TTier : struct, ISimdTier
    {
        float scale = Fp16.ToSingle(*(ushort*)block) * a.Scales[b];
        var dot = IntegerDot.AddSigned<TTier>(Vector256<int>.Zero, Vector256.Load((sbyte*)block + 2), Vector256.Load(a.Values + b * 32));
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(dot), Vector256.Create(scale), acc);
    }
}
