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
///   u8 ql[2][16][8][4]              half h, chunk c, row j: ql bytes 64h+4c..+3 of row j
///   u8 qh[2][8][8][4]               half h, chunk e, row j: qh bytes 32h+4e..+3 of row j
/// </code>
/// </summary>
internal readonly unsafe partial struct Q6_Kx8 : IGroupKernel
{
    const int RowsPerGroup = InterleavedRows.Group;
    const int BlockBytes = 210, GroupBlockBytes = RowsPerGroup * BlockBytes;

    public static int BlockWeights => 256;
    public static int RowBlockBytes => BlockBytes;
    public static int GroupStride => GroupBlockBytes;
    public static bool WidensScales => false;
    const int ScalesOffset = 16, LowOffset = 144, HighOffset = 144 + 1024;
    // Offsets within a row-major Q6_K block.
    const int RowHigh = 128, RowScales = 192, RowScale = 208;

    /// <summary>Rewrites 8 row-major Q6_K rows at <paramref name="group"/> into one interleaved group, in place;
    /// <paramref name="scratch"/> holds exactly 8 rows' bytes.</summary>
    public static void Interleave(byte* group, int blocks, byte[] scratch)
    {
        new ReadOnlySpan<byte>(group, scratch.Length).CopyTo(scratch);
        fixed (byte* source = scratch)
            for (int b = 0; b < blocks; b++)
                for (int j = 0; j < RowsPerGroup; j++)
                    Move(source + (j * blocks + b) * BlockBytes, group + b * GroupBlockBytes, j, toGroup: true);
    }

    /// <summary>Copies row j's block between its row-major form and its places in an interleaved super-block.</summary>
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
            for (int c = 0; c < 16; c++) Place(block + 64 * h + 4 * c, group + LowOffset + 512 * h + 32 * c + 4 * j, 4);
            for (int e = 0; e < 8; e++) Place(block + RowHigh + 32 * h + 4 * e, group + HighOffset + 256 * h + 32 * e + 4 * j, 4);
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
        FourTokens<TTier>(groupA, blocks, batch, first, y, yStride);
        FourTokens<TTier>(groupB, blocks, batch, first, y + RowsPerGroup, yStride);
    }

    /// <summary>The row-major kernel's product of one rebuilt super-block with super-block b of a token.</summary>
    public static float BlockDot<TTier>(byte* block, Q8Row a, int b) where TTier : struct, ISimdTier =>
        Q6_KDot.Dot<TTier>(block, 1, new Q8Row(a.Values + 256 * b, a.Scales + b, a.Sums + 16 * b, null));

    /// <summary>The 6-bit codes of weights 32k + 4e..+3 of half h, one row per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<byte> Codes(byte* block, int h, int k, int e)
    {
        var low = Vector256.Load(block + LowOffset + 512 * h + 32 * (e + 8 * (k & 1)));
        var nibble = k < 2 ? low & Vector256.Create((byte)0x0F) : Vector256.ShiftRightLogical(low, 4);
        var high = Vector256.Load(block + HighOffset + 256 * h + 32 * e).AsUInt32();
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

    /// <summary>Four tokens at once: each 4 codes of 8 rows are assembled once and used four times. Per 16 weights
    /// (one scale) each lane sums q·a in integers; the −32 offset is taken off once per super-block.</summary>
    public static void FourTokens<TTier>(byte* group, int blocks, in Q8Batch batch, int first, float* y, long yStride) where TTier : struct, ISimdTier
    {
        Q8Row a0 = batch.Row(first), a1 = batch.Row(first + 1), a2 = batch.Row(first + 2), a3 = batch.Row(first + 3);
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
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
                        d2 = IntegerDot.Add<TTier>(d2, w, Broadcast(a2.Values + at + 4 * e));
                        d3 = IntegerDot.Add<TTier>(d3, w, Broadcast(a3.Values + at + 4 * e));
                    }
                    var scale = Scale(block, g);
                    i0 += d0 * scale;
                    i1 += d1 * scale;
                    i2 += d2 * scale;
                    i3 += d3 * scale;
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
                    i2 += ScaledGroup(w0, w1, w2, w3, a2.Values + at, scale);
                    i3 += ScaledGroup(w0, w1, w2, w3, a3.Values + at, scale);
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
                o2 = OffsetSum(pair, p2, i, o2);
                o3 = OffsetSum(pair, p3, i, o3);
            }
            i0 -= o0 << 5;
            i1 -= o1 << 5;
            i2 -= o2 << 5;
            i3 -= o3 << 5;
            var d = HalfScales.Load8(block);
            acc0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i0), d * a0.Scales[b], acc0);
            acc1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i1), d * a1.Scales[b], acc1);
            acc2 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i2), d * a2.Scales[b], acc2);
            acc3 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i3), d * a3.Scales[b], acc3);
        }
        acc0.Store(y);
        acc1.Store(y + yStride);
        acc2.Store(y + 2 * yStride);
        acc3.Store(y + 3 * yStride);
    }

    public static void OneToken<TTier>(byte* group, int blocks, Q8Row a, float* y) where TTier : struct, ISimdTier
    {
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
            Vector256<int> scaled = default;
            for (int g = 0; g < 16; g++)
            {
                int h = g >> 3, k = (g >> 1) & 3, firstChunk = 4 * (g & 1);
                sbyte* x = a.Values + 256 * b + 16 * g;
                if (!TTier.Vnni)
                {
                    scaled += ScaledGroup(Codes(block, h, k, firstChunk), Codes(block, h, k, firstChunk + 1),
                        Codes(block, h, k, firstChunk + 2), Codes(block, h, k, firstChunk + 3), x, ScaleBoth(block, g));
                    continue;
                }
                // Two chains, so consecutive multiply-adds do not wait on each other.
                var even = Vector256<int>.Zero;
                var odd = IntegerDot.Add<TTier>(Vector256<int>.Zero, Codes(block, h, k, firstChunk + 1), Broadcast(x + 4));
                even = IntegerDot.Add<TTier>(even, Codes(block, h, k, firstChunk), Broadcast(x));
                odd = IntegerDot.Add<TTier>(odd, Codes(block, h, k, firstChunk + 3), Broadcast(x + 12));
                even = IntegerDot.Add<TTier>(even, Codes(block, h, k, firstChunk + 2), Broadcast(x + 8));
                scaled += (even + odd) * Scale(block, g);
            }
            int* pairs = a.PairSums + Q8Activations.PairSumsPerSuperBlock * b + 4;
            Vector256<int> offset = default;
            for (int i = 0; i < 8; i++) offset = OffsetSum(ScalePair(block, i), pairs, i, offset);
            scaled -= offset << 5;
            var d = HalfScales.Load8(block);
            acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(scaled), d * a.Scales[b], acc);
        }
        acc.Store(y);
    }
}
