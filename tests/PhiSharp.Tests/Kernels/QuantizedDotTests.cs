using PhiSharp.Compute;
using PhiSharp.Kernels.Quantized;
using PhiSharp.Tensors;
using PhiSharp.Tests.Tensors;

namespace PhiSharp.Tests.Kernels;

/// <summary>
/// The integer kernels give the dot product of the dequantized weights with the dequantized 8-bit activations, on
/// every SIMD tier. Weights are llama.cpp's own encodings (tests/fixtures/dequant), so the block layouts are checked
/// against an independent encoder; the expected value is computed in double from llama.cpp's dequantization.
/// </summary>
public unsafe class QuantizedDotTests
{
    public static TheoryData<GgmlType, string> Cases()
    {
        var data = new TheoryData<GgmlType, string>();
        foreach (var type in new[] { GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K })
            foreach (string tier in SupportedTiers.Names)
                data.Add(type, tier);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Dot_equals_the_dequantized_dot_product(GgmlType type, string tierName)
    {
        // The row-major kernels through the matmul at an explicitly selected tier.
        var tier = SupportedTiers.Parse(tierName);
        const int Tokens = 7; // one tile of four and a remainder of three
        var weights = DequantFixtures.Encoded(type);
        var dequantized = DequantFixtures.LlamaCppDequantized(type);
        var x = RandomActivations(Tokens * DequantFixtures.RowLength, seed: (int)type);
        Assert.True(PhiSharp.Kernels.MatMul.HasIntegerKernel(type, out bool superBlocks));
        var activations = new Q8Activations(); // the matmul rounds x the same way; the reference reads these
        activations.Quantize(x, Tokens, DequantFixtures.RowLength, superBlocks);
        var y = new float[Tokens * DequantFixtures.Rows];
        using var pool = new WorkerPool(2);
        fixed (byte* w = weights)
        {
            var weight = new WeightTensor("fixture", type, [DequantFixtures.RowLength, DequantFixtures.Rows], w, weights.Length);
            new PhiSharp.Kernels.MatMul(pool, tier).Multiply(weight, x, y, Tokens);
        }
        for (int r = 0; r < DequantFixtures.Rows; r++)
            for (int t = 0; t < Tokens; t++)
            {
                var (expected, magnitude) = Reference(dequantized.AsSpan(r * DequantFixtures.RowLength, DequantFixtures.RowLength),
                    activations, t, superBlocks);
                float actual = y[t * DequantFixtures.Rows + r];
                // float32 accumulation of 256 products: a few ulps of the sum of magnitudes.
                Assert.True(Math.Abs(actual - expected) <= 1e-5 * magnitude + 1e-6,
                    $"{type} {tierName} row {r} token {t}: {actual} vs {expected}");
            }
    }

    [Fact]
    public void Q8_K_activations_are_llama_cpps()
    {
        // quantize_row_q8_K_ref rounds to nearest-even like PhiSharp, so the codes and scales agree exactly.
        var source = DequantFixtures.Source(GgmlType.Q8_K);
        var encoded = DequantFixtures.Encoded(GgmlType.Q8_K); // { f32 d; i8 qs[256]; i16 bsums[16] } per row
        var activations = new Q8Activations();
        activations.Quantize(source, DequantFixtures.Rows, DequantFixtures.RowLength, superBlocks: true);
        const int BlockBytes = 4 + 256 + 32;
        for (int r = 0; r < DequantFixtures.Rows; r++)
        {
            var block = encoded.AsSpan(r * BlockBytes, BlockBytes);
            Assert.Equal(BitConverter.ToSingle(block[..4]), activations.Scales[r]);
            for (int i = 0; i < 256; i++) Assert.Equal((sbyte)block[4 + i], activations.Values[r * 256 + i]);
            for (int g = 0; g < 16; g++) Assert.Equal(BitConverter.ToInt16(block.Slice(260 + 2 * g, 2)), activations.Sums[r * 16 + g]);
        }
    }

    [Fact]
    public void Q8_0_activations_match_llama_cpp_except_at_exact_ties()
    {
        // llama.cpp's reference quantizer rounds half away from zero, its AVX quantizer (used at inference, and by
        // PhiSharp) half to even: codes may differ only where x·127/max is exactly k + ½.
        var source = DequantFixtures.Source(GgmlType.Q8_0);
        var encoded = DequantFixtures.Encoded(GgmlType.Q8_0); // { fp16 d; i8 qs[32] } per block
        var activations = new Q8Activations();
        activations.Quantize(source, DequantFixtures.Rows, DequantFixtures.RowLength, superBlocks: false);
        int blocks = source.Length / 32;
        for (int b = 0; b < blocks; b++)
        {
            var block = encoded.AsSpan(b * 34, 34);
            Assert.Equal(Fp16.ToSingle(BitConverter.ToUInt16(block[..2])), activations.Scales[b]);
            float max = 0;
            for (int i = 0; i < 32; i++) max = Math.Max(max, Math.Abs(source[32 * b + i]));
            for (int i = 0; i < 32; i++)
            {
                float scaled = source[32 * b + i] * (max != 0 ? 127f / max : 0);
                bool tie = Math.Abs(scaled - MathF.Truncate(scaled)) == 0.5f;
                if (!tie) Assert.Equal((sbyte)block[2 + i], activations.Values[32 * b + i]);
            }
        }
    }

    /// <summary>Σ w·(d·q) in double, and Σ |w·(d·q)| for the tolerance.</summary>
    static (double Value, double Magnitude) Reference(ReadOnlySpan<float> weights, Q8Activations a, int token, bool superBlocks)
    {
        int n = weights.Length, block = superBlocks ? 256 : 32;
        double sum = 0, magnitude = 0;
        for (int i = 0; i < n; i++)
        {
            double x = (double)a.Scales[token * a.ScalesPerToken + i / block] * a.Values[token * n + i];
            sum += weights[i] * x;
            magnitude += Math.Abs(weights[i] * x);
        }
        return (sum, magnitude);
    }

    static float[] RandomActivations(int n, int seed)
    {
        var random = new Random(seed);
        // Mostly small values with a few large ones, as hidden states have.
        return Enumerable.Range(0, n).Select(i => (float)((random.NextDouble() * 2 - 1) * (i % 37 == 0 ? 20 : 1))).ToArray();
    }
}
