using PhiSharp.Models;
using PhiSharp.Models.Decoder;
using PhiSharp.Models.Phi3;

namespace PhiSharp.Tests.Models;

/// <summary>
/// Invariants of the forward pass that hold for any weights: the KV cache, chunking and threading must not change
/// the math. Correctness against independent implementations is tested on the reference fixtures.
/// Tolerance 1e-4: the same float32 operations in a different grouping (batch vs one token) differ by rounding only.
/// </summary>
public class Phi3SessionInvariantTests
{
    const float Tolerance = 1e-4f;

    static float[] AllLogits(IInferenceSession session, int[] tokens, int vocab)
    {
        var logits = new float[tokens.Length * vocab];
        session.Append(tokens, logits, allPositions: true);
        return logits;
    }

    static int[] Tokens(int count, int vocab, int seed = 5)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(vocab)).ToArray();
    }

    [Fact]
    public void Token_by_token_decoding_gives_the_same_logits_as_one_batch_longer_than_a_chunk()
    {
        using var model = RandomPhi3.Create(RandomPhi3.Config());
        int vocab = model.VocabSize;
        var tokens = Tokens(DecoderModel.MaxChunk + 9, vocab);
        using var batch = model.CreateSession(128);
        var expected = AllLogits(batch, tokens, vocab);

        using var incremental = model.CreateSession(128);
        var logits = new float[vocab];
        for (int i = 0; i < tokens.Length; i++)
        {
            incremental.Append(tokens.AsSpan(i, 1), logits);
            AssertClose(expected.AsSpan(i * vocab, vocab), logits);
        }
    }

    [Fact]
    public void One_thread_and_two_threads_agree()
    {
        var tokens = Tokens(20, 50);
        using var one = RandomPhi3.Create(RandomPhi3.Config(), threads: 1);
        using var two = RandomPhi3.Create(RandomPhi3.Config(), threads: 2);
        using var s1 = one.CreateSession(32);
        using var s2 = two.CreateSession(32);
        AssertClose(AllLogits(s1, tokens, 50), AllLogits(s2, tokens, 50));
    }

    [Fact]
    public void Truncate_then_append_recomputes_the_suffix_exactly()
    {
        using var model = RandomPhi3.Create(RandomPhi3.Config());
        var tokens = Tokens(30, 50);
        using var session = model.CreateSession(64);
        var first = AllLogits(session, tokens, 50);
        session.Truncate(10);
        var again = AllLogits(session, tokens[10..], 50);
        AssertClose(first.AsSpan(10 * 50), again);
    }

    [Fact]
    public void A_sliding_window_changes_logits_only_for_positions_beyond_the_window()
    {
        var tokens = Tokens(24, 50);
        using var full = RandomPhi3.Create(RandomPhi3.Config());
        using var windowed = RandomPhi3.Create(RandomPhi3.Config(slidingWindow: 8));
        using var a = full.CreateSession(32);
        using var b = windowed.CreateSession(32);
        var la = AllLogits(a, tokens, 50);
        var lb = AllLogits(b, tokens, 50);
        AssertClose(la.AsSpan(0, 8 * 50), lb.AsSpan(0, 8 * 50));
        Assert.True(MaxDifference(la.AsSpan(8 * 50), lb.AsSpan(8 * 50)) > 1e-3f);
    }

    [Fact]
    public void Crossing_the_LongRope_original_context_recomputes_the_prefix_with_long_factors()
    {
        float[] shortF = [1f, 1.1f, 1.2f, 1.3f, 1.4f, 1.5f];
        float[] longF = [1f, 2f, 4f, 8f, 16f, 32f];
        var config = RandomPhi3.Config(new LongRopeScaling(shortF, longF, OriginalMaxPositions: 16, AttentionFactor: 1.19f));
        using var model = RandomPhi3.Create(config);
        var tokens = Tokens(20, 50);

        // Reference: the whole 20-token sequence at once uses long factors throughout.
        using var whole = model.CreateSession(32);
        var expected = new float[50];
        whole.Append(tokens, expected);

        // Decoding one at a time crosses 16 on the 17th token; the result must be the same.
        using var stepwise = model.CreateSession(32);
        var logits = new float[50];
        foreach (int t in tokens) stepwise.Append([t], logits);
        AssertClose(expected, logits);

        // Short factors below the boundary: the first 16 positions differ from the long-factor evaluation.
        using var shortSession = model.CreateSession(32);
        var shortLogits = new float[50];
        shortSession.Append(tokens[..16], shortLogits);
        using var longSession = model.CreateSession(32);
        var longAll = AllLogits(longSession, tokens, 50);
        Assert.True(MaxDifference(shortLogits, longAll.AsSpan(15 * 50, 50)) > 1e-3f);
    }

    [Fact]
    public void Bad_calls_fail_with_clear_errors()
    {
        using var model = RandomPhi3.Create(RandomPhi3.Config());
        using var session = model.CreateSession(4);
        var logits = new float[50];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => session.Append([50], logits));
        Assert.Contains("50", e.Message);
        Assert.Throws<InvalidOperationException>(() => session.Append([1, 2, 3, 4, 5], logits));
        Assert.Equal(0, session.Length);
    }

    [Fact]
    public void Sessions_decoding_on_different_threads_at_once_give_the_logits_they_give_alone()
    {
        // The model's matmul and worker pool are shared by its sessions; concurrent use must not mix their data.
        using var model = RandomPhi3.Create(RandomPhi3.Config());
        int vocab = model.VocabSize;
        var sequences = Enumerable.Range(0, 4).Select(i => Tokens(DecoderModel.MaxChunk + 20, vocab, seed: 30 + i)).ToArray();
        var alone = sequences.Select(tokens =>
        {
            using var s = model.CreateSession(128);
            return AllLogits(s, tokens, vocab);
        }).ToArray();

        var together = new float[sequences.Length][];
        Parallel.For(0, sequences.Length, new ParallelOptions { MaxDegreeOfParallelism = sequences.Length }, i =>
        {
            // Half the sessions decode token by token, half evaluate the whole prompt, so chunks interleave with steps.
            using var s = model.CreateSession(128);
            var tokens = sequences[i];
            if (i % 2 == 0) { together[i] = AllLogits(s, tokens, vocab); return; }
            together[i] = new float[tokens.Length * vocab];
            for (int t = 0; t < tokens.Length; t++)
                s.Append(tokens.AsSpan(t, 1), together[i].AsSpan(t * vocab, vocab));
        });
        for (int i = 0; i < sequences.Length; i++) AssertClose(alone[i], together[i]);
    }

    static float MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float d = MaxDifference(expected, actual);
        Assert.True(d <= Tolerance, $"max |Δ| = {d}");
    }
}
