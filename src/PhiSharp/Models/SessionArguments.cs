namespace PhiSharp.Models;

/// <summary>The argument checks every <see cref="IInferenceSession.Append"/> makes before touching its cache.</summary>
internal static class SessionArguments
{
    public static void CheckAppend(ReadOnlySpan<int> tokens, Span<float> logits, bool allPositions, int length, int contextLength, int vocabSize)
    {
        if (tokens.IsEmpty) throw new ArgumentException("No tokens to evaluate.", nameof(tokens));
        int newLength = length + tokens.Length;
        if (newLength > contextLength)
            throw new InvalidOperationException($"The sequence would hold {newLength} tokens; the context holds {contextLength}.");
        if (logits.Length < (allPositions ? tokens.Length * vocabSize : vocabSize))
            throw new ArgumentException("The logits buffer is too small.", nameof(logits));
        foreach (int t in tokens)
            if ((uint)t >= (uint)vocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"Token id {t} is outside the vocabulary (0..{vocabSize - 1}).");
    }
}
