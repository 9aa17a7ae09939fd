namespace PhiSharp.Models.Decoder;

/// <summary>Ready embedding rows (hidden size floats each) that take the place of token lookups from position
/// <paramref name="Start"/> of a sequence on: how a vision encoder's image features enter the decoder.</summary>
internal readonly record struct EmbeddingRows(int Start, float[] Rows);

/// <summary>
/// What a forward pass evaluates: one token id per position, and optionally spans of embedding rows that replace the
/// lookups of the positions they cover (the ids there are placeholders: recorded, never looked up or range-checked).
/// <see cref="Embeddings"/>' starts count from the input's first position and are in increasing order.
/// </summary>
internal readonly ref struct DecoderInput(ReadOnlySpan<int> tokens, ReadOnlySpan<EmbeddingRows> embeddings = default)
{
    public ReadOnlySpan<int> Tokens { get; } = tokens;
    public ReadOnlySpan<EmbeddingRows> Embeddings { get; } = embeddings;
    public int Length => Tokens.Length;

    /// <summary>The embedding row at input position <paramref name="index"/>, or an empty span when it is a token's.</summary>
    public ReadOnlySpan<float> EmbeddingAt(int index, int hidden)
    {
        foreach (var span in Embeddings)
        {
            int row = index - span.Start;
            if (row >= 0 && row < span.Rows.Length / hidden) return span.Rows.AsSpan(row * hidden, hidden);
        }
        return default;
    }
}
