using PhiSharp.Formats.Gguf;
using PhiSharp.Quantization;
using PhiSharp.Tests.Formats;
using Xunit.Abstractions;

namespace PhiSharp.Tests.Quantization;

/// <summary>
/// `phi quantize` on a Hugging Face Phi-2 folder (PhiForCausalLM; the tiny F16 fixture of tests/fixtures/transformers,
/// 160 wide, two layers, partial rotary 0.4) writes llama.cpp's phi2 GGUF, and the file runs like the folder.
/// </summary>
public sealed class Phi2QuantizeTests(ITestOutputHelper output) : IDisposable
{
    static readonly string Folder = Fixtures.Path("transformers", "phi2");
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    static float[] AllLogits(string path, int[] ids)
    {
        using var model = LanguageModel.Load(path, new LoadOptions { KvCache = KvCacheType.F32 });
        var all = new float[ids.Length * model.Network.VocabSize];
        using var session = model.Network.CreateSession(ids.Length);
        session.Append(ids, all, allPositions: true);
        return all;
    }

    /// <summary>F16: the checkpoint is F16, so both sides multiply the same weights and only summation order differs
    /// (float32 rounding; bound 1e-4 on logits of magnitude ~1). Q8_0: weights and activations rounded to 8 bits per
    /// block of 32 (~0.4% each), bound 0.03 relative rms, as for Phi-3-small's Q8_0; a wrong tensor changes the logits by O(1).</summary>
    [Theory]
    [InlineData("f16", 1e-4, true)]
    [InlineData("q8_0", 0.03, false)]
    public void The_file_has_llama_cpp_s_phi2_names_and_keys_and_runs_like_the_folder(string scheme, double bound, bool absolute)
    {
        string path = _dir.File(scheme + ".gguf");
        GgufQuantizer.Quantize(Folder, path, QuantizationScheme.Parse(scheme));
        using (var gguf = GgufFile.Open(path))
        {
            Assert.Equal("phi2", gguf.GetString("general.architecture"));
            Assert.Equal(32u, gguf.GetUInt32("phi2.rope.dimension_count"));   // partial_rotary_factor 0.4 × head_dim 80
            Assert.Equal(640u, gguf.GetUInt32("phi2.feed_forward_length"));
            Assert.Contains("blk.1.attn_v.bias", gguf.TensorNames);
            Assert.Contains("output.bias", gguf.TensorNames);
        }
        int[] ids = Enumerable.Range(0, 40).Select(i => 3 + (i * 37 + 5) % 380).ToArray();
        var reference = AllLogits(Folder, ids);
        var converted = AllLogits(path, ids);
        double max = 0, sum = 0, sumSquares = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double d = converted[i] - reference[i];
            max = Math.Max(max, Math.Abs(d));
            sum += d * d;
            sumSquares += reference[i] * (double)reference[i];
        }
        double measured = absolute ? max : Math.Sqrt(sum / sumSquares);
        output.WriteLine($"{scheme}: {(absolute ? "max |Δ|" : "rms(Δ)/rms")} = {measured:G3}");
        Assert.True(measured <= bound, $"{scheme}: {measured:G3} > {bound}");
    }

    [Fact]
    public void A_checkpoint_with_qk_layernorm_is_refused_with_the_reason()
    {
        var e = Assert.Throws<UnsupportedModelException>(() =>
            GgufQuantizer.Quantize(Fixtures.Path("transformers", "phi2-qk-layernorm"), _dir.File("x.gguf"), QuantizationScheme.Parse("f16")));
        Assert.Contains("qk_layernorm", e.Message);
        Assert.False(File.Exists(_dir.File("x.gguf")));
    }
}
