using PhiSharp.Generation.Constraints;

namespace PhiSharp.Generation;

/// <summary>What one generation call does besides sampling: how long, and when to stop.</summary>
public sealed record GenerationOptions
{
    public int MaxTokens { get; init; } = 256;
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Generation stops before any of these strings; they are not part of the output.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Tokens of the KV cache; defaults to prompt + MaxTokens, capped at the model's context.</summary>
    public int? ContextLength { get; init; }

    /// <summary>
    /// Constrains the output to this grammar (for JSON, <see cref="JsonSchemaGrammar"/>): every token is one the
    /// grammar allows, generation may end only where the grammar accepts, and the output is complete even when
    /// MaxTokens or the context ends it (<see cref="FinishReason.Length"/> then). MaxTokens must leave room for the
    /// grammar's shortest output (<see cref="Generator.ShortestCompletion"/>).
    /// </summary>
    public Grammar? Grammar { get; init; }

    /// <summary>
    /// Makes <see cref="Grammar"/> apply only after a special token (Phi-4-mini's <c>&lt;|tool_call|&gt;</c>): the text
    /// before it is free, the grammar's output is closed by the trigger's end token, and generation stops there.
    /// </summary>
    public GrammarTrigger? GrammarTrigger { get; init; }
}

/// <summary>Where a triggered grammar starts and ends: two special tokens of the vocabulary, by their text.</summary>
/// <param name="Use">Whether the output may, must (as its first token) or may not contain the start token.</param>
public sealed record GrammarTrigger(string StartToken, string EndToken, GrammarTriggerUse Use = GrammarTriggerUse.Optional);

public enum GrammarTriggerUse
{
    /// <summary>Free text, which may switch to the grammar with the start token.</summary>
    Optional,
    /// <summary>The output starts with the start token: all of it is the grammar's.</summary>
    Immediate,
    /// <summary>The start token is never generated: the output is free text.</summary>
    Forbidden,
}

public enum FinishReason
{
    /// <summary>The model produced an end-of-sequence token or a stop string.</summary>
    Stop,
    /// <summary>MaxTokens or the context length was reached.</summary>
    Length,
}

/// <summary>One generated token and the text it completes (possibly empty while a character or a possible stop
/// string is still incomplete). <see cref="Finish"/> is set on the last item.</summary>
public readonly record struct GeneratedToken(int Id, string Text, FinishReason? Finish = null);
