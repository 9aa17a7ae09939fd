using PhiSharp.Formats.HuggingFace;

namespace PhiSharp.Tests.Formats;

public class HfConfigTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Write(string name, string json)
    {
        string path = _temp.File(name);
        File.WriteAllText(path, json);
        return path;
    }

    private const string Phi3Config = """
        {
          "architectures": ["Phi3ForCausalLM"],
          "model_type": "phi3",
          "hidden_size": 3072,
          "rms_norm_eps": 1e-05,
          "rope_theta": 10000.0,
          "sliding_window": 2047,
          "tie_word_embeddings": false,
          "rope_scaling": { "type": "longrope", "short_factor": [1.0, 1.5], "long_factor": [2, "x"] },
          "pad_token_id": null
        }
        """;

    [Fact]
    public void Config_fields_read_with_their_types()
    {
        var config = HfModelConfig.Load(Write("config.json", Phi3Config));
        Assert.Equal("phi3", config.ModelType);
        Assert.Equal(new[] { "Phi3ForCausalLM" }, config.Architectures);
        Assert.Equal(3072, config.GetInt("hidden_size"));
        Assert.Equal(1e-5, config.GetDouble("rms_norm_eps"));
        Assert.Equal(10000.0, config.GetDouble("rope_theta"));
        Assert.False(config.GetBool("tie_word_embeddings"));
        Assert.Equal(new[] { 1.0, 1.5 }, config.GetObject("rope_scaling").GetDoubleArray("short_factor"));
        Assert.False(config.TryGetInt("pad_token_id", out _)); // null reads as absent
        Assert.False(config.TryGetDouble("partial_rotary_factor", out _));
    }

    [Fact]
    public void Config_loads_from_a_model_folder()
    {
        Write("config.json", Phi3Config);
        Assert.Equal("phi3", HfModelConfig.Load(_temp.Path).ModelType);
    }

    [Fact]
    public void Missing_required_field_throws_ModelFormatException_naming_file_and_field()
    {
        string path = Write("config.json", Phi3Config);
        var e = Assert.Throws<ModelFormatException>(() => HfModelConfig.Load(path).GetInt("num_hidden_layers"));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("field 'num_hidden_layers' is missing", e.Message);
    }

    [Fact]
    public void Wrongly_typed_field_throws_ModelFormatException_naming_the_field_and_the_expected_type()
    {
        var config = HfModelConfig.Load(Write("config.json", Phi3Config));
        var e = Assert.Throws<ModelFormatException>(() => config.GetInt("rope_theta"));
        Assert.Contains("field 'rope_theta' is number 10000.0, expected an integer", e.Message);
        Assert.Throws<ModelFormatException>(() => config.TryGetString("hidden_size", out _));
        var nested = Assert.Throws<ModelFormatException>(() => config.GetObject("rope_scaling").GetDoubleArray("long_factor"));
        Assert.Contains("field 'rope_scaling.long_factor[1]' is string \"x\"", nested.Message);
    }

    [Fact]
    public void Invalid_JSON_throws_ModelFormatException_naming_the_file()
    {
        string path = Write("config.json", "{ \"model_type\": ");
        var e = Assert.Throws<ModelFormatException>(() => HfModelConfig.Load(path));
        Assert.Equal(path, e.FilePath);
        Assert.Throws<ModelFormatException>(() => HfModelConfig.Load(Write("array.json", "[1]")));
    }

    [Theory]
    [InlineData("""{ "eos_token_id": 32000 }""", new[] { 32000 })]
    [InlineData("""{ "eos_token_id": [32000, 32001, 32007] }""", new[] { 32000, 32001, 32007 })]
    [InlineData("""{ }""", new int[0])]
    public void Generation_config_eos_token_id_may_be_one_integer_or_a_list(string json, int[] expected) =>
        Assert.Equal(expected, HfGenerationConfig.Load(Write("generation_config.json", json)).EosTokenIds);

    [Fact]
    public void Generation_config_rejects_an_eos_token_id_of_the_wrong_type()
    {
        var config = HfGenerationConfig.Load(Write("generation_config.json", """{ "eos_token_id": "</s>" }"""));
        Assert.Throws<ModelFormatException>(() => config.EosTokenIds);
    }

    [Fact]
    public void Generation_config_sampling_defaults_read_when_present()
    {
        var config = HfGenerationConfig.Load(Write("generation_config.json", """{ "bos_token_id": 1, "do_sample": true, "temperature": 0.6 }"""));
        Assert.Equal(1, config.BosTokenId);
        Assert.True(config.DoSample);
        Assert.Equal(0.6, config.Temperature);
        Assert.Null(config.TopP);
    }

    [Fact]
    public void Tokenizer_config_special_tokens_may_be_strings_or_added_token_objects()
    {
        var config = HfTokenizerConfig.Load(Write("tokenizer_config.json", """
            {
              "add_bos_token": false,
              "bos_token": "<s>",
              "eos_token": { "content": "<|endoftext|>", "lstrip": false },
              "model_max_length": 1000000000000000019884624838656,
              "chat_template": [{ "name": "tool_use", "template": "t" }, { "name": "default", "template": "{{ messages }}" }]
            }
            """));
        Assert.Equal("<s>", config.BosToken);
        Assert.Equal("<|endoftext|>", config.EosToken);
        Assert.Null(config.UnkToken);
        Assert.False(config.AddBosToken);
        Assert.Equal(1e30, config.ModelMaxLength);
        Assert.Equal("{{ messages }}", config.ChatTemplate);
    }
}
