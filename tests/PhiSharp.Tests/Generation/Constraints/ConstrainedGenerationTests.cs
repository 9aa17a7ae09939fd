using System.Text.RegularExpressions;
using PhiSharp.Generation;
using PhiSharp.Generation.Constraints;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;
using PhiSharp.Tests.Tokenizers;

namespace PhiSharp.Tests.Generation.Constraints;

/// <summary>GenerationOptions.Grammar in the generator, on the tiny random Phi-3 (byte-fallback vocabulary).</summary>
public sealed class ConstrainedGenerationTests : IDisposable
{
    readonly LoadedTinyModel _tiny = new(path => TinyPhi3Gguf.Write(path));
    LanguageModel Model => _tiny.Model;

    public void Dispose() => _tiny.Dispose();

    string Generate(Grammar grammar, int maxTokens, ulong seed, int? context = null, List<GeneratedToken>? tokens = null)
    {
        var result = Model.Generator.Generate([1, 260, 262], new GenerationOptions
        {
            MaxTokens = maxTokens,
            ContextLength = context,
            Grammar = grammar,
            Sampling = new SamplingOptions { Temperature = 1.5f, Seed = seed },
        }).ToList();
        tokens?.AddRange(result);
        return string.Concat(result.Select(t => t.Text));
    }

    [Fact]
    public void Multi_byte_characters_written_with_byte_fallback_tokens_come_out_whole()
    {
        // The tiny vocabulary has no Greek or emoji pieces: each character is 2 or 4 byte tokens.
        var grammar = Grammar.Parse("root ::= ([α-ω] | [😀-🙏]){3,6} \"!\"");
        for (ulong seed = 0; seed < 20; seed++)
            Assert.Matches(new Regex("^([α-ω]|[\\uD83D][\\uDE00-\\uDE4F]){3,6}!$"), Generate(grammar, 30, seed));
    }

    [Fact]
    public void The_end_token_comes_only_where_the_grammar_accepts()
    {
        var grammar = Grammar.Parse("root ::= [a-z]{4,} | \"0\"");
        for (ulong seed = 0; seed < 20; seed++)
        {
            var tokens = new List<GeneratedToken>();
            string text = Generate(grammar, 40, seed, tokens: tokens);
            Assert.Matches("^([a-z]{4,}|0)$", text);
            if (tokens[^1].Finish == FinishReason.Stop) Assert.Contains(tokens[^1].Id, Model.StopTokenIds);
        }
    }

    [Fact]
    public void When_the_context_not_max_tokens_is_the_limit_the_output_is_still_complete()
    {
        var grammar = JsonSchemaGrammar.FromSchema("""{"type":"array","items":{"type":"string"},"minItems":2}""");
        int lengths = 0;
        for (ulong seed = 0; seed < 10; seed++)
        {
            var tokens = new List<GeneratedToken>();
            string text = Generate(grammar, 500, seed, context: 3 + 12, tokens: tokens);   // 3 prompt tokens
            var array = System.Text.Json.JsonDocument.Parse(text).RootElement;
            Assert.True(array.GetArrayLength() >= 2, text);
            if (tokens[^1].Finish == FinishReason.Length) lengths++;
        }
        Assert.True(lengths > 0);
    }

    [Fact]
    public void Max_tokens_below_the_shortest_output_is_refused_before_any_work()
    {
        var grammar = Grammar.Parse("root ::= \"hello\" [a-z]*");
        Assert.Equal(5, Model.Generator.ShortestCompletion(grammar));
        var e = Assert.Throws<ArgumentException>(() => Model.Generator.Generate([1, 260], new GenerationOptions { MaxTokens = 4, Grammar = grammar }));
        Assert.Contains("MaxTokens is 4; the grammar's shortest output needs up to 5 tokens", e.Message);
        Assert.Matches("^hello[a-z]*$", Generate(grammar, 5, 1));   // pieces like "he" "ll" may leave room for more
    }

    [Fact]
    public void Masking_and_accepting_allocate_nothing_once_the_states_are_known()
    {
        var tokenizer = TokenizerFixtures.Tiktoken("o200k_base");
        var constraint = new GrammarConstraint(JsonSchemaGrammar.AnyJsonObject, tokenizer, [199999], tokenizer.VocabSize);
        var logits = new float[tokenizer.VocabSize];
        int open = tokenizer.Encode("{\"")[0], word = tokenizer.Encode("hello")[0];
        constraint.Accept(open);
        for (int i = 0; i < 3; i++)   // learn the "inside a key" state's transitions
        {
            constraint.Mask(logits, 1000);
            constraint.Accept(word);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            constraint.Mask(logits, 1000);
            constraint.Accept(word);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
