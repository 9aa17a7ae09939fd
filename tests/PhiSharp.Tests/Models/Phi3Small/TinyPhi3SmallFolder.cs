using System.Runtime.InteropServices;
using PhiSharp.Formats.Safetensors;
using PhiSharp.Models.Phi3Small;

namespace PhiSharp.Tests.Models.Phi3Small;

/// <summary>
/// Random tiny Phi-3-small folders laid out as Microsoft's repositories are (config.json, safetensors and tokenizer
/// files; F32): two layers, one block-sparse and one dense. <see cref="Write(string)"/> is the released vocabulary's
/// folder; <see cref="WriteModel"/> writes the weights and config.json of any <see cref="Shape"/>, and the caller adds
/// the tokenizer files.
/// </summary>
internal static class TinyPhi3SmallFolder
{
    public const int Vocab = 100352;

    /// <summary>The sizes, the weights' seed, and the config's rope_scaling and extra keys (JSON text).</summary>
    public sealed record Shape(int Hidden, int FeedForward, int Vocab, int Seed)
    {
        public const int Heads = 4, KvHeads = 2, Layers = 2;
        public string RopeScaling { get; init; } = "null";
        public string ExtraConfig { get; init; } = "";
    }

    /// <summary>64 wide with the released vocabulary's 100352 rows, so every id the tokenizer gives has an embedding.</summary>
    static readonly Shape Released = new(Hidden: 64, FeedForward: 64, Vocab: Vocab, Seed: 16);

    /// <summary>The released vocabulary's folder at <paramref name="folder"/> (created) — cl100k_base.tiktoken and
    /// tokenizer_config.json, no tokenizer.json, as in the repositories; returns its full path.</summary>
    public static string Write(string folder)
    {
        folder = WriteModel(folder, Released);
        File.Copy(SharedFixtures.Path("tokenizers", "tiktoken", Phi3SmallTokenizer.RankFileName), Path.Combine(folder, Phi3SmallTokenizer.RankFileName));
        // The repositories' tokenizer_config.json names <|endoftext|> as bos, eos and pad, and carries the chat template.
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """
            {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "tokenizer_class": "Phi3SmallTokenizer",
             "chat_template": "{{ bos_token }}{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"}
            """);
        return folder;
    }

    /// <summary>model.safetensors and config.json of <paramref name="shape"/> at <paramref name="folder"/> (created);
    /// returns its full path. Weights are uniform: linear layers ±√(3 / inputs), biases ±0.1, norms 1 ± 0.2.</summary>
    public static string WriteModel(string folder, Shape shape)
    {
        folder = Directory.CreateDirectory(folder).FullName;
        int hidden = shape.Hidden;
        var random = new Random(shape.Seed);
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
            Add(prefix + ".weight", [hidden], 0.2f, offset: 1);
            Add(prefix + ".bias", [hidden], 0.1f);
        }
        Add("model.embed_tokens.weight", [shape.Vocab, hidden], 0.3f);
        Norm("model.final_layernorm");
        for (int i = 0; i < Shape.Layers; i++)
        {
            string p = $"model.layers.{i}.";
            Norm(p + "input_layernorm");
            Linear(p + "self_attn.query_key_value", hidden, (Shape.Heads + 2 * Shape.KvHeads) * hidden / Shape.Heads);
            Linear(p + "self_attn.dense", hidden, hidden);
            Norm(p + "post_attention_layernorm");
            Linear(p + "mlp.up_proj", hidden, 2 * shape.FeedForward);
            Linear(p + "mlp.down_proj", shape.FeedForward, hidden);
        }
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors);
        File.WriteAllText(Path.Combine(folder, "config.json"), $$"""
            {"architectures": ["Phi3SmallForCausalLM"], "model_type": "phi3small", "hidden_size": {{hidden}},
             "ff_intermediate_size": {{shape.FeedForward}}, "num_hidden_layers": {{Shape.Layers}}, "num_attention_heads": {{Shape.Heads}},
             "num_key_value_heads": {{Shape.KvHeads}}, "vocab_size": {{shape.Vocab}}, "max_position_embeddings": 512,
             "rope_embedding_base": 1000000, "rope_position_scale": 1.0, "rope_scaling": {{shape.RopeScaling}},
             "blocksparse_block_size": 16, "blocksparse_num_local_blocks": 2, "blocksparse_vert_stride": 3,
             "blocksparse_homo_head_pattern": false, "dense_attention_every_n_layers": 2, "gegelu_limit": 20.0,
             "mup_embedding_multiplier": 10.0, "mup_width_multiplier": 8.0, "mup_attn_multiplier": 1.0, "mup_use_scaling": true,
             {{shape.ExtraConfig}}"layer_norm_epsilon": 1e-5, "torch_dtype": "float32"}
            """);
        return folder;
    }
}
