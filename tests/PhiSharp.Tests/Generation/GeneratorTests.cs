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
}
