using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using PhiSharp.Tensors;

namespace PhiSharp.Kernels.Quantized;

/// <summary>
/// The input rows of a quantized matmul, rounded to 8-bit integers so the dot products run on integer SIMD, by
/// llama.cpp's rules (so that PhiSharp and llama.cpp round the same way):
/// <list type="bullet">
/// <item>blocks of 32 (Q8_0, for Q4_0 / Q8_0 weights): scale d = fp16(max|x| / 127), q = round-to-even(x · 127 / max|x|);
/// the sum of each block's q is kept too, for weights stored with an offset (Q4_0's −8).</item>
/// <item>super-blocks of 256 (Q8_K, for the K-quants): with m the value of largest magnitude, q = min(127,
/// round-to-even(x · −127 / m)), d = 1 / (−127 / m) in float32; the sums of each 16 q are kept for the sub-block
/// minimums and offsets.</item>
/// </list>
/// Buffers grow to the largest call and are reused: quantizing allocates nothing in steady state.
/// </summary>
internal sealed class Q8Activations
{
    public const int BlockLength = 32, SuperBlockLength = 256, GroupLength = 16;

    sbyte[] _values = [];
    float[] _scales = [];
    int[] _sums = [];
    int[] _laneOffsets = [];
    int[] _pairSums = [];
    sbyte[] _tokenPairValues = [];
    float[] _tokenPairScales = [];
    int[] _tokenPairSumsTimes8 = [];

    public int Columns { get; private set; }

    /// <summary>True for the 256-long super-block form (Q8_K), false for blocks of 32 (Q8_0).</summary>
    public bool SuperBlocks { get; private set; }

    /// <summary>Quantized values, token after token.</summary>
    public ReadOnlySpan<sbyte> Values => _values;

    /// <summary>One scale per block (Q8_0) or super-block (Q8_K), token after token.</summary>
    public ReadOnlySpan<float> Scales => _scales;

    /// <summary>Sum of the values of each block of 32 (Q8_0) or each group of 16 (Q8_K), token after token.</summary>
    public ReadOnlySpan<int> Sums => _sums;

    /// <summary>Blocks of 32 only: for each block, −8 times the sum of each 4 consecutive values (8 per block),
    /// the starting lanes of a 256-bit integer dot product with Q4_0 codes, which folds Q4_0's −8 offset into it.</summary>
    public ReadOnlySpan<int> LaneOffsets => _laneOffsets;

    /// <summary>Super-blocks only, <see cref="PairSumsPerSuperBlock"/> ints each: the sums of two neighbouring runs of
    /// values as the low and high halves of one int (|sum| ≤ 32·127 fits 16 bits), the operand of a 16-bit multiply-add
    /// with two runs' integer factors of 8 weight rows. First 4 pairs of 32-value sub-blocks (2p, 2p+1: Q4_K's
    /// minimums), then 8 pairs of 16-value groups (2i, 2i+1: Q6_K's scales times its −32 offset).</summary>
    public ReadOnlySpan<int> PairSums => _pairSums;

    public const int PairSumsPerSuperBlock = 12;

    /// <summary>Blocks of 32 only, after <see cref="PairTokens"/>: tokens 2p and 2p+1 interleaved 4 values at a time (8
    /// bytes: 4 of token 2p, then the same 4 of token 2p+1), 2·<see cref="Columns"/> bytes a pair, so that one 64-bit
    /// broadcast puts the two tokens' values in alternate 32-bit lanes (<see cref="Q4_0x8"/>'s pair tiles).</summary>
    public ReadOnlySpan<sbyte> TokenPairValues => _tokenPairValues;

    /// <summary>The two tokens' scales of each block, side by side (2 a block, pair after pair).</summary>
    public ReadOnlySpan<float> TokenPairScales => _tokenPairScales;

    /// <summary>The two tokens' sums of each block times 8, side by side (2 a block, pair after pair): what Q4_0's
    /// codes, stored as weight + 8, add to a dot product, so that the pair tile subtracts it without a shift.</summary>
    public ReadOnlySpan<int> TokenPairSumsTimes8 => _tokenPairSumsTimes8;

    public int ScalesPerToken => Columns / (SuperBlocks ? SuperBlockLength : BlockLength);
    public int SumsPerToken => Columns / (SuperBlocks ? GroupLength : BlockLength);

    /// <summary>Whether <see cref="LaneOffsets"/> are filled (only the row-major Q4_0 kernel reads them).</summary>
    public bool WithLaneOffsets { get; private set; }

    public void Quantize(ReadOnlySpan<float> x, int tokens, int columns, bool superBlocks)
    {
        Prepare(tokens, columns, superBlocks, laneOffsets: !superBlocks);
        QuantizeRows(x, 0, tokens);
    }

    /// <summary>Sizes the buffers for <paramref name="tokens"/> rows; <see cref="QuantizeRows"/> then fills them, in
    /// parallel ranges if wanted (rows are independent).</summary>
    public void Prepare(int tokens, int columns, bool superBlocks, bool laneOffsets)
    {
        int blockLength = superBlocks ? SuperBlockLength : BlockLength;
        if (columns % blockLength != 0) throw new ArgumentException($"{columns} columns are not a whole number of {blockLength}-blocks.");
        Columns = columns;
        SuperBlocks = superBlocks;
        WithLaneOffsets = laneOffsets && !superBlocks;
        Grow(ref _values, tokens * columns);
        Grow(ref _scales, tokens * ScalesPerToken);
        Grow(ref _sums, tokens * SumsPerToken);
        if (WithLaneOffsets) Grow(ref _laneOffsets, tokens * columns / 4);
        if (superBlocks) Grow(ref _pairSums, tokens * columns / SuperBlockLength * PairSumsPerSuperBlock);
    }

    /// <summary>Lays out tokens [0, 2·<paramref name="pairs"/>) as pairs (<see cref="TokenPairValues"/>, <see
    /// cref="TokenPairScales"/>, <see cref="TokenPairSumsTimes8"/>), after <see cref="QuantizeRows"/> has rounded them; blocks
    /// of 32 only. A copy of 2·pairs rows, which a decode step of a few sequences makes on the calling thread.</summary>
    public void PairTokens(int pairs)
    {
        if (SuperBlocks) throw new InvalidOperationException("Token pairs are laid out for blocks of 32 only.");
        int columns = Columns, blocks = ScalesPerToken;
        Grow(ref _tokenPairValues, pairs * 2 * columns);
        Grow(ref _tokenPairScales, pairs * 2 * blocks);
        Grow(ref _tokenPairSumsTimes8, pairs * 2 * blocks);
        for (int p = 0; p < pairs; p++)
        {
            var first = MemoryMarshal.Cast<sbyte, int>(_values.AsSpan(2 * p * columns, columns));
            var second = MemoryMarshal.Cast<sbyte, int>(_values.AsSpan((2 * p + 1) * columns, columns));
            var paired = MemoryMarshal.Cast<sbyte, int>(_tokenPairValues.AsSpan(2 * p * columns, 2 * columns));
            for (int i = 0; i < first.Length; i++)
            {
                paired[2 * i] = first[i];
                paired[2 * i + 1] = second[i];
            }
            for (int b = 0; b < blocks; b++)
            {
                _tokenPairScales[2 * (p * blocks + b)] = _scales[2 * p * blocks + b];
                _tokenPairScales[2 * (p * blocks + b) + 1] = _scales[(2 * p + 1) * blocks + b];
                _tokenPairSumsTimes8[2 * (p * blocks + b)] = 8 * _sums[2 * p * blocks + b];
                _tokenPairSumsTimes8[2 * (p * blocks + b) + 1] = 8 * _sums[(2 * p + 1) * blocks + b];
            }
        }
    }

    /// <summary>Quantizes rows [start, end) of x (all rows, <see cref="Columns"/> wide) as <see cref="Prepare"/> set up.</summary>
    public void QuantizeRows(ReadOnlySpan<float> x, int start, int end)
    {
        int columns = Columns;
        bool superBlocks = SuperBlocks;
        for (int t = start; t < end; t++)
        {
            var row = x.Slice(t * columns, columns);
            var q = _values.AsSpan(t * columns, columns);
            if (superBlocks)
                for (int b = 0; b < columns / SuperBlockLength; b++)
                {
                    var groupSums = _sums.AsSpan(t * SumsPerToken + b * 16, 16);
                    _scales[t * ScalesPerToken + b] = QuantizeSuperBlock(row.Slice(b * SuperBlockLength, SuperBlockLength),
                        q.Slice(b * SuperBlockLength, SuperBlockLength), groupSums);
                    var pairs = _pairSums.AsSpan((t * columns / SuperBlockLength + b) * PairSumsPerSuperBlock, PairSumsPerSuperBlock);
                    for (int p = 0; p < 4; p++)
                        pairs[p] = Pair(groupSums[4 * p] + groupSums[4 * p + 1], groupSums[4 * p + 2] + groupSums[4 * p + 3]);
                    for (int i = 0; i < 8; i++)
                        pairs[4 + i] = Pair(groupSums[2 * i], groupSums[2 * i + 1]);
                }
            else
            {
                for (int b = 0; b < columns / BlockLength; b++)
                    _scales[t * ScalesPerToken + b] = QuantizeBlock(row.Slice(b * BlockLength, BlockLength),
                        q.Slice(b * BlockLength, BlockLength), out _sums[t * SumsPerToken + b]);
                if (!WithLaneOffsets) continue;
                var offsets = _laneOffsets.AsSpan(t * columns / 4, columns / 4);
                for (int i = 0; i < offsets.Length; i++)
                    offsets[i] = -8 * (q[4 * i] + q[4 * i + 1] + q[4 * i + 2] + q[4 * i + 3]);
            }
        }
    }

    static int Pair(int low, int high) => (low & 0xFFFF) | (high << 16);

    // A one-token matmul rounds its input on the calling thread while the other threads wait, so the rounding is
    // vectorised: scalar, it took 1.2 ms of an 80 ms Phi-3-mini decode step (docs/PERFORMANCE.md). Both forms give
    // the same bytes (Q8ActivationsTests): the products are the same float32 operations and Vector128.Round rounds
    // half to even as MathF.Round(…, ToEven) does.
    static float QuantizeBlock(ReadOnlySpan<float> x, Span<sbyte> q, out int sum) =>
        Vector128.IsHardwareAccelerated ? QuantizeBlockVector(x, q, out sum) : QuantizeBlockScalar(x, q, out sum);

    static float QuantizeSuperBlock(ReadOnlySpan<float> x, Span<sbyte> q, Span<int> groupSums) =>
        Vector128.IsHardwareAccelerated ? QuantizeSuperBlockVector(x, q, groupSums) : QuantizeSuperBlockScalar(x, q, groupSums);

    /// <summary>A block of 32 (Q8_0): the scalar reference.</summary>
    internal static float QuantizeBlockScalar(ReadOnlySpan<float> x, Span<sbyte> q, out int sum)
    {
        float max = 0;
        foreach (float v in x) max = MathF.Max(max, MathF.Abs(v));
        float inverse = max != 0 ? 127f / max : 0f;
        sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            int v = (int)MathF.Round(x[i] * inverse, MidpointRounding.ToEven);
            q[i] = (sbyte)v;
            sum += v;
        }
        return Fp16.ToSingle(Fp16.FromSingle(max / 127f));
    }

    /// <summary>A block of 32 (Q8_0), 4 floats per operation.</summary>
    internal static float QuantizeBlockVector(ReadOnlySpan<float> x, Span<sbyte> q, out int sum)
    {
        ref float source = ref MemoryMarshal.GetReference(x[..BlockLength]);
        float max = MaxMagnitude(ref source, BlockLength);
        var inverse = Vector128.Create(max != 0 ? 127f / max : 0f);
        ref sbyte codes = ref MemoryMarshal.GetReference(q[..BlockLength]);
        sum = Vector128.Sum(RoundSixteen(ref source, inverse, ref codes) + RoundSixteen(ref Unsafe.Add(ref source, 16), inverse, ref Unsafe.Add(ref codes, 16)));
        return Fp16.ToSingle(Fp16.FromSingle(max / 127f));
    }

    /// <summary>A super-block of 256 (Q8_K): the scalar reference.</summary>
    internal static float QuantizeSuperBlockScalar(ReadOnlySpan<float> x, Span<sbyte> q, Span<int> groupSums)
    {
        float max = 0, magnitude = 0;
        foreach (float v in x)
        {
            float a = MathF.Abs(v);
            if (a > magnitude) { magnitude = a; max = v; }
        }
        if (magnitude == 0)
        {
            q.Clear();
            groupSums.Clear();
            return 0;
        }
        float inverse = -127f / max;
        for (int g = 0; g < groupSums.Length; g++)
        {
            int sum = 0;
            for (int i = g * GroupLength; i < (g + 1) * GroupLength; i++)
            {
                int v = Math.Min(127, (int)MathF.Round(x[i] * inverse, MidpointRounding.ToEven));
                q[i] = (sbyte)v;
                sum += v;
            }
            groupSums[g] = sum;
        }
        return 1f / inverse;
    }

    /// <summary>A super-block of 256 (Q8_K), 4 floats per operation; the signed maximum is the first value of the
    /// largest magnitude, as in the scalar scan.</summary>
    internal static float QuantizeSuperBlockVector(ReadOnlySpan<float> x, Span<sbyte> q, Span<int> groupSums)
    {
        ref float source = ref MemoryMarshal.GetReference(x[..SuperBlockLength]);
        ref sbyte codes = ref MemoryMarshal.GetReference(q[..SuperBlockLength]);
        float magnitude = MaxMagnitude(ref source, SuperBlockLength);
        if (magnitude == 0)
        {
            q[..SuperBlockLength].Clear();
            groupSums[..16].Clear();
            return 0;
        }
        float inverse = -127f / Unsafe.Add(ref source, FirstOfMagnitude(ref source, magnitude));
        var scale = Vector128.Create(inverse);
        for (int g = 0; g < 16; g++)
            groupSums[g] = Vector128.Sum(RoundSixteen(ref Unsafe.Add(ref source, g * GroupLength), scale, ref Unsafe.Add(ref codes, g * GroupLength)));
        return 1f / inverse;
    }

    /// <summary>max |x| over <paramref name="length"/> (a multiple of 16) values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float MaxMagnitude(ref float x, int length)
    {
        Vector128<float> a = default, b = default, c = default, d = default;
        for (int i = 0; i < length; i += 16)
        {
            a = Vector128.Max(a, Vector128.Abs(Vector128.LoadUnsafe(ref x, (nuint)i)));
            b = Vector128.Max(b, Vector128.Abs(Vector128.LoadUnsafe(ref x, (nuint)i + 4)));
            c = Vector128.Max(c, Vector128.Abs(Vector128.LoadUnsafe(ref x, (nuint)i + 8)));
            d = Vector128.Max(d, Vector128.Abs(Vector128.LoadUnsafe(ref x, (nuint)i + 12)));
        }
        var m = Vector128.Max(Vector128.Max(a, b), Vector128.Max(c, d));
        return MathF.Max(MathF.Max(m[0], m[1]), MathF.Max(m[2], m[3]));
    }

    /// <summary>The index of the first value whose magnitude is <paramref name="magnitude"/> (one is).</summary>
    static int FirstOfMagnitude(ref float x, float magnitude)
    {
        var target = Vector128.Create(magnitude);
        for (int i = 0; ; i += 4)
        {
            uint hits = Vector128.Equals(Vector128.Abs(Vector128.LoadUnsafe(ref x, (nuint)i)), target).ExtractMostSignificantBits();
            if (hits != 0) return i + System.Numerics.BitOperations.TrailingZeroCount(hits);
        }
    }

    /// <summary>q = min(127, round-to-even(x · inverse)) for 16 values; returns their sums in 4 lanes. (Q8_K clamps
    /// at 127 as llama.cpp does; Q8_0's codes never exceed it, since |x| ≤ max.)</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<int> RoundSixteen(ref float x, Vector128<float> inverse, ref sbyte q)
    {
        var limit = Vector128.Create(127);
        var a = Vector128.Min(limit, Vector128.ConvertToInt32(Vector128.Round(Vector128.LoadUnsafe(ref x) * inverse)));
        var b = Vector128.Min(limit, Vector128.ConvertToInt32(Vector128.Round(Vector128.LoadUnsafe(ref x, 4) * inverse)));
        var c = Vector128.Min(limit, Vector128.ConvertToInt32(Vector128.Round(Vector128.LoadUnsafe(ref x, 8) * inverse)));
        var d = Vector128.Min(limit, Vector128.ConvertToInt32(Vector128.Round(Vector128.LoadUnsafe(ref x, 12) * inverse)));
        Vector128.Narrow(Vector128.Narrow(a, b), Vector128.Narrow(c, d)).StoreUnsafe(ref q);
        return a + b + c + d;
    }

    static void Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new T[length];
    }
}

/// <summary>One token's row of <see cref="Q8Activations"/>: values, and the scales and sums of its blocks.</summary>
internal readonly unsafe struct Q8Row(sbyte* values, float* scales, int* sums, int* laneOffsets, int* pairSums = null)
{
    public readonly sbyte* Values = values;
    public readonly float* Scales = scales;
    public readonly int* Sums = sums;
    public readonly int* LaneOffsets = laneOffsets;
    public readonly int* PairSums = pairSums;
}

/// <summary>All tokens' rows of <see cref="Q8Activations"/>, pinned for the duration of one matmul, and the first
/// <see cref="TokenPairs"/> pairs of them laid out side by side (<see cref="Q8Activations.PairTokens"/>).</summary>
internal readonly unsafe struct Q8Batch(sbyte* values, float* scales, int* sums, int* laneOffsets, int* pairSums, int columns,
    int scalesPerToken, int sumsPerToken, Q8TokenPairs tokenPairs = default, int pairCount = 0)
{
    public Q8Row Row(int t) => new(values + (long)t * columns, scales + t * scalesPerToken, sums + t * sumsPerToken,
        laneOffsets + (long)t * columns / 4, pairSums + (long)t * columns / Q8Activations.SuperBlockLength * Q8Activations.PairSumsPerSuperBlock);

    public int TokenPairs => pairCount;

    /// <summary>Tokens 2p and 2p+1 side by side; p &lt; <see cref="TokenPairs"/>.</summary>
    public Q8TokenPairs Pair(int p) => new(tokenPairs.Values + 2L * p * columns, tokenPairs.Scales + 2 * p * scalesPerToken,
        tokenPairs.SumsTimes8 + 2 * p * scalesPerToken);
}

/// <summary>Two tokens' rows of blocks of 32 interleaved (<see cref="Q8Activations.TokenPairValues"/>): block b's
/// values at Values + 64b, 8 bytes per 4 values; its two scales and two sums × 8 at 2b.</summary>
internal readonly unsafe struct Q8TokenPairs(sbyte* values, float* scales, int* sumsTimes8)
{
    public readonly sbyte* Values = values;
    public readonly float* Scales = scales;
    public readonly int* SumsTimes8 = sumsTimes8;
}
