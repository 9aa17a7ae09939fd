using PhiSharp.Generation;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;

namespace PhiSharp.Tests.Generation;

public sealed class GeneratorTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly LanguageModel _model;

    public GeneratorTests()
    {
        string path = _dir.File("tiny.gguf");
        TinyPhi3Gguf.Write(path);
        _model = LanguageModel.Load(path);
    }

    public void Dispose()
    {
        _model.Dispose();
        _dir.Dispose();
    }

    List<GeneratedToken> Generate(GenerationOptions options, int[]? prompt = null) =>
        _model.Generator.Generate(prompt ?? [1, 260, 262, 265], options).ToList();

    static GenerationOptions Sampled(ulong seed, int max = 24) =>
        new() { MaxTokens = max, Sampling = new SamplingOptions { Temperature = 1.2f, Seed = seed } };

    [Fact]
    public void The_same_seed_reproduces_the_output_and_greedy_needs_no_seed()
    {
        Assert.Equal(Generate(Sampled(9)).Select(t => t.Id), Generate(Sampled(9)).Select(t => t.Id));
        var greedy = new GenerationOptions { MaxTokens = 16 };
        Assert.Equal(Generate(greedy).Select(t => t.Id), Generate(greedy).Select(t => t.Id));
    }

    [Fact]
    public void Generation_ends_at_max_tokens_with_finish_reason_length()
    {
        var tokens = Generate(Sampled(3, max: 5) with { Sampling = new SamplingOptions { Temperature = 1f, Seed = 3 } });
        Assert.InRange(tokens.Count, 1, 5);
        Assert.NotNull(tokens[^1].Finish);
        Assert.All(tokens[..^1], t => Assert.Null(t.Finish));
    }

    [Fact]
    public void The_streamed_text_equals_the_decoded_ids_when_nothing_stops_it()
    {
        var tokens = Generate(new GenerationOptions { MaxTokens = 20, Sampling = new SamplingOptions { Temperature = 1f, Seed = 5 } });
        if (tokens[^1].Finish == FinishReason.Length)
            Assert.Equal(_model.Tokenizer.Decode(tokens.Select(t => t.Id).ToArray()), string.Concat(tokens.Select(t => t.Text)));
    }

    [Fact]
    public void A_stop_token_ends_generation_and_contributes_no_text()
    {
        // Find a seed whose sample hits an end-of-sequence id by making every token a stop token but one.
        var tokens = Generate(Sampled(1, max: 50));
        var first = tokens[0].Id;
        var generator = new Generator(_model.Network, _model.Tokenizer, [first]);
        var stopped = generator.Generate([1, 260, 262, 265], Sampled(1, max: 50)).ToList();
        Assert.Single(stopped);
        Assert.Equal(FinishReason.Stop, stopped[0].Finish);
        Assert.Equal("", stopped[0].Text);
    }

    [Fact]
    public async Task Cancellation_stops_the_stream()
    {
        using var cts = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in _model.Generator.GenerateAsync([1, 261], Sampled(2, max: 200), cts.Token))
                if (++seen == 3) cts.Cancel();
        });
        Assert.Equal(3, seen);
    }

    [Fact]
    public void A_prompt_that_fills_the_context_is_rejected_clearly()
    {
        var e = Assert.Throws<ArgumentException>(() => _model.Generator.Generate(new int[300], new GenerationOptions { ContextLength = 256 }));
        Assert.Contains("300", e.Message);
    }

    [Fact]
    public void Continuing_a_session_gives_what_a_fresh_session_gives_whatever_it_held_before()
    {
        int[] prompt = [1, 260, 262, 265, 266, 263];
        var options = Sampled(4, max: 12);
        var expected = Generate(options, prompt).Select(t => t.Id).ToArray();
        using var session = _model.Network.CreateSession(64);
        int[][] earlier = [[], [1, 260, 262, 100, 101], prompt, [.. prompt, 7, 8, 9], [5, 6]];
        foreach (var held in earlier)
        {
            session.Truncate(0);
            if (held.Length > 0) session.Append(held, new float[_model.Network.VocabSize]);
            var ids = _model.Generator.Generate(session, prompt, options).Select(t => t.Id).ToArray();
            Assert.Equal(expected, ids);
            // The session now holds the prompt and every generated token but the last, ready for the next turn.
            Assert.Equal([.. prompt, .. ids[..^1]], session.Tokens.ToArray());
        }
    }

    [Fact]
    public void A_following_turn_evaluates_only_the_tokens_after_the_shared_prefix()
    {
        using var session = new CountingSession(_model.Network.CreateSession(64));
        int[] first = [1, 260, 262, 265];
        var reply = _model.Generator.Generate(session, first, Sampled(2, max: 5)).Select(t => t.Id).ToArray();
        Assert.Equal(first.Length + reply.Length - 1, session.Evaluated);

        int[] second = [.. first, .. reply, 268, 261];
        session.Evaluated = 0;
        _ = _model.Generator.Generate(session, second, Sampled(2, max: 1)).ToList();
        // Everything up to the last reply token was cached; the last reply token and the two new ones are evaluated.
        Assert.Equal(3, session.Evaluated);
        Assert.Equal(first.Length + reply.Length - 1, Generator.ReusablePrefix(first.Concat(reply[..^1]).ToArray(), second));
    }

    [Fact]
    public void A_prompt_that_fills_the_session_is_rejected_clearly()
    {
        using var session = _model.Network.CreateSession(8);
        var e = Assert.Throws<ArgumentException>(() => _model.Generator.Generate(session, new int[8], new GenerationOptions()));
        Assert.Contains("8", e.Message);
    }

    /// <summary>Sessions decoding beside this one in batched steps wait a little for its next token until it says its
    /// turn has ended: it must say so however the generation ends.</summary>
    [Fact]
    public void Every_generation_ends_its_sessions_turn_however_it_ends()
    {
        using var session = new CountingSession(_model.Network.CreateSession(64));
        int[] prompt = [1, 260, 262, 265];
        Assert.Equal(FinishReason.Length, _model.Generator.Generate(session, prompt, Sampled(1, max: 3)).Last().Finish);
        Assert.Equal(1, session.Turns);

        _ = _model.Generator.Generate(session, prompt, Sampled(1)).Take(2).ToList();   // the caller stops early
        Assert.Equal(2, session.Turns);

        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() =>
        {
            foreach (var _ in _model.Generator.Generate(session, prompt, Sampled(1), cancel.Token)) cancel.Cancel();
        });
        Assert.Equal(3, session.Turns);

        _ = _model.Generator.Generate(session, prompt, Sampled(1, max: 0)).ToList();   // the prompt alone
        Assert.Equal(4, session.Turns);
    }

    sealed class CountingSession(PhiSharp.Models.IInferenceSession inner) : PhiSharp.Models.IInferenceSession
    {
        public int Evaluated;
        public int Turns;
        public void EndTurn()
        {
            Turns++;
            inner.EndTurn();
        }
        public int ContextLength => inner.ContextLength;
        public int Length => inner.Length;
        public ReadOnlySpan<int> Tokens => inner.Tokens;
        public void Append(ReadOnlySpan<int> tokens, Span<float> logits, bool allPositions = false)
        {
            Evaluated += tokens.Length;
            inner.Append(tokens, logits, allPositions);
        }
        public void Truncate(int length) => inner.Truncate(length);
        public void Dispose() => inner.Dispose();
    }
}
