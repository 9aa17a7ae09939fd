using System.Runtime.InteropServices;
using System.Text.Json;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.Safetensors;
using PhiSharp.Models.Phi3Small;
using PhiSharp.Quantization;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Tokenizers;
using Xunit.Abstractions;

namespace PhiSharp.Tests.Models.Phi3Small;

/// <summary>
/// `phi quantize` on a Phi-3-small folder laid out as Microsoft's repositories are: no tokenizer.json, the tokenizer in
/// cl100k_base.tiktoken plus tokenization_phi3_small.py's special-token table. The GGUF carries the vocabulary as
/// byte-level BPE metadata (tokenizer.ggml.pre "dbrx"), tokenizes as tiktoken does with the same ranks and table
/// (phi3small.ids.jsonl, recorded by npm tiktoken; ids exact), and generates like the folder.
/// The model is random and tiny (64 wide, one block-sparse and one dense layer) but has the released vocabulary's
/// 100352 rows, so every id the tokenizer gives has an embedding.
/// </summary>
public sealed class Phi3SmallTiktokenQuantizeTests(ITestOutputHelper output) : IDisposable
{
    const int Hidden = 64, Heads = 4, KvHeads = 2, FeedForward = 64, Vocab = 100352, Layers = 2;
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    string Folder()
    {
        string folder = Directory.CreateDirectory(_dir.File("Phi-3-small-tiny")).FullName;
        var random = new Random(16);
        var tensors = new List<SafetensorsTensorData>();
        void Add(string name, long[] shape, float scale, float offset = 0)
        {
            var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
            for (int i = 0; i < values.Length; i++) values[i] = offset + scale * (float)(random.NextDouble() * 2 - 1);
            tensors.Add(new SafetensorsTensorData(name, SafetensorsDType.F32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
        }
        void Linear(string prefix, int inputs, int outputs)
        {
            Add(prefix + ".weight", [outputs, inputs], MathF.Sqrt(3f / inputs));
            Add(prefix + ".bias", [outputs], 0.1f);
        }
        void Norm(string prefix)
        {
            Add(prefix + ".weight", [Hidden], 0.2f, offset: 1);
            Add(prefix + ".bias", [Hidden], 0.1f);
        }
        Add("model.embed_tokens.weight", [Vocab, Hidden], 0.3f);
        Norm("model.final_layernorm");
        for (int i = 0; i < Layers; i++)
        {
            string p = $"model.layers.{i}.";
            Norm(p + "input_layernorm");
            Linear(p + "self_attn.query_key_value", Hidden, (Heads + 2 * KvHeads) * Hidden / Heads);
            Linear(p + "self_attn.dense", Hidden, Hidden);
            Norm(p + "post_attention_layernorm");
            Linear(p + "mlp.up_proj", Hidden, 2 * FeedForward);
            Linear(p + "mlp.down_proj", FeedForward, Hidden);
        }
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors);
        // No dummy_token_indices: the released vocabulary's dummy ids come from the tokenizer's table, as in the repositories.
        File.WriteAllText(Path.Combine(folder, "config.json"), $$"""
            {"architectures": ["Phi3SmallForCausalLM"], "model_type": "phi3small", "hidden_size": {{Hidden}},
             "ff_intermediate_size": {{FeedForward}}, "num_hidden_layers": {{Layers}}, "num_attention_heads": {{Heads}},
             "num_key_value_heads": {{KvHeads}}, "vocab_size": {{Vocab}}, "max_position_embeddings": 512,
             "rope_embedding_base": 1000000, "rope_position_scale": 1.0, "rope_scaling": null,
             "blocksparse_block_size": 16, "blocksparse_num_local_blocks": 2, "blocksparse_vert_stride": 3,
             "blocksparse_homo_head_pattern": false, "dense_attention_every_n_layers": 2, "gegelu_limit": 20.0,
             "mup_embedding_multiplier": 10.0, "mup_width_multiplier": 8.0, "mup_attn_multiplier": 1.0, "mup_use_scaling": true,
             "layer_norm_epsilon": 1e-5, "torch_dtype": "float32"}
            """);
        File.Copy(SharedFixtures.Path("tokenizers", "tiktoken", Phi3SmallTokenizer.RankFileName), Path.Combine(folder, Phi3SmallTokenizer.RankFileName));
        // The repositories' tokenizer_config.json names <|endoftext|> as bos, eos and pad, and carries the chat template.
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """
            {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "tokenizer_class": "Phi3SmallTokenizer",
             "chat_template": "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"}
            """);
        return folder;
    }

    [Fact]
    public void The_folder_without_tokenizer_json_converts_and_the_file_tokenizes_like_tiktoken_and_generates_like_the_folder()
    {
        string folder = Folder(), path = _dir.File("phi3small-f16.gguf");
        GgufQuantizer.Quantize(folder, path, QuantizationScheme.Parse("f16"));
        using (var gguf = GgufFile.Open(path))
        {
            Assert.Equal("gpt2", gguf.GetString("tokenizer.ggml.model"));
            Assert.Equal("dbrx", gguf.GetString("tokenizer.ggml.pre"));
            Assert.Equal(Vocab, gguf.GetStringArray("tokenizer.ggml.tokens").Length);
            Assert.Equal(100257u, gguf.GetUInt32("tokenizer.ggml.eos_token_id"));
            Assert.Equal(100257u, gguf.GetUInt32("tokenizer.ggml.bos_token_id"));
            Assert.False(gguf.GetBool("tokenizer.ggml.add_bos_token"));
            Assert.StartsWith("{{ bos_token }}", gguf.GetString("tokenizer.chat_template"));
            Assert.Equal(Phi3SmallSpecialTokens.DummyTokenIds, gguf.GetInt32Array("phi3small.dummy_token_ids"));
        }

        var options = new LoadOptions { KvCache = KvCacheType.F32 };
        using var converted = LanguageModel.Load(path, options);
        using var hf = LanguageModel.Load(folder, options);
        foreach (var line in TokenizerFixtures.ReadJsonLines("phi3small.ids.jsonl"))
        {
            string text = line.GetProperty("text").GetString()!;
            Assert.True(TokenizerFixtures.Ids(line, "special").SequenceEqual(converted.Tokenizer.Encode(text, parseSpecial: true)),
                $"special tokens parsed: {JsonSerializer.Serialize(text)}");
            Assert.True(TokenizerFixtures.Ids(line, "plain").SequenceEqual(converted.Tokenizer.Encode(text)), $"ordinary: {JsonSerializer.Serialize(text)}");
            Assert.Equal(text, converted.Tokenizer.Decode(converted.Tokenizer.Encode(text, parseSpecial: true)));
        }

        int[] prompt = converted.Tokenizer.Encode("<|user|>\nWhat is Phi-3-small?<|end|>\n<|assistant|>\n", parseSpecial: true);
        Assert.Equal(hf.Tokenizer.Encode("<|user|>\nWhat is Phi-3-small?<|end|>\n<|assistant|>\n", parseSpecial: true), prompt);
        // Every prompt position's logits (dummy ids excluded: float32's minimum on both sides) within F16's rounding:
        // bound 1e-3 relative rms, as in Phi3SmallGgufTests (measured there 3.4e-4), far below a wrong tensor's O(1).
        var a = AllLogits(hf, prompt);
        var b = AllLogits(converted, prompt);
        double sum = 0, sumSquares = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] == float.MinValue) { Assert.Equal(float.MinValue, b[i]); continue; }
            sum += (a[i] - b[i]) * (double)(a[i] - b[i]);
            sumSquares += a[i] * (double)a[i];
        }
        double relative = Math.Sqrt(sum / sumSquares);
        output.WriteLine($"prompt logits: rms(Δ)/rms = {relative:G3}");
        Assert.True(relative <= 1e-3, $"rms(Δ)/rms(logits) {relative:G3} > 1e-3");

        var (ours, _) = Greedy(converted, prompt, 12);
        var (reference, margins) = Greedy(hf, prompt, 12);
        Assert.All(ours, id => Assert.DoesNotContain(id, Phi3SmallSpecialTokens.DummyTokenIds));
        // F16 rounds each weight by at most 2⁻¹¹ relative (≈3e-4 rms on these logits, Phi3SmallGgufTests); a choice
        // may differ only where the folder's top two logits are closer than 1e-2, and the rest of the run then differs.
        int same = 0;
        while (same < ours.Length && ours[same] == reference[same]) same++;
        if (same < ours.Length)
            Assert.True(margins[same] <= 1e-2, $"step {same}: the file chose {ours[same]}, the folder {reference[same]} (margin {margins[same]:G3})");
        output.WriteLine($"{same} of {ours.Length} greedy tokens identical: [{string.Join(", ", ours)}]");
    }

    static float[] AllLogits(LanguageModel model, int[] prompt)
    {
        var all = new float[prompt.Length * model.Network.VocabSize];
        using var session = model.Network.CreateSession(prompt.Length);
        session.Append(prompt, all, allPositions: true);
        return all;
    }

    /// <summary>Greedy ids and, per step, the gap between the best and second-best logit.</summary>
    static (int[] Ids, float[] Margins) Greedy(LanguageModel model, int[] prompt, int steps)
    {
        var logits = new float[model.Network.VocabSize];
        var ids = new int[steps];
        var margins = new float[steps];
        using var session = model.Network.CreateSession(prompt.Length + steps);
        session.Append(prompt, logits);
        for (int step = 0; step < steps; step++)
        {
            int best = 0;
            for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
            float second = float.MinValue;
            for (int i = 0; i < logits.Length; i++) if (i != best) second = Math.Max(second, logits[i]);
            (ids[step], margins[step]) = (best, logits[best] - second);
            session.Append([best], logits);
        }
        return (ids, margins);
    }
}
