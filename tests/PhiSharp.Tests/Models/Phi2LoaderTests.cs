using System.Runtime.InteropServices;
using PhiSharp.Formats.Gguf;
using PhiSharp.Tensors;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Tokenizers;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Models;

/// <summary>
/// A Phi-2 GGUF as llama.cpp's converter writes it (arch phi2, GPT-2 byte-level vocabulary with merges) loads into a
/// working model: Phi-2 network, byte-level tokenizer, generation. Numerical agreement with llama.cpp is tested on the
/// fixtures (LogitsMatchLlamaCppTests); token ids against HF in Gpt2MatchesHfTests.
/// </summary>
public class Phi2LoaderTests
{
    const int Hidden = 16, Heads = 2, FeedForward = 32;

    [Fact]
    public void Phi2_gguf_with_a_gpt2_vocabulary_loads_tokenizes_and_generates()
    {
        using var dir = new TempDirectory();
        string path = dir.File("phi2.gguf");
        Write(path);
        using var model = LanguageModel.Load(path);

        Assert.Equal("phi2", model.Info.Architecture);
        Assert.IsType<ByteLevelBpeTokenizer>(model.Tokenizer);
        const string Text = "Hello world, it's Phi-2!";
        Assert.Equal(Gpt2Vocabulary.FromGguf().Encode(Text), model.Tokenizer.Encode(Text));

        var ids = model.Generator.Generate(model.Tokenizer.Encode(Text), new PhiSharp.Generation.GenerationOptions { MaxTokens = 4 })
            .Select(t => t.Id).ToArray();
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.InRange(id, 0, model.Network.VocabSize - 1));
    }

    static void Write(string path)
    {
        string[] tokens = [.. Gpt2Vocabulary.RankTexts, "<|endoftext|>"];
        int[] types = [.. Enumerable.Repeat(1, tokens.Length - 1), 3];
        int vocab = tokens.Length;
        var tensors = new List<(string Name, long[] Dims)>
        {
            ("token_embd.weight", [Hidden, vocab]), ("output_norm.weight", [Hidden]), ("output_norm.bias", [Hidden]),
            ("output.weight", [Hidden, vocab]), ("output.bias", [vocab]),
            ("blk.0.attn_norm.weight", [Hidden]), ("blk.0.attn_norm.bias", [Hidden]),
            ("blk.0.attn_qkv.weight", [Hidden, 3 * Hidden]), ("blk.0.attn_qkv.bias", [3 * Hidden]),
            ("blk.0.attn_output.weight", [Hidden, Hidden]), ("blk.0.attn_output.bias", [Hidden]),
            ("blk.0.ffn_up.weight", [Hidden, FeedForward]), ("blk.0.ffn_up.bias", [FeedForward]),
            ("blk.0.ffn_down.weight", [FeedForward, Hidden]), ("blk.0.ffn_down.bias", [Hidden]),
        };
        using var w = new GgufWriter(path);
        w.AddMetadata("general.architecture", "phi2");
        w.AddMetadata("phi2.context_length", 64u);
        w.AddMetadata("phi2.embedding_length", (uint)Hidden);
        w.AddMetadata("phi2.feed_forward_length", (uint)FeedForward);
        w.AddMetadata("phi2.block_count", 1u);
        w.AddMetadata("phi2.attention.head_count", (uint)Heads);
        w.AddMetadata("phi2.attention.head_count_kv", (uint)Heads);
        w.AddMetadata("phi2.attention.layer_norm_epsilon", 1e-5f);
        w.AddMetadata("phi2.rope.dimension_count", 4u);
        w.AddMetadata("tokenizer.ggml.model", "gpt2");
        w.AddMetadata("tokenizer.ggml.pre", "gpt-2");
        w.AddArray("tokenizer.ggml.tokens", tokens);
        w.AddArray<int>("tokenizer.ggml.token_type", types);
        w.AddArray("tokenizer.ggml.merges", Gpt2Vocabulary.Merges);
        w.AddMetadata("tokenizer.ggml.bos_token_id", (uint)Gpt2Vocabulary.EndOfText);
        w.AddMetadata("tokenizer.ggml.eos_token_id", (uint)Gpt2Vocabulary.EndOfText);
        var random = new Random(2);
        foreach (var (name, dims) in tensors) w.AddTensor(name, GgmlType.F32, dims);
        foreach (var (name, dims) in tensors)
        {
            long n = dims.Aggregate(1L, (a, b) => a * b);
            bool norm = name.Contains("norm.weight");
            var values = Enumerable.Range(0, (int)n).Select(_ => (norm ? 1f : 0f) + 0.3f * (float)(random.NextDouble() * 2 - 1)).ToArray();
            w.WriteTensorData(name, MemoryMarshal.AsBytes(values.AsSpan()));
        }
        w.Finish();
    }
}
