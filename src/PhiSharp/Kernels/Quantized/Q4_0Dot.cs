using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using PhiSharp.Tensors;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// Dot products of a Q4_0 weight row ({ fp16 d; u8 qs[16] } per 32 weights: weight = d·(q − 8), low nibbles are
/// weights 0–15, high nibbles 16–31) with Q8_0 activation rows: Σ_b d_w·d_a·(Σ q·a − 8·Σ a), the inner sums exact
/// in integers.
/// </summary>
internal readonly unsafe struct Q4_0Dot : IRowKernel
{
    const int BlockBytes = 18;

    public static int BlockWeights => 32;
    public static int RowBlockBytes => BlockBytes;
    public static bool GathersScales => true;

    public static float OneToken<TTier>(byte* row, int blocks, float* rowScales, Q8Row a) where TTier : struct, ISimdTier =>
        TTier.Width == 256 ? OneToken256<TTier>(row, blocks, rowScales, a) : Dot<TTier>(row, blocks, a);

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
            sbyte* x = a.Values + b * 32;
            int dot = 0;
            for (int i = 0; i < 16; i++) dot += (row[2 + i] & 0xF) * x[i] + (row[2 + i] >> 4) * x[i + 16];
            sum += Fp16.ToSingle(*(ushort*)row) * a.Scales[b] * (dot - 8 * a.Sums[b]);
        }
        return sum;
    }

    static float Vector128Tier<TTier>(byte* row, int blocks, Q8Row a) where TTier : struct, ISimdTier
    {
        var acc = Vector128<float>.Zero;
        float offset = 0;
        var low = Vector128.Create((byte)0x0F);
        for (int b = 0; b < blocks; b++, row += BlockBytes)
        {
            float scale = Fp16.ToSingle(*(ushort*)row) * a.Scales[b];
            var q = Vector128.Load(row + 2);
            var dot = IntegerDot.Add<TTier>(Vector128<int>.Zero, q & low, Vector128.Load(a.Values + b * 32));
            dot = IntegerDot.Add<TTier>(dot, Vector128.ShiftRightLogical(q, 4), Vector128.Load(a.Values + b * 32 + 16));
            acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(dot), Vector128.Create(scale), acc);
            offset += scale * a.Sums[b];
        }
        return Vector128.Sum(acc) - 8 * offset;
    }

    static float Vector256Tier<TTier>(byte* row, int blocks, Q8Row a) where TTier : struct, ISimdTier
    {
        float* weightScales = stackalloc float[blocks];
        HalfScales.Gather(row, blocks, BlockBytes, weightScales);
        return OneToken256<TTier>(row, blocks, weightScales, a);
    }

    /// <summary>The 32 codes of a block as bytes in weight order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<byte> Codes(byte* block)
    {
        var q = Vector128.Load(block + 2);
        var low = Vector128.Create((byte)0x0F);
        return Vector256.Create(q & low, Vector128.ShiftRightLogical(q, 4));
    }

    // The integer sums start from the activations' lane offsets (−8·Σa per lane), so each lane is Σ (q − 8)·a.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Block<TTier>(Vector256<byte> codes, Q8Row a, int b, float weightScale, Vector256<float> acc) where TTier : struct, ISimdTier
    {
        var dot = IntegerDot.Add<TTier>(Vector256.Load(a.LaneOffsets + 8 * b), codes, Vector256.Load(a.Values + 32 * b));
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(dot), Vector256.Create(weightScale * a.Scales[b]), acc);
    }

    static float OneToken256<TTier>(byte* row, int blocks, float* weightScales, Q8Row a) where TTier : struct, ISimdTier
    {
        // Two accumulators so consecutive blocks' multiply-adds do not wait on each other.
        Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
        int b = 0;
        for (; b + 1 < blocks; b += 2)
        {
            acc0 = Block<TTier>(Codes(row + b * BlockBytes), a, b, weightScales[b], acc0);
            acc1 = Block<TTier>(Codes(row + (b + 1) * BlockBytes), a, b + 1, weightScales[b + 1], acc1);
        }
        if (b < blocks) acc0 = Block<TTier>(Codes(row + b * BlockBytes), a, b, weightScales[b], acc0);
        return Vector256.Sum(acc0 + acc1);
    }

    /// <summary>Four tokens at once (256-bit tiers): each block's codes are unpacked once and used four times.</summary>
    public static void FourTokens<TTier>(byte* row, int blocks, float* weightScales, in Q8Batch batch, int first, float* y, long yStride) where TTier : struct, ISimdTier
    {
        Q8Row a0 = batch.Row(first), a1 = batch.Row(first + 1), a2 = batch.Row(first + 2), a3 = batch.Row(first + 3);
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int b = 0; b < blocks; b++)
        {
            var codes = Codes(row + b * BlockBytes);
            float scale = weightScales[b];
            acc0 = Block<TTier>(codes, a0, b, scale, acc0);
            acc1 = Block<TTier>(codes, a1, b, scale, acc1);
            acc2 = Block<TTier>(codes, a2, b, scale, acc2);
            acc3 = Block<TTier>(codes, a3, b, scale, acc3);
        }
        y[0] = Vector256.Sum(acc0);
        y[yStride] = Vector256.Sum(acc1);
        y[2 * yStride] = Vector256.Sum(acc2);
        y[3 * yStride] = Vector256.Sum(acc3);
    }
}

/// <summary>The fp16 scales at the start of each block of a row, widened to float32 eight at a time.</summary>
internal static unsafe class HalfScales
{
    public static void Gather(byte* row, int blocks, int blockBytes, float* scales)
    {
        int b = 0;
        if (Avx2.IsSupported)
        {
            // Each gathered int holds a block's fp16 scale in its low half (little-endian) and the block's next
            // two bytes above it; a block is at least 18 bytes long, so the reads stay inside the row.
            var offsets = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * blockBytes;
            for (; b + 8 <= blocks; b += 8)
            {
                var bits = Avx2.GatherVector256((int*)(row + b * blockBytes), offsets, 1) & Vector256.Create(0xFFFF);
                ToSingle(bits).Store(scales + b);
            }
        }
        for (; b < blocks; b++) scales[b] = Fp16.ToSingle(*(ushort*)(row + b * blockBytes));
    }

    /// <summary>8 consecutive fp16 values at <paramref name="p"/> (8 rows' scales in the interleaved layouts) as float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load8(byte* p) => ToSingle(Avx2.ConvertToVector256Int32((ushort*)p));

    /// <summary>4 consecutive fp16 values at <paramref name="p"/> (rows 0–3 or 4–7 of a group's scales) as float32.
    /// .NET exposes no half-precision FCVTL, so the ARM64 tiers convert by the same exact bit arithmetic.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load4(byte* p) =>
        ToSingle(Vector128.WidenLower(Vector128.CreateScalar(*(ulong*)p).AsUInt16()).AsInt32());

    /// <summary><see cref="ToSingle(Vector256{int})"/> for 4 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<int> half)
    {
        var sign = (half & Vector128.Create(0x8000)) << 16;
        var magnitude = half & Vector128.Create(0x7FFF);
        var normal = ((magnitude << 13) + Vector128.Create(RebasedExponent)).AsSingle();
        var small = Vector128.ConvertToSingle(magnitude) * Vector128.Create(SubnormalUnit);
        var value = Vector128.ConditionalSelect(Vector128.LessThan(magnitude, Vector128.Create(SmallestNormal)).AsSingle(), small, normal);
        return (value.AsInt32() | sign).AsSingle();
    }

    /// <summary>
    /// fp16 bit patterns (low 16 bits of each lane) to float32, exactly; infinities and NaNs are not expected in scales.
    /// A normal half's exponent and mantissa move into float32's fields with one shift, and its exponent is rebased
    /// (15 → 127) by an integer add. A subnormal half (exponent 0) is its mantissa times 2^−24, by an exact conversion
    /// and multiplication. No step makes a subnormal float: x86 cores take a microcode assist for every arithmetic
    /// operation on one. Reading the bits as float32 and multiplying by 2^112, 6 operations instead of 10, did so for each
    /// subnormal half, and those are common scales: the super-block scale d of every Q6_K block and of every 8192-column
    /// Q4_K block (ffn_down) in the Phi-3-mini-shaped benchmark files is below 2^−14. On such scales the one-token kernels
    /// took 1.2 (Q6_K) to 2 (Q4_0) times as long that way, with the weights in L2 (bench/decode_kernels.cs
    /// --subnormal-scales, AMD Zen 5; docs/PERFORMANCE.md, ninth session).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<int> half)
    {
        var sign = (half & Vector256.Create(0x8000)) << 16;
        var magnitude = half & Vector256.Create(0x7FFF);
        var normal = ((magnitude << 13) + Vector256.Create(RebasedExponent)).AsSingle();
        var small = Vector256.ConvertToSingle(magnitude) * Vector256.Create(SubnormalUnit);
        var value = Vector256.ConditionalSelect(Vector256.LessThan(magnitude, Vector256.Create(SmallestNormal)).AsSingle(), small, normal);
        return (value.AsInt32() | sign).AsSingle();
    }

    /// <summary>127 − 15 in float32's exponent field; the smallest normal half's bits; a subnormal half's unit, 2^−24.</summary>
    const int RebasedExponent = 112 << 23, SmallestNormal = 0x0400;
    const float SubnormalUnit = 1f / (1 << 24);
}
