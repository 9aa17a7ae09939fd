using PhiSharp.Formats.Gguf;
using PhiSharp.Kernels;
using PhiSharp.Kernels.Quantized;
using PhiSharp.Models.Decoder;
using PhiSharp.Models.Phi3;
using PhiSharp.Quantization;
using PhiSharp.Tensors;

namespace PhiSharp.Tests.Quantization;

/// <summary>
/// `--quantize q4_0|q8_0` on a Hugging Face folder quantizes the matmul weights while loading with the encoders of
/// `phi quantize`, whose files are llama.cpp's byte for byte (QuantizeMatchesLlamaCppTests): every layer matrix holds
/// exactly the values of the same tensor in the GGUF `phi quantize` writes from the folder.
/// </summary>
public sealed class QuantizeAtLoadTests : IDisposable
{
    readonly HfFolderQuantizeTests _folder = new(); // its tiny BF16 Phi-3 folder with the real tokenizer

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(GgmlType.Q4_0, "q4_0")]
    [InlineData(GgmlType.Q8_0, "q8_0")]
    public void Layer_matrices_equal_the_phi_quantize_files(GgmlType type, string scheme)
    {
        string gguf = _folder.TempFile($"{scheme}.gguf");
        GgufQuantizer.Quantize(_folder.Folder, gguf, QuantizationScheme.Parse(scheme));
        using var file = GgufFile.Open(gguf);
        using var model = LanguageModel.Load(_folder.Folder, new LoadOptions { Quantize = type });
        var weights = ((Phi3Network)((DecoderModel)model.Network).Network).Weights;

        for (int layer = 0; layer < weights.Layers.Length; layer++)
        {
            var w = weights.Layers[layer];
            foreach (var (loaded, name) in new[] { (w.Qkv, "attn_qkv"), (w.AttentionOutput, "attn_output"), (w.GateUp, "ffn_up"), (w.Down, "ffn_down") })
            {
                var written = file.GetTensor($"blk.{layer}.{name}.weight");
                Assert.Equal(written.Type, loaded.Type);
                // Interleaved for the fast kernels wherever the machine has them (Q8_0 needs AVX-VNNI).
                Assert.Equal(InterleavedRows.Supports(loaded.Type, loaded.Rows, loaded.RowLength), loaded.RowsInterleaved);
                var a = new float[loaded.RowLength];
                var b = new float[loaded.RowLength];
                for (int r = 0; r < loaded.Rows; r++)
                    Assert.Equal(WeightRows.AsFloat(written, r, a).ToArray(), WeightRows.AsFloat(loaded, r, b).ToArray());
            }
        }
        Assert.Contains(type == GgmlType.Q4_0 ? "q4_0" : "q8_0", model.Info.TensorTypes.Keys);
    }

    [Fact]
    public void Quantizing_a_GGUF_file_at_load_is_refused_with_a_pointer_to_phi_quantize()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            LanguageModel.Load(Fixtures.Path("llamacpp", "phi3-mini-f16.gguf"), new LoadOptions { Quantize = GgmlType.Q4_0 }));
        Assert.Contains("phi quantize", error.Message);
    }

    [Fact]
    public void Only_q4_0_and_q8_0_are_offered()
    {
        Assert.Throws<ArgumentException>(() => LanguageModel.Load(_folder.Folder, new LoadOptions { Quantize = GgmlType.Q4_K }));
    }
}
