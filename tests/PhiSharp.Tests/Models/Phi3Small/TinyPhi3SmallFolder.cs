using System.Runtime.InteropServices;
using PhiSharp.Formats.Safetensors;
using PhiSharp.Models.Phi3Small;

namespace PhiSharp.Tests.Models.Phi3Small;

/// <summary>
/// A Phi-3-small folder laid out as Microsoft's repositories are — config.json, safetensors, cl100k_base.tiktoken and
/// tokenizer_config.json, no tokenizer.json — with a random tiny model (64 wide, one block-sparse and one dense layer,
/// F32) that has the released vocabulary's 100352 rows, so every id the tokenizer gives has an embedding.
/// </summary>
internal static class TinyPhi3SmallFolder
{
    const int Hidden = 64, Heads = 4, KvHeads = 2, FeedForward = 64, Layers = 2;
    public const int Vocab = 100352;

    /// <summary>Writes the folder at <paramref name="folder"/> (created) and returns its full path.</summary>
    public static string Write(string folder)
    {
        folder = Directory.CreateDirectory(folder).FullName;
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
}
