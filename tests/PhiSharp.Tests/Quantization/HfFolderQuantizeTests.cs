using System.Runtime.InteropServices;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.Safetensors;
using PhiSharp.Generation;
using PhiSharp.Quantization;
using PhiSharp.Tensors;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Tokenizers;

namespace PhiSharp.Tests.Quantization;

/// <summary>
/// `phi quantize` from a Hugging Face Phi-3 folder (BF16 safetensors, LongRoPE, the real Phi-3 tokenizer.json): the GGUF
/// it writes carries llama.cpp's phi3 tensor names and keys, runs like the folder it came from, and tokenizes like
/// tokenizer.json.
/// </summary>
public sealed class HfFolderQuantizeTests : IDisposable
{
    const int Hidden = 64, Heads = 4, KvHeads = 2, FeedForward = 64, Vocab = 32064, Layers = 2;
    readonly TempDirectory _dir = new();
    readonly string _folder;

    public HfFolderQuantizeTests()
    {
        _folder = Directory.CreateDirectory(_dir.File("phi3-tiny")).FullName;
        var shapes = new List<(string Name, long[] Shape)>
        {
            ("model.embed_tokens.weight", [Vocab, Hidden]), ("model.norm.weight", [Hidden]), ("lm_head.weight", [Vocab, Hidden]),
        };
        for (int i = 0; i < Layers; i++)
        {
            string p = $"model.layers.{i}.";
            shapes.Add((p + "input_layernorm.weight", [Hidden]));
            shapes.Add((p + "self_attn.qkv_proj.weight", [(Heads + 2 * KvHeads) * Hidden / Heads, Hidden]));
            shapes.Add((p + "self_attn.o_proj.weight", [Hidden, Hidden]));
            shapes.Add((p + "post_attention_layernorm.weight", [Hidden]));
            shapes.Add((p + "mlp.gate_up_proj.weight", [2 * FeedForward, Hidden]));
            shapes.Add((p + "mlp.down_proj.weight", [Hidden, FeedForward]));
        }
        var random = new Random(11);
        SafetensorsWriter.Write(Path.Combine(_folder, "model.safetensors"), shapes.Select(t =>
        {
            long n = t.Shape.Aggregate(1L, (a, b) => a * b);
            float offset = t.Shape.Length == 1 ? 1f : 0f;
            var values = Enumerable.Range(0, (int)n).Select(_ => Bf16.FromSingle(offset + 0.2f * (float)(random.NextDouble() * 2 - 1))).ToArray();
            return new SafetensorsTensorData(t.Name, SafetensorsDType.BF16, t.Shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        }).ToList());
        string factors(double scale) => string.Join(", ", Enumerable.Range(0, Hidden / Heads / 2).Select(i => (1 + scale * i).ToString("R")));
        File.WriteAllText(Path.Combine(_folder, "config.json"), $$"""
            {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": {{Hidden}}, "intermediate_size": {{FeedForward}},
             "num_hidden_layers": {{Layers}}, "num_attention_heads": {{Heads}}, "num_key_value_heads": {{KvHeads}}, "vocab_size": {{Vocab}},
             "max_position_embeddings": 512, "original_max_position_embeddings": 128, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
             "rope_scaling": {"type": "longrope", "short_factor": [{{factors(0.05)}}], "long_factor": [{{factors(0.5)}}]},
             "sliding_window": 511, "tie_word_embeddings": false, "torch_dtype": "bfloat16"}
            """);
        File.Copy(TokenizerFixtures.Phi3TokenizerJson, Path.Combine(_folder, "tokenizer.json"));
        File.Copy(Fixtures.Path("tokenizer", "phi3", "tokenizer_config.json"), Path.Combine(_folder, "tokenizer_config.json"));
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>The tiny folder, for other tests of Hugging Face loading.</summary>
    internal string Folder => _folder;

    internal string TempFile(string name) => _dir.File(name);

    [Fact]
    public void F16_file_has_llama_cpp_names_and_keys_and_runs_like_the_folder()
    {
        string path = _dir.File("f16.gguf");
        GgufQuantizer.Quantize(_folder, path, QuantizationScheme.Parse("f16"));
        using (var gguf = GgufFile.Open(path))
        {
            Assert.Equal("phi3", gguf.GetString("general.architecture"));
            Assert.Equal(128u, gguf.GetUInt32("phi3.rope.scaling.original_context_length"));
            Assert.Equal(511u, gguf.GetUInt32("phi3.attention.sliding_window"));
            Assert.Equal(1u, gguf.GetUInt32("general.file_type"));
            Assert.True(gguf.TryGetString("tokenizer.chat_template", out _));
            Assert.Equal(GgmlType.F32, gguf.Tensors.Single(t => t.Name == "blk.1.ffn_norm.weight").Type);
            Assert.Equal(GgmlType.F16, gguf.Tensors.Single(t => t.Name == "blk.1.attn_qkv.weight").Type);
            Assert.Contains(gguf.Tensors, t => t.Name == "rope_factors_long.weight");
        }

        // BF16 → F16 is exact for these weights (|w| ≤ 1.2, 8 significant bits), so both sides multiply the same values;
        // only the F16 and BF16 kernels' summation orders differ (float32 rounding, ~1e-6 relative).
        using var hf = LanguageModel.Load(_folder);
        using var converted = LanguageModel.Load(path);
        int[] ids = Enumerable.Range(0, 140).Select(i => 100 + 37 * i % 31000).ToArray(); // past the original 128 positions
        var a = new float[ids.Length * Vocab];
        var b = new float[ids.Length * Vocab];
        using (var s = hf.Network.CreateSession(ids.Length)) s.Append(ids, a, allPositions: true);
        using (var s = converted.Network.CreateSession(ids.Length)) s.Append(ids, b, allPositions: true);
        double worst = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(worst < 1e-4, $"max |Δ| = {worst}");
    }

    [Fact]
    public void Converted_tokenizer_encodes_like_tokenizer_json()
    {
        // Plain text that does not start with a space only: after special tokens and before a leading space llama.cpp's
        // GGUF tokenizer puts a ▁ that transformers 5 does not (docs/TOKENIZERS.md), a documented difference this
        // conversion does not change.
        string path = _dir.File("q8_0.gguf");
        GgufQuantizer.Quantize(_folder, path, QuantizationScheme.Parse("q8_0"));
        using var converted = LanguageModel.Load(path);
        var reference = TokenizerFixtures.Phi3.Value;
        foreach (string text in TokenizerFixtures.Corpus.Where(t => !t.Contains("<|") && !t.Contains("</s>") && !t.Contains("<s>") && !t.StartsWith(' ')))
            Assert.True(reference.Encode(text).SequenceEqual(converted.Tokenizer.Encode(text)), $"'{text}'");
    }

    [Fact]
    public void A_folder_of_another_architecture_is_refused_by_name()
    {
        string config = Path.Combine(_folder, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("Phi3ForCausalLM", "LlamaForCausalLM"));
        var e = Assert.Throws<UnsupportedModelException>(() =>
            GgufQuantizer.Quantize(_folder, _dir.File("x.gguf"), QuantizationScheme.Parse("q8_0")));
        Assert.Contains("LlamaForCausalLM", e.Message);
        Assert.False(File.Exists(_dir.File("x.gguf")));
    }
}
