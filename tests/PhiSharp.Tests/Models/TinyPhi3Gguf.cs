using System.Runtime.InteropServices;
using PhiSharp.Formats.Gguf;
using PhiSharp.Tensors;

namespace PhiSharp.Tests.Models;

/// <summary>
/// Writes a small phi3 GGUF with seeded random F32 weights and a 300-token SentencePiece vocabulary (specials, the 256
/// byte tokens, a few pieces). For loader, CLI and error-path tests; numerical correctness is tested on the llama.cpp
/// and HF fixtures, not on this file.
/// </summary>
public static class TinyPhi3Gguf
{
    public const int Hidden = 32, Heads = 4, KvHeads = 2, FeedForward = 48, Layers = 1;

    public static readonly string[] Pieces = ["▁the", "▁a", "▁hello", "▁world", "he", "ll", "o", "▁", "<|end|>", "<|user|>", "<|assistant|>"];

    public static int VocabSize => 3 + 256 + Pieces.Length;

    /// <param name="mutate">Changes what is written: drop or reshape a tensor, change a key.</param>
    /// <summary>The special tokens of Phi-4-mini's tool format and chat template, for a Phi-4-mini-like model.</summary>
    public static readonly string[] Phi4MiniTokens = ["<|system|>", "<|tool|>", "<|/tool|>", "<|tool_call|>", "<|/tool_call|>", "<|tool_response|>"];

    /// <summary>Makes the model Phi-4-mini-like: Phi-4-mini's chat template and its tool tokens.</summary>
    public static void Phi4MiniLike(Options o)
    {
        o.ChatTemplate = PhiSharp.Tokenizers.ChatFormats.Template(PhiSharp.Tokenizers.ChatFormat.Phi4Mini);
        o.ExtraPieces.AddRange(Phi4MiniTokens);
    }

    public static void WritePhi4MiniLike(string path, uint contextLength = 1024) => Write(path, o =>
    {
        Phi4MiniLike(o);
        o.ContextLength = contextLength;
    });

    public static void Write(string path, Action<Options>? mutate = null)
    {
        var o = new Options();
        mutate?.Invoke(o);
        int vocabSize = VocabSize + o.ExtraPieces.Count;
        var tensors = new List<(string Name, long[] Dims)>
        {
            ("token_embd.weight", [Hidden, vocabSize]),
            ("output_norm.weight", [Hidden]),
            ("output.weight", [Hidden, vocabSize]),
        };
        int headDim = Hidden / Heads, qkv = (Heads + 2 * KvHeads) * headDim;
        for (int i = 0; i < Layers; i++)
        {
            tensors.Add(($"blk.{i}.attn_norm.weight", [Hidden]));
            tensors.Add(($"blk.{i}.attn_qkv.weight", [Hidden, qkv]));
            tensors.Add(($"blk.{i}.attn_output.weight", [Hidden, Hidden]));
            tensors.Add(($"blk.{i}.ffn_norm.weight", [Hidden]));
            tensors.Add(($"blk.{i}.ffn_up.weight", [Hidden, 2 * FeedForward]));
            tensors.Add(($"blk.{i}.ffn_down.weight", [FeedForward, Hidden]));
        }
        tensors.RemoveAll(t => o.Omit.Contains(t.Name));
        tensors = tensors.Select(t => o.Reshape.TryGetValue(t.Name, out var d) ? (t.Name, d) : t).ToList();

        using var w = new GgufWriter(path);
        w.AddMetadata("general.architecture", o.Architecture);
        w.AddMetadata("phi3.context_length", o.ContextLength);
        w.AddMetadata("phi3.embedding_length", (uint)Hidden);
        w.AddMetadata("phi3.feed_forward_length", (uint)FeedForward);
        w.AddMetadata("phi3.block_count", (uint)Layers);
        w.AddMetadata("phi3.attention.head_count", (uint)Heads);
        w.AddMetadata("phi3.attention.head_count_kv", (uint)KvHeads);
        w.AddMetadata("phi3.attention.layer_norm_rms_epsilon", 1e-5f);
        w.AddMetadata("phi3.rope.dimension_count", (uint)headDim);
        w.AddMetadata("phi3.rope.freq_base", 10000f);
        w.AddMetadata("tokenizer.ggml.model", o.TokenizerModel);
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        tokens.AddRange(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"));
        tokens.AddRange(Pieces);
        tokens.AddRange(o.ExtraPieces);
        var types = tokens.Select((t, i) => i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : t.StartsWith("<|") ? 3 : 1).ToArray();
        var scores = tokens.Select((_, i) => i < 259 ? 0f : -(float)i).ToArray();
        w.AddArray("tokenizer.ggml.tokens", tokens);
        w.AddArray<float>("tokenizer.ggml.scores", scores);
        w.AddArray<int>("tokenizer.ggml.token_type", types);
        w.AddMetadata("tokenizer.ggml.bos_token_id", 1u);
        w.AddMetadata("tokenizer.ggml.eos_token_id", 2u);
        w.AddMetadata("tokenizer.ggml.unknown_token_id", 0u);
        w.AddMetadata("tokenizer.ggml.add_bos_token", false);
        if (o.ChatTemplate is { } template) w.AddMetadata("tokenizer.chat_template", template);

        var random = new Random(11);
        foreach (var (name, dims) in tensors) w.AddTensor(name, GgmlType.F32, dims);
        foreach (var (name, dims) in tensors)
        {
            long n = dims.Aggregate(1L, (a, b) => a * b);
            bool norm = dims.Length == 1;
            var values = Enumerable.Range(0, (int)n).Select(_ => (norm ? 1f : 0f) + 0.3f * (float)(random.NextDouble() * 2 - 1)).ToArray();
            w.WriteTensorData(name, MemoryMarshal.AsBytes(values.AsSpan()));
        }
        w.Finish();
    }

    public sealed class Options
    {
        public string Architecture { get; set; } = "phi3";
        public string TokenizerModel { get; set; } = "llama";
        public HashSet<string> Omit { get; } = [];
        public Dictionary<string, long[]> Reshape { get; } = [];

        /// <summary>The template a Phi-3 GGUF ships (Phi-3-mini's); null writes a model without one.</summary>
        public string? ChatTemplate { get; set; } = PhiSharp.Tokenizers.ChatFormats.Template(PhiSharp.Tokenizers.ChatFormat.Phi3);

        /// <summary>Pieces after <see cref="Pieces"/>; those written <c>&lt;|…|&gt;</c> are special tokens.</summary>
        public List<string> ExtraPieces { get; } = [];

        /// <summary>Positions the model takes; more for prompts that carry retrieved sources (every byte is a token).</summary>
        public uint ContextLength { get; set; } = 256;
    }
}
