using PhiSharp.Formats.HuggingFace;
using PhiSharp.Models;
using PhiSharp.Models.Decoder;
using PhiSharp.Models.Phi2;
using PhiSharp.Models.Phi3;
using PhiSharp.Tests.Formats;

namespace PhiSharp.Tests.Models;

/// <summary>
/// `phi info`'s family member, from config.json files with the published models' shapes (hidden size, layers, heads,
/// KV heads, vocabulary, context, rope scaling as their repositories give them) in folders of their repositories'
/// names, or of a name that says nothing ("model"): the configuration decides wherever it can, the name only
/// between members that share a configuration.
/// </summary>
public sealed class FamilyMemberTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    static string LongRope(int pairs) =>
        $$""", "original_max_position_embeddings": 4096, "rope_scaling": {"type": "longrope", "short_factor": [{{Factors(pairs)}}], "long_factor": [{{Factors(pairs)}}]}""";

    static string Factors(int pairs) => string.Join(", ", Enumerable.Repeat("1.0", pairs));

    static string Phi3(int hidden, int ff, int layers, int heads, int kvHeads, int vocab, int context, string extra = "") =>
        $$"""
        {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": {{hidden}}, "intermediate_size": {{ff}},
         "num_hidden_layers": {{layers}}, "num_attention_heads": {{heads}}, "num_key_value_heads": {{kvHeads}}, "vocab_size": {{vocab}},
         "max_position_embeddings": {{context}}, "rms_norm_eps": 1e-05, "rope_theta": 10000.0{{extra}}}
        """;

    static string Phi2(int hidden, int layers, double partialRotary) =>
        $$"""
        {"architectures": ["PhiForCausalLM"], "model_type": "phi", "hidden_size": {{hidden}}, "intermediate_size": {{4 * hidden}},
         "num_hidden_layers": {{layers}}, "num_attention_heads": 32, "vocab_size": 51200, "max_position_embeddings": 2048,
         "partial_rotary_factor": {{partialRotary}}, "layer_norm_eps": 1e-05}
        """;

    static readonly string Phi3Mini4k = Phi3(3072, 8192, 32, 32, 32, 32064, 4096, """, "sliding_window": 2047""");
    static readonly string Phi3Mini128k = Phi3(3072, 8192, 32, 32, 32, 32064, 131072, LongRope(48) + """, "sliding_window": 262144""");
    static readonly string Phi3Medium4k = Phi3(5120, 17920, 40, 40, 10, 32064, 4096);
    static readonly string Phi3Medium128k = Phi3(5120, 17920, 40, 40, 10, 32064, 131072, LongRope(64));
    static readonly string Phi4 = Phi3(5120, 17920, 40, 40, 10, 100352, 16384);
    // microsoft/phi-4's config.json as published, every field (rope_theta 250000, no rope_scaling, no window, untied).
    const string Phi4Released = """
        {"architectures": ["Phi3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "auto_map": {},
         "bos_token_id": 100257, "embd_pdrop": 0.0, "eos_token_id": 100257, "hidden_act": "silu", "hidden_size": 5120,
         "initializer_range": 0.02, "intermediate_size": 17920, "max_position_embeddings": 16384, "model_type": "phi3",
         "num_attention_heads": 40, "num_hidden_layers": 40, "num_key_value_heads": 10,
         "original_max_position_embeddings": 16384, "pad_token_id": 100257, "resid_pdrop": 0.0, "rms_norm_eps": 1e-05,
         "rope_scaling": null, "rope_theta": 250000, "sliding_window": null, "tie_word_embeddings": false,
         "torch_dtype": "bfloat16", "transformers_version": "4.47.0", "use_cache": true, "vocab_size": 100352}
        """;
    static readonly string Phi4Reasoning = Phi3(5120, 17920, 40, 40, 10, 100352, 32768);
    static readonly string Phi4Mini = Phi3(3072, 8192, 32, 24, 8, 200064, 131072,
        LongRope(48) + """, "partial_rotary_factor": 0.75, "tie_word_embeddings": true""");

    public static TheoryData<string, string, string> Cases => new()
    {
        { "Phi-3-mini-4k-instruct", Phi3Mini4k, "Phi-3-mini-4k" },
        { "model", Phi3Mini4k, "Phi-3-mini-4k" },
        { "Phi-3-mini-128k-instruct", Phi3Mini128k, "Phi-3-mini-128k" },
        { "Phi-3.5-mini-instruct", Phi3Mini128k, "Phi-3.5-mini" },
        { "model", Phi3Mini128k, "Phi-3-mini-128k" },        // the configs agree: without the name, the older one
        { "Phi-3.5-mini-instruct", Phi3Mini4k, "Phi-3-mini-4k" },   // a 4k config is no Phi-3.5, whatever its name
        { "Phi-3-medium-4k-instruct", Phi3Medium4k, "Phi-3-medium-4k" },
        { "Phi-3-medium-128k-instruct", Phi3Medium128k, "Phi-3-medium-128k" },
        { "phi-4", Phi4, "Phi-4" },
        { "model", Phi4Released, "Phi-4" },                 // 16k context, no name needed
        { "Phi-4-reasoning", Phi4Reasoning, "Phi-4-reasoning" },
        { "model", Phi4Reasoning, "Phi-4-reasoning" },      // 32k context: the config tells
        { "Phi-4-reasoning-plus", Phi4Reasoning, "Phi-4-reasoning-plus" },
        { "Phi-4-mini-instruct", Phi4Mini, "Phi-4-mini" },
        { "Phi-4-mini-reasoning", Phi4Mini, "Phi-4-mini-reasoning" },
        { "phi-2", Phi2(2560, 32, 0.4), "Phi-2" },
        { "phi-1_5", Phi2(2048, 24, 0.5), "Phi-1.5" },
        { "phi-1", Phi2(2048, 24, 0.5), "Phi-1" },
        { "model", Phi2(2048, 24, 0.5), "Phi-1 or Phi-1.5" },
        { "Phi-3-mini-4k-instruct", Phi3(64, 96, 2, 4, 2, 50, 4096), "unknown (Phi3ForCausalLM)" },
        { "phi-2", Phi2(64, 2, 0.5), "unknown (PhiForCausalLM)" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_config_names_its_family_member(string folderName, string json, string expected)
    {
        string folder = Directory.CreateDirectory(_dir.File(folderName)).FullName;
        File.WriteAllText(Path.Combine(folder, "config.json"), json);
        var config = HfModelConfig.Load(folder);
        var architecture = ArchitectureRegistry.ForHuggingFace(config);
        DecoderShape shape = architecture switch
        {
            Phi3Architecture => Phi3Network.ShapeOf(Phi3ConfigReader.FromHuggingFace(config)),
            Phi2Architecture => Phi2Network.ShapeOf(Phi2Config.FromHuggingFace(config)),
            _ => throw new InvalidOperationException(architecture.GetType().Name),
        };
        Assert.Equal(expected, FamilyMember.Identify(ArchitectureRegistry.HfName(config), architecture.GgufNames[0], shape, [ModelName.Of(folder)]));
    }

    [Theory]
    [InlineData("Phi 3.5 Mini Instruct", "Phi-3.5-mini")]     // convert_hf_to_gguf.py's general.name
    [InlineData("Phi 4 Mini Reasoning", "Phi-4-mini-reasoning")]
    [InlineData("Phi3", "Phi-3-mini-128k")]
    public void A_GGUF_files_general_name_counts_like_its_file_name(string generalName, string expected)
    {
        var shape = Phi3Network.ShapeOf(Phi3ConfigReader.FromHuggingFace(HfConfig(expected.StartsWith("Phi-4") ? Phi4Mini : Phi3Mini128k)));
        Assert.Equal(expected, FamilyMember.Identify("phi3", "phi3", shape, ["model-Q4_K_M", generalName]));
    }

    [Theory]
    [InlineData(8192, "Phi-3-small-8k")]
    [InlineData(131072, "Phi-3-small-128k")]
    public void Phi3_small_is_named_by_its_context(int context, string expected)
    {
        var shape = new DecoderShape
        {
            HiddenSize = 4096, LayerCount = 32, HeadCount = 32, KeyValueHeadCount = 8, HeadDim = 128, VocabSize = 100352,
            MaxPositions = context, OutputWidth = 100352, QkvWidth = 6144, FeedForwardWidth = 28672,
        };
        Assert.Equal(expected, FamilyMember.Identify("phi3small", "phi3small", shape, ["model"]));
    }

    [Theory]
    [InlineData("Phi-3-vision-128k-instruct", "Phi-3-vision")]
    [InlineData("Phi-3.5-vision-instruct", "Phi-3.5-vision")]
    public void Phi3_vision_members_share_a_shape_and_are_told_apart_by_name(string folder, string expected)
    {
        var shape = new DecoderShape
        {
            HiddenSize = 3072, LayerCount = 32, HeadCount = 32, KeyValueHeadCount = 32, HeadDim = 96, VocabSize = 32064,
            MaxPositions = 131072, OutputWidth = 32064, QkvWidth = 9216, FeedForwardWidth = 16384,
        };
        Assert.Equal(expected, FamilyMember.Identify("Phi3VForCausalLM", "phi3v", shape, [folder]));
    }

    HfModelConfig HfConfig(string json)
    {
        string folder = Directory.CreateDirectory(_dir.File(Guid.NewGuid().ToString("N"))).FullName;
        File.WriteAllText(Path.Combine(folder, "config.json"), json);
        return HfModelConfig.Load(folder);
    }

    [Fact]
    public void A_loaded_model_carries_its_family_member()
    {
        using var model = LanguageModel.Load(Fixtures.Path("llamacpp", "phi3-mini-q4_0.gguf"));
        Assert.Equal("unknown (phi3)", model.Info.FamilyMember);   // the fixtures are tiny random models
    }
}
