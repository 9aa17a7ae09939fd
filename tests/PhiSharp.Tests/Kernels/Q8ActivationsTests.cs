using PhiSharp.Kernels.Quantized;

namespace PhiSharp.Tests.Kernels;

/// <summary>
/// The vectorised rounding of activations gives the scalar reference's bytes (codes, scale, sums) exactly. The scalar
/// form is the one checked against llama.cpp's quantizers (QuantizedDotTests); these inputs stress what a vector path
/// could get wrong: exact ties x·127/max = k + ½ (round half to even), several values of the largest magnitude with
/// different signs (Q8_K takes the first one's sign), and all-zero blocks.
/// </summary>
public class Q8ActivationsTests
{
    public static TheoryData<string> Inputs => ["random", "ties", "first maximum negative", "first maximum positive", "zeros"];

    static float[] Input(string kind, int length)
    {
        var random = new Random(kind.Length);
        return kind switch
        {
            "random" => [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 8 - 4))],
            // max |x| = 127, so x·127/max = x: every odd multiple of ½ is a tie.
            "ties" => [.. Enumerable.Range(0, length).Select(i => i % 32 == 5 ? 127f : (random.Next(-254, 255) / 2f))],
            "first maximum negative" => [.. Enumerable.Range(0, length).Select(i => i % 7 == 3 ? (i % 14 == 3 ? -9f : 9f) : (float)random.NextDouble())],
            "first maximum positive" => [.. Enumerable.Range(0, length).Select(i => i % 7 == 3 ? (i % 14 == 3 ? 9f : -9f) : (float)random.NextDouble())],
            _ => new float[length],
        };
    }

    [Theory, MemberData(nameof(Inputs))]
    public void Q8_0_blocks_round_as_the_scalar_reference(string kind)
    {
        var x = Input(kind, 32 * 64);
        for (int b = 0; b < 64; b++)
        {
            var block = x.AsSpan(32 * b, 32);
            sbyte[] expected = new sbyte[32], actual = new sbyte[32];
            float expectedScale = Q8Activations.QuantizeBlockScalar(block, expected, out int expectedSum);
            float actualScale = Q8Activations.QuantizeBlockVector(block, actual, out int actualSum);
            Assert.Equal(expected, actual);
            Assert.Equal(expectedScale, actualScale);
            Assert.Equal(expectedSum, actualSum);
        }
    }

    [Theory, MemberData(nameof(Inputs))]
    public void Q8_K_super_blocks_round_as_the_scalar_reference(string kind)
    {
        var x = Input(kind, 256 * 16);
        for (int b = 0; b < 16; b++)
        {
            var block = x.AsSpan(256 * b, 256);
            sbyte[] expected = new sbyte[256], actual = new sbyte[256];
            int[] expectedSums = new int[16], actualSums = new int[16];
            float expectedScale = Q8Activations.QuantizeSuperBlockScalar(block, expected, expectedSums);
            float actualScale = Q8Activations.QuantizeSuperBlockVector(block, actual, actualSums);
            Assert.Equal(expected, actual);
            Assert.Equal(expectedScale, actualScale);
            Assert.Equal(expectedSums, actualSums);
        }
    }

    [Fact]
    public void Token_pairs_put_two_tokens_side_by_side_four_values_at_a_time()
    {
        // The layout of Q4_0x8's pair tiles: per pair (tokens 2p, 2p+1), 4 values of one then the same 4 of the other,
        // and each block's two scales and two sums (times 8, Q4_0's code offset) next to each other.
        const int Tokens = 5, Columns = 96, Blocks = Columns / 32;
        var activations = new Q8Activations();
        activations.Quantize(Input("random", Tokens * Columns), Tokens, Columns, superBlocks: false);
        activations.PairTokens(2);
        var values = activations.Values;
        for (int p = 0; p < 2; p++)
            for (int i = 0; i < Columns / 4; i++)
                for (int k = 0; k < 4; k++)
                {
                    Assert.Equal(values[2 * p * Columns + 4 * i + k], activations.TokenPairValues[2 * p * Columns + 8 * i + k]);
                    Assert.Equal(values[(2 * p + 1) * Columns + 4 * i + k], activations.TokenPairValues[2 * p * Columns + 8 * i + 4 + k]);
                }
        for (int p = 0; p < 2; p++)
            for (int b = 0; b < Blocks; b++)
                for (int t = 0; t < 2; t++)
                {
                    Assert.Equal(activations.Scales[(2 * p + t) * Blocks + b], activations.TokenPairScales[2 * (p * Blocks + b) + t]);
                    Assert.Equal(8 * activations.Sums[(2 * p + t) * Blocks + b], activations.TokenPairSumsTimes8[2 * (p * Blocks + b) + t]);
                }
    }
}
