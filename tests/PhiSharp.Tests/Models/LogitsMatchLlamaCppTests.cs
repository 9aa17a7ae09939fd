using Xunit.Abstractions;

namespace PhiSharp.Tests.Models;

/// <summary>
/// PhiSharp's logits on GGUF files agree with llama.cpp's on the same files (tests/fixtures/llamacpp, made by
/// tools/reference/llamacpp/logit_fixtures.py). PhiSharp computes in float32 on the weights as stored; llama.cpp
/// rounds each matmul's activations to the weight type's dot-product type, so the tolerance is set per type by how
/// much precision llama.cpp drops there, and stated beside it.
/// </summary>
public class LogitsMatchLlamaCppTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases => new(LlamaCppFixtures.Names);

    /// <summary>Largest allowed max |Δ| and rms(Δ)/rms(logits), both relative to the logits' rms (≈ 1 here).</summary>
    internal static (double Max, double Rms) Tolerance(string name) => name switch
    {
        // llama.cpp's F32 upcast of the F16 file against PhiSharp on the F16 file: float32 math on identical weight
        // values on both sides, only the summation order differs (measured 2.9e-6).
        _ when name.EndsWith("-f32") => (1e-4, 1e-5),
        // llama.cpp rounds activations to F16 (relative 2^-11) before F16 matmuls (measured ≤ 4.3e-3 max, 8e-4 rms).
        _ when name.EndsWith("-f16") || name.StartsWith("phi3-longrope") => (1e-2, 2e-3),
        // ... and to BF16 (relative 2^-8) before BF16 matmuls (measured 2.5e-2 max, 5.8e-3 rms).
        _ when name.EndsWith("-bf16") => (8e-2, 1.5e-2),
        // Q4_K and Q6_K: PhiSharp's integer kernels round activations to Q8_K exactly as llama.cpp does, so only the
        // float summation order differs (measured 1.2e-6 max on every tier: scalar, vector128, x86-avx2, x86-avx512).
        _ when name.EndsWith("-q6_k") || name.EndsWith("-q4_k") => (1e-4, 1e-5),
        // Q4_0, Q8_0, Q5_K and the Q4_K_M mix also run on integer kernels with llama.cpp's Q8_0 / Q8_K rounding, yet
        // differ more (measured ≤ 0.068 max, ≤ 9.9e-3 rms) for a reason not yet found (docs/FIDELITY.md).
        _ when name.EndsWith("-q4_0") || name.EndsWith("-q8_0") || name.EndsWith("-q5_k") || name.EndsWith("-q4_k_m") => (0.1, 0.02),
        // Other quantized types: llama.cpp quantizes activations to 8-bit blocks (Q8_0, Q8_1 or Q8_K: absmax/127
        // steps), PhiSharp keeps them float (measured ≤ 0.128 max, ≤ 2.7e-2 rms). Weight decoding itself is checked
        // bit-exactly against llama.cpp in DequantizeMatchesLlamaCppTests; a mis-decoded tensor shows here as the
        // weight quantization error itself (rms 0.1–0.3 for these types), well above the bound.
        _ => (0.25, 0.04),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Logits_agree_with_llama_cpp(string name)
    {
        var c = LlamaCppFixtures.Get(name);
        var ours = Evaluate(c, c.IgnoreSlidingWindow);
        var reference = LlamaCppFixtures.ReferenceLogits(name);
        Assert.Equal(reference.Length, ours.Length);

        var (max, rms) = Compare(ours, reference);
        var tolerance = Tolerance(name);
        output.WriteLine($"{name}: max |Δ| = {max:G3}, rms(Δ)/rms = {rms:G3} (tolerance {tolerance.Max:G3}, {tolerance.Rms:G3})");
        Assert.True(max <= tolerance.Max, $"{name}: max |Δ| {max:G4} > {tolerance.Max}");
        Assert.True(rms <= tolerance.Rms, $"{name}: rms(Δ)/rms {rms:G4} > {tolerance.Rms}");
        AssertSameGreedyChoices(c, ours, reference, 2 * tolerance.Max);
    }

    [Theory]
    [InlineData("phi3-mini-f32")]
    [InlineData("phi3-longrope-long")] // 600 tokens
    [InlineData("phi2-long-f16")]      // 1500 tokens
    public void A_float16_kv_cache_stays_within_half_precision_of_the_reference(string name)
    {
        // The default cache rounds each key and value to float16 (relative 2^-11) once; llama.cpp's run kept them in
        // float32. The bound is the one stated for llama.cpp's own float16 rounding of activations (see Tolerance).
        var c = LlamaCppFixtures.Get(name);
        var ours = Evaluate(LlamaCppFixtures.ModelPath(c), c, c.IgnoreSlidingWindow, KvCacheType.F16);
        var (max, rms) = Compare(ours, LlamaCppFixtures.ReferenceLogits(name));
        output.WriteLine($"{name}, float16 KV cache: max |Δ| = {max:G3}, rms(Δ)/rms = {rms:G3}");
        Assert.True(max <= 1e-2, $"{name}: max |Δ| {max:G4} > 1e-2");
        Assert.True(rms <= 2e-3, $"{name}: rms(Δ)/rms {rms:G4} > 2e-3");
    }

    [Fact]
    public void Sliding_window_is_HFs_and_llama_cpp_ignores_it()
    {
        // phi3-gqa-swa has sliding_window 16. llama.cpp disables Phi-3's window; PhiSharp applies it (HF's behaviour,
        // docs/FIDELITY.md) unless told to ignore it. The window only hides keys from queries at position ≥ 16.
        const int Window = 16;
        var c = LlamaCppFixtures.Get("phi3-gqa-swa-f16");
        var withWindow = Evaluate(c, ignoreSlidingWindow: false);
        var reference = LlamaCppFixtures.ReferenceLogits(c.Name);
        int vocab = LlamaCppFixtures.VocabSize;
        for (int row = 0; row < c.Positions.Length; row++)
        {
            var (max, _) = Compare(withWindow.AsSpan(row * vocab, vocab), reference.AsSpan(row * vocab, vocab));
            if (c.Positions[row] < Window) Assert.True(max <= 1e-2, $"position {c.Positions[row]}: {max}");
            else Assert.True(max > 0.05, $"position {c.Positions[row]} sees past the window: max |Δ| only {max}");
        }
    }

    static void AssertSameGreedyChoices(LlamaCppFixtures.Case c, float[] ours, float[] reference, double margin)
    {
        int vocab = LlamaCppFixtures.VocabSize;
        for (int row = 0; row < c.Positions.Length; row++)
        {
            var r = reference.AsSpan(row * vocab, vocab);
            int best = ArgMax(r);
            float second = float.NegativeInfinity;
            for (int i = 0; i < vocab; i++) if (i != best) second = Math.Max(second, r[i]);
            if (r[best] - second > margin)
                Assert.True(best == ArgMax(ours.AsSpan(row * vocab, vocab)), $"{c.Name}: position {c.Positions[row]} greedy token differs");
        }
    }

    static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>max |Δ| and rms(Δ), both divided by the reference's rms.</summary>
    internal static (double Max, double Rms) Compare(ReadOnlySpan<float> ours, ReadOnlySpan<float> reference)
    {
        double max = 0, squares = 0, diffSquares = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            double d = ours[i] - reference[i];
            max = Math.Max(max, Math.Abs(d));
            diffSquares += d * d;
            squares += (double)reference[i] * reference[i];
        }
        double scale = Math.Sqrt(squares / ours.Length);
        return (max / scale, Math.Sqrt(diffSquares / ours.Length) / scale);
    }

    static float[] Evaluate(LlamaCppFixtures.Case c, bool ignoreSlidingWindow) =>
        Evaluate(LlamaCppFixtures.ModelPath(c), c, ignoreSlidingWindow);

    /// <summary>The logits of <paramref name="modelPath"/> at the case's kept positions, with a float32 KV cache as the
    /// reference run had.</summary>
    internal static float[] Evaluate(string modelPath, LlamaCppFixtures.Case c, bool ignoreSlidingWindow = false,
        KvCacheType kvCache = KvCacheType.F32)
    {
        using var model = LanguageModel.Load(modelPath, new LoadOptions { IgnoreSlidingWindow = ignoreSlidingWindow, KvCache = kvCache });
        int vocab = model.Network.VocabSize;
        using var session = model.Network.CreateSession(c.Ids.Length);
        var all = new float[c.Ids.Length * vocab];
        session.Append(c.Ids, all, allPositions: true);
        var picked = new float[c.Positions.Length * vocab];
        for (int row = 0; row < c.Positions.Length; row++)
            all.AsSpan(c.Positions[row] * vocab, vocab).CopyTo(picked.AsSpan(row * vocab));
        return picked;
    }
}
