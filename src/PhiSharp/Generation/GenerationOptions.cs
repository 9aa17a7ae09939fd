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
