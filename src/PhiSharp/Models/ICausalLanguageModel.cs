namespace PhiSharp.Models;

/// <summary>A decoder-only network: token ids in, next-token logits out. Knows nothing of text.</summary>
public interface ICausalLanguageModel : IDisposable
{
    int VocabSize { get; }

    /// <summary>The longest sequence the model was trained for (max_position_embeddings).</summary>
    int MaxContextLength { get; }

    /// <summary>Starts a sequence with its own KV cache sized for <paramref name="contextLength"/> tokens.</summary>
    IInferenceSession CreateSession(int contextLength);
}

/// <summary>One sequence being evaluated: the tokens so far and their cached keys and values.</summary>
public interface IInferenceSession : IDisposable
{
    int ContextLength { get; }

    /// <summary>Number of tokens evaluated so far.</summary>
    int Length { get; }

    ReadOnlySpan<int> Tokens { get; }

    /// <summary>Evaluates <paramref name="tokens"/> after those already in the sequence and writes the logits of the
    /// last one into <paramref name="logits"/> (VocabSize floats), or of every one (tokens × VocabSize) when
    /// <paramref name="allPositions"/> is set.</summary>
    void Append(ReadOnlySpan<int> tokens, Span<float> logits, bool allPositions = false);

    /// <summary>Forgets every token from <paramref name="length"/> on, so a shared prefix can be reused.</summary>
    void Truncate(int length);

    /// <summary>Says that no <see cref="Append"/> follows soon: the generation using the session has ended. Sessions
    /// of one model share batched steps, whose runner waits a little for the sessions of the last step to come back
    /// with their next token; this one is no longer waited for. A later Append is still allowed.</summary>
    void EndTurn() { }
}
