using System.Text;
using System.Text.RegularExpressions;
using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Storage;
using PhiSharp.Tokenizers;

namespace PhiSharp.Rag.Answering;

/// <summary>One numbered source given to the model: [Number] and where it came from (path#heading).</summary>
public sealed record Source(int Number, string Label, RetrievedChunk Chunk);

/// <summary>
/// The chat messages that ask a model to answer only from numbered sources and cite them as [n]. Sources are
/// added best first while the formatted prompt still fits the token budget (context minus the answer's room);
/// a source that would not fit is left out whole rather than cut mid-sentence. `phi rag ask` and the server's
/// grounded chat both build their prompts here.
/// </summary>
public static partial class GroundedPrompt
{
    public const string Unknown = "I don't know.";

    const string Instructions =
        "Answer the question using only the numbered sources below. Cite the sources you use with their numbers in " +
        "square brackets, like [1]. If the sources do not contain the answer, reply exactly: " + Unknown;

    /// <param name="history">Earlier turns of a conversation, kept before the grounded question and counted in the budget.</param>
    public static (IReadOnlyList<ChatMessage> Messages, IReadOnlyList<Source> Sources) Build(
        string question, IReadOnlyList<RetrievedChunk> hits, ChatTemplate template, TokenCounter counter, int promptBudget,
        Func<string, string> displayPath, IReadOnlyList<ChatMessage>? history = null)
    {
        history ??= [];
        var sources = new List<Source>();
        var messages = Messages(history, question, sources);
        if (counter.Count(template.Format(messages, addGenerationPrompt: true)) > promptBudget)
            throw new ArgumentException($"the question alone does not fit the {promptBudget}-token prompt budget; use a larger --ctx or a shorter question");
        foreach (var hit in hits)
        {
            var label = displayPath(hit.Path) + (hit.Heading is null ? "" : "#" + hit.Heading);
            var candidate = sources.Append(new Source(sources.Count + 1, label, hit)).ToList();
            var withIt = Messages(history, question, candidate);
            if (counter.Count(template.Format(withIt, addGenerationPrompt: true)) > promptBudget) continue;
            sources = candidate;
            messages = withIt;
        }
        return (messages, sources);
    }

    /// <summary>
    /// The prompt tokens for <paramref name="model"/>: as many sources as fit <paramref name="promptBudget"/> tokens
    /// (counted with the model's tokenizer, special tokens as one), paths shown by <see cref="DocumentPath.Display"/>.
    /// </summary>
    public static (int[] Prompt, IReadOnlyList<Source> Sources) ForModel(string question, IReadOnlyList<RetrievedChunk> hits,
        LanguageModel model, int promptBudget, IReadOnlyList<ChatMessage>? history = null)
    {
        var (messages, sources) = Build(question, hits, model.ChatTemplate, new PromptTokenCounter(model.Tokenizer), promptBudget,
            DocumentPath.Display, history);
        if (sources.Count == 0) throw new ArgumentException($"not even the best source fits the {promptBudget}-token prompt budget; use a larger --ctx");
        return (model.Tokenizer.Encode(model.ChatTemplate.Format(messages, addGenerationPrompt: true), parseSpecial: true), sources);
    }

    static IReadOnlyList<ChatMessage> Messages(IReadOnlyList<ChatMessage> history, string question, IReadOnlyList<Source> sources)
    {
        var user = new StringBuilder();
        user.Append(Instructions).Append("\n\n");
        foreach (var source in sources)
            user.Append('[').Append(source.Number).Append("] (").Append(source.Label).Append(")\n").Append(source.Chunk.Text).Append("\n\n");
        user.Append("Question: ").Append(question);
        return [.. history, new ChatMessage("user", user.ToString())];
    }

    [GeneratedRegex(@"\[(\d{1,3})\]")]
    private static partial Regex Citation();

    /// <summary>The sources an answer cites as [n], in the order of first citation; numbers that name no source are ignored.</summary>
    public static IReadOnlyList<Source> Cited(string answer, IReadOnlyList<Source> sources) =>
        Citation().Matches(answer).Select(m => int.Parse(m.Groups[1].Value)).Distinct()
            .Where(n => n >= 1 && n <= sources.Count).Select(n => sources[n - 1]).ToList();
}

/// <summary>Counts a formatted chat prompt as the model will see it: special-token text as single tokens.</summary>
sealed class PromptTokenCounter(ITokenizer tokenizer) : TokenCounter
{
    public override int Count(string text) => tokenizer.Encode(text, parseSpecial: true).Length;
}
