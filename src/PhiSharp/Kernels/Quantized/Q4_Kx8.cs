using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using PhiSharp.Tensors;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// Q4_K weights with their rows interleaved eight at a time, like <see cref="Q4_0x8"/>: each 32-bit lane of a
/// 256-bit integer multiply-add works for one row, and the sub-block scales and minimums of the 8 rows are decoded
/// as vectors. A group of 8 rows keeps the size of 8 Q4_K rows; super-block b of the group (1152 bytes) is
/// <code>
///   fp16 d[8]; fp16 dmin[8]         the 8 rows' super-block scales
///   u8 scales[12][8]                byte k of each row's packed 6-bit scales and minimums: [k][row]
///   u8 qs[4][8][8][4]               pair p, chunk c, row j: bytes 32p+4c..+3 of row j's qs (low nibbles: weights
///                                   4c.. of sub-block 2p; high nibbles: the same of sub-block 2p+1)
/// </code>
/// </summary>
internal readonly unsafe partial struct Q4_Kx8 : IGroupKernel
{
    const int RowsPerGroup = InterleavedRows.Group;
    const int BlockBytes = 144, GroupBlockBytes = RowsPerGroup * BlockBytes;

    public static int BlockWeights => 256;
    public static int RowBlockBytes => BlockBytes;
    public static int GroupStride => GroupBlockBytes;
    public static bool WidensScales => false;
    const int MinScalesOffset = 16, PackedScalesOffset = 32, CodesOffset = 128;

    /// <summary>Rewrites 8 row-major Q4_K rows at <paramref name="rows"/> into one interleaved group, in place;
    /// <paramref name="scratch"/> holds exactly 8 rows' bytes.</summary>
    public static void Interleave(byte* rows, int blocks, byte[] scratch)
    {
        int rowBytes = blocks * BlockBytes;
        new ReadOnlySpan<byte>(rows, scratch.Length).CopyTo(scratch);
        fixed (byte* source = scratch)
            for (int b = 0; b < blocks; b++)
            {
                byte* group = rows + b * GroupBlockBytes;
                for (int j = 0; j < RowsPerGroup; j++)
                {
                    byte* block = source + j * rowBytes + b * BlockBytes;
                    ((ushort*)group)[j] = ((ushort*)block)[0];
                    ((ushort*)(group + MinScalesOffset))[j] = ((ushort*)block)[1];
                    for (int k = 0; k < 12; k++) group[PackedScalesOffset + 8 * k + j] = block[4 + k];
                    for (int p = 0; p < 4; p++)
                        for (int c = 0; c < 8; c++)
                            *(uint*)(group + CodesOffset + 256 * p + 32 * c + 4 * j) = *(uint*)(block + 16 + 32 * p + 4 * c);
                }
            }
    }

    /// <summary>Row j's super-block b of a group, back in Q4_K's own 144-byte form.</summary>
    public static void Extract(byte* group, int b, int j, byte* block, bool unsignedCodes)
    {
        byte* p = group + b * GroupBlockBytes;
        ((ushort*)block)[0] = ((ushort*)p)[j];
        ((ushort*)block)[1] = ((ushort*)(p + MinScalesOffset))[j];
        for (int k = 0; k < 12; k++) block[4 + k] = p[PackedScalesOffset + 8 * k + j];
        for (int pair = 0; pair < 4; pair++)
            for (int c = 0; c < 8; c++)
                *(uint*)(block + 16 + 32 * pair + 4 * c) = *(uint*)(p + CodesOffset + 256 * pair + 32 * c + 4 * j);
    }

    public static float NarrowRow<TTier>(byte* group, int blocks, int j, Q8Row a) where TTier : struct, ISimdTier =>
        InterleavedRows.RebuiltRow<Q4_Kx8, TTier>(group, blocks, j, a);

    /// <summary>FourTokens' non-VNNI sums for 16 rows: the two groups' codes, scales and minimums side by side.</summary>
    public static void FourTokensTwoGroups<TTier>(byte* groupA, byte* groupB, float* rowScales, int blocks, in Q8Batch batch, int first, float* y, long yStride) where TTier : struct, ISimdTier
    {
        Q8Row a0 = batch.Row(first), a1 = batch.Row(first + 1), a2 = batch.Row(first + 2), a3 = batch.Row(first + 3);
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var mask = Vector512.Create((byte)0x0F);
        for (int b = 0; b < blocks; b++)
        {
            byte* blockA = groupA + b * GroupBlockBytes, blockB = groupB + b * GroupBlockBytes;
            Vector512<int> i0 = default, i1 = default, i2 = default, i3 = default;
            for (int s = 0; s < 8; s++)
            {
                byte* codesA = blockA + CodesOffset + 256 * (s >> 1), codesB = blockB + CodesOffset + 256 * (s >> 1);
                int at = 256 * b + 32 * s;
                sbyte* x0 = a0.Values + at, x1 = a1.Values + at, x2 = a2.Values + at, x3 = a3.Values + at;
                Vector512<short> p0 = default, p1 = default, p2 = default, p3 = default;
                for (int c = 0; c < 8; c++)
                {
                    var q = Vector512.Create(Vector256.Load(codesA + 32 * c), Vector256.Load(codesB + 32 * c));
                    var w = (s & 1) == 0 ? q & mask : Vector512.ShiftRightLogical(q, 4);
                    p0 += Avx512BW.MultiplyAddAdjacent(w, Broadcast16(x0 + 4 * c));
                    p1 += Avx512BW.MultiplyAddAdjacent(w, Broadcast16(x1 + 4 * c));
                    p2 += Avx512BW.MultiplyAddAdjacent(w, Broadcast16(x2 + 4 * c));
                    p3 += Avx512BW.MultiplyAddAdjacent(w, Broadcast16(x3 + 4 * c));
                }
                var scale = Vector512.Create(ScaleBoth(blockA, s), ScaleBoth(blockB, s));
                i0 += Avx512BW.MultiplyAddAdjacent(p0, scale);
                i1 += Avx512BW.MultiplyAddAdjacent(p1, scale);
                i2 += Avx512BW.MultiplyAddAdjacent(p2, scale);
                i3 += Avx512BW.MultiplyAddAdjacent(p3, scale);
            }
            var d = Vector512.Create(HalfScales.Load8(blockA), HalfScales.Load8(blockB));
            var dmin = Vector512.Create(HalfScales.Load8(blockA + MinScalesOffset), HalfScales.Load8(blockB + MinScalesOffset));
            var m0 = Vector512.Create(MinPair(blockA, 0), MinPair(blockB, 0));
            var m1 = Vector512.Create(MinPair(blockA, 1), MinPair(blockB, 1));
            var m2 = Vector512.Create(MinPair(blockA, 2), MinPair(blockB, 2));
            var m3 = Vector512.Create(MinPair(blockA, 3), MinPair(blockB, 3));
            acc0 = Finish16(acc0, i0, a0, b, d, dmin, m0, m1, m2, m3);
            acc1 = Finish16(acc1, i1, a1, b, d, dmin, m0, m1, m2, m3);
            acc2 = Finish16(acc2, i2, a2, b, d, dmin, m0, m1, m2, m3);
            acc3 = Finish16(acc3, i3, a3, b, d, dmin, m0, m1, m2, m3);
        }
        acc0.Store(y);
        acc1.Store(y + yStride);
        acc2.Store(y + 2 * yStride);
        acc3.Store(y + 3 * yStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<sbyte> Broadcast16(sbyte* x) => Vector512.Create(*(int*)x).AsSByte();

    /// <summary><see cref="Finish"/> for 16 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Finish16(Vector512<float> acc, Vector512<int> scaled, Q8Row a, int b, Vector512<float> d,
        Vector512<float> dmin, Vector512<short> m0, Vector512<short> m1, Vector512<short> m2, Vector512<short> m3)
    {
        int* pairs = a.PairSums + Q8Activations.PairSumsPerSuperBlock * b;
        var minSum = Avx512BW.MultiplyAddAdjacent(m0, Vector512.Create(pairs[0]).AsInt16())
                   + Avx512BW.MultiplyAddAdjacent(m1, Vector512.Create(pairs[1]).AsInt16())
                   + Avx512BW.MultiplyAddAdjacent(m2, Vector512.Create(pairs[2]).AsInt16())
                   + Avx512BW.MultiplyAddAdjacent(m3, Vector512.Create(pairs[3]).AsInt16());
        float da = a.Scales[b];
        acc = Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(scaled), d * da, acc);
        return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(minSum), dmin * -da, acc);
    }

    /// <summary>The row-major kernel's product of one rebuilt super-block with super-block b of a token.</summary>
    public static float BlockDot<TTier>(byte* block, Q8Row a, int b) where TTier : struct, ISimdTier =>
        Q4_KDot.Dot<TTier>(block, 1, new Q8Row(a.Values + 256 * b, a.Scales + b, a.Sums + 16 * b, null));

    /// <summary>Byte k of the 8 rows' packed scales, one row per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Packed(byte* block, int k) => Avx2.ConvertToVector256Int32(block + PackedScalesOffset + 8 * k);

    /// <summary>Sub-block s's 6-bit scale of each row (ggml's get_scale_min_k4, eight rows at once).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Scale(byte* block, int s) => s < 4
        ? Packed(block, s) & Vector256.Create(63)
        : (Packed(block, s + 4) & Vector256.Create(0xF)) | ((Packed(block, s - 4) >>> 6) << 4);

    /// <summary>Sub-block s's 6-bit minimum of each row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Min(byte* block, int s) => s < 4
        ? Packed(block, s + 4) & Vector256.Create(63)
        : (Packed(block, s + 4) >>> 4) | ((Packed(block, s) >>> 6) << 4);

    /// <summary>The minimums of sub-blocks 2p and 2p+1 as the two 16-bit halves of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<short> MinPair(byte* block, int p) => IntegerDot.Halves(Min(block, 2 * p), Min(block, 2 * p + 1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<sbyte> Broadcast(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();

    /// <summary>Sub-block s's scale of each row in both 16-bit halves of its lane (a pmaddwd operand).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<short> ScaleBoth(byte* block, int s)
    {
        var scale = Scale(block, s);
        return IntegerDot.Halves(scale, scale);
    }

    /// <summary>Chunk c of the codes of sub-block s (low nibbles for even s, high for odd): weights 4c.. of 8 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<byte> Codes(byte* codes, int c, int s, Vector256<byte> mask)
    {
        var q = Vector256.Load(codes + 32 * c);
        return (s & 1) == 0 ? q & mask : Vector256.ShiftRightLogical(q, 4);
    }

    /// <summary>Four tokens at once: each 32 bytes of codes are unpacked once and used four times.</summary>
    public static void FourTokens<TTier>(byte* group, int blocks, in Q8Batch batch, int first, float* y, long yStride) where TTier : struct, ISimdTier
    {
        Q8Row a0 = batch.Row(first), a1 = batch.Row(first + 1), a2 = batch.Row(first + 2), a3 = batch.Row(first + 3);
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var mask = Vector256.Create((byte)0x0F);
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
            // Σ_s scale_s · Σ q·a per row, exact in 32 bits (|Σ q·a| ≤ 15·127·32, scale ≤ 63, 8 sub-blocks).
            Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
            for (int s = 0; s < 8; s++)
            {
                byte* codes = block + CodesOffset + 256 * (s >> 1);
                int at = 256 * b + 32 * s;
                sbyte* x0 = a0.Values + at, x1 = a1.Values + at, x2 = a2.Values + at, x3 = a3.Values + at;
                if (TTier.Vnni)
                {
                    Vector256<int> d0 = default, d1 = default, d2 = default, d3 = default;
                    for (int c = 0; c < 8; c++)
                    {
                        var w = Codes(codes, c, s, mask);
                        d0 = IntegerDot.Add<TTier>(d0, w, Broadcast(x0 + 4 * c));
                        d1 = IntegerDot.Add<TTier>(d1, w, Broadcast(x1 + 4 * c));
                        d2 = IntegerDot.Add<TTier>(d2, w, Broadcast(x2 + 4 * c));
                        d3 = IntegerDot.Add<TTier>(d3, w, Broadcast(x3 + 4 * c));
                    }
                    var scale = Scale(block, s);
                    i0 += d0 * scale;
                    i1 += d1 * scale;
                    i2 += d2 * scale;
                    i3 += d3 * scale;
                }
                else
                {
                    // Without VNNI: the sub-block's pmaddubsw pair sums added in 16 bits (4-bit codes: at most
                    // 8·2·15·127 = 30480), then one pmaddwd by the row's scale does the widening and the scaling.
                    Vector256<short> p0 = default, p1 = default, p2 = default, p3 = default;
                    for (int c = 0; c < 8; c++)
                    {
                        var w = Codes(codes, c, s, mask);
                        p0 += Avx2.MultiplyAddAdjacent(w, Broadcast(x0 + 4 * c));
                        p1 += Avx2.MultiplyAddAdjacent(w, Broadcast(x1 + 4 * c));
                        p2 += Avx2.MultiplyAddAdjacent(w, Broadcast(x2 + 4 * c));
                        p3 += Avx2.MultiplyAddAdjacent(w, Broadcast(x3 + 4 * c));
                    }
                    var scale = ScaleBoth(block, s);
                    i0 += Avx2.MultiplyAddAdjacent(p0, scale);
                    i1 += Avx2.MultiplyAddAdjacent(p1, scale);
                    i2 += Avx2.MultiplyAddAdjacent(p2, scale);
                    i3 += Avx2.MultiplyAddAdjacent(p3, scale);
                }
            }
            var d = HalfScales.Load8(block);
            var dmin = HalfScales.Load8(block + MinScalesOffset);
            Vector256<short> m0 = MinPair(block, 0), m1 = MinPair(block, 1), m2 = MinPair(block, 2), m3 = MinPair(block, 3);
            acc0 = Finish(acc0, i0, a0, b, d, dmin, m0, m1, m2, m3);
            acc1 = Finish(acc1, i1, a1, b, d, dmin, m0, m1, m2, m3);
            acc2 = Finish(acc2, i2, a2, b, d, dmin, m0, m1, m2, m3);
            acc3 = Finish(acc3, i3, a3, b, d, dmin, m0, m1, m2, m3);
        }
        acc0.Store(y);
        acc1.Store(y + yStride);
        acc2.Store(y + 2 * yStride);
        acc3.Store(y + 3 * yStride);
    }

    public static void OneToken<TTier>(byte* group, int blocks, Q8Row a, float* y) where TTier : struct, ISimdTier
    {
        var acc = Vector256<float>.Zero;
        var mask = Vector256.Create((byte)0x0F);
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
            Vector256<int> scaled = default;
            for (int s = 0; s < 8; s++)
            {
                byte* codes = block + CodesOffset + 256 * (s >> 1);
                sbyte* x = a.Values + 256 * b + 32 * s;
                if (TTier.Vnni)
                {
                    // Two chains, so consecutive multiply-adds do not wait on each other.
                    Vector256<int> even = default, odd = default;
                    for (int c = 0; c < 8; c += 2)
                    {
                        even = IntegerDot.Add<TTier>(even, Codes(codes, c, s, mask), Broadcast(x + 4 * c));
                        odd = IntegerDot.Add<TTier>(odd, Codes(codes, c + 1, s, mask), Broadcast(x + 4 * c + 4));
                    }
                    scaled += (even + odd) * Scale(block, s);
                }
                else
                {
                    // As in FourTokens: 16-bit pair sums, widened and scaled by one pmaddwd.
                    Vector256<short> even = default, odd = default;
                    for (int c = 0; c < 8; c += 2)
                    {
                        even += Avx2.MultiplyAddAdjacent(Codes(codes, c, s, mask), Broadcast(x + 4 * c));
                        odd += Avx2.MultiplyAddAdjacent(Codes(codes, c + 1, s, mask), Broadcast(x + 4 * c + 4));
                    }
                    scaled += Avx2.MultiplyAddAdjacent(even + odd, ScaleBoth(block, s));
                }
            }
            var d = HalfScales.Load8(block);
            var dmin = HalfScales.Load8(block + MinScalesOffset);
            acc = Finish(acc, scaled, a, b, d, dmin, MinPair(block, 0), MinPair(block, 1), MinPair(block, 2), MinPair(block, 3));
        }
        acc.Store(y);
    }

    /// <summary>One super-block's share for 8 rows: d_a·(d·Σ_s scale_s·Σ q·a − dmin·Σ_s min_s·Σ a).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Finish(Vector256<float> acc, Vector256<int> scaled, Q8Row a, int b, Vector256<float> d,
        Vector256<float> dmin, Vector256<short> m0, Vector256<short> m1, Vector256<short> m2, Vector256<short> m3)
    {
        int* pairs = a.PairSums + Q8Activations.PairSumsPerSuperBlock * b; // the 4 sub-block pairs come first
        var minSum = Avx2.MultiplyAddAdjacent(m0, Vector256.Create(pairs[0]).AsInt16())
                   + Avx2.MultiplyAddAdjacent(m1, Vector256.Create(pairs[1]).AsInt16())
                   + Avx2.MultiplyAddAdjacent(m2, Vector256.Create(pairs[2]).AsInt16())
                   + Avx2.MultiplyAddAdjacent(m3, Vector256.Create(pairs[3]).AsInt16());
        float da = a.Scales[b];
        acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(scaled), d * da, acc);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(minSum), dmin * -da, acc);
    }
}
