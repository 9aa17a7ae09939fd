using PhiSharp.Generation;
using Xunit.Abstractions;

namespace PhiSharp.Tests.Models;

/// <summary>
/// PhiSharp on Hugging Face folders computes what Hugging Face transformers computes (tests/fixtures/transformers,
/// made by tools/reference/transformers/logit_fixtures.py with transformers' own Phi3ForCausalLM / PhiForCausalLM in
/// float32, eager attention): the shapes of Phi-3-mini-4k (F32, F16, BF16 weights; a prompt past the sliding window),
/// Phi-3-mini-128k and Phi-3.5-mini (LongRoPE, prompts inside and beyond the original context), Phi-3-medium (4:1
/// grouped-query attention, sliding window), Phi-4-mini (partial rotary, tied embeddings), Phi-4 (4:1 grouped-query
/// attention, rope_theta 250000, no window) and Phi-2 (a 1500-token prompt; qk_layernorm).
/// </summary>
public class LogitsMatchTransformersTests(ITestOutputHelper output)
{
    /// <summary>
    /// Both sides compute in float32 on the same weight values (F16/BF16 weights are widened exactly), so only the
    /// order of float32 summation differs: a relative error of a few 1e-7 per dot product, growing through the layers
    /// and over long attention spans to 1e-5-ish on logits of rms ≈ 1. 1e-3 is the bound; a real fault
    /// (a wrong rotary pair, a position off by one, the wrong LongRoPE factor set, a window one key too wide) moves
    /// logits by 1e-2 or more.
    /// </summary>
    const double MaxAbsoluteError = 1e-3;

    /// <summary>Below this top-2 margin the reference's choice is a near tie that float32 rounding may flip.</summary>
    const double GreedyMargin = 1e-2;

    public static TheoryData<string> LogitCases => new(TransformersFixtures.LogitCases);
    public static TheoryData<string> GreedyCases => new(TransformersFixtures.GreedyCases);

    [Theory]
    [MemberData(nameof(LogitCases))]
    public void Logits_match_transformers(string name)
    {
        var c = TransformersFixtures.Get(name);
        var reference = TransformersFixtures.ReferenceLogits(c);
        using var model = Load(c);
        int vocab = model.Network.VocabSize;
        Assert.Equal(TransformersFixtures.VocabSize, vocab);

        var all = new float[c.Ids.Length * vocab];
        using (var session = model.Network.CreateSession(c.Ids.Length))
            session.Append(c.Ids, all, allPositions: true);

        double max = 0;
        for (int row = 0; row < c.Positions!.Length; row++)
        {
            var ours = all.AsSpan(c.Positions[row] * vocab, vocab);
            var theirs = reference.AsSpan(row * vocab, vocab);
            for (int i = 0; i < vocab; i++) max = Math.Max(max, Math.Abs(ours[i] - theirs[i]));
        }
        output.WriteLine($"{name}: {c.Ids.Length} tokens, max |Δ| = {max:G3} over {c.Positions.Length} positions");
        Assert.True(max <= MaxAbsoluteError, $"{name}: max |Δ| {max:G4} > {MaxAbsoluteError}");
    }

    [Theory]
    [MemberData(nameof(GreedyCases))]
    public void Greedy_continuation_matches_transformers(string name)
    {
        var c = TransformersFixtures.Get(name);
        using var model = Load(c);
        // No stop tokens: transformers generated a fixed number of tokens.
        var generator = new Generator(model.Network, model.Tokenizer, []);
        var ours = generator.Generate(c.Ids, new GenerationOptions { MaxTokens = c.Generated!.Length }).Select(t => t.Id).ToArray();
        Assert.Equal(c.Generated.Length, ours.Length);

        int compared = 0;
        for (int step = 0; step < ours.Length; step++)
        {
            if (ours[step] != c.Generated[step])
            {
                // Only a near tie may go either way; after it the two continuations are different sequences.
                Assert.True(c.Margins![step] <= GreedyMargin,
                    $"{name}: step {step} chose {ours[step]}, transformers {c.Generated[step]} (top-2 margin {c.Margins[step]:G3})");
                break;
            }
            compared++;
        }
        output.WriteLine($"{name}: {compared} of {ours.Length} tokens identical");
    }

    static LanguageModel Load(TransformersFixtures.Case c) =>
        LanguageModel.Load(TransformersFixtures.ModelFolder(c), new LoadOptions { KvCache = KvCacheType.F32 });
}
