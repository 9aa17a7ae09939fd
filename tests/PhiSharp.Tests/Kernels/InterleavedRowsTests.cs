using System.Runtime.Intrinsics.X86;
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
        using var mapped = GgufFile.Open(Fixtures.Path("llamacpp", file));
        using var copy = GgufFile.Open(Fixtures.Path("llamacpp", file), InMemory);
        var original = mapped.GetTensor(name);
        Assert.True(copy.TryInterleaveRows(name, out var interleaved));
        Assert.True(interleaved.RowsInterleaved);
        Assert.True(copy.GetTensor(name).RowsInterleaved); // the source remembers the layout it now holds
        var a = new float[original.RowLength];
        var b = new float[original.RowLength];
        for (int r = 0; r < original.Rows; r++)
            Assert.Equal(WeightRows.AsFloat(original, r, a).ToArray(), WeightRows.AsFloat(interleaved, r, b).ToArray());
    }

    public static TheoryData<string, string, int> TierCases()
    {
        var data = new TheoryData<string, string, int>();
        var tiers = new List<SimdTier> { SimdTier.Scalar, SimdTier.Vector128 };
        if (Avx2.IsSupported) tiers.Add(SimdTier.Vector256);
        var files = new List<string> { "phi3-mini-q4_0.gguf", "phi3-mini-q4_k.gguf", "phi3-mini-q6_k.gguf", "phi3-mini-q8_0.gguf" };
        foreach (var file in files)
            foreach (var tier in tiers)
                foreach (int tokens in new[] { 1, 6 }) // one token (decode); a tile of four and a remainder of two
                    data.Add(file, tier.ToString(), tokens);
        return data;
    }

    [Theory]
    [MemberData(nameof(TierCases))]
    public void Interleaved_matmul_equals_the_row_major_product(string file, string tierName, int tokens)
    {
        var tier = Enum.Parse<SimdTier>(tierName);
        const string Name = "blk.0.ffn_up.weight";
        using var mapped = GgufFile.Open(Fixtures.Path("llamacpp", file));
        using var copy = GgufFile.Open(Fixtures.Path("llamacpp", file), InMemory);
        var rowMajor = mapped.GetTensor(Name);
        Assert.True(copy.TryInterleaveRows(Name, out var interleaved));

        var random = new Random(11);
        var x = Enumerable.Range(0, tokens * rowMajor.RowLength).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        using var pool = new WorkerPool(2);
        var expected = new float[tokens * rowMajor.Rows];
        var actual = new float[tokens * rowMajor.Rows];
        new MatMul(pool, SimdTier.Scalar).Multiply(rowMajor, x, expected, tokens);
        new MatMul(pool, tier).Multiply(interleaved, x, actual, tokens);
        AssertSameProduct(expected, actual, rowMajor.Rows, tier.ToString());
    }

    /// <summary>Same integer sums; only the float summation order of the per-block terms differs.</summary>
    static void AssertSameProduct(float[] expected, float[] actual, int rows, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])),
                $"{what}: token {i / rows}, row {i % rows}: {actual[i]} vs {expected[i]}");
    }

    [Theory]
    [InlineData("phi3-mini-q4_0.gguf")]
    [InlineData("phi3-mini-q4_k.gguf")]
    [InlineData("phi3-mini-q6_k.gguf")]
    [InlineData("phi3-mini-q8_0.gguf")]
    public void Every_matrix_through_the_path_this_CPU_takes_equals_the_row_major_product(string file)
    {
        // MatMul's own choice of path (two groups at once with AVX-512, one group otherwise), on every matrix shape
        // of the model and on token counts that leave every remainder of the 4-token tiles.
        using var mapped = GgufFile.Open(Fixtures.Path("llamacpp", file));
        using var copy = GgufFile.Open(Fixtures.Path("llamacpp", file), InMemory);
        using var pool = new WorkerPool(2);
        var random = new Random(3);
        foreach (string name in mapped.TensorNames.Order())
        {
            var rowMajor = mapped.GetTensor(name);
            if (!copy.TryInterleaveRows(name, out var interleaved)) continue;
            foreach (int tokens in new[] { 1, 2, 3, 4, 5, 9 })
            {
                var x = Enumerable.Range(0, tokens * rowMajor.RowLength).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
                var expected = new float[tokens * rowMajor.Rows];
                var actual = new float[tokens * rowMajor.Rows];
                new MatMul(pool, SimdTier.Scalar).Multiply(rowMajor, x, expected, tokens);
                new MatMul(pool).Multiply(interleaved, x, actual, tokens);
                AssertSameProduct(expected, actual, rowMajor.Rows, $"{name}, {tokens} tokens");
            }
        }
    }

    [Theory]
    [InlineData("phi3-mini-q4_0.gguf")]
    [InlineData("phi3-mini-q8_0.gguf")]
    [InlineData("phi3-mini-q4_k.gguf")]
    public unsafe void Two_groups_at_once_equal_one_group_at_a_time(string file)
    {
        // The 512-bit paths (DotTokensTwoGroups, taken wherever there is AVX-512) against the 256-bit ones, on rows laid
        // out for them (with AVX-512, Q8_0's codes stay signed even where there is AVX-VNNI).
        if (!Avx512BW.IsSupported)
        {
            Assert.False(Q4_0x8.TwoGroupsAtOnce);
            return; // the 512-bit path cannot run here (the AVX-512 run of the suite covers it)
        }
        const int Tokens = 7; // a tile of four and a remainder of three
        using var copy = GgufFile.Open(Fixtures.Path("llamacpp", file), InMemory);
        Assert.True(copy.TryInterleaveRows("blk.0.ffn_up.weight", out var w));
        int cols = w.RowLength, blocks = cols / GgmlTypeInfo.BlockSize(w.Type);
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
            byte* group = w.Data + 2 * groupBytes; // groups 2 and 3
            if (w.Type == GgmlType.Q4_0) Q4_0x8.DotTokensTwoGroups(group, groupBytes, blocks, batch, Tokens, yPair, 16);
            else if (w.Type == GgmlType.Q8_0) Q8_0x8.DotTokensTwoGroups(group, groupBytes, blocks, batch, Tokens, yPair, 16);
            else Q4_Kx8.DotTokensTwoGroups(group, groupBytes, blocks, batch, Tokens, yPair, 16);
            InterleavedRows.DotTokens(w.Type, SimdTier.Vector256, group, cols, batch, Tokens, ySingle, 16);
            InterleavedRows.DotTokens(w.Type, SimdTier.Vector256, group + groupBytes, cols, batch, Tokens, ySingle + 8, 16);
        }
        // The same integer sums scaled and added in the same order.
        Assert.Equal(single, pair);
    }

    [Fact]
    public void A_mapped_file_is_left_row_major()
    {
        using var mapped = GgufFile.Open(Fixtures.Path("llamacpp", File));
        Assert.False(mapped.TryInterleaveRows("blk.0.attn_qkv.weight", out _));
        Assert.False(mapped.GetTensor("blk.0.attn_qkv.weight").RowsInterleaved);
    }

    [Fact]
    public void Only_Q4_0_Q8_0_Q4_K_and_Q6_K_matrices_are_interleaved()
    {
        using var q5 = GgufFile.Open(Fixtures.Path("llamacpp", "phi3-mini-q5_k.gguf"), InMemory);
        Assert.False(q5.TryInterleaveRows("blk.0.attn_qkv.weight", out _));
        using var copy = GgufFile.Open(Fixtures.Path("llamacpp", File), InMemory);
        Assert.False(copy.TryInterleaveRows("blk.0.attn_norm.weight", out _)); // F32 vector
    }

    [Fact]
    public void A_slice_that_splits_a_group_of_eight_is_refused()
    {
        using var copy = GgufFile.Open(Fixtures.Path("llamacpp", File), InMemory);
        Assert.True(copy.TryInterleaveRows("blk.0.ffn_up.weight", out var interleaved));
        var whole = WeightBinding.RowRange(interleaved, 8, 16);
        Assert.True(whole.RowsInterleaved);
        Assert.Throws<InvalidOperationException>(() => WeightBinding.RowRange(interleaved, 4, 8));
    }
}
