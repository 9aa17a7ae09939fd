using PhiSharp.Compute;
using PhiSharp.Formats.Gguf;
using PhiSharp.Kernels;
using PhiSharp.Kernels.Quantized;

namespace PhiSharp.Tests.Kernels;

/// <summary>
/// A whole quantized matmul (many rows, a 40-token batch: tiles of four and a remainder) gives the same result on every
/// kernel tier this CPU runs (selected explicitly), on llama.cpp-quantized weights from the fixture models. The tiers differ only in float summation order.
/// </summary>
public class QuantizedMatMulTierTests
{
    [Theory]
    [InlineData("phi3-mini-q4_0.gguf", "blk.0.ffn_up.weight")]
    [InlineData("phi3-mini-q8_0.gguf", "blk.0.ffn_up.weight")]
    [InlineData("phi3-mini-q4_k.gguf", "blk.0.ffn_up.weight")]
    [InlineData("phi3-mini-q4_k.gguf", "output.weight")]
    [InlineData("phi3-mini-q5_k.gguf", "blk.0.ffn_up.weight")]
    [InlineData("phi3-mini-q6_k.gguf", "blk.0.ffn_up.weight")]
    public void Every_tier_gives_the_same_product(string file, string tensor)
    {
        const int Tokens = 40;
        using var gguf = GgufFile.Open(Fixtures.Path("llamacpp", file));
        Assert.True(gguf.TryGetTensor(tensor, out var weight));
        var random = new Random(5);
        var x = Enumerable.Range(0, Tokens * weight.RowLength).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        using var pool = new WorkerPool(2);
        var tiers = SimdTiers.Supported; // scalar first
        var results = tiers.Select(tier =>
        {
            var y = new float[Tokens * weight.Rows];
            new MatMul(pool, tier).Multiply(weight, x, y, Tokens);
            return y;
        }).ToList();
        for (int k = 1; k < results.Count; k++)
            for (int i = 0; i < results[0].Length; i++)
                Assert.True(Math.Abs(results[k][i] - results[0][i]) <= 1e-4 * (1 + Math.Abs(results[0][i])),
                    $"{file} {tiers[k].Name()} vs scalar at token {i / weight.Rows}, row {i % weight.Rows}: {results[k][i]} vs {results[0][i]}");
    }
}
