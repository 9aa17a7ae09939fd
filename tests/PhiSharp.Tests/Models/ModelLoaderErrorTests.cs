using PhiSharp.Tests.Formats;

namespace PhiSharp.Tests.Models;

/// <summary>Bad model input gets a typed error that names the file and the fault; nothing crashes or hangs.</summary>
public class ModelLoaderErrorTests
{
    [Fact]
    public void A_missing_path_is_a_FileNotFoundException_naming_the_path()
    {
        var e = Assert.Throws<FileNotFoundException>(() => LanguageModel.Load("/no/such/model.gguf"));
        Assert.Contains("/no/such/model.gguf", e.Message);
    }

    [Fact]
    public void A_well_formed_tiny_phi3_gguf_loads_and_reports_its_shape()
    {
        using var dir = new TempDirectory();
        string path = dir.File("tiny.gguf");
        TinyPhi3Gguf.Write(path);
        using var model = LanguageModel.Load(path);
        Assert.Equal("phi3", model.Info.Architecture);
        Assert.Equal(TinyPhi3Gguf.VocabSize, model.Network.VocabSize);
        Assert.Contains(2, model.StopTokenIds);
        Assert.Equal(new Dictionary<string, long> { ["f32"] = model.Info.ParameterCount }, model.Info.TensorTypes);
    }

    [Fact]
    public void An_unknown_architecture_is_unsupported_and_named()
    {
        using var dir = new TempDirectory();
        string path = dir.File("mamba.gguf");
        TinyPhi3Gguf.Write(path, o => o.Architecture = "mamba");
        var e = Assert.Throws<UnsupportedModelException>(() => LanguageModel.Load(path));
        Assert.Contains("mamba", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_missing_tensor_is_a_format_error_naming_the_tensor()
    {
        using var dir = new TempDirectory();
        string path = dir.File("missing.gguf");
        TinyPhi3Gguf.Write(path, o => o.Omit.Add("blk.0.ffn_down.weight"));
        var e = Assert.Throws<ModelFormatException>(() => LanguageModel.Load(path));
        Assert.Contains("blk.0.ffn_down.weight", e.Message);
    }

    [Fact]
    public void A_tensor_of_the_wrong_shape_is_a_format_error_giving_both_shapes()
    {
        using var dir = new TempDirectory();
        string path = dir.File("shape.gguf");
        TinyPhi3Gguf.Write(path, o => o.Reshape["blk.0.attn_output.weight"] = [32, 16]);
        var e = Assert.Throws<ModelFormatException>(() => LanguageModel.Load(path));
        Assert.Contains("blk.0.attn_output.weight", e.Message);
        Assert.Contains("[16, 32]", e.Message);
        Assert.Contains("expected [32, 32]", e.Message);
    }

    [Fact]
    public void An_unsupported_tokenizer_model_is_named()
    {
        using var dir = new TempDirectory();
        string path = dir.File("bert.gguf");
        TinyPhi3Gguf.Write(path, o => o.TokenizerModel = "bert");
        var e = Assert.Throws<UnsupportedModelException>(() => LanguageModel.Load(path));
        Assert.Contains("bert", e.Message);
    }

    [Fact]
    public void A_safetensors_file_alone_is_rejected_with_advice_to_pass_the_folder()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        File.WriteAllBytes(path, new byte[16]);
        var e = Assert.Throws<ModelFormatException>(() => LanguageModel.Load(path));
        Assert.Contains("folder", e.Message);
    }
}
