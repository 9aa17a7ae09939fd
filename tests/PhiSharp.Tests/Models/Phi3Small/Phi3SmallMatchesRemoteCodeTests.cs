using PhiSharp.Generation;
using Xunit.Abstractions;

namespace PhiSharp.Tests.Models.Phi3Small;

/// <summary>
/// PhiSharp on Phi-3-small folders computes what Microsoft's remote code (Phi3SmallForCausalLM) computes, run on a
/// CPU in float32 under transformers with its two GPU-only attention calls replaced by plain torch (docs/FIDELITY.md).
/// The three tiny models cover per-head and shared block-sparse patterns past the local window and the vertical
/// stride, 2:1 and 4:1 grouped-query attention, a clipping GEGLU limit, muP multipliers, rope_position_scale,
/// LongRoPE with separate short/long mscales, and the dummy-token mask.
/// </summary>
public class Phi3SmallMatchesRemoteCodeTests(ITestOutputHelper output)
{
    /// <summary>
    /// Both sides compute in float32 on the same weight values (BF16/F16 weights widen exactly); only the order of
    /// float32 summation differs, a few 1e-7 relative per dot product, growing through the layers to ~1e-5 on logits
    /// of rms ≈ 0.2–1. The bound is 1e-3. A wrong head grouping, a block one off, a missing muP factor or the
    /// wrong mscale moves logits by 1e-2 or more. Dummy ids must be float32's minimum exactly (|Δ| = 0).
    /// </summary>
    const double MaxAbsoluteError = 1e-3;

    /// <summary>Below this top-2 margin the reference's choice is a near tie that float32 rounding may flip.</summary>
    const double GreedyMargin = 1e-2;

    public static TheoryData<string> LogitCases => new(Phi3SmallFixtures.LogitCases);
    public static TheoryData<string> GreedyCases => new(Phi3SmallFixtures.GreedyCases);

    [Theory]
    [MemberData(nameof(LogitCases))]
    public void Prompt_logits_match_the_remote_code(string name)
    {
        var c = Phi3SmallFixtures.Get(name);
        using var model = Load(c);
        int vocab = model.Network.VocabSize;
        var all = new float[c.Ids.Length * vocab];
        using (var session = model.Network.CreateSession(c.Ids.Length))
            session.Append(c.Ids, all, allPositions: true);
        Compare(name, c, i => all.AsSpan(i * vocab, vocab));
    }

    /// <summary>The same logits when the prompt's last 8 tokens arrive one at a time: block-sparse attention at decode
    /// (past the local window in the long cases) reads the same pattern from the KV cache as at prefill.</summary>
    [Theory]
    [MemberData(nameof(LogitCases))]
    public void Logits_decoded_one_token_at_a_time_match_the_remote_code(string name)
    {
        var c = Phi3SmallFixtures.Get(name);
        using var model = Load(c);
        int vocab = model.Network.VocabSize, prefix = c.Ids.Length - 8;
        var rows = new float[c.Ids.Length * vocab];
        using (var session = model.Network.CreateSession(c.Ids.Length))
        {
            session.Append(c.Ids.AsSpan(0, prefix), rows.AsSpan(0, prefix * vocab), allPositions: true);
            for (int i = prefix; i < c.Ids.Length; i++)
                session.Append(c.Ids.AsSpan(i, 1), rows.AsSpan(i * vocab, vocab));
        }
        Compare(name + " (decoded)", c, i => rows.AsSpan(i * vocab, vocab));
    }

    /// <summary>With the default float16 KV cache (keys and values rounded once, ~5e-4 relative) the block-sparse
    /// layers go through the float16 attention kernel; the logits stay within 1e-2 of the reference, the bound the
    /// Phi-3 float16-cache test uses (measured there up to 3.7e-3).</summary>
    [Fact]
    public void A_float16_kv_cache_stays_within_half_precision_of_the_remote_code()
    {
        var c = Phi3SmallFixtures.Get("phi3-small-8k-sparse");
        using var model = LanguageModel.Load(Phi3SmallFixtures.ModelFolder(c), new LoadOptions { KvCache = KvCacheType.F16 });
        int vocab = model.Network.VocabSize;
        var all = new float[c.Ids.Length * vocab];
        using (var session = model.Network.CreateSession(c.Ids.Length))
            session.Append(c.Ids, all, allPositions: true);
        var reference = Phi3SmallFixtures.ReferenceLogits(c);
        double max = 0;
        for (int row = 0; row < c.Positions!.Length; row++)
            for (int i = 0; i < vocab; i++)
                if (reference[row * vocab + i] != float.MinValue)
                    max = Math.Max(max, Math.Abs(all[c.Positions[row] * vocab + i] - reference[row * vocab + i]));
        output.WriteLine($"float16 KV cache: max |Δ| = {max:G3}");
        Assert.True(max <= 1e-2, $"max |Δ| {max:G4} > 1e-2");
    }

    [Theory]
    [MemberData(nameof(GreedyCases))]
    public void Greedy_continuation_matches_the_remote_code(string name)
    {
        var c = Phi3SmallFixtures.Get(name);
        using var model = Load(c);
        var generator = new Generator(model.Network, model.Tokenizer, []);
        var ours = generator.Generate(c.Ids, new GenerationOptions { MaxTokens = c.Generated!.Length }).Select(t => t.Id).ToArray();
        Assert.Equal(c.Generated.Length, ours.Length);
        int compared = 0;
        for (int step = 0; step < ours.Length; step++)
        {
            if (ours[step] != c.Generated[step])
            {
                Assert.True(c.Margins![step] <= GreedyMargin,
                    $"{name}: step {step} chose {ours[step]}, the remote code {c.Generated[step]} (top-2 margin {c.Margins[step]:G3})");
                break;
            }
            compared++;
        }
        output.WriteLine($"{name}: {compared} of {ours.Length} tokens identical");
    }

    void Compare(string label, Phi3SmallFixtures.Case c, Func<int, Span<float>> ours)
    {
        var reference = Phi3SmallFixtures.ReferenceLogits(c);
        int vocab = Phi3SmallFixtures.VocabSize;
        double max = 0;
        for (int row = 0; row < c.Positions!.Length; row++)
        {
            var mine = ours(c.Positions[row]);
            var theirs = reference.AsSpan(row * vocab, vocab);
            Assert.Equal(vocab, mine.Length);
            for (int i = 0; i < vocab; i++)
            {
                if (theirs[i] == float.MinValue) Assert.Equal(float.MinValue, mine[i]);
                else max = Math.Max(max, Math.Abs(mine[i] - theirs[i]));
            }
        }
        output.WriteLine($"{label}: {c.Ids.Length} tokens, max |Δ| = {max:G3} over {c.Positions.Length} positions");
        Assert.True(max <= MaxAbsoluteError, $"{label}: max |Δ| {max:G4} > {MaxAbsoluteError}");
    }

    static LanguageModel Load(Phi3SmallFixtures.Case c) =>
        LanguageModel.Load(Phi3SmallFixtures.ModelFolder(c), new LoadOptions { KvCache = KvCacheType.F32 });
}
