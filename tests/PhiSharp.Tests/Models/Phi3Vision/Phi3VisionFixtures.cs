using System.Runtime.InteropServices;
using System.Text.Json;

namespace PhiSharp.Tests.Models.Phi3Vision;

/// <summary>
/// tests/fixtures/transformers/phi3v, made by tools/reference/transformers/phi3v_fixtures.py from Microsoft's
/// Phi-3-vision remote code: the image processor's pixel_values (every 8th row and column of each crop plane, and
/// full per-plane sums) on scikit-image photographs, the processor's expanded prompt ids, and a tiny random Phi3V
/// model's logits and greedy continuation.
/// </summary>
static class Phi3VisionFixtures
{
    public sealed record Pixels(string Name, string Image, int NumCrops, int[] Shape, int[] ImageSize, int NumImageTokens,
        bool PaddingCropsZero, double[][] Sums, double[][] Squares);

    public sealed record Prompt(string Name, string Text, string[] Images, int NumCrops, int[] Ids);

    public sealed record Case(string Name, int[] Positions, int[]? Generated, double[]? Margins);

    sealed record Manifest(int PixelStride, Pixels[] Pixels, Prompt[] Prompts, Case[] Cases);

    static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true };

    static readonly Lazy<Manifest> Loaded = new(() =>
        JsonSerializer.Deserialize<Manifest>(File.ReadAllText(Path("manifest.json")), Options)!);

    public static string Path(params string[] parts) => Fixtures.Path(["transformers", "phi3v", .. parts]);

    public static int PixelStride => Loaded.Value.PixelStride;
    public static string ModelFolder => Path("phi3v-tiny");
    public static string ImagePath(string name) => Path("images", name);

    public static IEnumerable<string> PixelCases => Loaded.Value.Pixels.Select(p => p.Name);
    public static Pixels GetPixels(string name) => Loaded.Value.Pixels.Single(p => p.Name == name);
    public static float[] SampledPixels(string name) => Floats("pixels-" + name + ".f32");

    public static IEnumerable<string> PromptCases => Loaded.Value.Prompts.Select(p => p.Name);
    public static Prompt GetPrompt(string name) => Loaded.Value.Prompts.Single(p => p.Name == name);
    public static Case GetCase(string name) => Loaded.Value.Cases.Single(c => c.Name == name);
    public static float[] ReferenceLogits(string name) => Floats(name + ".f32");

    static float[] Floats(string file) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path(file))).ToArray();
}
