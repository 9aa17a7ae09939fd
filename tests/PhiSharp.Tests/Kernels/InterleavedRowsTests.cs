using PhiSharp.Tensors;
using PhiSharp.Compute;
using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Kernels;
using PhiSharp.Kernels.Quantized;
using PhiSharp.Models;

namespace PhiSharp.Tests.Kernels;

/// <summary>
/// Q4_0, Q8_0, Q4_K and Q6_K matrices read into memory are rewritten with their rows interleaved
/// eight at a time (Q4_0x8, Q8_0x8, Q4_Kx8, Q6_Kx8). The rewrite is a permutation: every row still dequantizes to llama.cpp's values, and the matmul gives the
/// row-major kernel's product (itself checked against the dequantized dot product in <see cref="QuantizedDotTests"/>)
/// on every tier. The files are llama.cpp's pure Q4_0, Q8_0, Q4_K and Q6_K quantizations of the same tiny model.
/// </summary>
public class InterleavedRowsTests
{
    const string File = "phi3-mini-q4_0.gguf";
    static readonly TensorFileOptions InMemory = new() { UseMemoryMap = false };

    [Theory]
    [InlineData("phi3-mini-q4_0.gguf", "blk.0.attn_qkv.weight")]
    [InlineData("phi3-mini-q4_0.gguf", "blk.1.ffn_down.weight")]
    [InlineData("phi3-mini-q4_k.gguf", "blk.0.attn_qkv.weight")]
    [InlineData("phi3-mini-q4_k.gguf", "blk.1.ffn_down.weight")]
    [InlineData("phi3-mini-q6_k.gguf", "blk.0.attn_qkv.weight")]
    [InlineData("phi3-mini-q6_k.gguf", "blk.1.ffn_down.weight")]
    [InlineData("phi3-mini-q8_0.gguf", "blk.0.attn_qkv.weight")]
    [InlineData("phi3-mini-q8_0.gguf", "blk.1.ffn_down.weight")]
    public void Interleaved_rows_dequantize_to_the_original_rows(string file, string name)
    {
        // Both forms of the layout: codes as stored, and Q8_0's unsigned codes of the x86-avxvnni tier (a rewrite of
        // bytes, so any CPU can check it).
        using var mapped = GgufFile.Open(Fixtures.Path("llamacpp", file));
        var original = mapped.GetTensor(name);
        foreach (var tier in new[] { SimdTier.Avx2, SimdTier.AvxVnni })
        {
            using var copy = GgufFile.Open(Fixtures.Path("llamacpp", file), InMemory);
            Assert.True(WeightPreparation.TryPrepare(copy, name, tier, out var interleaved));
            Assert.Equal(InterleavedRows.LayoutFor(original.Type, tier), interleaved.Layout);
            Assert.Equal(interleaved.Layout, copy.GetTensor(name).Layout); // the source remembers the layout it now holds
            var a = new float[original.RowLength];
            var b = new float[original.RowLength];
            for (int r = 0; r < original.Rows; r++)
                Assert.Equal(WeightRows.AsFloat(original, r, a).ToArray(), WeightRows.AsFloat(interleaved, r, b).ToArray());
        }
    }

    public static TheoryData<string, string, int> TierCases()
    {
        var data = new TheoryData<string, string, int>();
        var files = new List<string> { "phi3-mini-q4_0.gguf", "phi3-mini-q4_k.gguf", "phi3-mini-q6_k.gguf", "phi3-mini-q8_0.gguf" };
        foreach (var file in files)
            foreach (string tier in SupportedTiers.Names)
                foreach (int tokens in new[] { 1, 6 }) // one token (decode); a tile of four and a remainder of two
                    data.Add(file, tier, tokens);
        return data;
    }

    [Theory]
    [MemberData(nameof(TierCases))]
    public void Interleaved_matmul_equals_the_row_major_product(string file, string tierName, int tokens)
    {
        var tier = SupportedTiers.Parse(tierName);
        const string Name = "blk.0.ffn_up.weight";
        using var mapped = GgufFile.Open(Fixtures.Path("llamacpp", file));
        using var copy = GgufFile.Open(Fixtures.Path("llamacpp", file), InMemory);
        var rowMajor = mapped.GetTensor(Name);
        Assert.True(WeightPreparation.TryPrepare(copy, Name, tier, out var interleaved));

        var random = new Random(11);
        var x = Enumerable.Range(0, tokens * rowMajor.RowLength).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        using var pool = new WorkerPool(2);
        var expected = new float[tokens * rowMajor.Rows];
        var actual = new float[tokens * rowMajor.Rows];
        new MatMul(pool, SimdTier.Scalar).Multiply(rowMajor, x, expected, tokens);
        new MatMul(pool, tier).Multiply(interleaved, x, actual, tokens);
        AssertSameProduct(expected, actual, rowMajor.Rows, tierName);
    }

    /// <summary>Same integer sums; only the float summation order of the per-block terms differs.</summary>
    static void AssertSameProduct(float[] expected, float[] actual, int rows, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])),
                $"{what}: token {i / rows}, row {i % rows}: {actual[i]} vs {expected[i]}");
    }

    public static TheoryData<string, string> FileAndTier()
    {
        var data = new TheoryData<string, string>();
        foreach (string file in new[] { "phi3-mini-q4_0.gguf", "phi3-mini-q4_k.gguf", "phi3-mini-q6_k.gguf", "phi3-mini-q8_0.gguf" })
            foreach (string tier in SupportedTiers.Names)
                data.Add(file, tier);
        return data;
    }

    [Theory]
    [MemberData(nameof(FileAndTier))]
    public void Every_matrix_through_each_tier_equals_the_row_major_product(string file, string tierName)
    {
        // The tier's own paths (two groups at once in the AVX-512 tiers, one group otherwise), on every matrix shape
        // of the model and on token counts that leave every remainder of the 4-token tiles.
        var tier = SupportedTiers.Parse(tierName);
        using var mapped = GgufFile.Open(Fixtures.Path("llamacpp", file));
        using var copy = GgufFile.Open(Fixtures.Path("llamacpp", file), InMemory);
        using var pool = new WorkerPool(2);
        var random = new Random(3);
        foreach (string name in mapped.TensorNames.Order())
        {
            var rowMajor = mapped.GetTensor(name);
            if (!WeightPreparation.TryPrepare(copy, name, tier, out var interleaved) || !interleaved.RowsInterleaved) continue;
            foreach (int tokens in new[] { 1, 2, 3, 4, 5, 9 })
            {
                var x = Enumerable.Range(0, tokens * rowMajor.RowLength).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
                var expected = new float[tokens * rowMajor.Rows];
                var actual = new float[tokens * rowMajor.Rows];
                new MatMul(pool, SimdTier.Scalar).Multiply(rowMajor, x, expected, tokens);
                new MatMul(pool, tier).Multiply(interleaved, x, actual, tokens);
                AssertSameProduct(expected, actual, rowMajor.Rows, $"{tierName}: {name}, {tokens} tokens");
            }
        }
    }

    [Theory]
    [MemberData(nameof(FileAndTier))]
    public void A_tokens_product_is_bitwise_the_same_in_every_tile(string file, string tierName)
    {
        // Batched decoding relies on this: a row computed in a tile of 2, 3 or 4 tokens (or the 4-token tiles and
        // remainder of a longer batch; from InterleavedRows.TwoGroupsMinTokens tokens on, the AVX-512 tiers' 512-bit
        // tiles) gets exactly the sums, in the same order, that it gets alone. Tolerance: none.
        var tier = SupportedTiers.Parse(tierName);
        const string Name = "blk.0.ffn_up.weight";
        using var copy = GgufFile.Open(Fixtures.Path("llamacpp", file), InMemory);
        Assert.True(WeightPreparation.TryPrepare(copy, Name, tier, out var w));
        int cols = w.RowLength, rows = w.Rows;
        var random = new Random(17);
        const int Most = InterleavedRows.TwoGroupsMinTokens + 1;
        var x = Enumerable.Range(0, Most * cols).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        using var pool = new WorkerPool(2);
        var matmul = new MatMul(pool, tier);
        var alone = new float[Most * rows];
        for (int t = 0; t < Most; t++)
            matmul.Multiply(w, x.AsSpan(t * cols, cols), alone.AsSpan(t * rows, rows), 1);
        foreach (int tokens in new[] { 2, 3, 4, 7, Most })
        {
            var batched = new float[tokens * rows];
            matmul.Multiply(w, x.AsSpan(0, tokens * cols), batched, tokens);
            for (int t = 0; t < tokens; t++)
                Assert.True(alone.AsSpan(t * rows, rows).SequenceEqual(batched.AsSpan(t * rows, rows)),
                    $"{tierName}: {file}, token {t} of {tokens} differs from the same token alone");
        }
    }

    /// <summary>The AVX-512 tiers this CPU runs, each with its 256-bit one-group counterpart.</summary>
    public static TheoryData<string, string> TwoGroupCases()
    {
        var data = new TheoryData<string, string>();
        foreach (string file in new[] { "phi3-mini-q4_0.gguf", "phi3-mini-q8_0.gguf", "phi3-mini-q4_k.gguf" })
            foreach (var tier in SimdTiers.Supported.Where(t => t is SimdTier.Avx512 or SimdTier.Avx512AvxVnni))
                data.Add(file, tier.Name());
        if (data.Count == 0) data.Add("phi3-mini-q4_0.gguf", "none"); // no AVX-512 here: the case says so
        return data;
    }

    [Theory]
    [MemberData(nameof(TwoGroupCases))]
    public unsafe void Two_groups_at_once_equal_one_group_at_a_time(string file, string tierName)
    {
        // The 512-bit paths (two groups at once, the AVX-512 tiers) against the 256-bit ones of the same tier, on rows
        // laid out for them (with AVX-512, Q8_0's codes stay signed even where there is AVX-VNNI).
        if (tierName == "none")
        {
            Assert.DoesNotContain(SimdTiers.Supported, t => t is SimdTier.Avx512 or SimdTier.Avx512AvxVnni);
            Assert.False(System.Runtime.Intrinsics.X86.Avx512BW.IsSupported);
            return;
        }
        var tier = SupportedTiers.Parse(tierName);
        const int Tokens = 7; // a tile of four and a remainder of three; then tiles of two and three alone
        using var copy = GgufFile.Open(Fixtures.Path("llamacpp", file), InMemory);
        Assert.True(WeightPreparation.TryPrepare(copy, "blk.0.ffn_up.weight", tier, out var w));
        int cols = w.RowLength;
        long groupBytes = InterleavedRows.Group * GgmlTypeInfo.RowByteSize(w.Type, cols);
        var random = new Random(5);
        var x = Enumerable.Range(0, Tokens * cols).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var activations = new Q8Activations();
        activations.Quantize(x, Tokens, cols, superBlocks: w.Type == GgmlType.Q4_K);
        var pair = new float[Tokens * 16];
        var single = new float[Tokens * 16];
        fixed (sbyte* qv = activations.Values)
        fixed (float* qs = activations.Scales)
        fixed (int* qsum = activations.Sums)
        fixed (int* lanes = activations.LaneOffsets)
        fixed (int* pairs = activations.PairSums)
        fixed (float* yPair = pair)
        fixed (float* ySingle = single)
        {
            var batch = new Q8Batch(qv, qs, qsum, lanes, pairs, cols, activations.ScalesPerToken, activations.SumsPerToken);
            foreach (int tokens in new[] { Tokens, 2, 3 })
            {
                Array.Clear(pair);
                Array.Clear(single);
                var run = new TwoGroupsAndOne(w.Type, w.Data + 2 * groupBytes, groupBytes, cols, batch, tokens, yPair, ySingle); // groups 2 and 3
                tier.Run(ref run);
                // The same integer sums scaled and added in the same order.
                Assert.Equal(single, pair);
            }
        }
    }

    unsafe readonly struct TwoGroupsAndOne(GgmlType type, byte* group, long groupBytes, int cols, Q8Batch batch, int tokens,
        float* yPair, float* ySingle) : ITierWork
    {
        public void Run<TTier>() where TTier : struct, ISimdTier
        {
            if (type == GgmlType.Q4_0) Both<Q4_0x8, TTier>();
            else if (type == GgmlType.Q8_0) Both<Q8_0x8, TTier>();
            else Both<Q4_Kx8, TTier>();
        }

        void Both<TKernel, TTier>() where TKernel : IGroupKernel where TTier : struct, ISimdTier
        {
            int blocks = cols / TKernel.BlockWeights;
            InterleavedRows.TwoGroups<TKernel, TTier>(group, groupBytes, blocks, batch, tokens, yPair, 16);
            InterleavedRows.OneGroup<TKernel, TTier>(group, blocks, batch, tokens, ySingle, 16);
            InterleavedRows.OneGroup<TKernel, TTier>(group + groupBytes, blocks, batch, tokens, ySingle + 8, 16);
        }
    }

    [Fact]
    public void A_mapped_file_is_left_row_major()
    {
        using var mapped = GgufFile.Open(Fixtures.Path("llamacpp", File));
        Assert.False(WeightPreparation.TryPrepare(mapped, "blk.0.attn_qkv.weight", SimdTiers.Best, out _));
        Assert.False(mapped.GetTensor("blk.0.attn_qkv.weight").RowsInterleaved);
    }

    [Fact]
    public void Only_Q4_0_Q8_0_Q4_K_and_Q6_K_matrices_are_interleaved()
    {
        using var q5 = GgufFile.Open(Fixtures.Path("llamacpp", "phi3-mini-q5_k.gguf"), InMemory);
        Assert.True(WeightPreparation.TryPrepare(q5, "blk.0.attn_qkv.weight", SimdTiers.Best, out var q5Matrix));
        Assert.Equal(WeightLayout.RowMajor, q5Matrix.Layout);
        using var copy = GgufFile.Open(Fixtures.Path("llamacpp", File), InMemory);
        Assert.True(WeightPreparation.TryPrepare(copy, "blk.0.attn_norm.weight", SimdTiers.Best, out var vector)); // F32 vector
        Assert.Equal(WeightLayout.RowMajor, vector.Layout);
    }

    [Fact]
    public void A_slice_that_splits_a_group_of_eight_is_refused()
    {
        using var copy = GgufFile.Open(Fixtures.Path("llamacpp", File), InMemory);
        Assert.True(WeightPreparation.TryPrepare(copy, "blk.0.ffn_up.weight", SimdTiers.Best, out var interleaved));
        var whole = WeightBinding.RowRange(interleaved, 8, 16);
        Assert.True(whole.RowsInterleaved);
        Assert.Throws<InvalidOperationException>(() => WeightBinding.RowRange(interleaved, 4, 8));
    }
}
