using PhiSharp.Rag.Answering;
using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Storage;
using PhiSharp.Tokenizers;

namespace PhiSharp.Rag.Tests.Answering;

public sealed class GroundedPromptTests
{
    static RetrievedChunk Hit(long id, string text) => new(id, $"/docs/{id}.md", 0, $"H{id}", text, 1);

    [Fact]
    public void Sources_are_numbered_best_first_and_only_while_they_fit()
    {
        var hits = new[] { Hit(1, "short fact one"), Hit(2, string.Join(' ', Enumerable.Repeat("long", 300))), Hit(3, "short fact three") };
        var counter = TokenCounter.WordEstimate;
        var (messages, sources) = GroundedPrompt.Build("what?", hits, ChatTemplate.Phi3, counter, 150, p => p);

        // The 300-word source (~400 tokens) cannot fit in 150 and is skipped whole; the next one still gets in.
        Assert.Equal([1L, 3L], sources.Select(s => s.Chunk.ChunkId));
        Assert.Equal([1, 2], sources.Select(s => s.Number));
        Assert.Equal("/docs/3.md#H3", sources[1].Label);
        var prompt = ChatTemplate.Phi3.Format(messages, addGenerationPrompt: true);
        Assert.InRange(counter.Count(prompt), 1, 150);
        Assert.Contains("[2] (/docs/3.md#H3)\nshort fact three", prompt);
        Assert.Contains(GroundedPrompt.Unknown, prompt);
    }

    [Fact]
    public void A_question_too_long_for_the_budget_is_refused()
    {
        var question = string.Join(' ', Enumerable.Repeat("word", 200));
        Assert.Throws<ArgumentException>(() => GroundedPrompt.Build(question, [Hit(1, "x")], ChatTemplate.Phi3, TokenCounter.WordEstimate, 100, p => p));
    }

    [Fact]
    public void Cited_sources_are_those_named_in_the_answer_in_order()
    {
        var sources = new[] { new Source(1, "a", Hit(1, "x")), new Source(2, "b", Hit(2, "y")) };
        Assert.Equal(["b", "a"], GroundedPrompt.Cited("Yes [2], and also [1][2]; not [7].", sources).Select(s => s.Label));
        Assert.Empty(GroundedPrompt.Cited("I don't know.", sources));
    }
}
