using System.Text.Json;
using PhiSharp.Generation;
using PhiSharp.Rag.Answering;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;
using PhiSharp.Tokenizers;

namespace PhiSharp.Server.Rag;

/// <summary>
/// A chat request with "rag": the chunks retrieved for its last user message, and then the prompt built from them
/// exactly as `phi rag ask` builds it (<see cref="GroundedPrompt.ForModel"/>), earlier turns kept before it.
/// </summary>
sealed class GroundedChat
{
    public const int MaxTop = 50;
    const int DefaultTop = 5;

    readonly string _question;
    readonly IReadOnlyList<ChatMessage> _history;

    GroundedChat(string question, IReadOnlyList<ChatMessage> history, IReadOnlyList<RetrievedChunk> hits) =>
        (_question, _history, Hits) = (question, history, hits);

    public IReadOnlyList<RetrievedChunk> Hits { get; }

    /// <summary>The sources the prompt holds, numbered as the model sees them; set by <see cref="Prompt"/>.</summary>
    public IReadOnlyList<Source> Sources { get; private set; } = [];

    /// <summary>
    /// Reads "rag": absent, null or false is an ordinary chat (null); true or {"top": 1..50, "mode": "lexical" |
    /// "vector" | "hybrid", "mmr": 0..1} retrieves for the last message, which must be the user's.
    /// </summary>
    public static async Task<GroundedChat?> ReadAsync(RequestReader r, ServedModel served, IReadOnlyList<ChatMessage> messages, CancellationToken ct)
    {
        const string name = "rag";
        int top = DefaultTop;
        RetrievalMode? mode = null;
        double? mmr = null;
        switch (r.Field(name))
        {
            case null or { ValueKind: JsonValueKind.False }: return null;
            case { ValueKind: JsonValueKind.True }: break;
            case { ValueKind: JsonValueKind.Object } o:
                foreach (var p in o.EnumerateObject())
                {
                    if (p.Name == "top" && p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out int t))
                        top = t is >= 1 and <= MaxTop ? t : throw ApiException.BadRequest($"'rag.top' must be between 1 and {MaxTop}; got {t}.", "rag.top", "invalid_value");
                    else if (p.Name == "top") throw RequestReader.WrongType("rag.top", "an integer");
                    else if (p.Name == "mode") mode = Mode(p.Value);
                    else if (p.Name == "mmr" && p.Value.ValueKind == JsonValueKind.Number)
                        mmr = p.Value.GetDouble() is var l and >= 0 and <= 1 ? l : throw ApiException.BadRequest($"'rag.mmr' must be between 0 and 1; got {p.Value}.", "rag.mmr", "invalid_value");
                    else if (p.Name == "mmr") throw RequestReader.WrongType("rag.mmr", "a number");
                    else throw ApiException.BadRequest($"'rag' takes the fields top, mode and mmr; got '{p.Name}'.", $"rag.{p.Name}", "invalid_value");
                }
                break;
            default: throw RequestReader.WrongType(name, "a boolean or an object {\"top\", \"mode\", \"mmr\"}");
        }
        var rag = served.Rag ?? throw ApiException.BadRequest(
            "This server has no document store: start it with `phi serve --rag-db DB` to answer with \"rag\".", name, "rag_not_enabled");
        if (mode is RetrievalMode.Vector or RetrievalMode.Hybrid && !rag.HasEmbedder)
            throw ApiException.BadRequest($"'rag.mode' {mode} needs an embedding model: start the server with --embed-model.", "rag.mode", "invalid_value");
        if (messages[^1].Role != "user")
            throw ApiException.BadRequest("With \"rag\", the last message must be the user's question.", "messages", "invalid_value");

        string question = messages[^1].Content;
        var hits = await rag.SearchAsync(question, top, mode ?? rag.DefaultMode, mmr, ct);
        return new GroundedChat(question, messages.Take(messages.Count - 1).ToList(), hits);
    }

    static RetrievalMode Mode(JsonElement value) => value.ValueKind == JsonValueKind.String && Enum.TryParse<RetrievalMode>(value.GetString(), ignoreCase: true, out var m)
        && value.GetString()!.All(char.IsAsciiLetterLower)
        ? m
        : throw ApiException.BadRequest("'rag.mode' must be \"lexical\", \"vector\" or \"hybrid\".", "rag.mode", "invalid_value");

    /// <summary>
    /// The prompt's tokens: sources fill the context up to <paramref name="maxTokens"/> before its end (a quarter of
    /// the context when the request sets no max_tokens), so the answer has room.
    /// </summary>
    public int[] Prompt(ServedModel served, long? maxTokens)
    {
        int context = served.Slots.ContextLength;
        long budget = context - (maxTokens ?? context / 4);
        try
        {
            if (budget <= 0) throw new ArgumentException($"max_tokens {maxTokens} leaves no room for the sources in the {context}-token context");
            (var prompt, Sources) = GroundedPrompt.ForModel(_question, Hits, served.Model, (int)budget, _history);
            return prompt;
        }
        catch (ArgumentException e)
        {
            throw new ApiException(413, $"The sources do not fit: {e.Message}.", "messages", "context_length_exceeded");
        }
    }

    /// <summary>The answer when nothing matched: the model is not asked, as with `phi rag ask`.</summary>
    public static async IAsyncEnumerable<GeneratedToken> Unknown()
    {
        await Task.CompletedTask;
        yield return new GeneratedToken(-1, GroundedPrompt.Unknown, FinishReason.Stop);
    }

    /// <summary>The response's "sources": every source the prompt held, in its number's order, and whether the answer cites it.</summary>
    public object SourcesJson(string answer)
    {
        var cited = GroundedPrompt.Cited(answer, Sources).Select(s => s.Number).ToHashSet();
        return Sources.Select(s => new
        {
            number = s.Number,
            path = DocumentPath.Display(s.Chunk.Path),
            heading = s.Chunk.Heading,
            chunk = s.Chunk.Ordinal,
            score = s.Chunk.Score,
            cited = cited.Contains(s.Number),
        }).ToList();
    }
}
