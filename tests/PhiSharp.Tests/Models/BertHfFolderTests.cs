using System.Text.Json;
using System.Text.Json.Nodes;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.Safetensors;
using PhiSharp.Models.Bert;

namespace PhiSharp.Tests.Models;

/// <summary>
/// The embedding fixtures' GGUF weights re-laid as Hugging Face folders (transformers' BertModel names, with and
/// without the "bert." prefix, and nomic-embed's NomicBertModel names; llama.cpp's converter maps these names one to
/// one, see gguf-py's tensor_mapping.py) give llama.cpp's reference embeddings, and the folder's tokenizer.json the
/// same ids as the GGUF vocabulary.
/// </summary>
public class BertHfFolderTests
{
    // As in BertMatchesLlamaCppTests: BERT's bound covers llama.cpp's float16 GELU table, Nomic BERT's float32 reordering.
    static readonly Dictionary<string, float> Tolerance = new() { ["bert"] = 2e-3f, ["nomic-bert"] = 1e-5f };

    static readonly JsonElement Manifest = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("embeddings", "manifest.json"))).RootElement.Clone();

    static readonly Dictionary<string, string> BertNames = new()
    {
        ["token_embd.weight"] = "embeddings.word_embeddings.weight",
        ["position_embd.weight"] = "embeddings.position_embeddings.weight",
        ["token_types.weight"] = "embeddings.token_type_embeddings.weight",
        ["token_embd_norm"] = "embeddings.LayerNorm",
        ["attn_q"] = "attention.self.query", ["attn_k"] = "attention.self.key", ["attn_v"] = "attention.self.value",
        ["attn_output"] = "attention.output.dense", ["attn_output_norm"] = "attention.output.LayerNorm",
        ["ffn_up"] = "intermediate.dense", ["ffn_down"] = "output.dense", ["layer_output_norm"] = "output.LayerNorm",
    };

    static readonly Dictionary<string, string> NomicNames = new()
    {
        ["token_embd.weight"] = "embeddings.word_embeddings.weight",
        ["token_types.weight"] = "embeddings.token_type_embeddings.weight",
        ["token_embd_norm"] = "emb_ln",
        ["attn_qkv"] = "attn.Wqkv", ["attn_output"] = "attn.out_proj", ["attn_output_norm"] = "norm1",
        ["ffn_up"] = "mlp.fc11", ["ffn_gate"] = "mlp.fc12", ["ffn_down"] = "mlp.fc2", ["layer_output_norm"] = "norm2",
    };

    /// <summary>Writes the fixture <paramref name="name"/> as an HF folder; returns the folder.</summary>
    static unsafe string WriteFolder(string name, string root, string prefix)
    {
        bool nomic = name == "nomic-bert";
        var names = nomic ? NomicNames : BertNames;
        using var gguf = GgufFile.Open(Fixtures.Path("embeddings", name + ".gguf"));
        var tensors = new List<SafetensorsTensorData>();
        foreach (var info in gguf.Tensors)
        {
            string hfName;
            if (info.Name.StartsWith("blk.", StringComparison.Ordinal))
            {
                string[] parts = info.Name.Split('.');   // blk.N.kind.weight
                hfName = (nomic ? $"encoder.layers.{parts[1]}." : $"encoder.layer.{parts[1]}.") + names[parts[2]] + "." + parts[3];
            }
            else hfName = names.TryGetValue(info.Name, out string? whole) ? whole : names[info.Name[..info.Name.LastIndexOf('.')]] + info.Name[info.Name.LastIndexOf('.')..];
            var t = gguf.TryGetTensor(info.Name, out var w) ? w : throw new InvalidDataException(info.Name);
            tensors.Add(new SafetensorsTensorData(prefix + hfName, SafetensorsDType.F32, t.Dims.Reverse().ToArray(), t.Bytes.ToArray()));
        }
        Directory.CreateDirectory(root);
        SafetensorsWriter.Write(Path.Combine(root, "model.safetensors"), tensors);

        string arch = gguf.GetString("general.architecture");
        uint U(string key) => gguf.GetUInt32(arch + "." + key);
        var config = nomic
            ? new JsonObject
            {
                ["model_type"] = "nomic_bert", ["n_embd"] = U("embedding_length"), ["n_head"] = U("attention.head_count"),
                ["n_layer"] = U("block_count"), ["n_inner"] = U("feed_forward_length"), ["n_positions"] = U("context_length"),
                ["vocab_size"] = gguf.GetStringArray("tokenizer.ggml.tokens").Length, ["rotary_emb_base"] = gguf.GetFloat32(arch + ".rope.freq_base"),
                ["layer_norm_epsilon"] = gguf.GetFloat32(arch + ".attention.layer_norm_epsilon"), ["activation_function"] = "swiglu",
                ["rotary_emb_fraction"] = 1.0, ["qkv_proj_bias"] = false, ["mlp_fc1_bias"] = false, ["mlp_fc2_bias"] = false, ["prenorm"] = false,
            }
            : new JsonObject
            {
                ["model_type"] = "bert", ["hidden_size"] = U("embedding_length"), ["num_attention_heads"] = U("attention.head_count"),
                ["num_hidden_layers"] = U("block_count"), ["intermediate_size"] = U("feed_forward_length"),
                ["max_position_embeddings"] = U("context_length"), ["vocab_size"] = gguf.GetStringArray("tokenizer.ggml.tokens").Length,
                ["layer_norm_eps"] = gguf.GetFloat32(arch + ".attention.layer_norm_epsilon"), ["hidden_act"] = "gelu",
                ["position_embedding_type"] = "absolute", ["type_vocab_size"] = 2,
            };
        File.WriteAllText(Path.Combine(root, "config.json"), config.ToJsonString());
        bool cls = gguf.GetUInt32(arch + ".pooling_type") == 2;
        Directory.CreateDirectory(Path.Combine(root, "1_Pooling"));
        File.WriteAllText(Path.Combine(root, "1_Pooling", "config.json"),
            new JsonObject { ["word_embedding_dimension"] = U("embedding_length"), ["pooling_mode_cls_token"] = cls, ["pooling_mode_mean_tokens"] = !cls }.ToJsonString());

        // tokenizer.json: the committed bert-base-uncased layout with the GGUF vocabulary in vocab.txt form.
        using var fromGguf = BertEmbeddingGenerator.Load(Fixtures.Path("embeddings", name + ".gguf"));
        var json = JsonNode.Parse(File.ReadAllText(Fixtures.Path("wordpiece", "tokenizer.template.json")))!;
        var vocab = new JsonObject();
        for (int id = 0; id < fromGguf.Tokenizer.VocabSize; id++) vocab[fromGguf.Tokenizer.TokenText(id)] = id;
        json["model"]!["vocab"] = vocab;
        File.WriteAllText(Path.Combine(root, "tokenizer.json"), json.ToJsonString());
        return root;
    }

    public static IEnumerable<object[]> Folders => [["bert", ""], ["bert", "bert."], ["nomic-bert", ""]];

    [Theory, MemberData(nameof(Folders))]
    public void Hf_folder_matches_llama_cpp(string name, string prefix)
    {
        using var dir = new Formats.TempDirectory();
        string folder = WriteFolder(name, Path.Combine(dir.Path, name), prefix);
        using var generator = BertEmbeddingGenerator.Load(folder, threads: 2);
        var c = Manifest.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var expected = c.GetProperty("embeddings").EnumerateArray().ToArray();
        float worst = 0;
        int s = 0;
        foreach (var sequence in c.GetProperty("sequences").EnumerateArray())
        {
            float[] actual = generator.Model.Encode(sequence.EnumerateArray().Select(e => e.GetInt32()).ToArray());
            float[] reference = expected[s++].EnumerateArray().Select(e => e.GetSingle()).ToArray();
            for (int i = 0; i < actual.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - reference[i]));
        }
        Assert.True(worst <= Tolerance[name], $"{name}: max |Δ| {worst:e2} exceeds {Tolerance[name]:e0}");
        foreach (var t in c.GetProperty("texts").EnumerateArray())
            Assert.Equal(t.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(), generator.Tokenizer.Encode(t.GetProperty("text").GetString()!));
    }

    [Fact]
    public void Rejects_an_unsupported_model_type_and_ambiguous_pooling()
    {
        using var dir = new Formats.TempDirectory();
        string folder = WriteFolder("bert", Path.Combine(dir.Path, "m"), "");
        File.WriteAllText(Path.Combine(folder, "1_Pooling", "config.json"), """{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": true}""");
        Assert.Contains("exactly one", Assert.Throws<UnsupportedModelException>(() => BertEmbeddingGenerator.Load(folder)).Message);
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"model_type": "roberta"}""");
        Assert.Contains("roberta", Assert.Throws<UnsupportedModelException>(() => BertEmbeddingGenerator.Load(folder)).Message);
    }
}
