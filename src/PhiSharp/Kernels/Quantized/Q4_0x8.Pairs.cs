using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// A tile of four tokens as two pairs, each pair in one 512-bit register: lane 2j holds row j · token t, lane 2j+1
/// row j · token t+1 (x86-avx512-avxvnni with GFNI, when the matmul laid its tokens out in pairs: <see cref="InterleavedRows.TokenPairs"/>).
/// A block's codes are widened once to 512 bits (row j's four codes in both lanes of its pair), and each activation
/// operand is one 64-bit broadcast of the pair's interleaved values, so one pmaddubsw serves 8 rows × 2 tokens where
/// the 256-bit tile spends a vpdpbusd on 8 rows × 1 token. A 4-token decode step is bound by these instructions, not
/// by memory (docs/SERVER.md).
/// </summary>
internal readonly unsafe partial struct Q4_0x8
{
    /// <summary>
    /// y[t·yStride + j] = row j · token first + t, for t in 0..3, from pairs <paramref name="a"/> (tokens first, first+1)
    /// and <paramref name="b"/> (first+2, first+3). Per row and token the same integer sum (16-bit pair sums cannot
    /// overflow with 4-bit codes: <see cref="Codes{TTier}.Token"/>) and the same float operations in the same order as
    /// <see cref="Block{TTier}"/>, so the same bits as the token alone.
    /// </summary>
    static void PairTile(byte* group, int blocks, Q8TokenPairs a, Q8TokenPairs b, bool prefetch, float* y, long yStride)
    {
        var twice = Vector512.Create(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
        var halvesTwice = Vector512.Create((short)0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7);
        Vector512<float> accA = default, accB = default;
        // Pointers stepped once per block (8 qwords of values, one qword of two sums or scales per pair), not indexed
        // from k: fewer scalar instructions around the vector ones; with the two changes in DoubledRowScales and
        // Q8Activations.TokenPairSumsTimes8, a block took 5.7 ns instead of 5.95 with the weights in L2 (AMD Zen 5).
        byte* block = group, end = group + (long)blocks * GroupBlockBytes;
        long* valuesA = (long*)a.Values, valuesB = (long*)b.Values;
        long* sumsA = (long*)a.SumsTimes8, sumsB = (long*)b.SumsTimes8, scalesA = (long*)a.Scales, scalesB = (long*)b.Scales;
        for (; block < end; block += GroupBlockBytes, valuesA += 8, valuesB += 8, sumsA++, sumsB++, scalesA++, scalesB++)
        {
            if (prefetch) InterleavedRows.PrefetchAhead(block, GroupBlockBytes);
            var codes = new PairCodes(block + CodesOffset, twice);
            var rowScales = DoubledRowScales(block, halvesTwice);
            accA = codes.Pair(valuesA, sumsA, scalesA, rowScales, accA);
            accB = codes.Pair(valuesB, sumsB, scalesB, rowScales, accB);
        }
        // Lanes (row j, token t), (row j, token t+1) → token t's 8 rows, then token t+1's.
        var split = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
        var tokensA = Avx512F.PermuteVar16x32(accA, split);
        var tokensB = Avx512F.PermuteVar16x32(accB, split);
        tokensA.GetLower().Store(y);
        tokensA.GetUpper().Store(y + yStride);
        tokensB.GetLower().Store(y + 2 * yStride);
        tokensB.GetUpper().Store(y + 3 * yStride);
    }

    /// <summary>
    /// <see cref="SignedRowScales"/> with row j's scale in lanes 2j and 2j+1, in one operation fewer: a word permute
    /// puts half j in both words of those lanes, and an arithmetic shift right by 3 of (h·2^16 + h) leaves the same bits
    /// under the mask as sign-extending h and shifting it left by 13 (sign at bit 31, h's bits 0–14 at 13–27).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> DoubledRowScales(byte* block, Vector512<short> halvesTwice)
    {
        var halves = Vector128.Load((short*)block).ToVector256Unsafe().ToVector512Unsafe();
        var bits = Avx512BW.PermuteVar32x16(halves, halvesTwice).AsInt32() >> 3;
        return (bits & Vector512.Create(HalfFields)).AsSingle() * Vector512.Create(TwoTo112);
    }

    /// <summary>One block's codes with each row's lane doubled (L<i>c</i>: chunk c's low nibbles, weights 4c..4c+3;
    /// H<i>c</i>: its high nibbles, weights 16+4c..), and their product with a pair of tokens.</summary>
    readonly struct PairCodes
    {
        readonly Vector512<byte> _l0, _l1, _l2, _l3, _h0, _h1, _h2, _h3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public PairCodes(byte* codes, Vector512<int> twice)
        {
            var q0 = Widen(codes, twice);
            var q1 = Widen(codes + 32, twice);
            var q2 = Widen(codes + 64, twice);
            var q3 = Widen(codes + 96, twice);
            var low = Vector512.Create((byte)0x0F);
            (_l0, _l1, _l2, _l3) = (q0 & low, q1 & low, q2 & low, q3 & low);
            var highNibble = Vector512.Create(HighNibbleMatrix).AsByte();
            _h0 = Gfni.V512.GaloisFieldAffineTransform(q0, highNibble, 0);
            _h1 = Gfni.V512.GaloisFieldAffineTransform(q1, highNibble, 0);
            _h2 = Gfni.V512.GaloisFieldAffineTransform(q2, highNibble, 0);
            _h3 = Gfni.V512.GaloisFieldAffineTransform(q3, highNibble, 0);
        }

        /// <summary>32 bytes of codes (8 rows' 4 bytes each) with every row's 4 bytes in two neighbouring lanes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<byte> Widen(byte* codes, Vector512<int> twice) =>
            Avx512F.PermuteVar16x32(Vector256.Load((int*)codes).ToVector512Unsafe(), twice).AsByte();

        /// <summary>acc + the 8 rows' products with one block of a pair of tokens: as <see cref="Codes{TTier}.Token"/>,
        /// with each operand one 64-bit broadcast of the pair's 4 + 4 values (<paramref name="x"/>: the block's 8), its
        /// two sums × 8 (<see cref="Q8Activations.TokenPairSumsTimes8"/>) or its two scales.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Pair(long* x, long* sumsTimes8, long* tokenScales, Vector512<float> rowScales, Vector512<float> acc)
        {
            var p0 = Avx512BW.MultiplyAddAdjacent(_l0, Two(x, 0)) + Avx512BW.MultiplyAddAdjacent(_l1, Two(x, 1));
            var p1 = Avx512BW.MultiplyAddAdjacent(_l2, Two(x, 2)) + Avx512BW.MultiplyAddAdjacent(_l3, Two(x, 3));
            var p2 = Avx512BW.MultiplyAddAdjacent(_h0, Two(x, 4)) + Avx512BW.MultiplyAddAdjacent(_h1, Two(x, 5));
            var p3 = Avx512BW.MultiplyAddAdjacent(_h2, Two(x, 6)) + Avx512BW.MultiplyAddAdjacent(_h3, Two(x, 7));
            var dot = Avx512BW.MultiplyAddAdjacent((p0 + p1) + (p2 + p3), Vector512<short>.One) - Vector512.Create(*sumsTimes8).AsInt32();
            var scales = rowScales * Vector512.Create(*tokenScales).AsSingle();
            return Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(dot), scales, acc);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static Vector512<sbyte> Two(long* x, int i) => Vector512.Create(x[i]).AsSByte();
    }
}
