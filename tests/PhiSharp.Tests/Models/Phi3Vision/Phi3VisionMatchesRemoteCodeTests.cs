using PhiSharp.Models.Phi3Vision;
using Xunit;
using Xunit.Abstractions;

namespace PhiSharp.Tests.Models.Phi3Vision;

/// <summary>
/// A tiny random Phi3VForCausalLM (F16 weights, CLIP tower 128 wide; see tools/reference/transformers/phi3v_fixtures.py)
/// computes what Microsoft's remote code computes: the same prompt ids, and logits within 1e-3 with a float32 KV
/// cache, over one image (Phi-3.5-vision, 4 crops), two images, and a 5:1 strip at 16 crops (Phi-3-vision) whose HD
/// image is mostly white padding.
/// </summary>
public sealed class Phi3VisionMatchesRemoteCodeTests(Phi3VisionMatchesRemoteCodeTests.Loaded fixture, ITestOutputHelper output) : IClassFixture<Phi3VisionMatchesRemoteCodeTests.Loaded>
{
    /// <summary>The fixture folder, loaded once: its float32 KV cache reproduces transformers' float32 attention.</summary>
    public sealed class Loaded : IDisposable
    {
        public LanguageModel Model { get; } = LanguageModel.Load(Phi3VisionFixtures.ModelFolder, new LoadOptions { KvCache = KvCacheType.F32 });
        public void Dispose() => Model.Dispose();
    }

    readonly LanguageModel _model = fixture.Model;

    public static TheoryData<string> Prompts => new(Phi3VisionFixtures.PromptCases);

    static RgbImage[] Images(Phi3VisionFixtures.Prompt prompt) =>
        prompt.Images.Select(name => ImageDecoder.Decode(Phi3VisionFixtures.ImagePath(name))).ToArray();

    [Theory]
    [MemberData(nameof(Prompts))]
    public void Prompt_ids_are_the_processors(string name)
    {
        var prompt = Phi3VisionFixtures.GetPrompt(name);
        var processor = new Phi3VisionImageProcessor(prompt.NumCrops);
        var counts = Images(prompt).Select(i => { var (w, h) = processor.HdSize(i.Width, i.Height); return Phi3VisionImageProcessor.TokenCount(h / 336, w / 336); }).ToArray();
        Assert.Equal(prompt.Ids, Phi3VisionPrompt.ExpandIds(_model.Tokenizer, prompt.Text, counts));
    }

    /// <summary>max |Δlogit| ≤ 1e-3: float32 throughout on both sides; the differences are summation order in the
    /// matmuls and attention (≈1e-5 per layer here).</summary>
    [Theory]
    [MemberData(nameof(Prompts))]
    public void Logits_match_the_remote_code(string name)
    {
        var prompt = Phi3VisionFixtures.GetPrompt(name);
        var expected = Phi3VisionFixtures.ReferenceLogits(name);
        var positions = Phi3VisionFixtures.GetCase(name).Positions;
        var vision = new Phi3VisionModel(_model, prompt.NumCrops);
        var prepared = vision.Prepare(prompt.Text, Images(prompt));
        Assert.Equal(prompt.Ids, prepared.Ids);

        int vocab = _model.Network.VocabSize;
        var logits = new float[prepared.Ids.Length * vocab];
        using var session = _model.Network.CreateSession(prepared.Ids.Length);
        vision.Append(session, prepared, logits, allPositions: true);
        double max = 0;
        for (int i = 0; i < positions.Length; i++)
            for (int v = 0; v < vocab; v++)
                max = Math.Max(max, Math.Abs(logits[positions[i] * vocab + v] - expected[i * vocab + v]));
        output.WriteLine($"{name}: {prepared.Ids.Length} tokens, max |Δlogit| {max:G3} over {positions.Length} positions");
        Assert.True(max <= 1e-3, $"max |Δlogit| {max:G3}");
    }

    /// <summary>Greedy decoding from the one-image prompt picks the remote code's tokens (every step's top-2 margin
    /// there is above 0.1, far beyond the 1e-3 logit agreement).</summary>
    [Fact]
    public void Greedy_continuation_matches_the_remote_code()
    {
        const string name = "phi3.5v-one";
        var prompt = Phi3VisionFixtures.GetPrompt(name);
        var reference = Phi3VisionFixtures.GetCase(name);
        var vision = new Phi3VisionModel(_model, prompt.NumCrops);
        var prepared = vision.Prepare(prompt.Text, Images(prompt));
        var logits = new float[_model.Network.VocabSize];
        using var session = _model.Network.CreateSession(prepared.Ids.Length + reference.Generated!.Length);
        vision.Append(session, prepared, logits);
        var generated = new List<int>();
        for (int step = 0; step < reference.Generated.Length; step++)
        {
            Assert.True(reference.Margins![step] > 1e-2);
            int next = Array.IndexOf(logits, logits.Max());
            generated.Add(next);
            session.Append([next], logits);
        }
        Assert.Equal(reference.Generated, generated);
    }
}
