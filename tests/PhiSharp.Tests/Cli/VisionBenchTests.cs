using System.Text.Json;
using PhiSharp.Tests.Models.Phi3Vision;

namespace PhiSharp.Tests.Cli;

/// <summary>`phi bench --image` as a real process on the tiny Phi-3.5-vision folder (num_crops 4).</summary>
public sealed class VisionBenchTests
{
    [Fact]
    public void An_image_reports_its_tokens_its_encode_time_and_the_time_to_first_token_with_it()
    {
        var (exit, output, error) = PhiCommandTests.Phi("bench", "--model", Phi3VisionFixtures.ModelFolder,
            "--image", Phi3VisionFixtures.ImagePath("chelsea.png"), "-p", "8", "-n", "2", "--threads", "1", "--json");
        Assert.True(exit == 0, error);
        var json = JsonDocument.Parse(output).RootElement;
        // The HF processor's count for this photograph at 4 crops: 2 × 2 crops of 144, the global view's 144,
        // glb_GN, and one sub_GN per row of 12 merged patches (Phi3VisionFixtures' "chelsea-4").
        int imageTokens = Phi3VisionFixtures.GetPixels("chelsea-4").NumImageTokens;
        Assert.Equal(imageTokens, json.GetProperty("image_tokens").GetInt32());
        // The prompt is the image, then the 8 ids of -p (this tokenizer adds no BOS).
        Assert.Equal(imageTokens + 8, json.GetProperty("prompt_tokens").GetInt32());
        double encode = json.GetProperty("image_encode_ms").GetDouble(), ttft = json.GetProperty("ttft_ms").GetDouble();
        Assert.True(encode > 0 && ttft > encode, $"image_encode_ms {encode}, ttft_ms {ttft}");
        Assert.True(json.GetProperty("tg_tps").GetDouble() > 0);
    }

    [Fact]
    public void A_text_model_refuses_an_image_in_one_line()
    {
        var (exit, _, error) = PhiCommandTests.Phi("bench", "--model", Fixtures.Path("transformers", "phi3-mini-4k-f32"),
            "--image", Phi3VisionFixtures.ImagePath("chelsea.png"), "-p", "4", "-n", "1", "--threads", "1");
        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error);
        Assert.Contains("takes no images", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }
}
