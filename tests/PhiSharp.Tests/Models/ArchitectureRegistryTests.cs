using PhiSharp.Formats.HuggingFace;
using PhiSharp.Models;
using PhiSharp.Models.Bert;
using PhiSharp.Models.Phi2;
using PhiSharp.Models.Phi3;
using PhiSharp.Models.Phi3Small;
using PhiSharp.Tests.Formats;

namespace PhiSharp.Tests.Models;

/// <summary>The registry finds architectures by the names files give them, and refuses the rest by name.</summary>
public sealed class ArchitectureRegistryTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    HfModelConfig Config(string json)
    {
        string folder = Directory.CreateDirectory(_dir.File(Guid.NewGuid().ToString("N"))).FullName;
        File.WriteAllText(Path.Combine(folder, "config.json"), json);
        return HfModelConfig.Load(folder);
    }

    [Theory]
    [InlineData("""{"architectures": ["Phi3ForCausalLM"], "model_type": "phi3"}""", typeof(Phi3Architecture))]
    [InlineData("""{"architectures": ["PhiForCausalLM"], "model_type": "phi"}""", typeof(Phi2Architecture))]
    [InlineData("""{"architectures": ["Phi3SmallForCausalLM"], "model_type": "phi3small"}""", typeof(Phi3SmallArchitecture))]
    [InlineData("""{"architectures": ["BertModel"], "model_type": "bert"}""", typeof(BertEncoderArchitecture))]
    [InlineData("""{"architectures": ["BertForMaskedLM"], "model_type": "bert"}""", typeof(BertEncoderArchitecture))] // the same encoder
    [InlineData("""{"model_type": "nomic_bert"}""", typeof(BertEncoderArchitecture))]
    public void Config_json_names_its_architecture(string json, Type expected) =>
        Assert.IsType(expected, ArchitectureRegistry.ForHuggingFace(Config(json)));

    [Theory]
    [InlineData("""{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}""", "LlamaForCausalLM")]
    // A decoder's model_type alone is not enough: a classifier checkpoint has no language-model head.
    [InlineData("""{"architectures": ["Phi3ForSequenceClassification"], "model_type": "phi3"}""", "Phi3ForSequenceClassification")]
    [InlineData("""{"model_type": "phi3"}""", "phi3")]
    public void Other_architectures_are_unsupported_and_named(string json, string name)
    {
        var config = Config(json);
        var e = Assert.Throws<UnsupportedModelException>(() => ArchitectureRegistry.ForHuggingFace(config));
        Assert.Contains($"'{name}'", e.Message);
        Assert.Contains("Phi3ForCausalLM", e.Message);   // and the supported ones are listed
        Assert.Equal(config.FilePath, e.FilePath);
    }

    [Fact]
    public void An_embedding_model_loaded_as_a_language_model_is_refused_by_name()
    {
        string path = Fixtures.Path("embeddings", "bert.gguf");
        var e = Assert.Throws<UnsupportedModelException>(() => LanguageModel.Load(path));
        Assert.Contains("'bert'", e.Message);
        Assert.Contains("embedding", e.Message);
    }

    [Fact]
    public void Each_name_belongs_to_one_architecture()
    {
        Assert.Equal(ArchitectureRegistry.All.SelectMany(a => a.GgufNames).Distinct().Count(), ArchitectureRegistry.All.Sum(a => a.GgufNames.Count));
        Assert.Equal(ArchitectureRegistry.All.SelectMany(a => a.HfArchitectures).Distinct().Count(), ArchitectureRegistry.All.Sum(a => a.HfArchitectures.Count));
    }
}
