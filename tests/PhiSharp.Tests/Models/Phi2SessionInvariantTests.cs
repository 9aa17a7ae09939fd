using PhiSharp.Models;
using PhiSharp.Models.Decoder;
using PhiSharp.Models.Phi2;

namespace PhiSharp.Tests.Models;

/// <summary>
/// Phi-2 forward-pass invariants that hold for any weights (KV cache, chunking, threading, fused vs separate q/k/v
/// must not change the math). Correctness against llama.cpp is tested on reference fixtures.
/// Tolerance 1e-4: the same float32 operations grouped differently differ by rounding only.
/// </summary>
public class Phi2SessionInvariantTests
{
    const float Tolerance = 1e-4f;

    static Phi2Config Config() => new()
    {
        HiddenSize = 64, IntermediateSize = 128, LayerCount = 2, HeadCount = 4, KeyValueHeadCount = 4, VocabSize = 60,
        LayerNormEpsilon = 1e-5f, RopeTheta = 10000f, MaxPositions = 256, RotaryDim = 6,
    };

    /// <summary>Seeded random weights under GGUF names, q/k/v fused into attn_qkv or separate.</summary>
    static DecoderModel Create(bool fusedQkv, int threads = 2)
    {
        var c = Config();
        var random = new Random(3);
        float[] Values(int n, float scale, float offset = 0) =>
            Enumerable.Range(0, n).Select(_ => offset + scale * (float)(random.NextDouble() * 2 - 1)).ToArray();
        var source = new InMemoryTensorSource();
        int h = c.HiddenSize, ff = c.IntermediateSize;
        void Linear(string name, int inputs, int outputs, float[]? weight = null, float[]? bias = null)
        {
            source.Add(name + ".weight", weight ?? Values(inputs * outputs, 0.25f), inputs, outputs);
            source.Add(name + ".bias", bias ?? Values(outputs, 0.1f), outputs);
        }
        source.Add("token_embd.weight", Values(c.VocabSize * h, 1f), h, c.VocabSize);
        source.Add("output_norm.weight", Values(h, 0.2f, 1f), h);
        source.Add("output_norm.bias", Values(h, 0.1f), h);
        Linear("output", h, c.VocabSize);
        for (int i = 0; i < c.LayerCount; i++)
        {
            string p = $"blk.{i}.";
            source.Add(p + "attn_norm.weight", Values(h, 0.2f, 1f), h);
            source.Add(p + "attn_norm.bias", Values(h, 0.1f), h);
            var qkvWeight = Values(3 * h * h, 0.25f);
            var qkvBias = Values(3 * h, 0.1f);
            if (fusedQkv) Linear(p + "attn_qkv", h, 3 * h, qkvWeight, qkvBias);
            else
                for (int part = 0; part < 3; part++)
                    Linear(p + new[] { "attn_q", "attn_k", "attn_v" }[part], h, h,
                        qkvWeight[(part * h * h)..((part + 1) * h * h)], qkvBias[(part * h)..((part + 1) * h)]);
            Linear(p + "attn_output", h, h);
            Linear(p + "ffn_up", h, ff);
            Linear(p + "ffn_down", ff, h);
        }
        return new DecoderModel(source, new Phi2Network(source, c, Phi2Weights.BindGguf), threads: threads);
    }

    static float[] AllLogits(DecoderModel model, int[] tokens)
    {
        using var session = model.CreateSession(128);
        var logits = new float[tokens.Length * model.VocabSize];
        session.Append(tokens, logits, allPositions: true);
        return logits;
    }

    static int[] Tokens(int count) => Enumerable.Range(0, count).Select(i => (i * 37 + 11) % 60).ToArray();

    [Fact]
    public void Sessions_decoding_on_different_threads_at_once_give_the_logits_they_give_alone()
    {
        // The model's matmul and worker pool are shared by its sessions; concurrent use must not mix their data.
        using var model = Create(fusedQkv: true);
        int vocab = model.VocabSize;
        var sequences = Enumerable.Range(0, 4).Select(i => Tokens(DecoderModel.MaxChunk + 20).Select(t => (t + 7 * i) % vocab).ToArray()).ToArray();
        var alone = sequences.Select(tokens => AllLogits(model, tokens)).ToArray();

        var together = new float[sequences.Length][];
        Parallel.For(0, sequences.Length, new ParallelOptions { MaxDegreeOfParallelism = sequences.Length }, i =>
        {
            // Half the sessions decode token by token, half evaluate the whole sequence, so chunks interleave with steps.
            var tokens = sequences[i];
            if (i % 2 == 0) { together[i] = AllLogits(model, tokens); return; }
            using var s = model.CreateSession(128);
            together[i] = new float[tokens.Length * vocab];
            for (int t = 0; t < tokens.Length; t++)
                s.Append(tokens.AsSpan(t, 1), together[i].AsSpan(t * vocab, vocab));
        });
        for (int i = 0; i < sequences.Length; i++) AssertClose(alone[i], together[i]);
    }

    [Fact]
    public void Token_by_token_decoding_matches_one_batch_longer_than_a_chunk()
    {
        using var model = Create(fusedQkv: true);
        var tokens = Tokens(DecoderModel.MaxChunk + 7);
        var expected = AllLogits(model, tokens);
        using var session = model.CreateSession(128);
        var logits = new float[model.VocabSize];
        for (int i = 0; i < tokens.Length; i++)
        {
            session.Append(tokens.AsSpan(i, 1), logits);
            AssertClose(expected.AsSpan(i * model.VocabSize, model.VocabSize), logits);
        }
    }

    [Fact]
    public void Fused_and_separate_qkv_tensors_give_identical_logits()
    {
        using var fused = Create(fusedQkv: true);
        using var separate = Create(fusedQkv: false);
        var tokens = Tokens(12);
        Assert.Equal(AllLogits(separate, tokens), AllLogits(fused, tokens));
    }

    [Fact]
    public void One_thread_and_two_threads_agree()
    {
        using var one = Create(true, threads: 1);
        using var two = Create(true, threads: 2);
        var tokens = Tokens(20);
        AssertClose(AllLogits(one, tokens), AllLogits(two, tokens));
    }

    [Fact]
    public void Logits_depend_on_earlier_tokens_only()
    {
        using var model = Create(true);
        var a = AllLogits(model, [1, 2, 3, 4]);
        var b = AllLogits(model, [1, 2, 3, 9]);
        int v = model.VocabSize;
        Assert.Equal(a.AsSpan(0, 3 * v).ToArray(), b.AsSpan(0, 3 * v).ToArray());
        Assert.NotEqual(a.AsSpan(3 * v, v).ToArray(), b.AsSpan(3 * v, v).ToArray());
    }

    static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= Tolerance, $"index {i}: {expected[i]} vs {actual[i]}");
    }
}
