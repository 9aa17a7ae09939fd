using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using PhiSharp.Tensors;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// Q8_0 weights with their rows interleaved eight at a time, like <see cref="Q4_0x8"/>. A group of 8 rows keeps the
/// size of 8 Q8_0 rows; block b of the group (272 bytes) is
/// <code>
///   fp16 d[8]                       the 8 rows' scales
///   i8 q[8][8][4]                   chunk c, row j: codes 4c..4c+3 of row j (plus 128 for the AVX-VNNI path)
/// </code>
/// For the x86-avxvnni tier (AVX-VNNI without AVX-512) the codes are stored unsigned (q + 128) because vpdpbusd
/// takes one unsigned operand and sums straight into 32 bits; the sum starts at −128·Σa to take the 128 back
/// (<see cref="WeightLayout.RowsInterleavedUnsigned"/>). In every other tier (AVX-512's two-groups path included) they
/// stay signed: pmaddubsw
/// then multiplies |q| by the activation with q's sign moved onto it (at most 2·127·127 per 16-bit pair, so no
/// saturation), as llama.cpp's AVX2 code does.
/// </summary>
internal readonly unsafe partial struct Q8_0x8 : IGroupKernel
{
    const int RowsPerGroup = InterleavedRows.Group;
    const int BlockBytes = 34, GroupBlockBytes = RowsPerGroup * BlockBytes, CodesOffset = 16;

    public static int BlockWeights => 32;
    public static int RowBlockBytes => BlockBytes;
    public static int GroupStride => GroupBlockBytes;
    public static bool WidensScales => true;

    /// <summary>Whether a tier reads the codes unsigned, q + 128: the 256-bit AVX-VNNI path without AVX-512 (see the
    /// class comment). With AVX-512 the two-groups path runs instead, and it reads signed codes.</summary>
    public static bool UnsignedCodes<TTier>() where TTier : struct, ISimdTier => TTier.Vnni && !TTier.TwoGroups;

    static byte Bias(bool unsignedCodes) => unsignedCodes ? (byte)0x80 : (byte)0;

    /// <summary>Rewrites 8 row-major Q8_0 rows at <paramref name="rows"/> into one interleaved group, in place;
    /// <paramref name="scratch"/> holds exactly 8 rows' bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once, at load: InterleavedRows.Interleave
    public static void Interleave(byte* rows, int blocks, byte[] scratch, bool unsignedCodes)
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
                    ((ushort*)group)[j] = *(ushort*)block;
                    for (int i = 0; i < 32; i++) group[CodesOffset + 32 * (i >> 2) + 4 * j + (i & 3)] = (byte)(block[2 + i] ^ Bias(unsignedCodes));
                }
            }
    }

    /// <summary>Row j's block b of a group, back in Q8_0's own 34-byte form.</summary>
    public static void Extract(byte* group, int b, int j, byte* block, bool unsignedCodes)
    {
        byte* p = group + b * GroupBlockBytes;
        *(ushort*)block = ((ushort*)p)[j];
        for (int i = 0; i < 32; i++) block[2 + i] = (byte)(p[CodesOffset + 32 * (i >> 2) + 4 * j + (i & 3)] ^ Bias(unsignedCodes));
    }

    public static float NarrowRow<TTier>(byte* group, int blocks, int j, Q8Row a) where TTier : struct, ISimdTier =>
        InterleavedRows.RebuiltRow<Q8_0x8, TTier>(group, blocks, j, a);

    /// <summary>16 rows in 512-bit registers (the AVX-512 tiers): every sign, multiply-add and scaling serves 16 rows.</summary>
    public static void FourTokensTwoGroups<TTier>(byte* groupA, byte* groupB, float* rowScales, int blocks, in Q8Batch batch, int first, float* y, long yStride) where TTier : struct, ISimdTier
    {
        Q8Row a0 = batch.Row(first), a1 = batch.Row(first + 1), a2 = batch.Row(first + 2), a3 = batch.Row(first + 3);
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* blockA = groupA + b * GroupBlockBytes, blockB = groupB + b * GroupBlockBytes;
            Vector512<sbyte> s0 = Signed16(blockA, blockB, 0), s1 = Signed16(blockA, blockB, 1), s2 = Signed16(blockA, blockB, 2), s3 = Signed16(blockA, blockB, 3);
            Vector512<sbyte> s4 = Signed16(blockA, blockB, 4), s5 = Signed16(blockA, blockB, 5), s6 = Signed16(blockA, blockB, 6), s7 = Signed16(blockA, blockB, 7);
            var scales = Vector512.Load(rowScales + 16 * b);
            acc0 = SignedBlock16(s0, s1, s2, s3, s4, s5, s6, s7, scales, a0, b, acc0);
            acc1 = SignedBlock16(s0, s1, s2, s3, s4, s5, s6, s7, scales, a1, b, acc1);
            acc2 = SignedBlock16(s0, s1, s2, s3, s4, s5, s6, s7, scales, a2, b, acc2);
            acc3 = SignedBlock16(s0, s1, s2, s3, s4, s5, s6, s7, scales, a3, b, acc3);
        }
        acc0.Store(y);
        acc1.Store(y + yStride);
        acc2.Store(y + 2 * yStride);
        acc3.Store(y + 3 * yStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<sbyte> Signed16(byte* a, byte* b, int c) =>
        Vector512.Create(Vector256.Load((sbyte*)a + CodesOffset + 32 * c), Vector256.Load((sbyte*)b + CodesOffset + 32 * c));

    /// <summary><see cref="SignedBlock"/> for 16 rows. |q| is taken per token: with 16 rows' codes in registers there
    /// is no room to keep the magnitudes too.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> SignedBlock16(Vector512<sbyte> w0, Vector512<sbyte> w1, Vector512<sbyte> w2, Vector512<sbyte> w3,
        Vector512<sbyte> w4, Vector512<sbyte> w5, Vector512<sbyte> w6, Vector512<sbyte> w7, Vector512<float> rowScales, Q8Row a, int b, Vector512<float> acc)
    {
        int* x = (int*)(a.Values + 32 * b);
        var even = SignedChunk16(w0, x[0]) + SignedChunk16(w2, x[2]) + SignedChunk16(w4, x[4]) + SignedChunk16(w6, x[6]);
        var odd = SignedChunk16(w1, x[1]) + SignedChunk16(w3, x[3]) + SignedChunk16(w5, x[5]) + SignedChunk16(w7, x[7]);
        return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(even + odd), rowScales * a.Scales[b], acc);
    }

    /// <summary>Σ w·x per lane (16 rows) in 32 bits: |w| against x with w's sign (x negated where w &lt; 0, zeroed where
    /// w = 0, as vpsignb does; AVX-512 has no vpsignb, so a masked negate and a zero mask do its work).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<int> SignedChunk16(Vector512<sbyte> w, int x)
    {
        var activations = Vector512.Create(x).AsSByte();
        var signed = Vector512.ConditionalSelect(Vector512.LessThan(w, Vector512<sbyte>.Zero), -activations, activations);
        var pairs = Avx512BW.MultiplyAddAdjacent(Vector512.Abs(w).AsByte(), signed);
        return Avx512BW.MultiplyAddAdjacent(pairs, Vector512<short>.One);
    }

    /// <summary>The row-major kernel's product of one rebuilt block with block b of a token.</summary>
    public static float BlockDot<TTier>(byte* block, Q8Row a, int b) where TTier : struct, ISimdTier =>
        Q8_0Dot.Dot<TTier>(block, 1, new Q8Row(a.Values + 32 * b, a.Scales + b, a.Sums + b, null));

    static Vector256<byte> Chunk(byte* block, int c) => Vector256.Load(block + CodesOffset + 32 * c);

    /// <summary>Without VNNI: the 8 rows' block dot products with one token from signed codes w (|w| in m).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> SignedBlock(Vector256<sbyte> w0, Vector256<sbyte> w1, Vector256<sbyte> w2, Vector256<sbyte> w3,
        Vector256<sbyte> w4, Vector256<sbyte> w5, Vector256<sbyte> w6, Vector256<sbyte> w7,
        Vector256<byte> m0, Vector256<byte> m1, Vector256<byte> m2, Vector256<byte> m3,
        Vector256<byte> m4, Vector256<byte> m5, Vector256<byte> m6, Vector256<byte> m7,
        Vector256<float> rowScales, Q8Row a, int b, Vector256<float> acc)
    {
        int* x = (int*)(a.Values + 32 * b);
        // Two chains, so consecutive multiply-adds do not wait on each other.
        var even = SignedChunk(w0, m0, x[0]) + SignedChunk(w2, m2, x[2]) + SignedChunk(w4, m4, x[4]) + SignedChunk(w6, m6, x[6]);
        var odd = SignedChunk(w1, m1, x[1]) + SignedChunk(w3, m3, x[3]) + SignedChunk(w5, m5, x[5]) + SignedChunk(w7, m7, x[7]);
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(even + odd), rowScales * a.Scales[b], acc);
    }

    /// <summary>Σ w·x per lane for 4 codes of each row against 4 broadcast activations, in 32 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> SignedChunk(Vector256<sbyte> w, Vector256<byte> magnitude, int x) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitude, Avx2.Sign(Vector256.Create(x).AsSByte(), w)), Vector256<short>.One);

    static Vector256<sbyte> Signed(byte* block, int c) => Vector256.Load((sbyte*)block + CodesOffset + 32 * c);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimized from the first token: IGroupKernel.OneToken
    public static void OneToken<TTier>(byte* group, int blocks, Q8Row a, float* y) where TTier : struct, ISimdTier
    {
        var acc = Vector256<float>.Zero;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
            if (!UnsignedCodes<TTier>())
            {
                Vector256<sbyte> w0 = Signed(block, 0), w1 = Signed(block, 1), w2 = Signed(block, 2), w3 = Signed(block, 3);
                Vector256<sbyte> w4 = Signed(block, 4), w5 = Signed(block, 5), w6 = Signed(block, 6), w7 = Signed(block, 7);
                acc = SignedBlock(w0, w1, w2, w3, w4, w5, w6, w7, Avx2.Abs(w0), Avx2.Abs(w1), Avx2.Abs(w2), Avx2.Abs(w3),
                    Avx2.Abs(w4), Avx2.Abs(w5), Avx2.Abs(w6), Avx2.Abs(w7), HalfScales.Load8(block), a, b, acc);
                continue;
            }
            acc = Q4_0x8.Block<TTier>(Chunk(block, 0), Chunk(block, 1), Chunk(block, 2), Chunk(block, 3), Chunk(block, 4),
                Chunk(block, 5), Chunk(block, 6), Chunk(block, 7), HalfScales.Load8(block), a, b, acc, zero: 128);
        }
        acc.Store(y);
    }

    public static void Tile<TTier, TTile>(byte* group, int blocks, in Q8Batch batch, int first, float* y, long yStride) where TTier : struct, ISimdTier where TTile : struct, ITokenTile
    {
        Q8Row a0 = batch.Row(first), a1 = batch.Row(first + 1);
        Q8Row a2 = TTile.Count > 2 ? batch.Row(first + 2) : a0, a3 = TTile.Count > 3 ? batch.Row(first + 3) : a0;
        Vector256<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* block = group + b * GroupBlockBytes;
            if (first == 0) InterleavedRows.PrefetchAhead(block, GroupBlockBytes);
            if (!UnsignedCodes<TTier>())
            {
                Vector256<sbyte> s0 = Signed(block, 0), s1 = Signed(block, 1), s2 = Signed(block, 2), s3 = Signed(block, 3);
                Vector256<sbyte> s4 = Signed(block, 4), s5 = Signed(block, 5), s6 = Signed(block, 6), s7 = Signed(block, 7);
                Vector256<byte> m0 = Avx2.Abs(s0), m1 = Avx2.Abs(s1), m2 = Avx2.Abs(s2), m3 = Avx2.Abs(s3);
                Vector256<byte> m4 = Avx2.Abs(s4), m5 = Avx2.Abs(s5), m6 = Avx2.Abs(s6), m7 = Avx2.Abs(s7);
                var rowScales = HalfScales.Load8(block);
                acc0 = SignedBlock(s0, s1, s2, s3, s4, s5, s6, s7, m0, m1, m2, m3, m4, m5, m6, m7, rowScales, a0, b, acc0);
                acc1 = SignedBlock(s0, s1, s2, s3, s4, s5, s6, s7, m0, m1, m2, m3, m4, m5, m6, m7, rowScales, a1, b, acc1);
                if (TTile.Count > 2) acc2 = SignedBlock(s0, s1, s2, s3, s4, s5, s6, s7, m0, m1, m2, m3, m4, m5, m6, m7, rowScales, a2, b, acc2);
                if (TTile.Count > 3) acc3 = SignedBlock(s0, s1, s2, s3, s4, s5, s6, s7, m0, m1, m2, m3, m4, m5, m6, m7, rowScales, a3, b, acc3);
                continue;
            }
            Vector256<byte> w0 = Chunk(block, 0), w1 = Chunk(block, 1), w2 = Chunk(block, 2), w3 = Chunk(block, 3);
            Vector256<byte> w4 = Chunk(block, 4), w5 = Chunk(block, 5), w6 = Chunk(block, 6), w7 = Chunk(block, 7);
            var scales = HalfScales.Load8(block);
            acc0 = Q4_0x8.Block<TTier>(w0, w1, w2, w3, w4, w5, w6, w7, scales, a0, b, acc0, zero: 128);
            acc1 = Q4_0x8.Block<TTier>(w0, w1, w2, w3, w4, w5, w6, w7, scales, a1, b, acc1, zero: 128);
            if (TTile.Count > 2) acc2 = Q4_0x8.Block<TTier>(w0, w1, w2, w3, w4, w5, w6, w7, scales, a2, b, acc2, zero: 128);
            if (TTile.Count > 3) acc3 = Q4_0x8.Block<TTier>(w0, w1, w2, w3, w4, w5, w6, w7, scales, a3, b, acc3, zero: 128);
        }
        acc0.Store(y);
        acc1.Store(y + yStride);
        if (TTile.Count > 2) acc2.Store(y + 2 * yStride);
        if (TTile.Count > 3) acc3.Store(y + 3 * yStride);
    }
}
