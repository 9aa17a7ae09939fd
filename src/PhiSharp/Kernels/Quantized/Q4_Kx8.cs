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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once, at load: InterleavedRows.Interleave
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

    /// <summary>Tile's non-VNNI sums for 16 rows: the two groups' codes, scales and minimums side by side.</summary>
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

    /// <summary>A tile of 2–4 tokens: each 32 bytes of codes are unpacked once and used for every token.</summary>
    public static void Tile<TTier, TTile>(byte* group, int blocks, in Q8Batch batch, int first, float* y, long yStride) where TTier : struct, ISimdTier where TTile : struct, ITokenTile
    {
        Q8Row a0 = batch.Row(first), a1 = batch.Row(first + 1);
        Q8Row a2 = TTile.Count > 2 ? batch.Row(first + 2) : a0, a3 = TTile.Count > 3 ? batch.Row(first + 3) : a0;
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        var mask = Vector256.Create((byte)0x0F);
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
            if (first == 0) InterleavedRows.PrefetchAhead(block, GroupBlockBytes);
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
                        if (TTile.Count > 2) d2 = IntegerDot.Add<TTier>(d2, w, Broadcast(x2 + 4 * c));
                        if (TTile.Count > 3) d3 = IntegerDot.Add<TTier>(d3, w, Broadcast(x3 + 4 * c));
                    }
                    var scale = Scale(block, s);
                    i0 += d0 * scale;
                    i1 += d1 * scale;
                    if (TTile.Count > 2) i2 += d2 * scale;
                    if (TTile.Count > 3) i3 += d3 * scale;
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
                        if (TTile.Count > 2) p2 += Avx2.MultiplyAddAdjacent(w, Broadcast(x2 + 4 * c));
                        if (TTile.Count > 3) p3 += Avx2.MultiplyAddAdjacent(w, Broadcast(x3 + 4 * c));
                    }
                    var scale = ScaleBoth(block, s);
                    i0 += Avx2.MultiplyAddAdjacent(p0, scale);
                    i1 += Avx2.MultiplyAddAdjacent(p1, scale);
                    if (TTile.Count > 2) i2 += Avx2.MultiplyAddAdjacent(p2, scale);
                    if (TTile.Count > 3) i3 += Avx2.MultiplyAddAdjacent(p3, scale);
                }
            }
            var d = HalfScales.Load8(block);
            var dmin = HalfScales.Load8(block + MinScalesOffset);
            Vector256<short> m0 = MinPair(block, 0), m1 = MinPair(block, 1), m2 = MinPair(block, 2), m3 = MinPair(block, 3);
            acc0 = Finish(acc0, i0, a0, b, d, dmin, m0, m1, m2, m3);
            acc1 = Finish(acc1, i1, a1, b, d, dmin, m0, m1, m2, m3);
            if (TTile.Count > 2) acc2 = Finish(acc2, i2, a2, b, d, dmin, m0, m1, m2, m3);
            if (TTile.Count > 3) acc3 = Finish(acc3, i3, a3, b, d, dmin, m0, m1, m2, m3);
        }
        acc0.Store(y);
        acc1.Store(y + yStride);
        if (TTile.Count > 2) acc2.Store(y + 2 * yStride);
        if (TTile.Count > 3) acc3.Store(y + 3 * yStride);
    }

    /// <summary>
    /// One token (generation): straight-line code per super-block, each 32 bytes of codes loaded once for both of
    /// its sub-blocks, and the 8 rows' 6-bit scales and minimums decoded for all 8 sub-blocks at once
    /// (<see cref="Unpacked"/>) and spread to 16-bit operands by one byte shuffle each. The loop over sub-blocks it
    /// replaces, with per-sub-block branches and index arithmetic the JIT kept, streamed 20 GB/s of weights on one
    /// AMD EPYC core; this form streams 29–30, near a plain read's 30–33 (bench/decode_kernels.cs, docs/PERFORMANCE.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimized from the first token: IGroupKernel.OneToken
    public static void OneToken<TTier>(byte* group, int blocks, Q8Row a, float* y) where TTier : struct, ISimdTier
    {
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
            var (scales03, scales47, mins03, mins47) = Unpacked(block + PackedScalesOffset);
            sbyte* x = a.Values + 256 * b;
            byte* codes = block + CodesOffset;
            var scaled = SubBlockPair<TTier>(codes, x, scales03, even: true)
                       + SubBlockPair<TTier>(codes + 256, x + 64, scales03, even: false)
                       + SubBlockPair<TTier>(codes + 512, x + 128, scales47, even: true)
                       + SubBlockPair<TTier>(codes + 768, x + 192, scales47, even: false);
            int* pairs = a.PairSums + Q8Activations.PairSumsPerSuperBlock * b;
            var minSum = Avx2.MultiplyAddAdjacent(MinPairOf(mins03, high: false), Vector256.Create(pairs[0]).AsInt16())
                       + Avx2.MultiplyAddAdjacent(MinPairOf(mins03, high: true), Vector256.Create(pairs[1]).AsInt16())
                       + Avx2.MultiplyAddAdjacent(MinPairOf(mins47, high: false), Vector256.Create(pairs[2]).AsInt16())
                       + Avx2.MultiplyAddAdjacent(MinPairOf(mins47, high: true), Vector256.Create(pairs[3]).AsInt16());
            float da = a.Scales[b];
            acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(scaled), HalfScales.Load8(block) * da, acc);
            acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(minSum), HalfScales.Load8(block + MinScalesOffset) * -da, acc);
        }
        acc.Store(y);
    }

    /// <summary>
    /// The 8 rows' scales and minimums of all 8 sub-blocks from the 96 packed bytes ([k][row]), as bytes [s][row]:
    /// scales of sub-blocks 0–3 and 4–7, minimums of 0–3 and 4–7 (ggml's get_scale_min_k4 on 32 bytes at a time; the
    /// 16-bit shifts only move bits within a byte once masked).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector256<byte>, Vector256<byte>, Vector256<byte>, Vector256<byte>) Unpacked(byte* packed)
    {
        var first = Vector256.Load(packed);        // k 0..3
        var second = Vector256.Load(packed + 32);  // k 4..7
        var third = Vector256.Load(packed + 64);   // k 8..11
        var low6 = Vector256.Create((byte)63);
        var low4 = Vector256.Create((byte)0x0F);
        var bits45 = Vector256.Create((byte)0x30);
        var scales47 = (third & low4) | (Vector256.ShiftRightLogical(first.AsUInt16(), 2).AsByte() & bits45);
        var mins47 = (Vector256.ShiftRightLogical(third.AsUInt16(), 4).AsByte() & low4) |
                     (Vector256.ShiftRightLogical(second.AsUInt16(), 2).AsByte() & bits45);
        return (first & low6, scales47, second & low6, mins47);
    }

    /// <summary>Sub-blocks 2p (low nibbles) and 2p+1 (high) of the 8 rows · their 64 activations, each scaled by its
    /// sub-block scale: <paramref name="scales"/> holds the scales of sub-blocks 2p and 2p+1 in its low 128 bits
    /// (<paramref name="even"/> pairs, p = 0 or 2) or its high 128 bits (p = 1 or 3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> SubBlockPair<TTier>(byte* codes, sbyte* x, Vector256<byte> scales, bool even) where TTier : struct, ISimdTier
    {
        var mask = Vector256.Create((byte)0x0F);
        var half = (even ? Avx2.Permute4x64(scales.AsUInt64(), 0x44) : Avx2.Permute4x64(scales.AsUInt64(), 0xEE)).AsByte();
        if (TTier.Vnni)
        {
            // Four chains, so consecutive multiply-adds do not wait on each other.
            Vector256<int> low0 = default, low1 = default, high0 = default, high1 = default;
            for (int c = 0; c < 8; c += 2)
            {
                var q0 = Vector256.Load(codes + 32 * c);
                var q1 = Vector256.Load(codes + 32 * c + 32);
                low0 = IntegerDot.Add<TTier>(low0, q0 & mask, Broadcast(x + 4 * c));
                low1 = IntegerDot.Add<TTier>(low1, q1 & mask, Broadcast(x + 4 * c + 4));
                high0 = IntegerDot.Add<TTier>(high0, HighNibbles<TTier>(q0), Broadcast(x + 32 + 4 * c));
                high1 = IntegerDot.Add<TTier>(high1, HighNibbles<TTier>(q1), Broadcast(x + 36 + 4 * c));
            }
            return (low0 + low1) * Avx2.Shuffle(half, LowScaleInts).AsInt32()
                 + (high0 + high1) * Avx2.Shuffle(half, HighScaleInts).AsInt32();
        }
        // pmaddubsw pair sums added in 16 bits (at most 8·2·15·127 = 30480); one pmaddwd by the sub-block's scale
        // (in both halves of the row's lane) widens and scales them.
        Vector256<short> low = default, high = default;
        for (int c = 0; c < 8; c++)
        {
            var q = Vector256.Load(codes + 32 * c);
            low += Avx2.MultiplyAddAdjacent(q & mask, Broadcast(x + 4 * c));
            high += Avx2.MultiplyAddAdjacent(HighNibbles<TTier>(q), Broadcast(x + 32 + 4 * c));
        }
        return Avx2.MultiplyAddAdjacent(low, Avx2.Shuffle(half, LowScaleHalves).AsInt16())
             + Avx2.MultiplyAddAdjacent(high, Avx2.Shuffle(half, HighScaleHalves).AsInt16());
    }

    /// <summary>Each byte's high nibble: one GF(2) affine byte transform on the AVX-512 tiers where the CPU has GFNI
    /// (a byte shift is a 16-bit shift and a mask), else the shift, so that on such a CPU the tests still run the shift
    /// at x86-avx2 and x86-avxvnni.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<byte> HighNibbles<TTier>(Vector256<byte> q) where TTier : struct, ISimdTier =>
        TTier.TwoGroups && Gfni.V256.IsSupported
            ? Gfni.V256.GaloisFieldAffineTransform(q, Vector256.Create(Q4_0x8.HighNibbleMatrix).AsByte(), 0)
            : Vector256.ShiftRightLogical(q, 4);

    /// <summary>The minimums of sub-blocks 2p and 2p+1 as the two 16-bit halves of each row's lane, from
    /// <see cref="Unpacked"/>'s minimums (p's pair in the low or high 128 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<short> MinPairOf(Vector256<byte> mins, bool high) =>
        Avx2.Shuffle((high ? Avx2.Permute4x64(mins.AsUInt64(), 0xEE) : Avx2.Permute4x64(mins.AsUInt64(), 0x44)).AsByte(), MinPairHalves).AsInt16();

    // Byte shuffles of a 128-bit [s][row] pair (bytes 0–7: the first sub-block's 8 rows, 8–15: the second's), repeated
    // in both 128-bit lanes; lane L of the result takes rows 4L..4L+3; 0x80 writes a zero byte.
    static readonly Vector256<byte> LowScaleHalves = Spread(0, 0x80, 0, 0x80);
    static readonly Vector256<byte> HighScaleHalves = Spread(8, 0x80, 8, 0x80);
    static readonly Vector256<byte> LowScaleInts = Spread(0, 0x80, 0x80, 0x80);
    static readonly Vector256<byte> HighScaleInts = Spread(8, 0x80, 0x80, 0x80);
    static readonly Vector256<byte> MinPairHalves = Spread(0, 0x80, 8, 0x80);

    /// <summary>A shuffle control whose 32-bit lane for row j takes, byte by byte, source byte offset + j (an offset
    /// below 0x80) or a zero (0x80).</summary>
    static Vector256<byte> Spread(int b0, int b1, int b2, int b3)
    {
        static byte Pick(int offset, int row) => offset >= 0x80 ? (byte)0x80 : (byte)(offset + row);
        Span<byte> control = stackalloc byte[32];
        for (int row = 0; row < 8; row++)
        {
            int at = 4 * row; // row j's lane: byte 4j, with j = 4L + i
            control[at] = Pick(b0, row);
            control[at + 1] = Pick(b1, row);
            control[at + 2] = Pick(b2, row);
            control[at + 3] = Pick(b3, row);
        }
        return Vector256.Create((ReadOnlySpan<byte>)control);
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
