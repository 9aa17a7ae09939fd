using System.Runtime.InteropServices;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Models.Bert;
using PhiSharp.Models.Phi2;
using PhiSharp.Models.Phi3;
using PhiSharp.Tensors;
using PhiSharp.Tests.Formats;

namespace PhiSharp.Tests.Models;

/// <summary>A context length of 0 or below (GGUF context_length, config.json max_position_embeddings or n_positions)
/// is refused when the configuration is read, naming the field and the file, for every architecture.</summary>
public sealed class ContextLengthFieldTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    static void AssertNamed(ModelFormatException e, string path, string field, int value)
    {
        Assert.Equal(path, e.FilePath);
        Assert.Contains($"'{field}' is {value}, expected a positive integer", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Phi3_config_json(int value)
    {
        string path = WriteConfig("""{ "hidden_size": 32, "num_attention_heads": 4, "max_position_embeddings": VALUE }""", value);
        AssertNamed(Assert.Throws<ModelFormatException>(() => Phi3ConfigReader.FromHuggingFace(HfModelConfig.Load(path))), path, "max_position_embeddings", value);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Phi2_config_json(int value)
    {
        string path = WriteConfig("""
            { "hidden_size": 32, "num_attention_heads": 4, "intermediate_size": 64, "num_hidden_layers": 1, "vocab_size": 10,
              "max_position_embeddings": VALUE }
            """, value);
        AssertNamed(Assert.Throws<ModelFormatException>(() => Phi2Config.FromHuggingFace(HfModelConfig.Load(path))), path, "max_position_embeddings", value);
    }

    [Theory]
    [InlineData("""{ "model_type": "bert", "hidden_size": 32, "num_attention_heads": 4, "num_hidden_layers": 1, "intermediate_size": 64, "vocab_size": 10, "max_position_embeddings": VALUE }""", "max_position_embeddings")]
    [InlineData("""{ "model_type": "nomic_bert", "n_embd": 32, "n_head": 4, "n_layer": 1, "vocab_size": 10, "n_positions": VALUE }""", "n_positions")]
    public void Bert_config_json(string json, string field)
    {
        string path = WriteConfig(json, -1);
        AssertNamed(Assert.Throws<ModelFormatException>(() => BertHuggingFace.Config(HfModelConfig.Load(path), _dir.Path)), path, field, -1);
    }

    [Fact]
    public void Phi3_gguf()
    {
        string path = _dir.File("phi3.gguf");
        TinyPhi3Gguf.Write(path, o => o.ContextLength = 0);
        AssertNamed(Assert.Throws<ModelFormatException>(() => LanguageModel.Load(path)), path, "phi3.context_length", 0);
    }

    [Fact]
    public void Phi2_gguf()
    {
        string path = WriteGguf("phi2", w =>
        {
            w.AddMetadata("phi2.embedding_length", 32u);
            w.AddMetadata("phi2.attention.head_count", 4u);
            w.AddMetadata("phi2.feed_forward_length", 64u);
            w.AddMetadata("phi2.block_count", 1u);
            w.AddMetadata("phi2.attention.layer_norm_epsilon", 1e-5f);
            w.AddMetadata("phi2.context_length", 0u);
        });
        using var gguf = GgufFile.Open(path);
        AssertNamed(Assert.Throws<ModelFormatException>(() => Phi2Config.FromGguf(gguf)), path, "phi2.context_length", 0);
    }

    [Fact]
    public void Bert_gguf()
    {
        string path = WriteGguf("bert", w =>
        {
            w.AddMetadata("bert.pooling_type", 1u);
            w.AddMetadata("bert.embedding_length", 32u);
            w.AddMetadata("bert.attention.head_count", 4u);
            w.AddMetadata("bert.block_count", 1u);
            w.AddMetadata("bert.feed_forward_length", 64u);
            w.AddArray("tokenizer.ggml.tokens", ["[PAD]", "a"]);
            w.AddMetadata("bert.context_length", 0u);
        });
        using var gguf = GgufFile.Open(path);
        AssertNamed(Assert.Throws<ModelFormatException>(() => BertConfig.FromGguf(gguf)), path, "bert.context_length", 0);
    }

    string WriteConfig(string json, int value)
    {
        string path = _dir.File("config.json");
        File.WriteAllText(path, json.Replace("VALUE", value.ToString()));
        return path;
    }

    /// <summary>A GGUF with the architecture's keys and a 32 × 10 token embedding.</summary>
    string WriteGguf(string architecture, Action<GgufWriter> keys)
    {
        string path = _dir.File($"{architecture}.gguf");
        using var w = new GgufWriter(path);
        w.AddMetadata("general.architecture", architecture);
        keys(w);
        w.AddTensor("token_embd.weight", GgmlType.F32, [32, 10]);
        w.WriteTensorData("token_embd.weight", MemoryMarshal.AsBytes(new float[320].AsSpan()));
        w.Finish();
        return path;
    }
}
