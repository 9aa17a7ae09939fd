using System.Text.Json;
using PhiSharp.Generation;
using PhiSharp.Generation.Constraints;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;

namespace PhiSharp.Tests.Generation.Tools;

/// <summary>GenerationOptions.GrammarTrigger in the generator, on the tiny Phi-4-mini-like model (its tool tokens).</summary>
public sealed class TriggeredGrammarTests : IDisposable
{
    readonly LoadedTinyModel _tiny = new(path => TinyPhi3Gguf.WritePhi4MiniLike(path));
    LanguageModel Model => _tiny.Model;

    public void Dispose() => _tiny.Dispose();

    static readonly Grammar Numbers = JsonSchemaGrammar.FromSchema("""{"type": "array", "items": {"type": "integer"}, "minItems": 1}""");

    List<GeneratedToken> Generate(GrammarTrigger trigger, int maxTokens, ulong seed) =>
        Model.Generator.Generate([1, 260, 262], new GenerationOptions
        {
            MaxTokens = maxTokens,
            Grammar = Numbers,
            GrammarTrigger = trigger,
            Sampling = new SamplingOptions { Temperature = 1.5f, Seed = seed },
        }).ToList();

    [Theory]
    [InlineData(12)]
    [InlineData(60)]
    public void An_immediate_trigger_starts_the_output_and_the_grammar_follows_to_the_end_token_or_the_budget(int maxTokens)
    {
        Assert.True(Model.Tokenizer.TryGetId("<|tool_call|>", out int start));
        Assert.True(Model.Tokenizer.TryGetId("<|/tool_call|>", out int end));
        for (ulong seed = 0; seed < 10; seed++)
        {
            var tokens = Generate(new GrammarTrigger("<|tool_call|>", "<|/tool_call|>", GrammarTriggerUse.Immediate), maxTokens, seed);
            Assert.Equal(start, tokens[0].Id);
            string text = string.Concat(tokens.Select(t => t.Text));
            Assert.StartsWith("<|tool_call|>", text);
            var array = JsonDocument.Parse(text["<|tool_call|>".Length..]).RootElement;
            Assert.True(array.GetArrayLength() >= 1);
            Assert.All(array.EnumerateArray(), n => Assert.Equal(JsonValueKind.Number, n.ValueKind));
            if (tokens[^1].Finish == FinishReason.Stop) Assert.Equal(end, tokens[^1].Id);
            else Assert.Equal(maxTokens, tokens.Count);
        }
    }

    [Fact]
    public void An_immediate_trigger_needs_room_for_itself_the_shortest_output_and_the_end_token()
    {
        // "[0]" is 3 bytes: with the two trigger tokens, 5.
        var e = Assert.Throws<ArgumentException>(() => Generate(new GrammarTrigger("<|tool_call|>", "<|/tool_call|>", GrammarTriggerUse.Immediate), 4, 0));
        Assert.Contains("needs up to 5", e.Message);
        Assert.Equal(5, Generate(new GrammarTrigger("<|tool_call|>", "<|/tool_call|>", GrammarTriggerUse.Immediate), 5, 0).Count);
    }

    [Fact]
    public void A_trigger_that_is_not_a_special_token_is_refused_by_name()
    {
        var e = Assert.Throws<ArgumentException>(() => Generate(new GrammarTrigger("<tool>", "<|/tool_call|>"), 10, 0));
        Assert.Contains("'<tool>' is not a special token", e.Message);
    }
}
