using System.Runtime.InteropServices;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.Safetensors;
using PhiSharp.Tensors;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Tokenizers;

namespace PhiSharp.Tests.Models;

/// <summary>
/// A Hugging Face folder (config.json, BF16 model.safetensors, tokenizer.json, tokenizer_config.json,
/// generation_config.json) loads into a working model: the same BF16 weights written as a GGUF give bit-identical
/// logits (a plumbing check of names, shapes and row layout; the math itself is checked against references elsewhere),
/// and the tokenizer, chat template and stop tokens come from the folder's files.
/// </summary>
public sealed class HfFolderTests : IDisposable
{
    const int Hidden = 32, Heads = 4, KvHeads = 2, FeedForward = 48, Vocab = 32064;
    readonly TempDirectory _dir = new();
    readonly string _folder;
    readonly string _gguf;

    public HfFolderTests()
    {
        _folder = Directory.CreateDirectory(_dir.File("phi3-tiny")).FullName;
        _gguf = _dir.File("phi3-tiny.gguf");
        WriteBoth();
    }

    public void Dispose() => _dir.Dispose();

    // (HF name, GGUF name, HF shape [rows, columns])
    static readonly (string Hf, string Gguf, long[] Shape)[] Tensors =
    [
        ("model.embed_tokens.weight", "token_embd.weight", [Vocab, Hidden]),
        ("model.norm.weight", "output_norm.weight", [Hidden]),
        ("lm_head.weight", "output.weight", [Vocab, Hidden]),
        ("model.layers.0.input_layernorm.weight", "blk.0.attn_norm.weight", [Hidden]),
        ("model.layers.0.self_attn.qkv_proj.weight", "blk.0.attn_qkv.weight", [(Heads + 2 * KvHeads) * Hidden / Heads, Hidden]),
        ("model.layers.0.self_attn.o_proj.weight", "blk.0.attn_output.weight", [Hidden, Hidden]),
        ("model.layers.0.post_attention_layernorm.weight", "blk.0.ffn_norm.weight", [Hidden]),
        ("model.layers.0.mlp.gate_up_proj.weight", "blk.0.ffn_up.weight", [2 * FeedForward, Hidden]),
        ("model.layers.0.mlp.down_proj.weight", "blk.0.ffn_down.weight", [Hidden, FeedForward]),
    ];

    void WriteBoth()
    {
        var random = new Random(5);
        var data = Tensors.Select(t =>
        {
            long n = t.Shape.Aggregate(1L, (a, b) => a * b);
            bool norm = t.Shape.Length == 1;
            return Enumerable.Range(0, (int)n).Select(_ => Bf16.FromSingle((norm ? 1f : 0f) + 0.2f * (float)(random.NextDouble() * 2 - 1))).ToArray();
        }).ToArray();

        SafetensorsWriter.Write(Path.Combine(_folder, "model.safetensors"),
            Tensors.Select((t, i) => new SafetensorsTensorData(t.Hf, SafetensorsDType.BF16, t.Shape, MemoryMarshal.AsBytes(data[i].AsSpan()).ToArray())).ToList());
        File.WriteAllText(Path.Combine(_folder, "config.json"), $$"""
            {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": {{Hidden}}, "intermediate_size": {{FeedForward}},
             "num_hidden_layers": 1, "num_attention_heads": {{Heads}}, "num_key_value_heads": {{KvHeads}}, "vocab_size": {{Vocab}},
             "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "sliding_window": 255,
             "tie_word_embeddings": false, "torch_dtype": "bfloat16"}
            """);
        File.WriteAllText(Path.Combine(_folder, "generation_config.json"), """{"bos_token_id": 1, "eos_token_id": [32000, 32001, 32007]}""");
        File.Copy(TokenizerFixtures.Phi3TokenizerJson, Path.Combine(_folder, "tokenizer.json"));
        File.Copy(Fixtures.Path("tokenizer", "phi3", "tokenizer_config.json"), Path.Combine(_folder, "tokenizer_config.json"));

        using var w = new GgufWriter(_gguf);
        w.AddMetadata("general.architecture", "phi3");
        w.AddMetadata("phi3.context_length", 256u);
        w.AddMetadata("phi3.embedding_length", (uint)Hidden);
        w.AddMetadata("phi3.feed_forward_length", (uint)FeedForward);
        w.AddMetadata("phi3.block_count", 1u);
        w.AddMetadata("phi3.attention.head_count", (uint)Heads);
        w.AddMetadata("phi3.attention.head_count_kv", (uint)KvHeads);
        w.AddMetadata("phi3.attention.layer_norm_rms_epsilon", 1e-5f);
        w.AddMetadata("phi3.attention.sliding_window", 255u);
        w.AddMetadata("phi3.rope.dimension_count", (uint)(Hidden / Heads));
        w.AddMetadata("phi3.rope.freq_base", 10000f);
        w.AddMetadata("tokenizer.ggml.model", "llama");
        var tokens = Enumerable.Range(0, Vocab).Select(i => i < 3 ? new[] { "<unk>", "<s>", "</s>" }[i] : i < 259 ? $"<0x{i - 3:X2}>" : $"piece{i}").ToArray();
        w.AddArray("tokenizer.ggml.tokens", tokens);
        w.AddArray<float>("tokenizer.ggml.scores", new float[Vocab]);
        w.AddArray<int>("tokenizer.ggml.token_type", tokens.Select((_, i) => i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1).ToArray());
        foreach (var t in Tensors) w.AddTensor(t.Gguf, GgmlType.BF16, t.Shape.Reverse().ToArray());
        for (int i = 0; i < Tensors.Length; i++) w.WriteTensorData(Tensors[i].Gguf, MemoryMarshal.AsBytes(data[i].AsSpan()));
        w.Finish();
    }

    [Fact]
    public void Logits_equal_those_of_the_same_weights_in_gguf()
    {
        using var hf = LanguageModel.Load(_folder);
        using var gguf = LanguageModel.Load(_gguf);
        Assert.Equal("safetensors", hf.Info.Format);
        int[] ids = [1, 15043, 3186, 29991, 32007, 100];
        var a = new float[ids.Length * Vocab];
        var b = new float[ids.Length * Vocab];
        using (var s = hf.Network.CreateSession(16)) s.Append(ids, a, allPositions: true);
        using (var s = gguf.Network.CreateSession(16)) s.Append(ids, b, allPositions: true);
        Assert.Equal(b, a);
    }

    [Fact]
    public void Tokenizer_template_and_stops_come_from_the_folder()
    {
        using var hf = LanguageModel.Load(_folder);
        Assert.Equal(TokenizerFixtures.Phi3.Value.Encode("Hello world"), hf.Tokenizer.Encode("Hello world"));
        Assert.Null(hf.ChatTemplate.Problem);
        Assert.Equal("<|user|>\nHi<|end|>\n<|assistant|>\n", hf.ChatTemplate.Format([new("user", "Hi")], addGenerationPrompt: true));
        Assert.Subset(new HashSet<int> { 32000, 32001, 32007 }, hf.StopTokenIds.ToHashSet());
    }

    [Fact]
    public void The_model_is_named_after_its_folder_not_its_weight_file()
    {
        using var hf = LanguageModel.Load(_folder);
        Assert.Equal("phi3-tiny", hf.Info.Name);
        using var gguf = LanguageModel.Load(_gguf);
        Assert.Equal("phi3-tiny", gguf.Info.Name);
    }

    [Fact]
    public void A_snapshot_in_the_hugging_face_cache_is_named_after_its_repository()
    {
        string snapshot = _dir.File(Path.Combine("hub", "models--microsoft--Phi-3-mini-4k-instruct", "snapshots", "0a67737cc96d2554230f90338b163bc6380a2a85"));
        Directory.CreateDirectory(Path.GetDirectoryName(snapshot)!);
        Directory.Move(_folder, snapshot);
        using var hf = LanguageModel.Load(snapshot + Path.DirectorySeparatorChar);
        Assert.Equal("Phi-3-mini-4k-instruct", hf.Info.Name);
    }

    [Fact]
    public void A_folder_without_tokenizer_json_is_named_in_the_error()
    {
        File.Delete(Path.Combine(_folder, "tokenizer.json"));
        var e = Assert.Throws<ModelFormatException>(() => LanguageModel.Load(_folder));
        Assert.Contains("tokenizer.json", e.Message);
    }

    [Fact]
    public void A_truncated_safetensors_file_is_a_format_error()
    {
        string path = Path.Combine(_folder, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Throws<ModelFormatException>(() => LanguageModel.Load(_folder));
    }
}
