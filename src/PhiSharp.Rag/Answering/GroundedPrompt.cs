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
/// a source that would not fit is left out whole rather than cut mid-sentence.
/// </summary>
public static partial class GroundedPrompt
{
    public const string Unknown = "I don't know.";

    const string Instructions =
        "Answer the question using only the numbered sources below. Cite the sources you use with their numbers in " +
        "square brackets, like [1]. If the sources do not contain the answer, reply exactly: " + Unknown;

    public static (IReadOnlyList<ChatMessage> Messages, IReadOnlyList<Source> Sources) Build(
        string question, IReadOnlyList<RetrievedChunk> hits, ChatTemplate template, TokenCounter counter, int promptBudget,
        Func<string, string> displayPath)
    {
        var sources = new List<Source>();
        var messages = Messages(question, sources);
        if (counter.Count(template.Format(messages, addGenerationPrompt: true)) > promptBudget)
            throw new ArgumentException($"the question alone does not fit the {promptBudget}-token prompt budget; use a larger --ctx or a shorter question");
        foreach (var hit in hits)
        {
            var label = displayPath(hit.Path) + (hit.Heading is null ? "" : "#" + hit.Heading);
            var candidate = sources.Append(new Source(sources.Count + 1, label, hit)).ToList();
            var withIt = Messages(question, candidate);
            if (counter.Count(template.Format(withIt, addGenerationPrompt: true)) > promptBudget) continue;
            sources = candidate;
            messages = withIt;
        }
        return (messages, sources);
    }

    static IReadOnlyList<ChatMessage> Messages(string question, IReadOnlyList<Source> sources)
    {
        var user = new StringBuilder();
        user.Append(Instructions).Append("\n\n");
        foreach (var source in sources)
            user.Append('[').Append(source.Number).Append("] (").Append(source.Label).Append(")\n").Append(source.Chunk.Text).Append("\n\n");
        user.Append("Question: ").Append(question);
        return [new ChatMessage("user", user.ToString())];
    }

    [GeneratedRegex(@"\[(\d{1,3})\]")]
    private static partial Regex Citation();

    /// <summary>The sources an answer cites as [n], in the order of first citation; numbers that name no source are ignored.</summary>
    public static IReadOnlyList<Source> Cited(string answer, IReadOnlyList<Source> sources) =>
        Citation().Matches(answer).Select(m => int.Parse(m.Groups[1].Value)).Distinct()
            .Where(n => n >= 1 && n <= sources.Count).Select(n => sources[n - 1]).ToList();
}
