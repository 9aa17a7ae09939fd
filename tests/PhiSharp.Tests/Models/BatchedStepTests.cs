using PhiSharp.Models;
using PhiSharp.Models.Decoder;

namespace PhiSharp.Tests.Models;

/// <summary>
/// Batched steps (<see cref="StepScheduler"/>): sessions whose rows share a step get exactly the logits, and so the
/// greedy tokens, they get decoding alone. The reference is each session run by itself on the same model.
/// Tolerance: none — the comparison is bitwise. Every kernel on the path is row-independent: a row's matmul output
/// is the same sums in the same order whichever tile (4 tokens, or one) it is computed in, activations are rounded
/// to 8 bits per row, norms and rotations are per row, and attention runs per sequence over its own cache; a step
/// only changes which rows are computed together, never the arithmetic of one row.
/// </summary>
public class BatchedStepTests
{
    /// <summary>When each of four sessions joins (step), its prompt length and how many tokens it decodes before
    /// leaving: different positions, a prompt longer than a step's prompt rows beside decoding sessions, joins while
    /// others decode, leaves while others go on.</summary>
    static readonly (int Join, int Prompt, int Decode)[] Script = [(0, 5, 12), (0, 23, 6), (2, 40, 9), (5, 1, 7)];

    public static TheoryData<string, KvCacheType> Models => new()
    {
        { "phi3-mini-q4_0.gguf", KvCacheType.F16 },     // integer kernels, interleaved rows; float16 cache
        { "phi3-mini-q4_k_m.gguf", KvCacheType.F32 },   // Q4_K and Q6_K kernels; float32 cache
        { "phi3-gqa-swa-f16.gguf", KvCacheType.F16 },   // float kernels, grouped-query attention, sliding window
        { "phi2-q4_0.gguf", KvCacheType.F16 },          // Phi-2's parallel block and biases
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Sessions_joining_and_leaving_batched_steps_get_the_logits_and_greedy_tokens_they_get_alone(string file, KvCacheType kvCache)
    {
        using var loaded = LanguageModel.Load(Fixtures.Path("llamacpp", file), new LoadOptions { KvCache = kvCache, Threads = 2 });
        var model = (DecoderModel)loaded.Network;
        var prompts = Script.Select((s, i) => Tokens(s.Prompt, model.VocabSize, seed: 10 + i)).ToArray();
        var alone = Script.Select((s, i) => DecodeAlone(model, prompts[i], s.Decode)).ToArray();

        var sessions = Script.Select(_ => model.CreateDecoderSession(128)).ToArray();
        var produced = Script.Select(_ => new List<int>()).ToArray();
        var logits = Script.Select(_ => new float[model.VocabSize]).ToArray();
        long stepsBefore = model.Scheduler.Steps, rowsBefore = model.Scheduler.Rows;
        for (int step = 0; produced.Where((p, i) => p.Count < Script[i].Decode).Any(); step++)
        {
            var active = Enumerable.Range(0, Script.Length)
                .Where(i => step >= Script[i].Join && produced[i].Count < Script[i].Decode).ToArray();
            var inputs = active.Select(i => step == Script[i].Join ? prompts[i] : [produced[i][^1]]).ToArray();
            DecoderSession.AppendAll(active.Select(i => sessions[i]).ToArray(), inputs, active.Select(i => logits[i]).ToArray());
            foreach (int i in active)
            {
                int n = produced[i].Count;
                Assert.True(alone[i].Logits[n].AsSpan().SequenceEqual(logits[i]),
                    $"{file}: session {i}, token {n}: max |Δ| = {MaxDifference(alone[i].Logits[n], logits[i])}");
                produced[i].Add(ArgMax(logits[i]));
            }
        }
        for (int i = 0; i < Script.Length; i++) Assert.Equal(alone[i].Tokens, produced[i]);
        // The steps were shared: 4 sessions' 69 prompt rows and 34 decode rows − 4 prompt-ending ones in far fewer
        // steps than rows (one session at a time would take 30 decode steps alone).
        long steps = model.Scheduler.Steps - stepsBefore, rows = model.Scheduler.Rows - rowsBefore;
        Assert.Equal(69 + 30, rows);
        Assert.True(steps <= 20, $"{steps} steps for {rows} rows");
    }

    [Fact]
    public void Sessions_on_either_side_of_the_LongRope_switch_share_a_step_with_their_own_factors()
    {
        // phi3-longrope: original context 512, so a 520-token sequence uses long factors and a short one short ones.
        using var loaded = LanguageModel.Load(Fixtures.Path("llamacpp", "phi3-longrope-f16.gguf"), new LoadOptions { KvCache = KvCacheType.F16, Threads = 2 });
        var model = (DecoderModel)loaded.Network;
        int[] longPrompt = Tokens(520, model.VocabSize, seed: 3), shortPrompt = Tokens(7, model.VocabSize, seed: 4);
        var aloneLong = DecodeAlone(model, longPrompt, 3);
        var aloneShort = DecodeAlone(model, shortPrompt, 3);

        using var a = model.CreateDecoderSession(600);
        using var b = model.CreateDecoderSession(600);
        float[] la = new float[model.VocabSize], lb = new float[model.VocabSize];
        DecoderSession.AppendAll([a, b], [longPrompt, shortPrompt], [la, lb]);
        for (int n = 0; n < 3; n++)
        {
            Assert.True(aloneLong.Logits[n].AsSpan().SequenceEqual(la), $"long, token {n}");
            Assert.True(aloneShort.Logits[n].AsSpan().SequenceEqual(lb), $"short, token {n}");
            DecoderSession.AppendAll([a, b], [[ArgMax(la)], [ArgMax(lb)]], [la, lb]);
        }
    }

    [Fact]
    public void Bad_batches_are_refused_before_anything_is_evaluated()
    {
        using var one = RandomPhi3.Create(RandomPhi3.Config());
        using var other = RandomPhi3.Create(RandomPhi3.Config());
        using var a = one.CreateDecoderSession(8);
        using var b = other.CreateDecoderSession(8);
        var logits = new float[one.VocabSize];
        Assert.Contains("one model", Assert.Throws<ArgumentException>(() => DecoderSession.AppendAll([a, b], [[1], [1]], [logits, new float[50]])).Message);
        Assert.Contains("only once", Assert.Throws<ArgumentException>(() => DecoderSession.AppendAll([a, a], [[1], [1]], [logits, logits])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => DecoderSession.AppendAll([a], [[99]], [logits]));
        Assert.Equal(0, a.Length);
    }

    /// <summary>The runner of a step waits a little for the callers of the last one to come back with their next token
    /// (<see cref="StepScheduler"/>); a session whose generation has ended says so and is not waited for.</summary>
    [Fact]
    public void The_next_step_waits_only_for_sessions_that_have_not_ended_their_turn()
    {
        using var model = RandomPhi3.Create(RandomPhi3.Config());
        var a = model.CreateDecoderSession(8);
        var b = model.CreateDecoderSession(8);
        using var c = model.CreateDecoderSession(8);
        float[] la = new float[model.VocabSize], lb = new float[model.VocabSize], lc = new float[model.VocabSize];
        DecoderSession.AppendAll([a, b, c], [[1], [2], [3]], [la, lb, lc]);
        Assert.Equal(3, model.Scheduler.Returning);

        b.EndTurn();
        Assert.Equal(2, model.Scheduler.Returning);
        b.EndTurn();   // counted once
        Assert.Equal(2, model.Scheduler.Returning);

        a.Append([4], la);   // a came back (and then ran a step alone: a new step expects only a back)
        Assert.Equal(1, model.Scheduler.Returning);
        a.Dispose();         // a disposed session is done too
        Assert.Equal(0, model.Scheduler.Returning);
        b.Append([5], lb);   // a later turn is still allowed
        Assert.Equal(2, b.Length);
    }

    static (List<float[]> Logits, List<int> Tokens) DecodeAlone(DecoderModel model, int[] prompt, int count)
    {
        using var session = model.CreateDecoderSession(prompt.Length + count + 1);
        var logits = new List<float[]>();
        var tokens = new List<int>();
        var next = prompt;
        for (int n = 0; n < count; n++)
        {
            var row = new float[model.VocabSize];
            session.Append(next, row);
            logits.Add(row);
            tokens.Add(ArgMax(row));
            next = [tokens[^1]];
        }
        return (logits, tokens);
    }

    static int[] Tokens(int count, int vocab, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(3, vocab)).ToArray();
    }

    static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());

    static float MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
}
