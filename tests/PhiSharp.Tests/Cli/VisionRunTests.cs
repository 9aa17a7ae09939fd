using System.Text.Json;
using PhiSharp.Tests.Models.Phi3Vision;

namespace PhiSharp.Tests.Cli;

/// <summary>`phi run --image` as a real process on the tiny Phi-3.5-vision folder.</summary>
public sealed class VisionRunTests
{
    /// <summary>Greedy tokens equal the remote code's greedy continuation of the same prompt and image (which the
    /// library call reproduces too: Phi3VisionMatchesRemoteCodeTests).</summary>
    [Fact]
    public void Greedy_tokens_with_an_image_are_the_remote_codes()
    {
        var prompt = Phi3VisionFixtures.GetPrompt("phi3.5v-one");
        var reference = Phi3VisionFixtures.GetCase("phi3.5v-one");
        var (exit, output, error) = PhiCommandTests.Phi("run", "--model", Phi3VisionFixtures.ModelFolder,
            "--image", Phi3VisionFixtures.ImagePath(prompt.Images[0]), "--prompt", prompt.Text,
            "--max-tokens", reference.Generated!.Length.ToString(), "--temperature", "0", "--kv-cache", "f32", "--json");
        Assert.True(exit == 0, error);
        var ids = JsonDocument.Parse(output).RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32());
        Assert.Equal(reference.Generated, ids);
    }

    [Fact]
    public void A_cut_off_image_is_one_error_line()
    {
        string file = Path.Combine(Path.GetTempPath(), $"cut-{Guid.NewGuid():N}.jpg");
        var bytes = File.ReadAllBytes(Phi3VisionFixtures.ImagePath("rocket.jpg"));
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        try
        {
            var (exit, _, error) = PhiCommandTests.Phi("run", "--model", Phi3VisionFixtures.ModelFolder, "--image", file, "--prompt", "Describe.");
            Assert.Equal(1, exit);
            Assert.Equal($"error: {Path.GetFileName(file)} is cut off: the JPEG data ends before its end marker.", error.Trim());
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void A_text_model_refuses_images_in_one_line()
    {
        var (exit, _, error) = PhiCommandTests.Phi("run", "--model", Fixtures.Path("transformers", "phi3-mini-4k-f32"),
            "--image", Phi3VisionFixtures.ImagePath("chelsea.png"), "--prompt", "Describe.");
        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error.Trim());
        Assert.Contains("takes no images", error);
    }
}
