using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using PhiSharp.Tensors;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// Q4_0 weights with their rows interleaved eight at a time, so that one 256-bit integer multiply-add computes a
/// partial dot product for eight rows at once (each 32-bit lane one row) and no horizontal sums are needed.
/// A group of 8 rows keeps the size of 8 Q4_0 rows; block b of the group (144 bytes) is
/// <code>
///   fp16 d[8]                       the 8 rows' scales of block b
///   u8 qs[4][8][4]                  chunk c, row j: bytes 4c..4c+3 of row j's block b (low nibbles: weights 4c..4c+3,
///                                   high nibbles: weights 16+4c..16+4c+3)
/// </code>
/// so chunk c's low nibbles are the codes of weights 4c.. of all 8 rows, one row per lane, and its high nibbles those
/// of weights 16+4c... Rewriting rows this way is a permutation of their bytes, done in place after loading.
/// </summary>
internal readonly unsafe partial struct Q4_0x8 : IGroupKernel
{
    const int RowsPerGroup = InterleavedRows.Group;
    const int BlockBytes = 18, GroupBlockBytes = RowsPerGroup * BlockBytes, CodesOffset = 16;

    /// <summary>The GF(2) bit matrix that shifts each byte right by 4 (its high nibble) in one affine transform (GFNI):
    /// row i of the matrix (byte 7 − i) picks input bit i + 4 for output bit i.</summary>
    internal const ulong HighNibbleMatrix = 0x1020408000000000UL;

    public static int BlockWeights => 32;
    public static int RowBlockBytes => BlockBytes;
    public static int GroupStride => GroupBlockBytes;
    public static bool WidensScales => true;

    /// <summary>Rewrites 8 row-major Q4_0 rows at <paramref name="rows"/> into one interleaved group, in place;
    /// <paramref name="scratch"/> holds at least 8 rows' bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once, at load: InterleavedRows.Interleave
    public static void Interleave(byte* rows, int blocks, Span<byte> scratch)
    {
        int rowBytes = blocks * BlockBytes;
        var copy = scratch[..(RowsPerGroup * rowBytes)];
        new ReadOnlySpan<byte>(rows, copy.Length).CopyTo(copy);
        fixed (byte* source = copy)
        {
            for (int b = 0; b < blocks; b++)
            {
                byte* group = rows + b * GroupBlockBytes;
                for (int j = 0; j < RowsPerGroup; j++)
                {
                    byte* block = source + j * rowBytes + b * BlockBytes;
                    ((ushort*)group)[j] = *(ushort*)block;
                    for (int c = 0; c < 4; c++)
                        *(uint*)(group + CodesOffset + 32 * c + 4 * j) = *(uint*)(block + 2 + 4 * c);
                }
            }
        }
    }

    /// <summary>Row j's block b of a group, back in Q4_0's own 18-byte form.</summary>
    public static void Extract(byte* group, int b, int j, byte* block, bool unsignedCodes)
    {
        byte* p = group + b * GroupBlockBytes;
        *(ushort*)block = ((ushort*)p)[j];
        for (int i = 0; i < 16; i++) block[2 + i] = Code(p, j, i);
    }

    /// <summary>The row-major kernel's product of one rebuilt block with block b of a token.</summary>
    public static float BlockDot<TTier>(byte* block, Q8Row a, int b) where TTier : struct, ISimdTier =>
        Q4_0Dot.Dot<TTier>(block, 1, new Q8Row(a.Values + 32 * b, a.Scales + b, a.Sums + b, null));

    /// <summary>Byte i (0–15) of row j's block, as Q4_0 stores it: weight i in the low nibble, weight i + 16 high.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static byte Code(byte* block, int j, int i) => block[CodesOffset + 32 * (i >> 2) + 4 * j + (i & 3)];

    /// <summary>Row j · one token in the narrow tiers, straight from the interleaved bytes.</summary>
    public static float NarrowRow<TTier>(byte* group, int blocks, int j, Q8Row a) where TTier : struct, ISimdTier =>
        TTier.Width == 128 ? RowVector128<TTier>(group, blocks, j, a) : RowScalar(group, blocks, j, a);

    static float RowScalar(byte* group, int blocks, int j, Q8Row a)
    {
        float sum = 0;
        for (int b = 0; b < blocks; b++)
        {
            byte* p = group + b * GroupBlockBytes;
            sbyte* x = a.Values + 32 * b;
            int dot = 0;
            for (int i = 0; i < 16; i++)
            {
                int q = Code(p, j, i);
                dot += (q & 0xF) * x[i] + (q >> 4) * x[i + 16];
            }
            sum += Fp16.ToSingle(((ushort*)p)[j]) * a.Scales[b] * (dot - 8 * a.Sums[b]);
        }
        return sum;
    }

    static float RowVector128<TTier>(byte* group, int blocks, int j, Q8Row a) where TTier : struct, ISimdTier
    {
        var acc = Vector128<float>.Zero;
        float offset = 0;
        var low = Vector128.Create((byte)0x0F);
        for (int b = 0; b < blocks; b++)
        {
            byte* p = group + b * GroupBlockBytes + CodesOffset + 4 * j;
            float scale = Fp16.ToSingle(((ushort*)(group + b * GroupBlockBytes))[j]) * a.Scales[b];
            var q = Vector128.Create(*(uint*)p, *(uint*)(p + 32), *(uint*)(p + 64), *(uint*)(p + 96)).AsByte();
            var dot = IntegerDot.Add<TTier>(Vector128<int>.Zero, q & low, Vector128.Load(a.Values + 32 * b));
            dot = IntegerDot.Add<TTier>(dot, Vector128.ShiftRightLogical(q, 4), Vector128.Load(a.Values + 32 * b + 16));
            acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(dot), Vector128.Create(scale), acc);
            offset += scale * a.Sums[b];
        }
        return Vector128.Sum(acc) - 8 * offset;
    }

    /// <summary>Chunk c of a block: its low nibbles are the 8 rows' codes of weights 4c..4c+3 (one row per lane),
    /// its high nibbles those of weights 16+4c...</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector256<byte> Low, Vector256<byte> High) Chunk(byte* block, int c)
    {
        var q = Vector256.Load(block + CodesOffset + 32 * c);
        return (q & Vector256.Create((byte)0x0F), Vector256.ShiftRightLogical(q, 4));
    }

    /// <summary>The 8 rows' dot products with one token over block b, in integers, then scaled, on the AVX-VNNI tiers
    /// (the others take <see cref="Codes{TTier}"/>): each multiply-add broadcasts 4 activations to every lane
    /// (w<i>s</i>: unsigned codes of weights 4s..4s+3 of each row). The sum starts at −zero·Σa for codes stored with a
    /// zero point (8 for Q4_0, 128 for <see cref="Q8_0x8"/>'s unsigned codes). The eight codes are separate arguments so
    /// that they stay in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Block<TTier>(Vector256<byte> w0, Vector256<byte> w1, Vector256<byte> w2, Vector256<byte> w3,
        Vector256<byte> w4, Vector256<byte> w5, Vector256<byte> w6, Vector256<byte> w7,
        Vector256<float> rowScales, Q8Row a, int b, Vector256<float> acc, int zero = 8) where TTier : struct, ISimdTier
    {
        Debug.Assert(TTier.Vnni);
        int* x = (int*)(a.Values + 32 * b);
        // Two independent chains: the multiply-adds of one chain wait on each other (latency ≈ 4 cycles).
        var low = Vector256.Create(-zero * a.Sums[b]);
        var high = IntegerDot.Add<TTier>(Vector256<int>.Zero, w4, Vector256.Create(x[4]).AsSByte());
        low = IntegerDot.Add<TTier>(low, w0, Vector256.Create(x[0]).AsSByte());
        high = IntegerDot.Add<TTier>(high, w5, Vector256.Create(x[5]).AsSByte());
        low = IntegerDot.Add<TTier>(low, w1, Vector256.Create(x[1]).AsSByte());
        high = IntegerDot.Add<TTier>(high, w6, Vector256.Create(x[6]).AsSByte());
        low = IntegerDot.Add<TTier>(low, w2, Vector256.Create(x[2]).AsSByte());
        high = IntegerDot.Add<TTier>(high, w7, Vector256.Create(x[7]).AsSByte());
        low = IntegerDot.Add<TTier>(low, w3, Vector256.Create(x[3]).AsSByte());
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(low + high), rowScales * a.Scales[b], acc);
    }

    /// <summary>
    /// One token (generation). With AVX-VNNI each block is <see cref="Block{TTier}"/>; otherwise <see cref="Codes{TTier}"/>,
    /// a straight-line pmaddubsw block that spends fewer vector operations than <see cref="Block{TTier}"/>, for the same
    /// sums in the same order (so a token's results are the same bits alone and in a <see cref="Tile{TTier, TTile}"/>):
    /// the zero point as Σa·8 shifted, not negated and broadcast from a general register; on the AVX-512 tiers, high
    /// nibbles by one GF(2) affine byte
    /// transform (GFNI) instead of a shift and a mask: 33 vector operations a block instead of 41, for a decode step whose Q4_0
    /// matmuls streamed weights slower than a plain read on 2 cores. On one AMD Zen 4 core, in L2, 37 / 39 GB/s
    /// (x86-avx2 / x86-avx512) against 34 (bench/decode_kernels.cs; docs/PERFORMANCE.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimized from the first token: IGroupKernel.OneToken
    public static void OneToken<TTier>(byte* group, int blocks, Q8Row a, float* y) where TTier : struct, ISimdTier
    {
        var acc = Vector256<float>.Zero;
        if (TTier.Vnni)
        {
            for (int b = 0; b < blocks; b++)
            {
                byte* block = group + b * GroupBlockBytes;
                var (w0, w4) = Chunk(block, 0);
                var (w1, w5) = Chunk(block, 1);
                var (w2, w6) = Chunk(block, 2);
                var (w3, w7) = Chunk(block, 3);
                acc = Block<TTier>(w0, w1, w2, w3, w4, w5, w6, w7, SignedRowScales(block), a, b, acc);
            }
            acc.Store(y);
            return;
        }
        var codes = new Codes<TTier>();
        int* x = (int*)a.Values;
        for (int b = 0; b < blocks; b++, x += 8)
        {
            byte* block = group + b * GroupBlockBytes;
            codes.Load(block);
            acc = codes.Token(x, a.Sums + b, a.Scales[b], SignedRowScales(block), acc);
        }
        acc.Store(y);
    }

    /// <summary>
    /// The 8 rows' scales (<see cref="HalfScales.Load8"/>'s values) in 4 operations instead of 10: each fp16 scale
    /// sign-extended to 32 bits and shifted left by 13 has its sign at bit 31 and its exponent and mantissa at bits
    /// 27..13 (bits 30..28 copies of the sign, masked off), which read as the half value times 2^−112, sign included,
    /// for normal and subnormal halves and zeros alike; one exact multiplication by 2^112 finishes. A subnormal half
    /// makes that a subnormal float, which x86 multiplies slowly (<see cref="HalfScales.ToSingle(Vector256{int})"/>),
    /// but a Q4_0 scale is subnormal only where every weight of its block is below 2^−11 in magnitude (none in the
    /// benchmark files), so Q4_0's kernels, which read it for every block of 32 weights, keep the short form (with the
    /// exact conversion a block took 4.0 ns instead of 3.7 in L2). Q8_0's scales (the largest weight / 127) are often
    /// subnormal: its kernels convert exactly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> SignedRowScales(byte* block)
    {
        var bits = Avx2.ConvertToVector256Int32((short*)block) << 13;
        return (bits & Vector256.Create(HalfFields)).AsSingle() * Vector256.Create(TwoTo112);
    }

    /// <summary>The sign, exponent and mantissa fields of a half shifted into float32's places (<see
    /// cref="SignedRowScales"/>), and the factor that turns those bits, read as float32, into the half's value.</summary>
    const int HalfFields = unchecked((int)0x8FFFE000);
    const float TwoTo112 = (float)(1L << 56) * (1L << 56);

    /// <summary>Chunk c of block b for both groups: 16 rows' codes of weights 4c.. (low nibbles) and 16+4c.. (high).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector512<byte> Low, Vector512<byte> High) Chunk16(byte* a, byte* b, int c)
    {
        var q = Vector512.Create(Vector256.Load(a + CodesOffset + 32 * c), Vector256.Load(b + CodesOffset + 32 * c));
        return (q & Vector512.Create((byte)0x0F), Vector512.ShiftRightLogical(q, 4));
    }

    /// <summary><see cref="Block"/>'s non-VNNI sum for 16 rows: 4-bit codes keep the 16-bit pair sums in range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Block16(Vector512<byte> w0, Vector512<byte> w1, Vector512<byte> w2, Vector512<byte> w3,
        Vector512<byte> w4, Vector512<byte> w5, Vector512<byte> w6, Vector512<byte> w7,
        Vector512<float> rowScales, Q8Row a, int b, Vector512<float> acc)
    {
        int* x = (int*)(a.Values + 32 * b);
        var p0 = Avx512BW.MultiplyAddAdjacent(w0, Vector512.Create(x[0]).AsSByte()) + Avx512BW.MultiplyAddAdjacent(w1, Vector512.Create(x[1]).AsSByte());
        var p1 = Avx512BW.MultiplyAddAdjacent(w2, Vector512.Create(x[2]).AsSByte()) + Avx512BW.MultiplyAddAdjacent(w3, Vector512.Create(x[3]).AsSByte());
        var p2 = Avx512BW.MultiplyAddAdjacent(w4, Vector512.Create(x[4]).AsSByte()) + Avx512BW.MultiplyAddAdjacent(w5, Vector512.Create(x[5]).AsSByte());
        var p3 = Avx512BW.MultiplyAddAdjacent(w6, Vector512.Create(x[6]).AsSByte()) + Avx512BW.MultiplyAddAdjacent(w7, Vector512.Create(x[7]).AsSByte());
        var dot = Avx512BW.MultiplyAddAdjacent((p0 + p1) + (p2 + p3), Vector512<short>.One) + Vector512.Create(-8 * a.Sums[b]);
        return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(dot), rowScales * a.Scales[b], acc);
    }

    public static void FourTokensTwoGroups<TTier>(byte* groupA, byte* groupB, float* rowScales, int blocks, in Q8Batch batch, int first, float* y, long yStride) where TTier : struct, ISimdTier
    {
        Q8Row a0 = batch.Row(first), a1 = batch.Row(first + 1), a2 = batch.Row(first + 2), a3 = batch.Row(first + 3);
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* blockA = groupA + b * GroupBlockBytes, blockB = groupB + b * GroupBlockBytes;
            var (w0, w4) = Chunk16(blockA, blockB, 0);
            var (w1, w5) = Chunk16(blockA, blockB, 1);
            var (w2, w6) = Chunk16(blockA, blockB, 2);
            var (w3, w7) = Chunk16(blockA, blockB, 3);
            var scales = Vector512.Load(rowScales + 16 * b);
            acc0 = Block16(w0, w1, w2, w3, w4, w5, w6, w7, scales, a0, b, acc0);
            acc1 = Block16(w0, w1, w2, w3, w4, w5, w6, w7, scales, a1, b, acc1);
            acc2 = Block16(w0, w1, w2, w3, w4, w5, w6, w7, scales, a2, b, acc2);
            acc3 = Block16(w0, w1, w2, w3, w4, w5, w6, w7, scales, a3, b, acc3);
        }
        acc0.Store(y);
        acc1.Store(y + yStride);
        acc2.Store(y + 2 * yStride);
        acc3.Store(y + 3 * yStride);
    }

    public static void Tile<TTier, TTile>(byte* group, int blocks, in Q8Batch batch, int first, float* y, long yStride)
        where TTier : struct, ISimdTier where TTile : struct, ITokenTile
    {
        if (TTier.TwoGroups && TTier.Vnni && TTile.Count == 4 && first % 2 == 0 && first + 4 <= 2 * batch.TokenPairs)
        {
            PairTile(group, blocks, batch.Pair(first / 2), batch.Pair(first / 2 + 1), first == 0, y, yStride);
            return;
        }
        Q8Row a0 = batch.Row(first), a1 = batch.Row(first + 1);
        Q8Row a2 = TTile.Count > 2 ? batch.Row(first + 2) : a0, a3 = TTile.Count > 3 ? batch.Row(first + 3) : a0;
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        if (TTier.Vnni)
        {
            for (int b = 0; b < blocks; b++)
            {
                byte* block = group + b * GroupBlockBytes;
                if (first == 0) InterleavedRows.PrefetchAhead(block, GroupBlockBytes);
                var (w0, w4) = Chunk(block, 0);
                var (w1, w5) = Chunk(block, 1);
                var (w2, w6) = Chunk(block, 2);
                var (w3, w7) = Chunk(block, 3);
                var scales = SignedRowScales(block);
                acc0 = Block<TTier>(w0, w1, w2, w3, w4, w5, w6, w7, scales, a0, b, acc0);
                acc1 = Block<TTier>(w0, w1, w2, w3, w4, w5, w6, w7, scales, a1, b, acc1);
                if (TTile.Count > 2) acc2 = Block<TTier>(w0, w1, w2, w3, w4, w5, w6, w7, scales, a2, b, acc2);
                if (TTile.Count > 3) acc3 = Block<TTier>(w0, w1, w2, w3, w4, w5, w6, w7, scales, a3, b, acc3);
            }
        }
        else
        {
            // The one-token kernel's block for each token (Codes): on one AMD Zen 4 core with the weights in L2, 4 tokens
            // took 10.45 ns per block against 11.20 through Block, and with both cores streaming weights
            // from memory 11.46 against 12.10 (fastest of 4 alternating runs, bench/decode_kernels.cs; docs/SERVER.md,
            // "4-token Q4_0 tiles"). Unchanged: the sums and their order, so every result.
            var codes = new Codes<TTier>();
            for (int b = 0; b < blocks; b++)
            {
                byte* block = group + b * GroupBlockBytes;
                if (first == 0) InterleavedRows.PrefetchAhead(block, GroupBlockBytes);
                codes.Load(block);
                var scales = SignedRowScales(block);
                acc0 = codes.Token((int*)(a0.Values + 32 * b), a0.Sums + b, a0.Scales[b], scales, acc0);
                acc1 = codes.Token((int*)(a1.Values + 32 * b), a1.Sums + b, a1.Scales[b], scales, acc1);
                if (TTile.Count > 2) acc2 = codes.Token((int*)(a2.Values + 32 * b), a2.Sums + b, a2.Scales[b], scales, acc2);
                if (TTile.Count > 3) acc3 = codes.Token((int*)(a3.Values + 32 * b), a3.Sums + b, a3.Scales[b], scales, acc3);
            }
        }
        acc0.Store(y);
        acc1.Store(y + yStride);
        if (TTile.Count > 2) acc2.Store(y + 2 * yStride);
        if (TTile.Count > 3) acc3.Store(y + 3 * yStride);
    }

    /// <summary>
    /// One block's 8 rows of codes unpacked for the non-VNNI tiers (L<i>c</i>: chunk c's low nibbles, codes of weights
    /// 4c..4c+3; H<i>c</i>: its high nibbles, weights 16+4c..), and their product with a token.
    /// </summary>
    struct Codes<TTier> where TTier : struct, ISimdTier
    {
        Vector256<byte> _l0, _l1, _l2, _l3, _h0, _h1, _h2, _h3;

        /// <summary>High nibbles by one GF(2) affine byte transform (GFNI) instead of a shift and a mask: the AVX-512 tiers
        /// only, so that on a CPU with GFNI the tests still run the x86-avx2 tier's shift and mask.</summary>
        static bool Gfni256 => TTier.TwoGroups && Gfni.V256.IsSupported;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Load(byte* block)
        {
            byte* codes = block + CodesOffset;
            var low = Vector256.Create((byte)0x0F);
            var q0 = Vector256.Load(codes);
            var q1 = Vector256.Load(codes + 32);
            var q2 = Vector256.Load(codes + 64);
            var q3 = Vector256.Load(codes + 96);
            (_l0, _l1, _l2, _l3) = (q0 & low, q1 & low, q2 & low, q3 & low);
            if (Gfni256)
            {
                var highNibble = Vector256.Create(HighNibbleMatrix).AsByte();
                _h0 = Gfni.V256.GaloisFieldAffineTransform(q0, highNibble, 0);
                _h1 = Gfni.V256.GaloisFieldAffineTransform(q1, highNibble, 0);
                _h2 = Gfni.V256.GaloisFieldAffineTransform(q2, highNibble, 0);
                _h3 = Gfni.V256.GaloisFieldAffineTransform(q3, highNibble, 0);
            }
            else
            {
                _h0 = Vector256.ShiftRightLogical(q0, 4) & low;
                _h1 = Vector256.ShiftRightLogical(q1, 4) & low;
                _h2 = Vector256.ShiftRightLogical(q2, 4) & low;
                _h3 = Vector256.ShiftRightLogical(q3, 4) & low;
            }
        }

        /// <summary>acc + the 8 rows' products with one token's block (x: its 32 values, *sum: their sum, scale: its
        /// scale). Each product pair is a 16-bit pmaddubsw lane; with 4-bit codes a pair is at most 2·15·127 = 3810 in
        /// magnitude, so the 8 pairs of a lane sum to at most 30480 and are added in 16 bits before one widening pmaddwd
        /// (instead of one per product). The zero point as Σa·8 shifted.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector256<float> Token(int* x, int* sum, float scale, Vector256<float> rowScales, Vector256<float> acc)
        {
            var p0 = Avx2.MultiplyAddAdjacent(_l0, Vector256.Create(x[0]).AsSByte()) + Avx2.MultiplyAddAdjacent(_l1, Vector256.Create(x[1]).AsSByte());
            var p1 = Avx2.MultiplyAddAdjacent(_l2, Vector256.Create(x[2]).AsSByte()) + Avx2.MultiplyAddAdjacent(_l3, Vector256.Create(x[3]).AsSByte());
            var p2 = Avx2.MultiplyAddAdjacent(_h0, Vector256.Create(x[4]).AsSByte()) + Avx2.MultiplyAddAdjacent(_h1, Vector256.Create(x[5]).AsSByte());
            var p3 = Avx2.MultiplyAddAdjacent(_h2, Vector256.Create(x[6]).AsSByte()) + Avx2.MultiplyAddAdjacent(_h3, Vector256.Create(x[7]).AsSByte());
            var dot = Avx2.MultiplyAddAdjacent((p0 + p1) + (p2 + p3), Vector256<short>.One) - (Vector256.Create(*sum) << 3);
            return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(dot), rowScales * scale, acc);
        }
    }
}
