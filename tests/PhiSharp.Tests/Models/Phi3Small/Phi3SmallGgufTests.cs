using PhiSharp.Formats.Gguf;
using PhiSharp.Quantization;
using PhiSharp.Tests.Formats;
using Xunit.Abstractions;

namespace PhiSharp.Tests.Models.Phi3Small;

/// <summary>
/// `phi quantize` writes PhiSharp's phi3small GGUF from a Hugging Face Phi-3-small folder, and the file runs like the
/// folder: exactly in F16 up to the weights' rounding, and within the quantization's error in Q8_0, Q4_0 and Q4_K_M.
/// The folder is a random Phi-3-small 256 wide (so that Q4_K rows are whole blocks), one block-sparse and one dense
/// layer, LongRoPE, and a 100-token prompt past the local window.
/// </summary>
public sealed class Phi3SmallGgufTests(ITestOutputHelper output) : IDisposable
{
    const int Hidden = 256, Heads = TinyPhi3SmallFolder.Shape.Heads, Vocab = 384;
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    string Folder()
    {
        string factors(double scale) => string.Join(", ", Enumerable.Range(0, Hidden / Heads / 2).Select(i => (1 + scale * i).ToString("R")));
        var shape = new TinyPhi3SmallFolder.Shape(Hidden, FeedForward: Hidden, Vocab, Seed: 14)
        {
            RopeScaling = $$"""{"type": "su", "original_max_position_embeddings": 64, "short_factor": [{{factors(0.01)}}], "long_factor": [{{factors(0.2)}}], "short_mscale": 1.0, "long_mscale": 1.19}""",
            ExtraConfig = "\"dummy_token_indices\": [5, 380, 383], ",
        };
        string folder = TinyPhi3SmallFolder.WriteModel(_dir.File("phi3small-tiny"), shape);
        File.Copy(Fixtures.Path("transformers", "phi3small", "phi3-small-8k", "tokenizer.json"), Path.Combine(folder, "tokenizer.json"));
        File.Copy(Fixtures.Path("transformers", "phi3small", "phi3-small-8k", "tokenizer_config.json"), Path.Combine(folder, "tokenizer_config.json"));
        return folder;
    }

    static readonly int[] Prompt = Enumerable.Range(0, 100).Select(i => 1 + (i * 37 + 11) % 370).ToArray();

    static float[] LastRows(string path, int rows)
    {
        using var model = LanguageModel.Load(path, new LoadOptions { KvCache = KvCacheType.F32 });
        int vocab = model.Network.VocabSize;
        var all = new float[Prompt.Length * vocab];
        using (var session = model.Network.CreateSession(Prompt.Length))
            session.Append(Prompt, all, allPositions: true);
        return all[^(rows * vocab)..];
    }

    /// <summary>
    /// Bounds on the relative rms of the difference over the last 8 positions' logits (rms ≈ 0.4; dummy ids excluded,
    /// they are float32's minimum on both sides). F16 rounds each weight by at most 2⁻¹¹ relative; Q8_0 rounds weights
    /// and activations to 8 bits per block of 32 (~0.4% each); the 4-bit types round weights by ~3–6% (Q4_K_M mixes
    /// Q4_K, Q5_0, Q6_K and Q8_0 here). These errors are independent per weight and partly average out in each dot
    /// product. Measured (test output): F16 3.4e-4, Q8_0 9.3e-3, Q4_0 6.8e-2, Q4_K_M 5.2e-2. Each bound is about 3× its
    /// measurement, far below what a wrong tensor does (an O(1) change of the logits).
    /// </summary>
    [Theory]
    [InlineData("f16", 1e-3)]
    [InlineData("q8_0", 0.03)]
    [InlineData("q4_0", 0.20)]
    [InlineData("q4_k_m", 0.15)]
    public void The_quantized_file_runs_like_the_float_folder(string scheme, double bound)
    {
        string folder = Folder(), path = _dir.File(scheme + ".gguf");
        GgufQuantizer.Quantize(folder, path, QuantizationScheme.Parse(scheme));
        var reference = LastRows(folder, 8);
        var quantized = LastRows(path, 8);
        double sum = 0, sumSquares = 0, max = 0;
        int n = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            if (reference[i] == float.MinValue) { Assert.Equal(float.MinValue, quantized[i]); continue; }
            double d = quantized[i] - reference[i];
            sum += d * d;
            sumSquares += reference[i] * (double)reference[i];
            max = Math.Max(max, Math.Abs(d));
            n++;
        }
        double relative = Math.Sqrt(sum / sumSquares);
        output.WriteLine($"{scheme}: rms(Δ)/rms = {relative:G3}, max |Δ| = {max:G3}, rms = {Math.Sqrt(sumSquares / n):G3}");
        Assert.True(relative <= bound, $"{scheme}: rms(Δ)/rms(logits) {relative:G3} > {bound}");
    }

    [Fact]
    public void The_file_names_the_phi3small_architecture_and_its_keys()
    {
        string folder = Folder(), path = _dir.File("q8_0.gguf");
        GgufQuantizer.Quantize(folder, path, QuantizationScheme.Parse("q8_0"));
        using var gguf = GgufFile.Open(path);
        Assert.Equal("phi3small", gguf.GetString("general.architecture"));
        Assert.Equal(3u, gguf.GetUInt32("phi3small.attention.block_sparse.vertical_stride"));
        Assert.Equal(2u, gguf.GetUInt32("phi3small.attention.dense_every_n_layers"));
        Assert.Equal(10f, gguf.GetFloat32("phi3small.mup.embedding_multiplier"));
        Assert.Equal([5, 380, 383], gguf.GetInt32Array("phi3small.dummy_token_ids"));
        Assert.Equal(1.19f, gguf.GetFloat32("phi3small.rope.scaling.long_mscale"));
        Assert.Contains("blk.1.attn_qkv.bias", gguf.TensorNames);
        Assert.Contains("rope_factors_long.weight", gguf.TensorNames);
        Assert.DoesNotContain("output.weight", gguf.TensorNames);   // tied: the head is token_embd
    }
}
