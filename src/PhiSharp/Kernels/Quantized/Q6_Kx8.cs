using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using PhiSharp.Tensors;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// Q6_K weights with their rows interleaved eight at a time, like <see cref="Q4_0x8"/>: each 32-bit lane of a
/// 256-bit integer multiply-add works for one row. In a Q6_K block, half h (weights 128h..) takes weight 32k + l's
/// low 4 bits from ql[64h + l] (k = 0: low nibble, 2: high) or ql[64h + 32 + l] (k = 1, 3) and its top 2 bits from
/// bits 2k..2k+1 of qh[32h + l]; scale g = 8h + 2k + l/16 covers 16 weights. A group of 8 rows keeps the size of
/// 8 Q6_K rows; super-block b of the group (1680 bytes) is
/// <code>
///   fp16 d[8]                       the 8 rows' scales
///   i8 scales[16][8]                [g][row]
///   u8 codes[2][8][3][8][4]         half h, chunk e, part, row j: ql bytes 64h+4e..+3 (part 0), ql bytes 64h+32+4e..+3
///                                   (part 1) and qh bytes 32h+4e..+3 (part 2) of row j
/// </code>
/// The three parts of a chunk hold every bit of weights 32k + 4e..+3 (k = 0..3) of the half, so a one-token pass reads
/// the super-block front to back. With ql and qh in separate regions it read three interleaved short runs per half,
/// too short for the hardware prefetcher: one AMD EPYC core streamed 8 GB/s of weights from memory where it streams 30
/// this way (bench/decode_kernels.cs, docs/PERFORMANCE.md).
/// </summary>
internal readonly unsafe partial struct Q6_Kx8 : IGroupKernel
{
    const int RowsPerGroup = InterleavedRows.Group;
    const int BlockBytes = 210, GroupBlockBytes = RowsPerGroup * BlockBytes;

    public static int BlockWeights => 256;
    public static int RowBlockBytes => BlockBytes;
    public static int GroupStride => GroupBlockBytes;
    public static bool WidensScales => false;
    const int ScalesOffset = 16, CodesOffset = 144, ChunkBytes = 96, HalfBytes = 8 * ChunkBytes;
    // Offsets within a row-major Q6_K block.
    const int RowHigh = 128, RowScales = 192, RowScale = 208;

    /// <summary>Rewrites 8 row-major Q6_K rows at <paramref name="group"/> into one interleaved group, in place;
    /// <paramref name="scratch"/> holds exactly 8 rows' bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once, at load: InterleavedRows.Interleave
    public static void Interleave(byte* group, int blocks, byte[] scratch)
    {
        new ReadOnlySpan<byte>(group, scratch.Length).CopyTo(scratch);
        fixed (byte* source = scratch)
            for (int b = 0; b < blocks; b++)
                for (int j = 0; j < RowsPerGroup; j++)
                    Move(source + (j * blocks + b) * BlockBytes, group + b * GroupBlockBytes, j, toGroup: true);
    }

    /// <summary>Copies row j's block between its row-major form and its places in an interleaved super-block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // Interleave's work
    static void Move(byte* block, byte* group, int j, bool toGroup)
    {
        static void Copy(byte* from, byte* to, int count) => Buffer.MemoryCopy(from, to, count, count);
        void Place(byte* rowPart, byte* groupPart, int count)
        {
            if (toGroup) Copy(rowPart, groupPart, count);
            else Copy(groupPart, rowPart, count);
        }
        Place(block + RowScale, group + 2 * j, 2);
        for (int g = 0; g < 16; g++) Place(block + RowScales + g, group + ScalesOffset + 8 * g + j, 1);
        for (int h = 0; h < 2; h++)
        {
            for (int e = 0; e < 8; e++)
            {
                byte* chunk = Chunk(group, h, e) + 4 * j;
                Place(block + 64 * h + 4 * e, chunk, 4);
                Place(block + 64 * h + 32 + 4 * e, chunk + 32, 4);
                Place(block + RowHigh + 32 * h + 4 * e, chunk + 64, 4);
            }
        }
    }

    /// <summary>Row j's super-block b of a group, back in Q6_K's own 210-byte form.</summary>
    public static void Extract(byte* group, int b, int j, byte* block, bool unsignedCodes) => Move(block, group + b * GroupBlockBytes, j, toGroup: false);

    public static float NarrowRow<TTier>(byte* group, int blocks, int j, Q8Row a) where TTier : struct, ISimdTier =>
        InterleavedRows.RebuiltRow<Q6_Kx8, TTier>(group, blocks, j, a);

    /// <summary>No 16-row path (Q6_K's codes and scales fill the registers at 8 rows): the two groups one after the other.</summary>
    public static void FourTokensTwoGroups<TTier>(byte* groupA, byte* groupB, float* rowScales, int blocks, in Q8Batch batch, int first,
        float* y, long yStride) where TTier : struct, ISimdTier
    {
        Tile<TTier, TokenTile.Four>(groupA, blocks, batch, first, y, yStride);
        Tile<TTier, TokenTile.Four>(groupB, blocks, batch, first, y + RowsPerGroup, yStride);
    }

    /// <summary>The row-major kernel's product of one rebuilt super-block with super-block b of a token.</summary>
    public static float BlockDot<TTier>(byte* block, Q8Row a, int b) where TTier : struct, ISimdTier =>
        Q6_KDot.Dot<TTier>(block, 1, new Q8Row(a.Values + 256 * b, a.Scales + b, a.Sums + 16 * b, null));

    /// <summary>Chunk e of half h of a group's super-block: its three 32-byte parts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static byte* Chunk(byte* block, int h, int e) => block + CodesOffset + HalfBytes * h + ChunkBytes * e;

    /// <summary>The 6-bit codes of weights 32k + 4e..+3 of half h, one row per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<byte> Codes(byte* block, int h, int k, int e)
    {
        byte* chunk = Chunk(block, h, e);
        var low = Vector256.Load(chunk + 32 * (k & 1));
        var nibble = k < 2 ? low & Vector256.Create((byte)0x0F) : Vector256.ShiftRightLogical(low, 4);
        var high = Vector256.Load(chunk + 64).AsUInt32();
        var top = ((high >>> (2 * k)) & Vector256.Create(0x03030303u)) << 4;
        return nibble | top.AsByte();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<sbyte> Broadcast(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();

    /// <summary>Scale g of the 8 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Scale(byte* block, int g) => Avx2.ConvertToVector256Int32((sbyte*)(block + ScalesOffset + 8 * g));

    /// <summary>Scale g of the 8 rows in both 16-bit halves of each lane (a pmaddwd operand).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<short> ScaleBoth(byte* block, int g)
    {
        var scale = Scale(block, g);
        return IntegerDot.Halves(scale, scale);
    }

    /// <summary>
    /// Without VNNI: scale g · Σ q·a over the group's 16 weights per row (codes w0..w3: <see cref="Codes"/> e = 0..3). 6-bit codes allow two pmaddubsw pair sums
    /// to be added in 16 bits (at most 2·2·63·127 = 32004); one pmaddwd by the scale widens and scales each half.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> ScaledGroup(Vector256<byte> w0, Vector256<byte> w1, Vector256<byte> w2, Vector256<byte> w3,
        sbyte* x, Vector256<short> scale)
    {
        var low = Avx2.MultiplyAddAdjacent(w0, Broadcast(x)) + Avx2.MultiplyAddAdjacent(w1, Broadcast(x + 4));
        var high = Avx2.MultiplyAddAdjacent(w2, Broadcast(x + 8)) + Avx2.MultiplyAddAdjacent(w3, Broadcast(x + 12));
        return Avx2.MultiplyAddAdjacent(low, scale) + Avx2.MultiplyAddAdjacent(high, scale);
    }

    /// <summary>Scales 2i and 2i+1 of the 8 rows as the two 16-bit halves of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<short> ScalePair(byte* block, int i) =>
        IntegerDot.Halves(Scale(block, 2 * i), Scale(block, 2 * i + 1));

    /// <summary>Σ_g scale_g·Σa_g for one token (the −32 offset's share, once per super-block): 16-bit multiply-adds of
    /// the rows' scale pairs with the token's group-sum pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> OffsetSum(Vector256<short> pair, int* groupPairs, int i, Vector256<int> sum) =>
        sum + Avx2.MultiplyAddAdjacent(pair, Vector256.Create(groupPairs[i]).AsInt16());

    /// <summary>
    /// <see cref="OffsetSum"/> over all 16 scale groups in 512-bit registers (the AVX-512 tiers): each 32 bytes of scales
    /// (groups 4m..4m+3, [g][row]) widened to 16 bits and put in pairs by one word permute, lane 2j taking row j's scales
    /// 4m, 4m+1 and lane 2j+1 its 4m+2, 4m+3, so one 64-bit broadcast of the token's two group-sum pairs is the other
    /// pmaddwd operand; row j's two lanes are added once at the end. 6 vector operations per 4 groups instead of 32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> OffsetSum512(byte* block, int* groupPairs)
    {
        Vector512<int> sum = default;
        for (int m = 0; m < 4; m++)
        {
            var scales = Avx512BW.ConvertToVector512Int16(Vector256.Load((sbyte*)(block + ScalesOffset + 32 * m)));
            var paired = Avx512BW.PermuteVar32x16(scales, ScaleQuads);
            sum += Avx512BW.MultiplyAddAdjacent(paired, Vector512.Create(*(long*)(groupPairs + 2 * m)).AsInt16());
        }
        var rows = Avx512F.PermuteVar16x32(sum, EvenThenOdd);
        return rows.GetLower() + rows.GetUpper();
    }

    /// <summary>Word indices that take row j's scales of groups 4m..4m+3 (words j, 8 + j, 16 + j, 24 + j of the widened
    /// [g][row] scales) to words 4j..4j+3.</summary>
    static readonly Vector512<short> ScaleQuads = Vector512.Create(
        0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31);

    static readonly Vector512<int> EvenThenOdd = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);

    /// <summary>A tile of 2–4 tokens: each 4 codes of 8 rows are assembled once and used for every token. Per 16 weights
    /// (one scale) each lane sums q·a in integers; the −32 offset is taken off once per super-block.</summary>
    public static void Tile<TTier, TTile>(byte* group, int blocks, in Q8Batch batch, int first, float* y, long yStride) where TTier : struct, ISimdTier where TTile : struct, ITokenTile
    {
        Q8Row a0 = batch.Row(first), a1 = batch.Row(first + 1);
        Q8Row a2 = TTile.Count > 2 ? batch.Row(first + 2) : a0, a3 = TTile.Count > 3 ? batch.Row(first + 3) : a0;
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
            if (first == 0) InterleavedRows.PrefetchAhead(block, GroupBlockBytes);
            Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
            for (int g = 0; g < 16; g++)
            {
                int h = g >> 3, k = (g >> 1) & 3, firstChunk = 4 * (g & 1);
                int at = 256 * b + 16 * g;
                if (TTier.Vnni)
                {
                    Vector256<int> d0 = default, d1 = default, d2 = default, d3 = default;
                    for (int e = 0; e < 4; e++)
                    {
                        var w = Codes(block, h, k, firstChunk + e);
                        d0 = IntegerDot.Add<TTier>(d0, w, Broadcast(a0.Values + at + 4 * e));
                        d1 = IntegerDot.Add<TTier>(d1, w, Broadcast(a1.Values + at + 4 * e));
                        if (TTile.Count > 2) d2 = IntegerDot.Add<TTier>(d2, w, Broadcast(a2.Values + at + 4 * e));
                        if (TTile.Count > 3) d3 = IntegerDot.Add<TTier>(d3, w, Broadcast(a3.Values + at + 4 * e));
                    }
                    var scale = Scale(block, g);
                    i0 += d0 * scale;
                    i1 += d1 * scale;
                    if (TTile.Count > 2) i2 += d2 * scale;
                    if (TTile.Count > 3) i3 += d3 * scale;
                }
                else
                {
                    var scale = ScaleBoth(block, g);
                    var w0 = Codes(block, h, k, firstChunk);
                    var w1 = Codes(block, h, k, firstChunk + 1);
                    var w2 = Codes(block, h, k, firstChunk + 2);
                    var w3 = Codes(block, h, k, firstChunk + 3);
                    i0 += ScaledGroup(w0, w1, w2, w3, a0.Values + at, scale);
                    i1 += ScaledGroup(w0, w1, w2, w3, a1.Values + at, scale);
                    if (TTile.Count > 2) i2 += ScaledGroup(w0, w1, w2, w3, a2.Values + at, scale);
                    if (TTile.Count > 3) i3 += ScaledGroup(w0, w1, w2, w3, a3.Values + at, scale);
                }
            }
            int pairsAt = Q8Activations.PairSumsPerSuperBlock * b + 4; // the 8 group pairs follow 4 sub-block pairs
            int* p0 = a0.PairSums + pairsAt, p1 = a1.PairSums + pairsAt, p2 = a2.PairSums + pairsAt, p3 = a3.PairSums + pairsAt;
            Vector256<int> o0 = default, o1 = default, o2 = default, o3 = default;
            for (int i = 0; i < 8; i++)
            {
                var pair = ScalePair(block, i);
                o0 = OffsetSum(pair, p0, i, o0);
                o1 = OffsetSum(pair, p1, i, o1);
                if (TTile.Count > 2) o2 = OffsetSum(pair, p2, i, o2);
                if (TTile.Count > 3) o3 = OffsetSum(pair, p3, i, o3);
            }
            i0 -= o0 << 5;
            i1 -= o1 << 5;
            if (TTile.Count > 2) i2 -= o2 << 5;
            if (TTile.Count > 3) i3 -= o3 << 5;
            var d = HalfScales.Load8(block);
            acc0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i0), d * a0.Scales[b], acc0);
            acc1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i1), d * a1.Scales[b], acc1);
            if (TTile.Count > 2) acc2 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i2), d * a2.Scales[b], acc2);
            if (TTile.Count > 3) acc3 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i3), d * a3.Scales[b], acc3);
        }
        acc0.Store(y);
        acc1.Store(y + yStride);
        if (TTile.Count > 2) acc2.Store(y + 2 * yStride);
        if (TTile.Count > 3) acc3.Store(y + 3 * yStride);
    }

    /// <summary>
    /// One token (generation): straight-line code over the quarters of a super-block (<see cref="Quarter"/>), where
    /// each 96 bytes of codes (two ql chunks and their qh chunk) are loaded once and give the 6-bit codes of four
    /// scale groups. Per 16 weights the loop it replaces chose nibbles and high-bit positions by branches and runtime
    /// shifts, and streamed 12 GB/s of weights on one AMD EPYC core (docs/PERFORMANCE.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimized from the first token: IGroupKernel.OneToken
    public static void OneToken<TTier>(byte* group, int blocks, Q8Row a, float* y) where TTier : struct, ISimdTier
    {
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
            sbyte* x = a.Values + 256 * b;
            var scaled = Quarter<TTier>(block, x, 0, 0) + Quarter<TTier>(block, x, 0, 1)
                       + Quarter<TTier>(block, x, 1, 0) + Quarter<TTier>(block, x, 1, 1);
            int* pairs = a.PairSums + Q8Activations.PairSumsPerSuperBlock * b + 4;
            Vector256<int> offset = default;
            if (TTier.TwoGroups) offset = OffsetSum512(block, pairs);
            else
                for (int i = 0; i < 8; i++) offset = OffsetSum(ScalePair(block, i), pairs, i, offset);
            scaled -= offset << 5;
            var d = HalfScales.Load8(block);
            acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(scaled), d * a.Scales[b], acc);
        }
        acc.Store(y);
    }

    /// <summary>
    /// Σ scale_g · Σ q·a over quarter <paramref name="quarter"/> of half <paramref name="h"/>: qh chunks e = 4·quarter..+3,
    /// whose weights 32k + 4e..+3 (k = 0..3) fall in scale groups g = 8h + 2k + quarter. Constant arguments, inlined: every
    /// offset is an immediate.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Quarter<TTier>(byte* block, sbyte* x, int h, int quarter) where TTier : struct, ISimdTier
    {
        byte* chunks = Chunk(block, h, 4 * quarter);
        x += 128 * h + 16 * quarter; // weight 32k + 4e of the half: x + 32k + 4(e − 4·quarter)
        int g = 8 * h + quarter;     // scale group of k = 0; k adds 2
        if (TTier.Vnni)
        {
            Vector256<int> d0 = default, d1 = default, d2 = default, d3 = default;
            for (int e = 0; e < 4; e++)
            {
                ChunkCodes<TTier>(chunks + ChunkBytes * e, out var c0, out var c1, out var c2, out var c3);
                d0 = IntegerDot.Add<TTier>(d0, c0, Broadcast(x + 4 * e));
                d1 = IntegerDot.Add<TTier>(d1, c1, Broadcast(x + 32 + 4 * e));
                d2 = IntegerDot.Add<TTier>(d2, c2, Broadcast(x + 64 + 4 * e));
                d3 = IntegerDot.Add<TTier>(d3, c3, Broadcast(x + 96 + 4 * e));
            }
            return d0 * Scale(block, g) + d1 * Scale(block, g + 2) + d2 * Scale(block, g + 4) + d3 * Scale(block, g + 6);
        }
        // Two chunks' pmaddubsw pair sums fit 16 bits (2·2·63·127 = 32004), so each scale's pmaddwd serves two chunks.
        ChunkPair<TTier>(chunks, x, out var p0, out var p1, out var p2, out var p3);
        ChunkPair<TTier>(chunks + 2 * ChunkBytes, x + 8, out var r0, out var r1, out var r2, out var r3);
        Vector256<short> s0 = ScaleBoth(block, g), s1 = ScaleBoth(block, g + 2), s2 = ScaleBoth(block, g + 4), s3 = ScaleBoth(block, g + 6);
        return Avx2.MultiplyAddAdjacent(p0, s0) + Avx2.MultiplyAddAdjacent(r0, s0)
             + Avx2.MultiplyAddAdjacent(p1, s1) + Avx2.MultiplyAddAdjacent(r1, s1)
             + Avx2.MultiplyAddAdjacent(p2, s2) + Avx2.MultiplyAddAdjacent(r2, s2)
             + Avx2.MultiplyAddAdjacent(p3, s3) + Avx2.MultiplyAddAdjacent(r3, s3);
    }

    /// <summary>Two consecutive chunks' pmaddubsw pair sums for k = 0..3 (non-VNNI tiers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void ChunkPair<TTier>(byte* chunk, sbyte* x, out Vector256<short> p0, out Vector256<short> p1, out Vector256<short> p2,
        out Vector256<short> p3) where TTier : struct, ISimdTier
    {
        ChunkCodes<TTier>(chunk, out var c0, out var c1, out var c2, out var c3);
        ChunkCodes<TTier>(chunk + ChunkBytes, out var n0, out var n1, out var n2, out var n3);
        p0 = Avx2.MultiplyAddAdjacent(c0, Broadcast(x)) + Avx2.MultiplyAddAdjacent(n0, Broadcast(x + 4));
        p1 = Avx2.MultiplyAddAdjacent(c1, Broadcast(x + 32)) + Avx2.MultiplyAddAdjacent(n1, Broadcast(x + 36));
        p2 = Avx2.MultiplyAddAdjacent(c2, Broadcast(x + 64)) + Avx2.MultiplyAddAdjacent(n2, Broadcast(x + 68));
        p3 = Avx2.MultiplyAddAdjacent(c3, Broadcast(x + 96)) + Avx2.MultiplyAddAdjacent(n3, Broadcast(x + 100));
    }

    /// <summary>The 6-bit codes of weights 32k + 4e..+3, k = 0..3, of the 8 rows from the three parts of chunk e:
    /// each top-bit pair moved to bits 4–5 (16-bit shifts, masked, so no bit crosses into a neighbouring byte). The
    /// AVX-512 tiers move bits by GF(2) affine byte transforms where the CPU has GFNI (one instruction for a shift and its
    /// mask: 9 vector operations a chunk instead of 13); x86-avx2 and x86-avxvnni keep the shifts, so that on such a CPU
    /// the tests still run them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void ChunkCodes<TTier>(byte* chunk, out Vector256<byte> c0, out Vector256<byte> c1, out Vector256<byte> c2, out Vector256<byte> c3)
        where TTier : struct, ISimdTier
    {
        var nibbles = Vector256.Create((byte)0x0F);
        var top = Vector256.Create((byte)0x30);
        var first = Vector256.Load(chunk);
        var second = Vector256.Load(chunk + 32);
        if (TTier.TwoGroups && Gfni.V256.IsSupported)
        {
            var bytes = Vector256.Load(chunk + 64);
            c0 = (first & nibbles) | Gfni.V256.GaloisFieldAffineTransform(bytes, Vector256.Create(TopBits0).AsByte(), 0);
            c1 = (second & nibbles) | Gfni.V256.GaloisFieldAffineTransform(bytes, Vector256.Create(TopBits1).AsByte(), 0);
            c2 = Gfni.V256.GaloisFieldAffineTransform(first, Vector256.Create(Q4_0x8.HighNibbleMatrix).AsByte(), 0) | (bytes & top);
            c3 = Gfni.V256.GaloisFieldAffineTransform(second, Vector256.Create(Q4_0x8.HighNibbleMatrix).AsByte(), 0)
               | Gfni.V256.GaloisFieldAffineTransform(bytes, Vector256.Create(TopBits3).AsByte(), 0);
            return;
        }
        var bits = Vector256.Load(chunk + 64).AsUInt16();
        c0 = (first & nibbles) | ((bits << 4).AsByte() & top);
        c1 = (second & nibbles) | ((bits << 2).AsByte() & top);
        c2 = ((first.AsUInt16() >>> 4).AsByte() & nibbles) | (bits.AsByte() & top);
        c3 = ((second.AsUInt16() >>> 4).AsByte() & nibbles) | ((bits >>> 2).AsByte() & top);
    }

    // GF(2) bit matrices of GFNI's affine byte transform (as Q4_0x8.HighNibbleMatrix: byte 7 − i of the matrix picks
    // the input bits of output bit i): TopBitsK moves bits 2k, 2k+1 (the top bits of k's code) to bits 4–5.
    const ulong TopBits0 = 0x0000000001020000UL;
    const ulong TopBits1 = 0x0000000004080000UL;
    const ulong TopBits3 = 0x0000000040800000UL;
}
