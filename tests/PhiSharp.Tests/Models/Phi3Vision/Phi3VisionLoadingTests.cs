using PhiSharp.Models.Decoder;
using PhiSharp.Models.Phi3Vision;
using PhiSharp.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace PhiSharp.Tests.Models.Phi3Vision;

/// <summary>Loading a Phi3V Hugging Face folder: `--quantize` reaches the text model's matrices only, and configs the
/// remote code would not run are refused naming the field.</summary>
public sealed class Phi3VisionLoadingTests(ITestOutputHelper output)
{
    /// <summary>Q8_0 text matrices, float vision tower: the one-image prompt's logits stay within 0.15 of the float
    /// reference (Q8_0 weights and 8-bit activations, llama.cpp's scheme, each ≈ 0.4% per matmul; measured 0.074 on
    /// logits spanning about ±5), while the tower's and the
    /// projector's matrices keep the checkpoint's F16.</summary>
    [Fact]
    public void Quantize_at_load_reaches_the_text_matrices_and_leaves_the_tower_in_f16()
    {
        using var model = LanguageModel.Load(Phi3VisionFixtures.ModelFolder, new LoadOptions { KvCache = KvCacheType.F32, Quantize = GgmlType.Q8_0 });
        var network = (Phi3VisionNetwork)((DecoderModel)model.Network).Network;
        Assert.Equal(GgmlType.Q8_0, network.Text.Weights.Layers[0].Qkv.Type);
        Assert.All(network.Vision.MatrixTypes(), type => Assert.Equal(GgmlType.F16, type));

        const string name = "phi3.5v-one";
        var prompt = Phi3VisionFixtures.GetPrompt(name);
        var vision = new Phi3VisionModel(model, prompt.NumCrops);
        var prepared = vision.Prepare(prompt.Text, prompt.Images.Select(i => ImageDecoder.Decode(Phi3VisionFixtures.ImagePath(i))).ToArray());
        int vocab = model.Network.VocabSize;
        var logits = new float[prepared.Ids.Length * vocab];
        using var session = model.Network.CreateSession(prepared.Ids.Length);
        vision.Append(session, prepared, logits, allPositions: true);
        var expected = Phi3VisionFixtures.ReferenceLogits(name);
        var positions = Phi3VisionFixtures.GetCase(name).Positions;
        double max = 0;
        for (int i = 0; i < positions.Length; i++)
            for (int v = 0; v < vocab; v++)
                max = Math.Max(max, Math.Abs(logits[positions[i] * vocab + v] - expected[i * vocab + v]));
        output.WriteLine($"q8_0 text: max |Δlogit| {max:G3}");
        Assert.True(max <= 0.15, $"max |Δlogit| {max:G3}");
    }

    [Theory]
    [InlineData("\"hd_transform_order\": \"sub_glb\"", "\"hd_transform_order\": \"glb_sub\"", "hd_transform_order")]
    [InlineData("\"projection_cls\": \"mlp\"", "\"projection_cls\": \"linear\"", "projection_cls")]
    [InlineData("\"num_img_tokens\": 144", "\"num_img_tokens\": 100", "num_img_tokens")]
    [InlineData("\"image_dim_out\": 128", "\"image_dim_out\": 256", "image_dim_out")]
    public void Unsupported_vision_settings_are_refused_naming_the_field(string from, string to, string field)
    {
        using var folder = new TemporaryModelFolder(Phi3VisionFixtures.ModelFolder);
        folder.Rewrite("config.json", from, to);
        var e = Assert.ThrowsAny<Exception>(() => LanguageModel.Load(folder.Path));
        Assert.True(e is ModelFormatException or UnsupportedModelException, e.GetType().Name);
        Assert.Contains(field, e.Message);
    }

    /// <summary>num_crops is the preprocessor_config.json's beside the checkpoint (Phi-3-vision ships 16, Phi-3.5-vision
    /// 4): the HF processor's 16-crop token count for the same photograph.</summary>
    [Fact]
    public void Num_crops_comes_from_the_folders_preprocessor_config()
    {
        using var folder = new TemporaryModelFolder(Phi3VisionFixtures.ModelFolder);
        folder.Rewrite("preprocessor_config.json", "\"num_crops\": 4,", "\"num_crops\": 16,");
        using var model = LanguageModel.Load(folder.Path);
        var vision = new Phi3VisionModel(model);
        Assert.Equal(16, vision.Processor.MaxCrops);
        var pixels = vision.Processor.Process(ImageDecoder.Decode(Phi3VisionFixtures.ImagePath("chelsea.png")));
        Assert.Equal(Phi3VisionFixtures.GetPixels("chelsea-16").NumImageTokens, pixels.TokenCount);
    }

    [Fact]
    public void A_text_model_takes_no_images()
    {
        using var model = LanguageModel.Load(Fixtures.Path("transformers", "phi3-mini-4k-f32"));
        var e = Assert.Throws<UnsupportedModelException>(() => new Phi3VisionModel(model));
        Assert.Contains("takes no images", e.Message);
    }

    /// <summary>A copy of a model folder whose files a test may edit.</summary>
    sealed class TemporaryModelFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("phi3v-").FullName;

        public TemporaryModelFolder(string source)
        {
            foreach (var file in Directory.GetFiles(source)) File.Copy(file, System.IO.Path.Combine(Path, System.IO.Path.GetFileName(file)));
        }

        public void Rewrite(string file, string from, string to)
        {
            string path = System.IO.Path.Combine(Path, file);
            var compact = System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(path), @"\s+", " ");
            Assert.Contains(from, compact);
            File.WriteAllText(path, compact.Replace(from, to));
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
